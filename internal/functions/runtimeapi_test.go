package functions

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Calls a worker cannot make: unknown tokens, paths outside the Runtime API, wrong methods, and
// answers for invocations that are not the worker's.
func TestRuntimeAPIRefusals(t *testing.T) {
	rt := newRuntime(t, Options{})
	createCmd(t, rt, "g", nil, 3)
	invoke(t, rt, "g", `{}`)
	p := rt.getPool("g")
	p.mu.Lock()
	w := p.idle[0]
	p.mu.Unlock()
	base := "http://" + rt.RuntimeAPIAddr()
	for _, tc := range []struct {
		method, path string
		status       int
		errorType    string
	}{
		{"GET", "/nobody/2018-06-01/runtime/invocation/next", 403, "InvalidWorker"},
		{"GET", "/", 404, "InvalidPath"},
		{"GET", "/" + w.token, 404, "InvalidPath"},
		{"GET", "/" + w.token + "/2018-06-01/runtime/elsewhere", 404, "InvalidPath"},
		{"GET", "/" + w.token + "/2020-01-01/runtime/invocation/next", 404, "InvalidPath"},
		{"POST", "/" + w.token + "/2018-06-01/runtime/invocation/next", 405, "MethodNotAllowed"},
		{"GET", "/" + w.token + "/2018-06-01/runtime/invocation/x/response", 405, "MethodNotAllowed"},
		{"POST", "/" + w.token + "/2018-06-01/runtime/invocation/x/response", 400, "InvalidRequestID"},
		{"POST", "/" + w.token + "/2018-06-01/runtime/invocation/x/other", 404, "InvalidPath"},
		{"GET", "/" + w.token + "/2018-06-01/runtime/init/error", 405, "MethodNotAllowed"},
	} {
		req, _ := http.NewRequest(tc.method, base+tc.path, strings.NewReader("{}"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !bytes.Contains(b, []byte(`"errorType":"`+tc.errorType+`"`)) {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, resp.StatusCode, b)
		}
	}
	// The worker is still good.
	if res, _ := invoke(t, rt, "g", `{}`); res.FunctionError != "" {
		t.Fatalf("after refusals: %s", res.Payload)
	}
}

func FuzzRuntimeAPIPath(f *testing.F) {
	rt := newRuntime(f, Options{})
	for _, s := range []string{"/t/2018-06-01/runtime/invocation/next", "/t/2018-06-01/runtime/invocation/id/error", "//", "/t/2018-06-01/runtime/init/error"} {
		f.Add("POST", s)
	}
	f.Fuzz(func(t *testing.T, method, path string) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Method = method
		req.URL.Path = path
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		rt.serveRuntimeAPI(httptest.NewRecorder(), req.WithContext(ctx))
	})
}
