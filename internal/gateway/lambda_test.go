package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/portico/portico/internal/functions"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/runtime"
)

// fakeFunctions answers invocations with answer and keeps the requests it got.
type fakeFunctions struct {
	mu     sync.Mutex
	reqs   []functions.InvokeRequest
	answer func(ctx context.Context, req functions.InvokeRequest) (*functions.InvokeResult, error)
}

func (f *fakeFunctions) Invoke(ctx context.Context, req functions.InvokeRequest) (*functions.InvokeResult, error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	answer := f.answer
	f.mu.Unlock()
	return answer(ctx, req)
}

// answerWith sets how the fake answers from now on.
func (f *fakeFunctions) answerWith(a func(context.Context, functions.InvokeRequest) (*functions.InvokeResult, error)) {
	f.mu.Lock()
	f.answer = a
	f.mu.Unlock()
}

func (f *fakeFunctions) last(t *testing.T) functions.InvokeRequest {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) == 0 {
		t.Fatal("the function was not invoked")
	}
	return f.reqs[len(f.reqs)-1]
}

// answering returns an answer that gives payload (with a function error when fnErr is set).
func answering(payload, fnErr string) func(context.Context, functions.InvokeRequest) (*functions.InvokeResult, error) {
	return func(context.Context, functions.InvokeRequest) (*functions.InvokeResult, error) {
		return &functions.InvokeResult{StatusCode: 200, Payload: []byte(payload), FunctionError: fnErr, ExecutedVersion: "$LATEST"}, nil
	}
}

const lambdaURI = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.fn}/invocations"

func lambdaProxyDoc(binary ...string) *model.APIDoc {
	m := func(verb string) *model.Method {
		return &model.Method{HttpMethod: verb, AuthorizationType: "NONE", MethodIntegration: &model.Integration{
			Type: "AWS_PROXY", HttpMethod: "POST", Uri: lambdaURI, TimeoutInMillis: 2000}}
	}
	doc := newDoc(
		&model.Resource{Id: "rootrootid", Path: "/", ResourceMethods: map[string]*model.Method{"GET": m("GET")}},
		&model.Resource{Id: "petsid", ParentId: "rootrootid", PathPart: "pets", Path: "/pets"},
		&model.Resource{Id: "petid", ParentId: "petsid", PathPart: "{petId}", Path: "/pets/{petId}",
			ResourceMethods: map[string]*model.Method{"ANY": m("ANY")}},
	)
	doc.RestApi.BinaryMediaTypes = binary
	return doc
}

// volatile are the event's values that change per request, normalised for the golden files.
var volatile = []*regexp.Regexp{
	regexp.MustCompile(`("requestId":)"[^"]*"`),
	regexp.MustCompile(`("extendedRequestId":)"[^"]*"`),
	regexp.MustCompile(`("requestTime":)"[^"]*"`),
	regexp.MustCompile(`("requestTimeEpoch":)\d+`),
	regexp.MustCompile(`("X-Forwarded-Port":)"\d+"`),
	regexp.MustCompile(`("X-Forwarded-Port":\[)"\d+"`),
	regexp.MustCompile(`("Host":)"[^"]*"`),
	regexp.MustCompile(`("Host":\[)"[^"]*"`),
	regexp.MustCompile(`("domainName":)"[^"]*"`),
}

func normaliseEvent(t *testing.T, payload []byte) string {
	t.Helper()
	if !json.Valid(payload) {
		t.Fatalf("the event is not JSON: %s", payload)
	}
	s := string(payload)
	for _, re := range volatile {
		s = re.ReplaceAllString(s, `$1"…"`)
	}
	var out bytes.Buffer
	json.Indent(&out, []byte(s), "", "  ")
	return out.String() + "\n"
}

func TestLambdaProxyEvent(t *testing.T) {
	fn := &fakeFunctions{answer: answering(`{"statusCode":201,"body":"made"}`, "")}
	e := newEnv(t, Options{Functions: fn, AccountID: "123456789012"})
	e.deploy(lambdaProxyDoc("image/png"), "dep1", "prod", map[string]string{"fn": "pets", "other": "x y"})
	cases := []struct {
		name, method, path, body string
		header                   map[string]string
	}{
		{name: "get_root", method: "GET", path: "/"},
		{name: "post_pet", method: "POST", path: "/pets/7%20b?a=1&b=two%20words&a=2&empty=&c%3Dd=x",
			body: `{"name":"rex"}`, header: map[string]string{"Content-Type": "application/json",
				"X-Amzn-Trace-Id": "Root=1-5e1b4151-5ac6c58f5b5dbd6a4e26ae9a", "User-Agent": "test/1.0", "X-Forwarded-For": "10.0.0.1"}},
		{name: "binary_body", method: "PUT", path: "/pets/1", body: "\x89PNG",
			header: map[string]string{"Content-Type": "image/png", "X-Amzn-Trace-Id": "Root=1-5e1b4151-5ac6c58f5b5dbd6a4e26ae9a"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hdr := map[string]string{"User-Agent": "Go-http-client/1.1"}
			if _, ok := c.header["X-Amzn-Trace-Id"]; !ok {
				hdr["X-Amzn-Trace-Id"] = "Root=1-00000000-000000000000000000000000"
			}
			for k, v := range c.header {
				hdr[k] = v
			}
			var body *strings.Reader
			if c.body != "" {
				body = strings.NewReader(c.body)
			} else {
				body = strings.NewReader("")
			}
			r := e.do(c.method, e.pathURL(apiID, "prod", c.path), "", body, hdr)
			if r.status != 201 || r.body != "made" {
				t.Fatalf("got %d %q", r.status, r.body)
			}
			req := fn.last(t)
			if req.FunctionName != "arn:aws:lambda:us-east-1:123456789012:function:pets" {
				t.Errorf("function %q", req.FunctionName)
			}
			compareGolden(t, filepath.Join("testdata", "lambda", c.name+".json"), normaliseEvent(t, req.Payload))
		})
	}
}

func TestLambdaProxyResponse(t *testing.T) {
	cases := []struct {
		name, payload, fnErr string
		accept               string
		status               int
		body                 string
		header               map[string]string
	}{
		{name: "empty object", payload: `{}`, status: 200, body: "", header: map[string]string{"Content-Type": "application/json"}},
		{name: "full", payload: `{"statusCode":404,"headers":{"X-A":"1","X-B":"h","Content-Type":"text/plain"},"multiValueHeaders":{"X-B":["m1","m2"]},"body":"nope","isBase64Encoded":false}`,
			status: 404, body: "nope", header: map[string]string{"X-A": "1", "X-B": "m1", "Content-Type": "text/plain"}},
		{name: "status as string", payload: `{"statusCode":"202","body":"ok"}`, status: 202, body: "ok"},
		{name: "scalar header values", payload: `{"statusCode":200,"headers":{"X-N":5,"X-T":true}}`, status: 200,
			header: map[string]string{"X-N": "5", "X-T": "true"}},
		{name: "remapped headers", payload: `{"statusCode":200,"headers":{"Server":"fn","Date":"d"}}`, status: 200,
			header: map[string]string{"X-Amzn-Remapped-Server": "fn", "X-Amzn-Remapped-Date": "d"}},
		{name: "base64 decoded for a binary Accept", payload: `{"statusCode":200,"body":"aGk=","isBase64Encoded":true}`,
			accept: "image/png", status: 200, body: "hi"},
		{name: "base64 kept for a text Accept", payload: `{"statusCode":200,"body":"aGk=","isBase64Encoded":true}`,
			accept: "text/plain", status: 200, body: "aGk="},
		{name: "nulls", payload: `{"statusCode":200,"headers":null,"multiValueHeaders":null,"body":null,"isBase64Encoded":null}`, status: 200},
		{name: "not json", payload: `hello`, status: 502},
		{name: "array", payload: `[1]`, status: 502},
		{name: "null", payload: `null`, status: 502},
		{name: "string", payload: `"x"`, status: 502},
		{name: "extra key", payload: `{"statusCode":200,"bogus":1}`, status: 502},
		{name: "status not a number", payload: `{"statusCode":"abc"}`, status: 502},
		{name: "status fraction", payload: `{"statusCode":200.5}`, status: 502},
		{name: "body object", payload: `{"statusCode":200,"body":{"a":1}}`, status: 502},
		{name: "header object", payload: `{"statusCode":200,"headers":{"X":{"a":1}}}`, status: 502},
		{name: "multi-value not array", payload: `{"statusCode":200,"multiValueHeaders":{"X":"a"}}`, status: 502},
		{name: "bad base64", payload: `{"statusCode":200,"body":"!!","isBase64Encoded":true}`, accept: "image/png", status: 502},
		{name: "function error", payload: `{"errorMessage":"boom","errorType":"Error"}`, fnErr: "Unhandled", status: 502},
	}
	fn := &fakeFunctions{}
	e := newEnv(t, Options{Functions: fn})
	e.deploy(lambdaProxyDoc("image/png"), "dep1", "prod", map[string]string{"fn": "pets"})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fn.answerWith(answering(c.payload, c.fnErr))
			hdr := map[string]string{}
			if c.accept != "" {
				hdr["Accept"] = c.accept
			}
			r := e.do("GET", e.pathURL(apiID, "prod", "/pets/1"), "", nil, hdr)
			checkIDs(t, r)
			if r.status != c.status {
				t.Fatalf("status %d, want %d (body %s)", r.status, c.status, r.body)
			}
			if c.status == 502 {
				if r.body != `{"message":"Internal server error"}` || r.header.Get("X-Amzn-Errortype") != "InternalServerErrorException" {
					t.Errorf("502 answer %q, %q", r.body, r.header.Get("X-Amzn-Errortype"))
				}
				return
			}
			if r.body != c.body {
				t.Errorf("body %q, want %q", r.body, c.body)
			}
			for k, v := range c.header {
				if got := r.header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestLambdaProxyFailures(t *testing.T) {
	cases := []struct {
		name   string
		answer func(context.Context, functions.InvokeRequest) (*functions.InvokeResult, error)
		status int
		body   string
	}{
		{"not found", func(context.Context, functions.InvokeRequest) (*functions.InvokeResult, error) {
			return nil, &functions.Error{Status: 404, Type: "ResourceNotFoundException", Message: "Function not found: x"}
		}, 502, `{"message":"Internal server error"}`},
		{"throttled", func(context.Context, functions.InvokeRequest) (*functions.InvokeResult, error) {
			return nil, &functions.Error{Status: 429, Type: "TooManyRequestsException", Message: "Rate Exceeded."}
		}, 502, `{"message":"Internal server error"}`},
		{"timeout", func(ctx context.Context, _ functions.InvokeRequest) (*functions.InvokeResult, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}, 504, `{"message":"Endpoint request timed out"}`},
	}
	fn := &fakeFunctions{}
	e := newEnv(t, Options{Functions: fn})
	doc := lambdaProxyDoc()
	doc.Resources["petid"].ResourceMethods["ANY"].MethodIntegration.TimeoutInMillis = 50
	e.deploy(doc, "dep1", "prod", map[string]string{"fn": "pets"})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fn.answerWith(c.answer)
			r := e.do("GET", e.pathURL(apiID, "prod", "/pets/1"), "", nil, nil)
			if r.status != c.status || r.body != c.body {
				t.Errorf("got %d %s, want %d %s", r.status, r.body, c.status, c.body)
			}
		})
	}

	// Without a functions runtime a Lambda integration is a configuration error.
	e2 := newEnv(t, Options{})
	e2.deploy(lambdaProxyDoc(), "dep1", "prod", map[string]string{"fn": "pets"})
	if r := e2.do("GET", e2.pathURL(apiID, "prod", "/pets/1"), "", nil, nil); r.status != 500 {
		t.Errorf("no runtime: %d %s", r.status, r.body)
	}
}

func lambdaMethod(templates map[string]string, params map[string]string, responses map[string]*model.IntegrationResponse, statuses ...string) *model.Method {
	m := &model.Method{HttpMethod: "POST", AuthorizationType: "NONE", MethodResponses: map[string]*model.MethodResponse{},
		MethodIntegration: &model.Integration{Type: "AWS", HttpMethod: "POST", Uri: lambdaURI, RequestTemplates: templates,
			RequestParameters: params, IntegrationResponses: responses}}
	for _, s := range statuses {
		m.MethodResponses[s] = &model.MethodResponse{StatusCode: s}
	}
	return m
}

func TestLambdaNonProxy(t *testing.T) {
	responses := map[string]*model.IntegrationResponse{
		"200": ir("200", "", "", nil),
		"400": ir("400", ".*Bad.*", `{"error":"$input.path('$.errorMessage')","type":"$input.path('$.errorType')"}`, nil),
		"500": ir("500", ".+", `{"failed":true}`, map[string]string{"method.response.header.X-Fn-Error": "integration.response.header.X-Amz-Function-Error"}),
	}
	templates := map[string]string{"application/json": `{"pet":$input.json('$.name'),"id":"$input.params('id')","stage":"$context.stage"}`}
	doc := newDoc(&model.Resource{Id: "rootrootid", Path: "/", ResourceMethods: map[string]*model.Method{
		"POST": lambdaMethod(templates, nil, responses, "200", "400", "500")}})
	fn := &fakeFunctions{}
	e := newEnv(t, Options{Functions: fn})
	e.deploy(doc, "dep1", "prod", map[string]string{"fn": "pets"})

	cases := []struct {
		name, payload, fnErr string
		status               int
		body                 string
		header               map[string]string
	}{
		{"success selects the default", `{"ok":1}`, "", 200, `{"ok":1}`, nil},
		{"error matched by pattern", `{"errorMessage":"Bad pet","errorType":"ValidationError","stackTrace":[]}`, "Unhandled", 400,
			`{"error":"Bad pet","type":"ValidationError"}`, nil},
		{"other error by .+", `{"errorMessage":"crash","errorType":"Error"}`, "Unhandled", 500, `{"failed":true}`,
			map[string]string{"X-Fn-Error": "Unhandled"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fn.answerWith(answering(c.payload, c.fnErr))
			r := e.do("POST", e.pathURL(apiID, "prod", "/?id=42"), "", strings.NewReader(`{"name":"rex"}`),
				map[string]string{"Content-Type": "application/json"})
			if r.status != c.status || r.body != c.body {
				t.Fatalf("got %d %s, want %d %s", r.status, r.body, c.status, c.body)
			}
			for k, v := range c.header {
				if got := r.header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			req := fn.last(t)
			if got := string(req.Payload); got != `{"pet":"rex","id":"42","stage":"prod"}` {
				t.Errorf("event %s", got)
			}
			if req.InvocationType != "" {
				t.Errorf("invocation type %q", req.InvocationType)
			}
		})
	}
}

func TestLambdaNonProxySelection(t *testing.T) {
	// With only .+ and .* patterns, success ("") matches .* alone; an error matches both, and
	// the first by status code wins.
	responses := map[string]*model.IntegrationResponse{
		"200": ir("200", ".+", `"error"`, nil),
		"201": ir("201", ".*", `"any"`, nil),
	}
	doc := newDoc(&model.Resource{Id: "rootrootid", Path: "/", ResourceMethods: map[string]*model.Method{
		"POST": lambdaMethod(nil, map[string]string{"integration.request.header.X-Amz-Invocation-Type": "method.request.header.X-Mode"},
			responses, "200", "201")}})
	fn := &fakeFunctions{}
	e := newEnv(t, Options{Functions: fn})
	e.deploy(doc, "dep1", "prod", map[string]string{"fn": "pets"})

	fn.answerWith(answering(`"fine"`, ""))
	if r := e.do("POST", e.pathURL(apiID, "prod", "/"), "", nil, nil); r.status != 201 || r.body != `"any"` {
		t.Errorf("success: %d %s", r.status, r.body)
	}
	if got := string(fn.last(t).Payload); got != "{}" {
		t.Errorf("an empty body invokes with %q", got)
	}
	fn.answerWith(answering(`{"errorMessage":"x"}`, "Unhandled"))
	if r := e.do("POST", e.pathURL(apiID, "prod", "/"), "", nil, nil); r.status != 200 || r.body != `"error"` {
		t.Errorf("error: %d %s", r.status, r.body)
	}
	// An Event invocation is asynchronous: an empty integration answer.
	fn.answerWith(func(context.Context, functions.InvokeRequest) (*functions.InvokeResult, error) {
		return &functions.InvokeResult{StatusCode: 202}, nil
	})
	r := e.do("POST", e.pathURL(apiID, "prod", "/"), "", strings.NewReader(`{"a":1}`), map[string]string{"X-Mode": "Event"})
	if r.status != 201 {
		t.Errorf("event: %d %s", r.status, r.body)
	}
	if req := fn.last(t); req.InvocationType != "Event" || string(req.Payload) != `{"a":1}` {
		t.Errorf("event request %+v", req)
	}
	if r := e.do("POST", e.pathURL(apiID, "prod", "/"), "", nil, map[string]string{"X-Mode": "Bogus"}); r.status != 500 {
		t.Errorf("bogus invocation type: %d", r.status)
	}
}

func FuzzProxyResponse(f *testing.F) {
	for _, s := range []string{`{}`, `{"statusCode":200,"headers":{"a":"b"},"multiValueHeaders":{"a":["c"]},"body":"x","isBase64Encoded":false}`,
		`{"statusCode":"404"}`, `[]`, `null`, `{"headers":{"x":1.5e3}}`, `{"multiValueHeaders":{"x":[true,null]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := parseProxyResponse(b)
		if err != nil {
			return
		}
		if out.status < 100 || out.status > 599 {
			t.Fatalf("status %d accepted", out.status)
		}
		if !json.Valid(b) {
			t.Fatalf("accepted invalid JSON %q", b)
		}
	})
}

// FuzzProxyEvent builds events from arbitrary query strings, header values, path parameters
// and bodies: each must be valid JSON whose query maps hold what the query decodes to.
func FuzzProxyEvent(f *testing.F) {
	f.Add("a=1&a=2&b=%20x", "v", "7%20b", []byte(`{"x":1}`), "application/json")
	f.Add("%zz=1&=&&a", "\xff\x00", "", []byte{0xff, 0x00, '"'}, "image/png")
	f.Add("", "", "", []byte(nil), "")
	f.Fuzz(func(t *testing.T, query, header, param string, body []byte, contentType string) {
		r := httptest.NewRequest("POST", "http://h/", nil)
		r.URL.RawQuery = query
		r.Header["X-Test"] = []string{header}
		r.Header["Content-Type"] = []string{contentType}
		rc := &request{r: r, api: &runtime.API{ID: "a", Stage: "s", BinaryMediaTypes: []string{"image/*"},
			StageVariables: map[string]string{"k": header}},
			resource: &runtime.Resource{ID: "r", Path: "/{p}", ParamNames: []string{"p"}},
			params:   []string{param}, path: "/" + param, reqBody: body, reqBodyRead: true}
		ev := rc.proxyEvent()
		var got struct {
			Query map[string]string   `json:"queryStringParameters"`
			Multi map[string][]string `json:"multiValueQueryStringParameters"`
		}
		if err := json.Unmarshal(ev, &got); err != nil {
			t.Fatalf("event is not JSON (%v): %s", err, ev)
		}
		for k, vs := range got.Multi {
			if len(vs) == 0 || got.Query[k] != vs[len(vs)-1] {
				t.Fatalf("query %q: %q vs %q", k, got.Query[k], vs)
			}
		}
	})
}

func TestParseEventQueryManyNames(t *testing.T) {
	var b strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&b, "k%d=%d&k%d=x&", i, i, i%20)
	}
	q := parseEventQuery(b.String())
	if len(q) != 5000 || q[0].name != "k0" || q[0].values[0] != "0" || q[0].values[1] != "x" || q[4999].values[0] != "4999" {
		t.Fatalf("%d names, first %s %v", len(q), q[0].name, q[0].values[:2])
	}
	for i, kv := range q[:20] {
		if len(kv.values) != 1+250 {
			t.Fatalf("k%d has %d values", i, len(kv.values))
		}
	}
}
