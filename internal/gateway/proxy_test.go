package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portico/portico/internal/model"
)

type echoed struct {
	Method, URI, Host string
	Header            http.Header
	Body              string
	BodyLen           int
}

// newBackend starts an upstream that echoes what it receives; /slow answers only when the
// test ends or the caller gives up.
func newBackend(t *testing.T) *httptest.Server {
	release := make(chan struct{})
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/slow") {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(400)
			return
		}
		e := echoed{Method: r.Method, URI: r.RequestURI, Host: r.Host, Header: r.Header, BodyLen: len(body)}
		if len(body) < 1024 {
			e.Body = string(body)
		}
		w.Header().Set("Server", "backend")
		w.Header().Set("X-Backend", "1")
		w.Header().Set("Content-Type", "application/x-echo")
		w.WriteHeader(201)
		json.NewEncoder(w).Encode(e)
	}))
	t.Cleanup(func() { close(release); b.Close() })
	return b
}

func proxyDoc(backendHost, deadHost string) *model.APIDoc {
	return newDoc(
		&model.Resource{Id: "px0001", Path: "/proxy/{proxy+}", ResourceMethods: map[string]*model.Method{
			"ANY": proxyMethod("ANY", "ANY", "http://${stageVariables.backend}/echo/{proxy}?fixed=1", map[string]string{
				"integration.request.path.proxy":        "method.request.path.proxy",
				"integration.request.querystring.added": "'x y'",
				"integration.request.header.X-Mapped":   "method.request.header.X-In",
			}, 0)}},
		&model.Resource{Id: "it0001", Path: "/items/{id}", ResourceMethods: map[string]*model.Method{
			"GET": proxyMethod("GET", "POST", "http://"+backendHost+"/items/{id}", nil, 0)}},
		&model.Resource{Id: "sl0001", Path: "/slow", ResourceMethods: map[string]*model.Method{
			"GET": proxyMethod("GET", "GET", "http://"+backendHost+"/slow", nil, 50)}},
		&model.Resource{Id: "dn0001", Path: "/down", ResourceMethods: map[string]*model.Method{
			"GET": proxyMethod("GET", "GET", "http://"+deadHost+"/", nil, 0)}},
	)
}

// deadAddr returns an address nothing listens on.
func deadAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func decodeEcho(t *testing.T, r result) echoed {
	t.Helper()
	var e echoed
	if err := json.Unmarshal([]byte(r.body), &e); err != nil {
		t.Fatalf("backend answer %d %q: %v", r.status, r.body, err)
	}
	return e
}

func TestHTTPProxy(t *testing.T) {
	backend := newBackend(t)
	bhost := strings.TrimPrefix(backend.URL, "http://")
	e := newEnv(t, Options{})
	e.deploy(proxyDoc(bhost, deadAddr(t)), "dep001", "prod", map[string]string{"backend": bhost})

	url, host := e.hostURL(apiID, "/prod/proxy/a/b%20c/%2F?x=1&y=a+b")
	r := e.do("POST", url, host, strings.NewReader("hello"), map[string]string{
		"X-In": "in", "X-Custom": "c", "Authorization": "AWS4-HMAC-SHA256 Credential=x", "Keep-Alive": "timeout=5",
		"X-Forwarded-For": "10.0.0.1",
	})
	if r.status != 201 {
		t.Fatalf("status %d %q", r.status, r.body)
	}
	got := decodeEcho(t, r)
	checks := map[string][2]string{
		"method":     {got.Method, "POST"},
		"uri":        {got.URI, "/echo/a/b%20c/%2F?fixed=1&x=1&y=a+b&added=x+y"},
		"host":       {got.Host, bhost},
		"body":       {got.Body, "hello"},
		"custom":     {got.Header.Get("X-Custom"), "c"},
		"mapped":     {got.Header.Get("X-Mapped"), "in"},
		"auth":       {got.Header.Get("Authorization"), ""},
		"keep-alive": {got.Header.Get("Keep-Alive"), ""},
		"xff":        {got.Header.Get("X-Forwarded-For"), "10.0.0.1, 127.0.0.1"},
		"proto":      {got.Header.Get("X-Forwarded-Proto"), "http"},
		"port":       {got.Header.Get("X-Forwarded-Port"), e.port},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("backend saw %s %q, want %q", name, c[0], c[1])
		}
	}
	if tr := got.Header.Get("X-Amzn-Trace-Id"); !strings.HasPrefix(tr, "Root=1-") || len(tr) != 40 {
		t.Errorf("trace id %q", tr)
	}
	if r.header.Get("X-Backend") != "1" || r.header.Get("Content-Type") != "application/x-echo" ||
		r.header.Get("X-Amzn-Remapped-Server") != "backend" || r.header.Get("X-Amzn-Remapped-Date") == "" ||
		r.header.Get("X-Amzn-Remapped-Content-Length") == "" || r.header.Get("Server") != "" {
		t.Errorf("response headers %v", r.header)
	}
	checkIDs(t, r)

	// The client's verb goes upstream for ANY; the integration's verb otherwise; direct form.
	r = e.do("DELETE", e.pathURL(apiID, "prod", "/proxy/x"), "", nil, nil)
	if got := decodeEcho(t, r); got.Method != "DELETE" || got.URI != "/echo/x?fixed=1&added=x+y" {
		t.Errorf("ANY: %+v", got)
	}
	r = e.do("GET", e.pathURL(apiID, "prod", "/items/7%2B"), "", nil, nil)
	if got := decodeEcho(t, r); got.Method != "POST" || got.URI != "/items/7%2B" {
		t.Errorf("direct form: %+v", got)
	}
}

func TestHTTPProxyFailures(t *testing.T) {
	backend := newBackend(t)
	bhost := strings.TrimPrefix(backend.URL, "http://")
	e := newEnv(t, Options{})
	e.deploy(proxyDoc(bhost, deadAddr(t)), "dep001", "prod", map[string]string{"backend": bhost})

	r := e.do("GET", e.pathURL(apiID, "prod", "/slow"), "", nil, nil)
	if r.status != 504 || r.body != `{"message":"Endpoint request timed out"}` || r.header.Get("X-Amzn-Errortype") != "InternalServerErrorException" {
		t.Errorf("timeout: %d %q %v", r.status, r.body, r.header)
	}
	r = e.do("GET", e.pathURL(apiID, "prod", "/down"), "", nil, nil)
	if r.status != 500 || r.body != `{"message":"Internal server error"}` || r.header.Get("X-Amzn-Errortype") != "InternalServerErrorException" {
		t.Errorf("unreachable: %d %q %v", r.status, r.body, r.header)
	}
	checkIDs(t, r)

	big := bytes.Repeat([]byte("x"), 20<<20)
	r = e.do("POST", e.pathURL(apiID, "prod", "/proxy/upload"), "", bytes.NewReader(big), nil)
	if r.status != 413 || r.body != `{"message":"Request Too Long"}` {
		t.Errorf("declared 20 MB body: %d %q", r.status, r.body)
	}
	r = e.do("POST", e.pathURL(apiID, "prod", "/proxy/upload"), "", io.MultiReader(bytes.NewReader(big)), nil)
	if r.status != 413 {
		t.Errorf("chunked 20 MB body: %d %q", r.status, r.body)
	}
	// Within the limit a chunked body streams through.
	r = e.do("POST", e.pathURL(apiID, "prod", "/proxy/upload"), "", io.MultiReader(bytes.NewReader(big[:5<<20])), nil)
	if got := decodeEcho(t, r); got.BodyLen != 5<<20 {
		t.Errorf("chunked 5 MB body: backend read %d bytes", got.BodyLen)
	}
}
