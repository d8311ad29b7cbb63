package gateway

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/portico/portico/internal/compile"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/runtime"
)

// What a test invocation runs as, AWS's own values: the pseudo stage "test-invoke-stage" and
// the host and caller address AWS fills in for a test.
const (
	testInvokeStage      = "test-invoke-stage"
	testInvokeDeployment = "test-invoke-deployment-id"
	testInvokeHost       = "testPrefix.testDomainName"
	testInvokeSourceIP   = "test-invoke-source-ip"
)

// TestInvokeMethod runs one request through a method of doc, the API's current definition,
// as AWS's TestInvokeMethod does: doc is compiled for the pseudo stage test-invoke-stage with
// the request's stage variables, and the request goes through route matching, request
// validation and the integration with execution logging on at INFO with data, which fills the
// answer's log. clientCertificateId is presented to HTTPS backends, as a stage's is. As on AWS's test, the resource policy, authorization, API keys and throttling
// are not applied, and nothing is counted in metrics or access logs.
func (g *Gateway) TestInvokeMethod(ctx context.Context, doc *model.APIDoc, resourceID, verb string, in *model.TestInvokeMethodRequest) (*model.TestInvokeMethodResponse, error) {
	rec := &model.DeploymentRecord{Deployment: model.Deployment{Id: testInvokeDeployment}, APIID: doc.RestApi.Id, Snapshot: doc}
	st := &model.StageRecord{APIID: doc.RestApi.Id, Stage: model.Stage{StageName: testInvokeStage,
		DeploymentId: testInvokeDeployment, Variables: in.StageVariables, ClientCertificateId: in.ClientCertificateId}}
	api, err := compile.Compile(rec, st, compile.Options{MaxIntegrationTimeout: g.opts.MaxIntegrationTimeout})
	if err != nil {
		return nil, fmt.Errorf("the API cannot be run: %w", err)
	}
	var res *runtime.Resource
	var method *runtime.Method
	api.Routes.Walk(func(r *runtime.Resource, m *runtime.Method) {
		if r.ID == resourceID && m.Verb.String() == verb {
			res, method = r, m
		}
	})
	if method == nil {
		return nil, fmt.Errorf("Invalid Method identifier specified")
	}
	pathQuery := in.PathWithQueryString
	if pathQuery == "" {
		pathQuery = res.Path
	}
	if !strings.HasPrefix(pathQuery, "/") {
		pathQuery = "/" + pathQuery
	}
	httpMethod := verb
	if method.Verb == runtime.VerbANY {
		httpMethod = http.MethodGet
	}
	path, _, _ := strings.Cut(pathQuery, "?")
	u, err := url.ParseRequestURI("http://" + testInvokeHost + "/" + testInvokeStage + pathQuery)
	if err != nil {
		return nil, fmt.Errorf("Invalid pathWithQueryString: %s", in.PathWithQueryString)
	}
	r, err := http.NewRequestWithContext(ctx, httpMethod, u.String(), strings.NewReader(in.Body))
	if err != nil {
		return nil, fmt.Errorf("Invalid pathWithQueryString: %s", in.PathWithQueryString)
	}
	r.RequestURI = "/" + testInvokeStage + pathQuery
	r.RemoteAddr = testInvokeSourceIP
	for k, vs := range in.MultiValueHeaders {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	for k, v := range in.Headers {
		if _, ok := in.MultiValueHeaders[k]; !ok {
			r.Header.Set(k, v)
		}
	}
	if in.Body == "" {
		r.Body, r.ContentLength = http.NoBody, 0
	}

	w := &testRecorder{header: http.Header{}}
	rc := newRequest(w, r)
	defer rc.release()
	rc.accountID = g.opts.AccountID
	rc.api, rc.stage, rc.host, rc.path = api, testInvokeStage, testInvokeHost, path
	x := tracePool.Get().(*execTrace)
	x.setting = execSetting{level: execInfo, data: true}
	rc.exec = x
	gerr := g.testServe(rc, res, method)
	if gerr != nil {
		rc.obs.failure = gerr
		g.writeError(rc, gerr)
	}
	latency := time.Since(rc.start)
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	out := &model.TestInvokeMethodResponse{
		Status:            status,
		Body:              w.body.String(),
		Headers:           map[string]string{},
		MultiValueHeaders: map[string][]string{},
		Latency:           latency.Milliseconds(),
	}
	for k, vs := range w.header {
		if len(vs) == 0 {
			continue
		}
		out.Headers[k] = vs[len(vs)-1]
		out.MultiValueHeaders[k] = append([]string(nil), vs...)
	}
	var log strings.Builder
	log.WriteString("Execution log for request " + rc.requestID + "\n")
	for _, l := range rc.finishTrace(status) {
		// AWS writes the time as Java's Date.toString does.
		log.WriteString(l.at.UTC().Format("Mon Jan 02 15:04:05 MST 2006"))
		log.WriteString(" : ")
		log.WriteString(l.msg)
		log.WriteByte('\n')
	}
	out.Log = log.String()
	return out, nil
}

// testServe runs the phases a test invocation goes through: the payload limit, the method the
// test names (its path parameters read from the path given when it matches the resource),
// request validation and the integration.
func (g *Gateway) testServe(rc *request, res *runtime.Resource, method *runtime.Method) *gatewayError {
	if err := g.checkPayload(rc); err != nil {
		return err
	}
	if matched, params := rc.api.Routes.Match(rc.path, rc.params); matched == res {
		rc.params = params
	}
	rc.resource, rc.method = res, method
	if err := g.traceRequest(rc); err != nil {
		return err
	}
	if err := g.validateRequest(rc); err != nil {
		return err
	}
	return g.integrate(rc)
}

// testRecorder holds a test invocation's answer in memory.
type testRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *testRecorder) Header() http.Header { return w.header }

func (w *testRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *testRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}

// Flush lets streaming integrations flush; there is nothing to send.
func (w *testRecorder) Flush() {}
