package gateway

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/portico/portico/internal/model"
)

// newStatusBackend starts an upstream for non-proxy tests: /status/{code} answers that status
// with the body "status {code}"; /slow never answers in time; /bytes answers four raw bytes as
// image/png; anything else echoes the request as JSON (200). Every answer carries headers the
// gateway must not pass on unless mapped.
func newStatusBackend(t *testing.T) *httptest.Server {
	release := make(chan struct{})
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "backend")
		w.Header().Set("X-Backend", "1")
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		switch {
		case strings.HasPrefix(r.URL.Path, "/slow"):
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		case r.URL.Path == "/trickle":
			// The head and part of the body come at once; the rest never does.
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(200)
			io.WriteString(w, "partial")
			w.(http.Flusher).Flush()
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		case strings.HasPrefix(r.URL.Path, "/status/"):
			code, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/status/"))
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(code)
			io.WriteString(w, "status "+strconv.Itoa(code))
			return
		case r.URL.Path == "/bytes":
			w.Header().Set("Content-Type", "image/png")
			w.Write([]byte{0x89, 'P', 'N', 'G'})
			return
		}
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/x-echo")
		json.NewEncoder(w).Encode(echoed{Method: r.Method, URI: r.RequestURI, Host: r.Host, Header: r.Header,
			Body: string(body), BodyLen: len(body)})
	}))
	t.Cleanup(func() { close(release); b.Close() })
	return b
}

func httpMethod(verb, httpVerb, uri string, params, templates map[string]string, responses map[string]*model.IntegrationResponse, methodStatuses ...string) *model.Method {
	m := &model.Method{HttpMethod: verb, AuthorizationType: "NONE", MethodResponses: map[string]*model.MethodResponse{},
		MethodIntegration: &model.Integration{Type: "HTTP", HttpMethod: httpVerb, Uri: uri, RequestParameters: params,
			RequestTemplates: templates, IntegrationResponses: responses}}
	for _, s := range methodStatuses {
		m.MethodResponses[s] = &model.MethodResponse{StatusCode: s}
	}
	return m
}

func TestHTTPRequestMapping(t *testing.T) {
	b := newStatusBackend(t)
	e := newEnv(t, Options{})
	host := strings.TrimPrefix(b.URL, "http://")
	ok := map[string]*model.IntegrationResponse{"200": ir("200", "", "", map[string]string{
		"method.response.header.X-Echo-Method": "integration.response.body.Method",
		"method.response.header.X-Echo-Hdr":    "integration.response.body.Header.X-Lit",
		"method.response.header.X-Echo-None":   "integration.response.body.Nope",
	})}
	doc := newDoc(
		&model.Resource{Id: "pets01", Path: "/pets/{petId}", ResourceMethods: map[string]*model.Method{
			"POST": httpMethod("POST", "PUT", "http://${stageVariables.backend}/store/{id}/{fixed}?static=1", map[string]string{
				"integration.request.path.id":               "method.request.path.petId",
				"integration.request.path.fixed":            "'lit%2Fpart x?'",
				"integration.request.header.Host":           "'evil.example'",
				"integration.request.header.Content-Length": "'999'",
				"integration.request.querystring.q":         "method.request.querystring.q",
				"integration.request.querystring.tags":      "method.request.multivaluequerystring.tag",
				"integration.request.querystring.absent":    "method.request.querystring.nothere",
				"integration.request.header.X-From":         "method.request.header.X-In",
				"integration.request.header.X-Multi":        "method.request.multivalueheader.X-M",
				"integration.request.header.X-Lit":          "'lit'",
				"integration.request.header.X-Stage":        "stageVariables.color",
				"integration.request.header.X-Ctx":          "context.requestId",
				"integration.request.header.X-Path":         "context.resourcePath",
				"integration.request.header.X-Canary":       "context.isCanaryRequest",
				"integration.request.header.X-User":         "context.identity.user",
				"integration.request.header.X-Body":         "method.request.body",
				"integration.request.header.X-Name":         "method.request.body.pet.name",
				"integration.request.header.X-Tags":         "method.request.body.pet.tags",
				"integration.request.header.X-First-Tag":    "method.request.body.pet.tags[0]",
				"integration.request.header.X-None":         "method.request.body.nothing",
				"integration.request.header.Accept":         "'text/plain'",
				"integration.request.querystring.stage":     "context.stage",
				"integration.request.querystring.encoded":   "'a b&c'",
			}, nil, ok, "200")}},
	)
	e.deploy(doc, "dep001", "prod", map[string]string{"backend": host, "color": "blue"})
	const reqBody = `{"pet": {"name": "Rex", "tags": ["a", 1, {"k": null}]}}`
	r := e.do("POST", e.pathURL(apiID, "prod", "/pets/42?q=x%20y&tag=a&tag=b&other=1"), "", strings.NewReader(reqBody),
		map[string]string{"X-In": "in", "X-Secret": "s", "Content-Type": "application/json; charset=utf-8", "X-M": "m1"})
	if r.status != 200 {
		t.Fatalf("%d %q", r.status, r.body)
	}
	if r.header.Get("X-Echo-Method") != "PUT" || r.header.Get("X-Echo-Hdr") != `["lit"]` || r.header.Values("X-Echo-None") != nil {
		t.Errorf("response body mappings: %v", r.header)
	}
	// The backend's echo is the passthrough body; nothing of the backend's headers is passed on.
	got := decodeEcho(t, r)
	if r.header.Get("Content-Type") != "application/json" || r.header.Get("X-Backend") != "" || r.header.Get("Server") != "" {
		t.Errorf("response headers leak the backend's: %v", r.header)
	}
	wantURI := "/store/42/lit%2Fpart%20x%3F?static=1&encoded=a+b%26c&q=x+y&stage=prod&tags=a&tags=b"
	if got.Method != "PUT" || got.URI != wantURI || got.Host != host || got.Body != reqBody {
		t.Errorf("upstream request: %s %s host %s body %q, want PUT %s", got.Method, got.URI, got.Host, got.Body, wantURI)
	}
	h := got.Header
	want := map[string]string{
		"X-From": "in", "X-Multi": "m1", "X-Lit": "lit", "X-Stage": "blue", "X-Ctx": r.header.Get("X-Amzn-Requestid"),
		"X-Path": "/pets/{petId}", "X-Body": reqBody, "X-Name": "Rex", "X-Tags": `["a",1,{"k":null}]`, "X-First-Tag": "a", "X-None": "",
		"Accept": "text/plain", "User-Agent": "AmazonAPIGateway_" + apiID,
		"X-Amzn-Apigateway-Api-Id": apiID, "X-Canary": "false", "X-User": "", "Content-Type": "application/json; charset=utf-8", "X-Secret": "",
	}
	for k, v := range want {
		if h.Get(k) != v {
			t.Errorf("upstream header %s = %q, want %q", k, h.Get(k), v)
		}
	}
	if !strings.HasPrefix(h.Get("X-Amzn-Trace-Id"), "Root=1-") {
		t.Errorf("upstream trace id %q", h.Get("X-Amzn-Trace-Id"))
	}
	// Without mappings nothing of the client's reaches the backend but its body and Content-Type,
	// and API Gateway's own Accept default.
	doc.Resources["pets01"].ResourceMethods["GET"] = httpMethod("GET", "GET", "http://"+host+"/plain", nil, nil, ok, "200")
	e.deploy(doc, "dep002", "prod", nil)
	r = e.do("GET", e.pathURL(apiID, "prod", "/pets/42?q=1"), "", nil, map[string]string{"X-In": "in", "Accept": "text/html"})
	got = decodeEcho(t, r)
	if got.URI != "/plain" || got.Header.Get("X-In") != "" || got.Header.Get("Accept") != "application/json" ||
		got.Header.Get("Content-Type") != "" || got.BodyLen != 0 {
		t.Errorf("unmapped request: %+v", got)
	}
}

func TestHTTPResponseMapping(t *testing.T) {
	b := newStatusBackend(t)
	e := newEnv(t, Options{})
	host := strings.TrimPrefix(b.URL, "http://")
	responses := map[string]*model.IntegrationResponse{
		"200": ir("200", "", "", map[string]string{
			"method.response.header.X-B":      "integration.response.header.X-Backend",
			"method.response.header.X-M":      "integration.response.multivalueheader.X-Multi",
			"method.response.header.X-First":  "integration.response.header.X-Multi",
			"method.response.header.X-Body":   "integration.response.body",
			"method.response.header.X-Lit":    "'v'",
			"method.response.header.X-Stage":  "stageVariables.color",
			"method.response.header.Server":   "integration.response.header.Server",
			"method.response.header.X-Absent": "integration.response.header.Nope",
		}),
		"400": ir("400", `4\d{2}`, "", map[string]string{"method.response.header.Content-Type": "'text/plain'"}),
		"404": ir("404", `404`, "", nil),
		"503": ir("503", `5\d\d`, "", nil),
		"418": ir("418", `41`, "", nil), // whole-string match: never selects 418
	}
	doc := newDoc(
		&model.Resource{Id: "st0001", Path: "/status/{code}", ResourceMethods: map[string]*model.Method{
			"GET": httpMethod("GET", "GET", "http://"+host+"/status/{code}", map[string]string{
				"integration.request.path.code": "method.request.path.code"}, nil, responses, "200", "400", "404", "503")}},
		&model.Resource{Id: "nd0001", Path: "/nodefault/{code}", ResourceMethods: map[string]*model.Method{
			"GET": httpMethod("GET", "GET", "http://"+host+"/status/{code}", map[string]string{
				"integration.request.path.code": "method.request.path.code"}, nil,
				map[string]*model.IntegrationResponse{"404": ir("404", "404", "", nil)}, "404")}},
		&model.Resource{Id: "slow01", Path: "/slow", ResourceMethods: map[string]*model.Method{
			"GET": func() *model.Method {
				m := httpMethod("GET", "GET", "http://"+host+"/slow", nil, nil, responses, "200")
				m.MethodIntegration.TimeoutInMillis = 50
				return m
			}()}},
		&model.Resource{Id: "trick1", Path: "/trickle", ResourceMethods: map[string]*model.Method{
			"GET": func() *model.Method {
				m := httpMethod("GET", "GET", "http://"+host+"/trickle", nil, nil, responses, "200")
				m.MethodIntegration.TimeoutInMillis = 100
				return m
			}()}},
		&model.Resource{Id: "dead01", Path: "/dead", ResourceMethods: map[string]*model.Method{
			"GET": httpMethod("GET", "GET", "http://"+deadAddr(t)+"/", nil, nil, responses, "200")}},
	)
	e.deploy(doc, "dep001", "prod", map[string]string{"color": "green"})
	internal := `{"message":"Internal server error"}`
	cases := []struct {
		path   string
		status int
		body   string
	}{
		{"/status/200", 200, "status 200"},
		{"/status/302", 200, "status 302"}, // no pattern matches: the default response
		{"/status/404", 404, "status 404"}, // the pattern equal to the status wins over 4\d{2}
		{"/status/409", 400, "status 409"},
		{"/status/502", 503, "status 502"},
		{"/status/418", 400, "status 418"},
		{"/status/201", 200, "status 201"},
		{"/nodefault/200", 500, internal},
		{"/nodefault/404", 404, "status 404"},
		{"/slow", 504, `{"message":"Endpoint request timed out"}`},
		{"/trickle", 504, `{"message":"Endpoint request timed out"}`}, // the timeout covers the body too
		{"/dead", 500, internal},
	}
	for _, c := range cases {
		r := e.do("GET", e.pathURL(apiID, "prod", c.path), "", nil, map[string]string{"X-In": "client"})
		if r.status != c.status || r.body != c.body {
			t.Errorf("%s: %d %q, want %d %q", c.path, r.status, r.body, c.status, c.body)
		}
		checkIDs(t, r)
	}
	r := e.do("GET", e.pathURL(apiID, "prod", "/status/200"), "", nil, map[string]string{"X-In": "client"})
	want := map[string]string{"X-B": "1", "X-M": "a,b", "X-First": "a", "X-Body": "status 200", "X-Lit": "v", "X-Stage": "green",
		"X-Amzn-Remapped-Server": "backend", "Server": "", "X-Backend": "", "X-Absent": "",
		"Content-Type": "application/json"}
	for k, v := range want {
		if r.header.Get(k) != v {
			t.Errorf("response header %s = %q, want %q", k, r.header.Get(k), v)
		}
	}
	if _, ok := r.header["X-Absent"]; ok {
		t.Errorf("a mapping whose source is absent set its header")
	}
	r = e.do("GET", e.pathURL(apiID, "prod", "/status/409"), "", nil, nil)
	if r.header.Get("Content-Type") != "text/plain" {
		t.Errorf("mapped Content-Type: %v", r.header)
	}
	// HEAD gets the mapped status and headers, no body.
	r = e.do("HEAD", e.pathURL(apiID, "prod", "/nodefault/404"), "", nil, nil)
	if r.status != 403 { // no HEAD method: Missing Authentication Token
		t.Errorf("HEAD without a method: %d", r.status)
	}
}

// TestPassthroughBehavior walks the table of rest-api-model.md §5 for HTTP and MOCK.
func TestPassthroughBehavior(t *testing.T) {
	b := newStatusBackend(t)
	e := newEnv(t, Options{})
	host := strings.TrimPrefix(b.URL, "http://")
	ok := map[string]*model.IntegrationResponse{"200": ir("200", "", "", nil)}
	var resources []*model.Resource
	for i, behavior := range []string{"WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER"} {
		for j, templates := range []map[string]string{nil, {"application/xml": "<x/>"}} {
			m := httpMethod("POST", "POST", "http://"+host+"/echo", nil, templates, ok, "200")
			m.MethodIntegration.PassthroughBehavior = behavior
			resources = append(resources, &model.Resource{Id: "r" + strconv.Itoa(i) + strconv.Itoa(j) + "0000",
				Path: "/" + strings.ToLower(behavior) + "/" + strconv.Itoa(j), ResourceMethods: map[string]*model.Method{"POST": m}})
		}
	}
	e.deploy(newDoc(resources...), "dep001", "prod", nil)
	unsupported := `{"message":"Unsupported Media Type"}`
	cases := []struct {
		path, contentType string
		status            int
		body              string // what the backend received, or the gateway's answer
	}{
		{"/when_no_match/0", "text/plain", 200, "hello"},
		{"/when_no_match/1", "text/plain", 200, "hello"},
		{"/when_no_match/1", "application/xml; charset=UTF-8", 200, "<x/>"},
		{"/when_no_templates/0", "text/plain", 200, "hello"},
		{"/when_no_templates/1", "text/plain", 415, unsupported},
		{"/when_no_templates/1", "", 415, unsupported}, // no Content-Type is application/json
		{"/when_no_templates/1", "Application/XML", 200, "<x/>"},
		{"/never/0", "text/plain", 415, unsupported},
		{"/never/1", "text/plain", 415, unsupported},
		{"/never/1", "application/xml", 200, "<x/>"},
	}
	for _, c := range cases {
		hdr := map[string]string{}
		if c.contentType != "" {
			hdr["Content-Type"] = c.contentType
		}
		r := e.do("POST", e.pathURL(apiID, "prod", c.path), "", strings.NewReader("hello"), hdr)
		if r.status != c.status {
			t.Errorf("%s %q: %d %q, want %d", c.path, c.contentType, r.status, r.body, c.status)
			continue
		}
		if c.status == 415 {
			if r.body != c.body || r.header.Get("X-Amzn-Errortype") != "UnsupportedMediaTypeException" {
				t.Errorf("%s %q: %q %v", c.path, c.contentType, r.body, r.header)
			}
			continue
		}
		if got := decodeEcho(t, r); got.Body != c.body {
			t.Errorf("%s %q: backend got %q, want %q", c.path, c.contentType, got.Body, c.body)
		}
	}
}

func TestHTTPContentHandling(t *testing.T) {
	b := newStatusBackend(t)
	e := newEnv(t, Options{})
	host := strings.TrimPrefix(b.URL, "http://")
	withHandling := func(uri, req, resp string) *model.Method {
		r := ir("200", "", "", nil)
		r.ContentHandling = resp
		m := httpMethod("POST", "POST", "http://"+host+uri, nil, nil, map[string]*model.IntegrationResponse{"200": r}, "200")
		m.MethodIntegration.ContentHandling = req
		return m
	}
	doc := newDoc(
		&model.Resource{Id: "text01", Path: "/totext", ResourceMethods: map[string]*model.Method{"POST": withHandling("/echo", "CONVERT_TO_TEXT", "")}},
		&model.Resource{Id: "bin001", Path: "/tobinary", ResourceMethods: map[string]*model.Method{"POST": withHandling("/echo", "CONVERT_TO_BINARY", "")}},
		&model.Resource{Id: "img001", Path: "/image", ResourceMethods: map[string]*model.Method{"POST": withHandling("/bytes", "", "")}},
		&model.Resource{Id: "img002", Path: "/imagetext", ResourceMethods: map[string]*model.Method{"POST": withHandling("/bytes", "", "CONVERT_TO_TEXT")}},
	)
	doc.RestApi.BinaryMediaTypes = []string{"image/*"}
	e.deploy(doc, "dep001", "prod", nil)
	raw := string([]byte{0xff, 0x00, 'x'})
	r := e.do("POST", e.pathURL(apiID, "prod", "/totext"), "", strings.NewReader(raw), map[string]string{"Content-Type": "image/png"})
	if got := decodeEcho(t, r); got.Body != base64.StdEncoding.EncodeToString([]byte(raw)) {
		t.Errorf("CONVERT_TO_TEXT of a binary request: backend got %q", got.Body)
	}
	r = e.do("POST", e.pathURL(apiID, "prod", "/tobinary"), "", strings.NewReader("aGVsbG8="), map[string]string{"Content-Type": "text/plain"})
	if got := decodeEcho(t, r); got.Body != "hello" {
		t.Errorf("CONVERT_TO_BINARY of a text request: backend got %q", got.Body)
	}
	r = e.do("POST", e.pathURL(apiID, "prod", "/tobinary"), "", strings.NewReader("not base64!"), map[string]string{"Content-Type": "text/plain"})
	if r.status != 500 {
		t.Errorf("CONVERT_TO_BINARY of text that is not base64: %d %q", r.status, r.body)
	}
	png := base64.StdEncoding.EncodeToString([]byte{0x89, 'P', 'N', 'G'})
	for _, c := range []struct{ path, accept, want string }{
		{"/image", "image/png", "\x89PNG"},  // binary to a binary Accept: raw
		{"/image", "application/json", png}, // binary to a text Accept: base64
		{"/imagetext", "image/png", png},    // CONVERT_TO_TEXT: always text
		{"/image", "image/webp, text/html", "\x89PNG"},
	} {
		r := e.do("POST", e.pathURL(apiID, "prod", c.path), "", nil, map[string]string{"Accept": c.accept})
		if r.status != 200 || r.body != c.want {
			t.Errorf("%s Accept %q: %d %q, want %q", c.path, c.accept, r.status, r.body, c.want)
		}
	}
}
