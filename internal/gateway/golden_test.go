package gateway

import (
	"encoding/json"
	"flag"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/portico/portico/internal/model"
)

var rewrite = flag.Bool("rewrite", false, "rewrite golden files under testdata/")

// recordingBackend remembers the last request it got and answers by path: /pets with the
// PetStore list, /error with an error object, /lambda-error with a Lambda error document, and
// anything else with the request body it received, as JSON.
type recordingBackend struct {
	*httptest.Server
	mu   sync.Mutex
	last string
}

func newRecordingBackend(t *testing.T) *recordingBackend {
	rb := &recordingBackend{}
	rb.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var b strings.Builder
		b.WriteString(r.Method + " " + r.RequestURI + "\n")
		writeHeaders(&b, r.Header, "X-Amzn-Trace-Id")
		b.WriteString("\n" + string(body))
		rb.mu.Lock()
		rb.last = b.String()
		rb.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Backend", "yes")
		switch r.URL.Path {
		case "/pets":
			io.WriteString(w, `[{"id": 1, "type": "dog", "price": 249.99}, {"id": 2, "type": "cat", "price": 124.99}, {"id": 3, "type": "fish", "price": 0.99}]`)
		case "/error":
			io.WriteString(w, `{"error": "no such pet", "code": 7}`)
		case "/lambda-error":
			io.WriteString(w, `{"errorMessage": "{\"key1\":\"var1\",\"key2\":{\"arr\":[1,2,3]}}", "errorType": "Error"}`)
		default:
			w.Write(body)
		}
	}))
	t.Cleanup(rb.Close)
	return rb
}

func (rb *recordingBackend) take() string {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	s := rb.last
	rb.last = ""
	return s
}

// writeHeaders writes headers sorted by name, one "Name: value" line per value, leaving out
// the named ones.
func writeHeaders(b *strings.Builder, h http.Header, skip ...string) {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if contains(skip, k) {
			continue
		}
		for _, v := range h[k] {
			b.WriteString(k + ": " + v + "\n")
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// goldenCase is one API call through a non-proxy integration; its transcript (what the
// backend received, what the client got) is compared with testdata/nonproxy/{name}.golden.
type goldenCase struct {
	name   string
	method *model.Method
	path   string // the resource path; the call goes to call (or path)
	call   string
	verb   string
	header map[string]string
	body   string
	// json asks that the backend and client bodies be valid JSON.
	json bool
}

// methodRequestPassthrough is the console's "Method Request passthrough" template.
const methodRequestPassthrough = `##  See http://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html
##  This template will pass through all parameters including path, querystring, header, stage variables, and context through to the integration endpoint via the body/payload
#set($allParams = $input.params())
{
"body-json" : $input.json('$'),
"params" : {
#foreach($type in $allParams.keySet())
    #set($params = $allParams.get($type))
"$type" : {
    #foreach($paramName in $params.keySet())
    "$paramName" : "$util.escapeJavaScript($params.get($paramName))"
        #if($foreach.hasNext),#end
    #end
}
    #if($foreach.hasNext),#end
#end
},
"stage-variables" : {
#foreach($key in $stageVariables.keySet())
"$key" : "$util.escapeJavaScript($stageVariables.get($key))"
    #if($foreach.hasNext),#end
#end
},
"context" : {
    "account-id" : "$context.identity.accountId",
    "api-id" : "$context.apiId",
    "api-key" : "$context.identity.apiKey",
    "authorizer-principal-id" : "$context.authorizer.principalId",
    "caller" : "$context.identity.caller",
    "cognito-authentication-provider" : "$context.identity.cognitoAuthenticationProvider",
    "cognito-authentication-type" : "$context.identity.cognitoAuthenticationType",
    "cognito-identity-id" : "$context.identity.cognitoIdentityId",
    "cognito-identity-pool-id" : "$context.identity.cognitoIdentityPoolId",
    "http-method" : "$context.httpMethod",
    "stage" : "$context.stage",
    "source-ip" : "$context.identity.sourceIp",
    "user" : "$context.identity.user",
    "user-agent" : "$context.identity.userAgent",
    "user-arn" : "$context.identity.userArn",
    "request-id" : "$context.requestId",
    "resource-id" : "$context.resourceId",
    "resource-path" : "$context.resourcePath"
    }
}
`

func goldenCases(backend string) []goldenCase {
	resp := func(status, pattern string, params, templates map[string]string) *model.IntegrationResponse {
		return &model.IntegrationResponse{StatusCode: status, SelectionPattern: pattern, ResponseParameters: params, ResponseTemplates: templates}
	}
	one := func(r ...*model.IntegrationResponse) map[string]*model.IntegrationResponse {
		m := map[string]*model.IntegrationResponse{}
		for _, x := range r {
			m[x.StatusCode] = x
		}
		return m
	}
	json := func(s string) map[string]string { return map[string]string{"application/json": s} }
	return []goldenCase{
		{name: "petstore-list", path: "/pets", verb: "GET",
			method: httpMethod("GET", "GET", backend+"/pets", nil, nil, one(resp("200", "", nil, json(petStoreList))), "200"), json: true},
		{name: "petstore-descriptions", path: "/pets-described", verb: "GET",
			method: httpMethod("GET", "GET", backend+"/pets", nil, nil, one(resp("200", "", nil, json(`#set($inputRoot = $input.path('$'))
[
#foreach($elem in $inputRoot)
  {
    "description" : "Item $elem.id is a $elem.type.",
    "askingPrice" : $elem.price
  }#if($foreach.hasNext),#end

#end
]`))), "200"), json: true},
		{name: "method-request-passthrough", path: "/pets/{petId}", call: "/pets/42?q=a%20b&q=last&flag", verb: "POST",
			header: map[string]string{"Content-Type": "application/json", "X-Quote": `say "hi" & 'bye'`},
			body:   `{"name": "Rex", "tags": ["a", "b"], "n": 1.50}`,
			// Not JSON, as on AWS: escapeJavaScript writes ' as \' (mapping-templates.md §4).
			method: httpMethod("POST", "POST", backend+"/echo", nil, json(methodRequestPassthrough), one(resp("200", "", nil, nil)), "200")},
		{name: "passthrough-no-template", path: "/raw", verb: "PUT", header: map[string]string{"Content-Type": "text/csv; charset=utf-8", "X-Not-Mapped": "1"},
			body:   "a,b\n1,2\n",
			method: httpMethod("PUT", "PUT", backend+"/echo", nil, nil, one(resp("200", "", nil, nil)), "200")},
		{name: "request-overrides", path: "/orders/{id}", call: "/orders/5?keep=1", verb: "POST",
			header: map[string]string{"X-Client": "c"}, body: `{"qty": 2}`,
			method: httpMethod("POST", "POST", backend+"/echo/{pathParam}", map[string]string{
				"integration.request.path.pathParam":     "method.request.path.id",
				"integration.request.querystring.query1": "method.request.querystring.keep",
				"integration.request.header.header1":     "method.request.header.X-Client",
			}, json(`#set($context.requestOverride.header.header1 = "header1value")
#set($context.requestOverride.header.header2 = ["a", "b"])
#set($context.requestOverride.querystring.query1 = "query1value")
#set($context.requestOverride.path.pathParam = "pathParamValue")
{"qty": $input.path('$.qty')}`), one(resp("200", "", nil, nil)), "200"), json: true},
		{name: "response-status-override", path: "/lookup", verb: "GET",
			method: httpMethod("GET", "GET", backend+"/error", nil, nil, one(resp("200", "", map[string]string{
				"method.response.header.X-Backend": "integration.response.header.X-Backend",
				"method.response.header.X-Code":    "integration.response.body.code",
			}, json(`#set($inputRoot = $input.path('$'))
$input.json("$")
#if($inputRoot.toString().contains("error"))
#set($context.responseOverride.status = 400)
#set($context.responseOverride.header.X-Error = "$inputRoot.error")
#end`))), "200")},
		{name: "input-path-and-json", path: "/pets-json", call: "/pets-json?type=dog", verb: "GET",
			method: httpMethod("GET", "GET", backend+"/pets", nil, nil, one(resp("200", "", nil, json(`#set($pets = $input.path('$'))
{
  "count": $pets.size(),
  "first": $input.json('$[0]'),
  "firstType": "$input.path('$[0].type')",
  "cheap": $input.json('$[?(@.price < 200)].type'),
  "asMap": "$input.path('$[0]')",
  "asList": $input.path('$[*].id'),
  "wanted": "$input.params('type')"
}`))), "200"), json: true},
		{name: "util-parse-json", path: "/fn", verb: "GET",
			method: httpMethod("GET", "GET", backend+"/lambda-error", nil, nil, one(resp("200", "", nil, json(`#set($err = $util.parseJson($input.path('$.errorMessage')))
{"key1": "$err.key1", "second": $err.key2.arr[1], "escaped": "$util.escapeJavaScript($input.path('$.errorMessage'))", "b64": "$util.base64Encode($err.key1)", "url": "$util.urlEncode('x=a+b c')"}`))), "200"),
			json: false},
		{name: "xml-response-by-accept", path: "/pets-xml", verb: "GET", header: map[string]string{"Accept": "application/xml;q=0.9, application/json"},
			method: httpMethod("GET", "GET", backend+"/pets", nil, nil, one(resp("200", "", nil, map[string]string{
				"application/json": `$input.json('$')`,
				"application/xml":  `#set($pets = $input.path('$'))<pets>#foreach($p in $pets)<pet id="$p.id">$p.type</pet>#end</pets>`,
			})), "200")},
		{name: "mock-templated-status", path: "/mock/{code}", call: "/mock/404", verb: "GET",
			method: mockMethod("GET", `#set($code = $input.params('code'))
{"statusCode": #if($code == "404")404#else 200#end}`, one(
				resp("200", "", nil, json(`{"found": true}`)),
				resp("404", "4\\d\\d", map[string]string{"method.response.header.X-Missing": "'yes'"}, json(`{"message": "no pet $input.params('code') in $context.stage", "body": "$input.body"}`)),
			), "200", "404")},
		{name: "mock-cors-preflight", path: "/cors", verb: "OPTIONS", header: map[string]string{"Origin": "https://example.com"},
			method: mockMethod("OPTIONS", `{"statusCode": 200}`, one(resp("200", "", map[string]string{
				"method.response.header.Access-Control-Allow-Headers": "'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token'",
				"method.response.header.Access-Control-Allow-Methods": "'GET,OPTIONS'",
				"method.response.header.Access-Control-Allow-Origin":  "'*'",
			}, json(``))), "200")},
	}
}

// TestNonProxyGolden runs AWS's documented mapping examples through HTTP and MOCK integrations
// and compares what the backend received and what the client got with golden files
// (go test -run TestNonProxyGolden -rewrite rewrites them).
func TestNonProxyGolden(t *testing.T) {
	rb := newRecordingBackend(t)
	e := newEnv(t, Options{AccountID: "123456789012"})
	cases := goldenCases(rb.URL)
	var resources []*model.Resource
	for _, c := range cases {
		// The id is derived from the name so that adding a case changes no other transcript.
		id := strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(c.name))), 36)
		resources = append(resources, &model.Resource{Id: id, Path: c.path,
			ResourceMethods: map[string]*model.Method{c.verb: c.method}})
	}
	doc := newDoc(resources...)
	e.deploy(doc, "dep001", "prod", map[string]string{"color": "blue", "quote": `it's`})
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			call := c.call
			if call == "" {
				call = c.path
			}
			req, err := http.NewRequest(c.verb, e.pathURL(apiID, "prod", call), strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("User-Agent", "golden-test")
			req.Header.Set("X-Amzn-Requestid", "0f8fad5b-d9cb-469f-a165-70867728950e")
			for k, v := range c.header {
				req.Header.Set(k, v)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var b strings.Builder
			got := rb.take()
			if got == "" {
				got = "(no backend call)\n"
			}
			b.WriteString("== backend received\n" + got)
			b.WriteString("\n== client got\n" + strconv.Itoa(resp.StatusCode) + "\n")
			writeHeaders(&b, resp.Header, "Date", "X-Amz-Apigw-Id")
			b.WriteString("\n" + string(body) + "\n")
			if c.json && !json.Valid(body) {
				t.Errorf("client body is not JSON: %s", body)
			}
			compareGolden(t, filepath.Join("testdata", "nonproxy", c.name+".golden"), b.String())
		})
	}
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *rewrite {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -rewrite to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
