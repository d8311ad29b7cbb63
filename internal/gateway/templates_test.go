package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/portico/portico/internal/model"
)

// syncBuffer collects log output written from request goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// petStoreBackend answers like the PetStore example backend: GET /pets lists pets, POST /pets
// echoes what it was sent, wrapped as {"received": ..., "headers": {...}, "uri": ...}.
func petStoreBackend(t *testing.T) *httptest.Server {
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == "GET" && r.URL.Path == "/pets" {
			io.WriteString(w, `[{"id": 1, "type": "dog", "price": 249.99}, {"id": 2, "type": "cat", "price": 124.99}, {"id": 3, "type": "fish", "price": 0.99}]`)
			return
		}
		body, _ := io.ReadAll(r.Body)
		json.NewEncoder(w).Encode(map[string]any{"received": string(body), "uri": r.RequestURI,
			"override": r.Header.Get("X-Override"), "mapped": r.Header.Get("X-Mapped")})
	}))
	t.Cleanup(b.Close)
	return b
}

// petStoreList is the response template of AWS's PetStore walkthrough that renames fields.
const petStoreList = `#set($inputRoot = $input.path('$'))
[
#foreach($elem in $inputRoot)
  {
    "number": $elem.id,
    "class": "$elem.type",
    "salesPrice": $elem.price
  }#if($foreach.hasNext),#end

#end
]`

const petStoreListOut = `[
  {
    "number": 1,
    "class": "dog",
    "salesPrice": 249.99
  },
  {
    "number": 2,
    "class": "cat",
    "salesPrice": 124.99
  },
  {
    "number": 3,
    "class": "fish",
    "salesPrice": 0.99
  }
]`

func templated(ct, text string) map[string]string { return map[string]string{ct: text} }

func TestTemplatesEndToEnd(t *testing.T) {
	b := petStoreBackend(t)
	logs := &syncBuffer{}
	e := newEnv(t, Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	host := strings.TrimPrefix(b.URL, "http://")
	withTemplate := func(status, pattern, text string, params map[string]string) *model.IntegrationResponse {
		return &model.IntegrationResponse{StatusCode: status, SelectionPattern: pattern, ResponseParameters: params,
			ResponseTemplates: templated("application/json", text)}
	}
	one := func(r *model.IntegrationResponse) map[string]*model.IntegrationResponse {
		return map[string]*model.IntegrationResponse{r.StatusCode: r}
	}
	doc := newDoc(
		&model.Resource{Id: "pets01", Path: "/pets", ResourceMethods: map[string]*model.Method{
			"GET": httpMethod("GET", "GET", "http://"+host+"/pets", nil, nil, one(withTemplate("200", "", petStoreList, nil)), "200"),
			"POST": httpMethod("POST", "POST", "http://"+host+"/pets/{kind}", map[string]string{
				"integration.request.path.kind":       "'dog'",
				"integration.request.header.X-Mapped": "'mapped'",
				"integration.request.querystring.q":   "'mapped'",
			}, templated("application/json", `#set($inputRoot = $input.path('$'))
{
  "type" : "$inputRoot.type",
  "price" : $inputRoot.price,
  "owner" : "$util.escapeJavaScript($input.params('owner'))",
  "stage" : "$context.stage", "color": "$stageVariables.color"
}
#set($context.requestOverride.header.X-Override = "from-template")
#set($context.requestOverride.path.kind = "cat")
#set($context.requestOverride.querystring.q = "over")
#set($context.requestOverride.querystring.extra = "x")`),
				one(withTemplate("200", "", `{"backend": $input.json('$'), "owner": "$input.params('owner')", "resource": "$context.resourcePath"}`,
					map[string]string{"method.response.header.X-Uri": "integration.response.body.uri"})), "200")}},
		&model.Resource{Id: "mock01", Path: "/mock/{code}", ResourceMethods: map[string]*model.Method{
			"GET": mockMethod("GET", `{"statusCode": #if($input.params('code') == "tea")418#else 200#end}`,
				map[string]*model.IntegrationResponse{
					"200": withTemplate("200", "", `{"code": "$input.params('code')", "body": $input.body, "path": "$context.path"}`, nil),
					"418": withTemplate("418", "418", `#set($context.responseOverride.header.X-Brewed = "tea")
#set($context.responseOverride.status = 299)
{"message": "I'm a teapot"}`, nil),
				}, "200", "418")}},
		&model.Resource{Id: "echo01", Path: "/echo", ResourceMethods: map[string]*model.Method{
			"POST": mockMethod("POST", `#set($b = $input.path('$'))
{"statusCode": $b.want}`, map[string]*model.IntegrationResponse{
				"200": withTemplate("200", "", `ok`, nil),
				"400": withTemplate("400", "4\\d\\d", `#set($context.responseOverride.status = 'not a number'){"bad": true}`, nil),
			}, "200", "400")}},
		&model.Resource{Id: "fail01", Path: "/fail/render", ResourceMethods: map[string]*model.Method{
			"GET": mockMethod("GET", `{"statusCode": 200}`, one(withTemplate("200", "", `#foreach($i in [1..5000])x#end`, nil)), "200")}},
		&model.Resource{Id: "fail02", Path: "/fail/parse", ResourceMethods: map[string]*model.Method{
			"GET": mockMethod("GET", `{"statusCode": 200}`, one(withTemplate("200", "", `#if($x`, nil)), "200")}},
		&model.Resource{Id: "fail03", Path: "/fail/twice", ResourceMethods: map[string]*model.Method{
			"GET": mockMethod("GET", `{"statusCode": 200}`, one(withTemplate("200", "",
				`#set($context.responseOverride.status = 201)#set($context.responseOverride.status = 202)`, nil)), "200")}},
	)
	e.deploy(doc, "dep001", "prod", map[string]string{"color": "blue"})

	// The PetStore walkthrough: a backend list renamed field by field.
	r := e.do("GET", e.pathURL(apiID, "prod", "/pets"), "", nil, nil)
	if r.status != 200 || r.body != petStoreListOut || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("PetStore list: %d %q", r.status, r.body)
	}

	// A request template with $util, $context, $stageVariables, then overrides of the mapped
	// path, header and query; the response template sees the backend's answer and the request.
	r = e.do("POST", e.pathURL(apiID, "prod", "/pets?owner=O'Brien"), "", strings.NewReader(`{"type": "dog", "price": 249.99}`), nil)
	if r.status != 200 {
		t.Fatalf("POST /pets: %d %q", r.status, r.body)
	}
	var got struct {
		Backend struct {
			Received, URI, Override, Mapped string
		}
		Owner, Resource string
	}
	if err := json.Unmarshal([]byte(r.body), &got); err != nil {
		t.Fatalf("POST /pets answer %q: %v", r.body, err)
	}
	wantReceived := "{\n  \"type\" : \"dog\",\n  \"price\" : 249.99,\n  \"owner\" : \"O\\'Brien\",\n  \"stage\" : \"prod\", \"color\": \"blue\"\n}\n"
	if got.Backend.Received != wantReceived {
		t.Errorf("request template output %q, want %q", got.Backend.Received, wantReceived)
	}
	if got.Backend.URI != "/pets/cat?q=over&extra=x" || got.Backend.Override != "from-template" || got.Backend.Mapped != "mapped" {
		t.Errorf("request overrides: %+v", got.Backend)
	}
	if got.Owner != "O'Brien" || got.Resource != "/pets" || r.header.Get("X-Uri") != "/pets/cat?q=over&extra=x" {
		t.Errorf("response template: %+v %v", got, r.header)
	}

	// MOCK: the rendered request template names the status; a MOCK response template reads an
	// empty integration body ({}); responseOverride sets the status and a header.
	r = e.do("GET", e.pathURL(apiID, "prod", "/mock/abc"), "", nil, nil)
	if r.status != 200 || r.body != `{"code": "abc", "body": {}, "path": "/prod/mock/abc"}` {
		t.Errorf("MOCK 200: %d %q", r.status, r.body)
	}
	r = e.do("GET", e.pathURL(apiID, "prod", "/mock/tea"), "", nil, nil)
	if r.status != 299 || r.body != `{"message": "I'm a teapot"}` || r.header.Get("X-Brewed") != "tea" {
		t.Errorf("MOCK 418 with overrides: %d %q %v", r.status, r.body, r.header)
	}
	r = e.do("POST", e.pathURL(apiID, "prod", "/echo"), "", strings.NewReader(`{"want": 404}`), nil)
	if r.status != 400 || r.body != `{"bad": true}` {
		t.Errorf("status override that is not a number is ignored: %d %q", r.status, r.body)
	}
	// A request body that looks like JSON but is not, read by $input.path: 400, as on AWS.
	r = e.do("POST", e.pathURL(apiID, "prod", "/echo"), "", strings.NewReader(`{"want": `), nil)
	if r.status != 400 || r.header.Get("X-Amzn-Errortype") != "BadRequestException" ||
		!strings.HasPrefix(r.body, `{"message":"Could not parse request body into json`) {
		t.Errorf("unparseable body: %d %q %v", r.status, r.body, r.header)
	}

	// Failures: a template that fails while rendering, or does not parse, or sets one override
	// twice, answers 500 and says why in the log; the other methods keep working.
	for _, path := range []string{"/fail/render", "/fail/parse", "/fail/twice"} {
		r = e.do("GET", e.pathURL(apiID, "prod", path), "", nil, nil)
		if r.status != 500 || r.body != `{"message":"Internal server error"}` || r.header.Get("X-Amzn-Errortype") != "InternalServerErrorException" {
			t.Errorf("%s: %d %q %v", path, r.status, r.body, r.header)
		}
	}
	out := logs.String()
	for _, want := range []string{"mapping template error", "resource=/fail/render", "method=GET", "stage=prod", "api=" + apiID,
		"mapping template does not parse", "resource=/fail/parse"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if r := e.do("GET", e.pathURL(apiID, "prod", "/mock/abc"), "", nil, nil); r.status != 200 {
		t.Errorf("stage broken by one method's template: %d", r.status)
	}
}

// TestGatewayResponseTemplates: gateway response templates substitute $context and
// $stageVariables references, every $context variable a mapping template reads, and leave
// directives as text, as AWS documents (they are not VTL); DEFAULT_4XX is inherited.
func TestGatewayResponseTemplates(t *testing.T) {
	e := newEnv(t, Options{AccountID: "123456789012"})
	doc := newDoc(&model.Resource{Id: "never1", Path: "/never", ResourceMethods: map[string]*model.Method{
		"POST": func() *model.Method {
			m := mockMethod("POST", `{"statusCode": 200}`, map[string]*model.IntegrationResponse{"200": ir("200", "", "ok", nil)}, "200")
			m.MethodIntegration.PassthroughBehavior = "NEVER"
			return m
		}()}})
	doc.GatewayResponses = map[string]*model.GatewayResponse{
		"DEFAULT_4XX": {ResponseType: "DEFAULT_4XX", StatusCode: "418",
			ResponseParameters: map[string]string{"gatewayresponse.header.X-Type": "context.error.responseType",
				"gatewayresponse.header.X-Canary": "context.isCanaryRequest", "gatewayresponse.header.X-User": "context.identity.user"},
			ResponseTemplates: map[string]string{"application/json": `{"message":$context.error.messageString,"type":"$context.error.responseType",` +
				`"ip":"$context.identity.sourceIp","user":"$context.identity.user","canary":$context.isCanaryRequest,"stage":"$context.stage",` +
				`"resource":"$context.resourcePath","v":"$stageVariables.v","x":"$!{stageVariables.none}","note":"#if($a) ## not VTL #end"}`}},
	}
	e.deploy(doc, "dep001", "prod", map[string]string{"v": "vee"})
	want := func(msg, typ, resource string) string {
		return `{"message":"` + msg + `","type":"` + typ + `","ip":"127.0.0.1","user":"","canary":false,"stage":"prod",` +
			`"resource":"` + resource + `","v":"vee","x":"","note":"#if($a) ## not VTL #end"}`
	}
	r := e.do("POST", e.pathURL(apiID, "prod", "/never"), "", strings.NewReader("x"), map[string]string{"Content-Type": "text/plain"})
	if r.status != 418 || r.body != want("Unsupported Media Type", "UNSUPPORTED_MEDIA_TYPE", "/never") ||
		r.header.Get("X-Type") != "UNSUPPORTED_MEDIA_TYPE" || r.header.Get("X-Amzn-Errortype") != "UnsupportedMediaTypeException" ||
		r.header.Get("X-Canary") != "false" || r.header.Values("X-User") != nil {
		t.Errorf("415 through DEFAULT_4XX: %d %q %v", r.status, r.body, r.header)
	}
	r = e.do("GET", e.pathURL(apiID, "prod", "/nothing"), "", nil, nil)
	if r.status != 418 || r.body != want("Missing Authentication Token", "MISSING_AUTHENTICATION_TOKEN", "") {
		t.Errorf("MAT through DEFAULT_4XX: %d %q", r.status, r.body)
	}
	// The built-in responses keep their pre-rendered form.
	r = e.do("GET", e.pathURL("zzzzzzzzzz", "prod", "/x"), "", nil, nil)
	if r.status != 403 || r.body != `{"message":"Forbidden"}` {
		t.Errorf("built-in: %d %q", r.status, r.body)
	}
}

// TestValidatedBodyReachesTemplate: a body read by request validation is still the payload the
// request template and the body mappings read.
func TestValidatedBodyReachesTemplate(t *testing.T) {
	b := petStoreBackend(t)
	e := newEnv(t, Options{})
	m := httpMethod("POST", "POST", b.URL+"/echo", map[string]string{"integration.request.header.X-Mapped": "method.request.body.name"},
		templated("application/json", `{"name": $input.json('$.name')}`),
		map[string]*model.IntegrationResponse{"200": {StatusCode: "200"}}, "200")
	m.RequestValidatorId = "body01"
	m.RequestModels = map[string]string{"application/json": "Named"}
	doc := newDoc(&model.Resource{Id: "val001", Path: "/named", ResourceMethods: map[string]*model.Method{"POST": m}})
	doc.Models = map[string]*model.Model{"Named": {Name: "Named", ContentType: "application/json",
		Schema: `{"$schema": "http://json-schema.org/draft-04/schema#", "type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}`}}
	doc.RequestValidators = map[string]*model.RequestValidator{"body01": {Id: "body01", Name: "body", ValidateRequestBody: true}}
	e.deploy(doc, "dep001", "prod", nil)
	r := e.do("POST", e.pathURL(apiID, "prod", "/named"), "", strings.NewReader(`{"name": "Rex"}`), map[string]string{"Content-Type": "application/json"})
	var got struct{ Received, Mapped string }
	if err := json.Unmarshal([]byte(r.body), &got); err != nil || r.status != 200 || got.Received != `{"name": "Rex"}` || got.Mapped != "Rex" {
		t.Errorf("validated body: %d %q (%v)", r.status, r.body, err)
	}
	r = e.do("POST", e.pathURL(apiID, "prod", "/named"), "", strings.NewReader(`{"nom": "Rex"}`), map[string]string{"Content-Type": "application/json"})
	if r.status != 400 || r.body != `{"message":"Invalid request body"}` {
		t.Errorf("invalid body: %d %q", r.status, r.body)
	}
}
