package gateway

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/bolt"
)

const apiID = "a1b2c3d4e5"

// env is a gateway on a real listener over a temporary bolt store.
type env struct {
	t    *testing.T
	st   *bolt.Store
	gw   *Gateway
	srv  *httptest.Server
	port string
}

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	st, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	gw, err := New(st, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close() })
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	return &env{t: t, st: st, gw: gw, srv: srv, port: port}
}

// deploy writes the API document, a deployment of it and a stage pointing at it, then waits
// until the gateway serves that deployment.
func (e *env) deploy(doc *model.APIDoc, depID, stage string, vars map[string]string) {
	e.t.Helper()
	err := e.st.Update(func(tx store.Tx) error {
		if err := tx.Put(store.KindRestAPI, doc.RestApi.Id, doc); err != nil {
			return err
		}
		rec := model.DeploymentRecord{Deployment: model.Deployment{Id: depID}, APIID: doc.RestApi.Id, Snapshot: doc.Clone()}
		if err := tx.Put(store.KindDeployment, store.Key(doc.RestApi.Id, depID), rec); err != nil {
			return err
		}
		return tx.Put(store.KindStage, store.Key(doc.RestApi.Id, stage), model.StageRecord{APIID: doc.RestApi.Id,
			Stage: model.Stage{StageName: stage, DeploymentId: depID, Variables: vars}})
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.waitFor(func() bool {
		a := e.gw.table.Lookup(doc.RestApi.Id, stage)
		return a != nil && a.DeploymentID == depID
	})
}

// waitFor waits until cond holds, failing the test after 10 seconds.
func (e *env) waitFor(cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatal("condition not reached within 10s")
		}
		<-tick.C
	}
}

// hostURL and pathURL are the two invoke URL forms; do sends a request to one of them.
func (e *env) hostURL(api, rest string) (url, host string) {
	return e.srv.URL + rest, api + ".execute-api.localhost:" + e.port
}

func (e *env) pathURL(api, stage, rest string) string {
	return e.srv.URL + "/restapis/" + api + "/" + stage + "/_user_request_" + rest
}

type result struct {
	status int
	header http.Header
	body   string
}

func (e *env) do(method, url, host string, body io.Reader, hdr map[string]string) result {
	e.t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return result{resp.StatusCode, resp.Header, string(b)}
}

// checkIDs checks the headers every answer carries.
func checkIDs(t *testing.T, r result) {
	t.Helper()
	id := r.header.Get("X-Amzn-Requestid")
	if len(id) != 36 || id[14] != '4' || strings.Count(id, "-") != 4 {
		t.Errorf("x-amzn-RequestId %q is not a UUID", id)
	}
	if ext := r.header.Get("X-Amz-Apigw-Id"); len(ext) != 16 {
		t.Errorf("x-amz-apigw-id %q", ext)
	}
}

func mockMethod(verb, template string, responses map[string]*model.IntegrationResponse, methodStatuses ...string) *model.Method {
	m := &model.Method{HttpMethod: verb, AuthorizationType: "NONE", MethodResponses: map[string]*model.MethodResponse{},
		MethodIntegration: &model.Integration{Type: "MOCK", IntegrationResponses: responses}}
	if template != "" {
		m.MethodIntegration.RequestTemplates = map[string]string{"application/json": template}
	}
	for _, s := range methodStatuses {
		m.MethodResponses[s] = &model.MethodResponse{StatusCode: s}
	}
	return m
}

func proxyMethod(verb, httpMethod, uri string, params map[string]string, timeoutMS int64) *model.Method {
	return &model.Method{HttpMethod: verb, AuthorizationType: "NONE", MethodIntegration: &model.Integration{
		Type: "HTTP_PROXY", HttpMethod: httpMethod, Uri: uri, RequestParameters: params, TimeoutInMillis: timeoutMS}}
}

func newDoc(resources ...*model.Resource) *model.APIDoc {
	doc := &model.APIDoc{RestApi: model.RestApi{Id: apiID, Name: "test", RootResourceId: "rootrootid"},
		Resources: map[string]*model.Resource{}}
	hasRoot := false
	for _, r := range resources {
		doc.Resources[r.Id] = r
		hasRoot = hasRoot || r.Path == "/"
	}
	if !hasRoot {
		doc.Resources["rootrootid"] = &model.Resource{Id: "rootrootid", Path: "/"}
	}
	return doc
}
