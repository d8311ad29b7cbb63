package gateway

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/bolt"
)

// FuzzServeHTTP sends arbitrary request lines, hosts and content types through the handler: it
// never panics, always answers with the request id headers and a real status, and a gateway
// error always has its JSON body.
func FuzzServeHTTP(f *testing.F) {
	for _, s := range [][4]string{
		{"GET", "/prod/status/ok", apiID + ".execute-api.localhost", ""},
		{"POST", "/restapis/" + apiID + "/prod/_user_request_/passthrough", "x", `{"statusCode": 404}`},
		{"GET", "/prod//pets/%2B1/", apiID + ".execute-api.localhost:99", ""},
		{"PUT", "/restapis/" + apiID + "/prod/_user_request_", "", ""},
		{"OPTIONS", "/prod/cors", apiID + ".EXECUTE-API.localhost", ""},
		{"GET", "*", "", ""},
		{"GET", "/prod/%00/..", apiID + ".execute-api.localhost", ""},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	st, err := bolt.Open(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	doc := mockDoc()
	err = st.Update(func(tx store.Tx) error {
		tx.Put(store.KindRestAPI, apiID, doc)
		tx.Put(store.KindDeployment, store.Key(apiID, "dep001"), model.DeploymentRecord{
			Deployment: model.Deployment{Id: "dep001"}, APIID: apiID, Snapshot: doc})
		return tx.Put(store.KindStage, store.Key(apiID, "prod"), model.StageRecord{APIID: apiID,
			Stage: model.Stage{StageName: "prod", DeploymentId: "dep001"}})
	})
	if err != nil {
		f.Fatal(err)
	}
	gw, err := New(st, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.Fatal(err)
	}
	defer gw.Close()
	f.Fuzz(func(t *testing.T, method, uri, host, body string) {
		u, err := url.ParseRequestURI(uri)
		if err != nil {
			u = &url.URL{Path: uri}
		}
		req := &http.Request{Method: method, RequestURI: uri, URL: u, Host: host, Header: http.Header{},
			Body: http.NoBody, ContentLength: int64(len(body)), RemoteAddr: "192.0.2.1:1234"}
		if body != "" {
			req.Body = httpBody(body)
			req.Header.Set("Content-Type", "text/plain")
		}
		w := httptest.NewRecorder()
		gw.ServeHTTP(w, req)
		if w.Header().Get("X-Amzn-Requestid") == "" || w.Header().Get("X-Amz-Apigw-Id") == "" {
			t.Fatalf("%s %q host %q: no request ids", method, uri, host)
		}
		if w.Code < 100 || w.Code > 599 {
			t.Fatalf("%s %q host %q: status %d", method, uri, host, w.Code)
		}
		if w.Header().Get("X-Amzn-Errortype") != "" && method != http.MethodHead && !strings.HasPrefix(w.Body.String(), `{"message":`) {
			t.Fatalf("%s %q host %q: %d %q", method, uri, host, w.Code, w.Body)
		}
	})
}

type stringBody struct{ *strings.Reader }

func (stringBody) Close() error { return nil }

func httpBody(s string) stringBody { return stringBody{strings.NewReader(s)} }
