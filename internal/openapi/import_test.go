package openapi

import (
	"errors"
	"strings"
	"testing"

	"github.com/portico/portico/internal/model"
)

var importCases = []struct {
	name, file string
	opts       ImportOptions
}{
	{"petstore-swagger", "petstore-swagger.json", ImportOptions{}},
	{"petstore-oas30", "petstore-oas30.yaml", ImportOptions{EndpointConfigurationTypes: "regional"}},
	{"petstore-oas30-prepend", "petstore-oas30.yaml", ImportOptions{BasePath: "prepend"}},
	{"basepath-ignore", "basepath.yaml", ImportOptions{}},
	{"basepath-prepend", "basepath.yaml", ImportOptions{BasePath: "prepend"}},
	{"basepath-split", "basepath.yaml", ImportOptions{BasePath: "split"}},
	{"authorizers", "authorizers.yaml", ImportOptions{}},
}

func TestImportGolden(t *testing.T) {
	for _, tc := range importCases {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := Import(readTestdata(t, tc.file), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			checkShape(t, doc)
			golden(t, "import-"+tc.name+".json", docJSON(t, stabilise(t, doc)))
		})
	}
}

// checkShape checks what stabilise hides: id lengths and the tree's links.
func checkShape(t *testing.T, d *model.APIDoc) {
	t.Helper()
	if len(d.RestApi.Id) != 10 || len(d.RestApi.RootResourceId) != 10 {
		t.Errorf("api id %q, root id %q: want 10 characters", d.RestApi.Id, d.RestApi.RootResourceId)
	}
	root := d.Root()
	if root == nil || root.Path != "/" || root.ParentId != "" || root.PathPart != "" {
		t.Fatalf("bad root resource %+v", root)
	}
	for id, r := range d.Resources {
		if r.Id != id {
			t.Errorf("resource %s stored under %s", r.Id, id)
		}
		if r == root {
			continue
		}
		if len(r.Id) != 6 {
			t.Errorf("resource id %q: want 6 characters", r.Id)
		}
		p := d.Resources[r.ParentId]
		if p == nil {
			t.Errorf("resource %s has no parent", r.Path)
			continue
		}
		want := strings.TrimSuffix(p.Path, "/") + "/" + r.PathPart
		if r.Path != want {
			t.Errorf("resource path %q, want %q", r.Path, want)
		}
		for _, m := range r.ResourceMethods {
			if m.RequestValidatorId != "" && d.RequestValidators[m.RequestValidatorId] == nil {
				t.Errorf("%s %s: unknown validator %s", m.HttpMethod, r.Path, m.RequestValidatorId)
			}
			for _, name := range m.RequestModels {
				if d.Models[name] == nil {
					t.Errorf("%s %s: unknown model %s", m.HttpMethod, r.Path, name)
				}
			}
		}
	}
	for _, m := range d.Models {
		if len(m.Id) != 6 {
			t.Errorf("model id %q: want 6 characters", m.Id)
		}
	}
}

func TestImportRefusesBadInput(t *testing.T) {
	const mock = `"x-amazon-apigateway-integration": {"type": "mock"}`
	swagger := func(paths string) string {
		return `{"swagger": "2.0", "info": {"title": "t"}, "paths": {` + paths + `}}`
	}
	cases := []struct {
		name, body string
		opts       ImportOptions
		want       string
	}{
		{"empty", ``, ImportOptions{}, "Invalid OpenAPI input."},
		{"malformed json", `{"swagger": "2.0",`, ImportOptions{}, "Invalid OpenAPI input."},
		{"malformed yaml", "swagger: [2.0\ninfo: {", ImportOptions{}, "Invalid OpenAPI input."},
		{"not a mapping", `- a\n- b`, ImportOptions{}, "Invalid OpenAPI input."},
		{"scalar", `hello`, ImportOptions{}, "Invalid OpenAPI input."},
		{"json trailing data", `{"swagger": "2.0"} {}`, ImportOptions{}, "Invalid OpenAPI input."},
		{"no version", `{"info": {"title": "t"}}`, ImportOptions{}, "Unable to build importer with provided input."},
		{"swagger 1.2", `{"swagger": "1.2", "info": {"title": "t"}}`, ImportOptions{}, "Unable to build importer with provided input."},
		{"openapi 3.1", `{"openapi": "3.1.0", "info": {"title": "t"}}`, ImportOptions{}, "Unable to build importer with provided input."},
		{"openapi as number", "openapi: 3.0\ninfo: {title: t}", ImportOptions{}, "Unable to build importer with provided input."},
		{"missing title", `{"swagger": "2.0", "info": {}}`, ImportOptions{}, "info.title"},
		{"path without slash", swagger(`"pets": {}`), ImportOptions{}, "the path must start with '/'"},
		{"partial variable", swagger(`"/res{id}": {}`), ImportOptions{}, "Resource's path part only allow"},
		{"bad char", swagger(`"/a b": {}`), ImportOptions{}, "Resource's path part only allow"},
		{"empty segment", swagger(`"/a//b": {}`), ImportOptions{}, "Resource's path part only allow"},
		{"greedy not last", swagger(`"/{proxy+}/x": {}`), ImportOptions{}, "Cannot create a child of a resource with a greedy path variable: {proxy+}"},
		{"two variables", swagger(`"/{a}": {}, "/{b}": {}`), ImportOptions{}, "only one is allowed"},
		{"duplicate after normalising", swagger(`"/p": {"get": {` + mock + `}}, "/p/": {"get": {` + mock + `}}`), ImportOptions{}, "defined more than once"},
		{"integration type", swagger(`"/p": {"get": {"x-amazon-apigateway-integration": {"type": "lambda"}}}`), ImportOptions{}, "Member must satisfy enum value set: [HTTP, MOCK, AWS_PROXY, HTTP_PROXY, AWS]"},
		{"integration without type", swagger(`"/p": {"get": {"x-amazon-apigateway-integration": {}}}`), ImportOptions{}, "putIntegrationInput.type"},
		{"timeout too big", swagger(`"/p": {"get": {"x-amazon-apigateway-integration": {"type": "mock", "timeoutInMillis": 30000}}}`), ImportOptions{}, "Timeout should be between 50 ms and 29000 ms"},
		{"timeout not a number", swagger(`"/p": {"get": {"x-amazon-apigateway-integration": {"type": "mock", "timeoutInMillis": "soon"}}}`), ImportOptions{}, "Timeout should be between"},
		{"http without uri", swagger(`"/p": {"get": {"x-amazon-apigateway-integration": {"type": "http", "httpMethod": "GET"}}}`), ImportOptions{}, "Invalid HTTP endpoint specified for URI"},
		{"http uri without host", swagger(`"/p": {"get": {"x-amazon-apigateway-integration": {"type": "http", "httpMethod": "GET", "uri": "http:///x"}}}`), ImportOptions{}, "Invalid HTTP endpoint specified for URI"},
		{"http uri scheme", swagger(`"/p": {"get": {"x-amazon-apigateway-integration": {"type": "http", "httpMethod": "GET", "uri": "ftp://h/x"}}}`), ImportOptions{}, "Invalid HTTP endpoint specified for URI"},
		{"aws uri", swagger(`"/p": {"get": {"x-amazon-apigateway-integration": {"type": "aws", "httpMethod": "POST", "uri": "arn:aws:apigateway:us-east-1:s3:GetObject"}}}`), ImportOptions{}, "AWS ARN for integration must contain path or action"},
		{"passthrough", swagger(`"/p": {"get": {"x-amazon-apigateway-integration": {"type": "mock", "passthroughBehavior": "always"}}}`), ImportOptions{}, "Invalid passthrough behavior"},
		{"response status", swagger(`"/p": {"get": {"x-amazon-apigateway-integration": {"type": "mock", "responses": {"default": {"statusCode": "2000"}}}}}`), ImportOptions{}, "Invalid status code '2000'"},
		{"template not string", swagger(`"/p": {"get": {"x-amazon-apigateway-integration": {"type": "mock", "requestTemplates": {"application/json": 1}}}}`), ImportOptions{}, "must be a string"},
		{"undeclared source", swagger(`"/{proxy+}": {"get": {"x-amazon-apigateway-integration": {"type": "http_proxy", "httpMethod": "ANY", "uri": "http://b/{proxy}", "requestParameters": {"integration.request.path.proxy": "method.request.path.proxy"}}}}`), ImportOptions{}, "Invalid mapping expression parameter specified: method.request.path.proxy"},
		{"bad source", swagger(`"/p": {"get": {"x-amazon-apigateway-integration": {"type": "mock", "requestParameters": {"integration.request.header.x": "request.header.x"}}}}`), ImportOptions{}, "Invalid mapping expression specified: request.header.x"},
		{"bad target", swagger(`"/p": {"get": {"x-amazon-apigateway-integration": {"type": "mock", "requestParameters": {"integration.response.header.x": "'v'"}}}}`), ImportOptions{}, "Invalid mapping expression specified: integration.response.header.x"},
		{"undeclared cache key", swagger(`"/p": {"get": {"x-amazon-apigateway-integration": {"type": "mock", "cacheKeyParameters": ["method.request.querystring.q"]}}}`), ImportOptions{}, "Invalid cache key parameter specified"},
		{"unknown validator", swagger(`"/p": {"get": {"x-amazon-apigateway-request-validator": "nope"}}`), ImportOptions{}, "request validator 'nope' is not declared"},
		{"gateway response type", `{"swagger": "2.0", "info": {"title": "t"}, "x-amazon-apigateway-gateway-responses": {"NOPE": {}}}`, ImportOptions{}, "Invalid gateway response type 'NOPE'"},
		{"compression", `{"swagger": "2.0", "info": {"title": "t"}, "x-amazon-apigateway-minimum-compression-size": 10485761}`, ImportOptions{}, "Invalid minimum compression size, must be between 0 and 10485760"},
		{"endpoint type", `{"swagger": "2.0", "info": {"title": "t"}}`, ImportOptions{EndpointConfigurationTypes: "GLOBAL"}, "Invalid endpoint configuration type"},
		{"basepath mode", `{"swagger": "2.0", "info": {"title": "t"}}`, ImportOptions{BasePath: "strip"}, "Invalid basepath option 'strip'"},
		{"authorizer", `{"swagger": "2.0", "info": {"title": "t"}, "securityDefinitions": {"auth": {"type": "apiKey", "name": "Authorization", "in": "header", "x-amazon-apigateway-authorizer": {"type": "token"}}}, "paths": {"/p": {"get": {"security": [{"auth": []}]}}}}`, ImportOptions{}, "authorizerUri is required for type token"},
		{"authorizer type", `{"swagger": "2.0", "info": {"title": "t"}, "securityDefinitions": {"auth": {"type": "apiKey", "name": "Authorization", "in": "header", "x-amazon-apigateway-authorizer": {"type": "jwt"}}}}`, ImportOptions{}, "Invalid authorizer type 'jwt'"},
		{"authorizer ttl", `{"swagger": "2.0", "info": {"title": "t"}, "securityDefinitions": {"auth": {"type": "apiKey", "name": "Authorization", "in": "header", "x-amazon-apigateway-authorizer": {"type": "token", "authorizerUri": "u", "authorizerResultTtlInSeconds": 3601}}}}`, ImportOptions{}, "must be an integer between 0 and 3600"},
		{"auth type", swagger(`"/p": {"get": {"x-amazon-apigateway-auth": {"type": "cognito"}}}`), ImportOptions{}, "Valid values are NONE, AWS_IAM"},
		{"fail on warnings", `{"swagger": "2.0", "info": {"title": "t"}, "x-amazon-apigateway-cors": {}}`, ImportOptions{FailOnWarnings: true}, "Warnings found during import:\n\tUnsupported extension x-amazon-apigateway-cors"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := Import([]byte(tc.body), tc.opts)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("got doc %v, error %v; want an InputError", doc != nil, err)
			}
			if doc != nil {
				t.Error("a refused document still returned a definition")
			}
			if !strings.Contains(ie.Message, tc.want) {
				t.Errorf("message %q does not contain %q", ie.Message, tc.want)
			}
		})
	}
}

func TestImportWarningTable(t *testing.T) {
	cases := []struct{ name, body, want string }{
		{"root security", `{"swagger": "2.0", "info": {"title": "t"}, "security": [{"k": []}]}`, "Root-level security is not supported"},
		{"cookie parameter", `{"openapi": "3.0.3", "info": {"title": "t"}, "paths": {"/a": {"get": {"parameters": [{"name": "s", "in": "cookie"}]}}}}`, "Unsupported parameter 's' in 'cookie' on method 'GET /a'. Ignoring."},
		{"form parameter", `{"swagger": "2.0", "info": {"title": "t"}, "paths": {"/a": {"post": {"parameters": [{"name": "f", "in": "formData"}]}}}}`, "Unsupported parameter 'f' in 'formData'"},
		{"oauth scheme", `{"swagger": "2.0", "info": {"title": "t"}, "securityDefinitions": {"o": {"type": "oauth2"}}, "paths": {"/a": {"get": {"security": [{"o": []}]}}}}`, "Unsupported security scheme 'o' on method 'GET /a'. Ignoring."},
		{"undefined scheme", `{"swagger": "2.0", "info": {"title": "t"}, "paths": {"/a": {"get": {"security": [{"nope": []}]}}}}`, "Security scheme 'nope' on method 'GET /a' is not defined. Ignoring."},
		{"default response", `{"swagger": "2.0", "info": {"title": "t"}, "paths": {"/a": {"get": {"responses": {"default": {"description": "x"}}}}}}`, "Unsupported response code 'default'"},
		{"missing model", `{"swagger": "2.0", "info": {"title": "t"}, "paths": {"/a": {"post": {"parameters": [{"in": "body", "name": "b", "schema": {"$ref": "#/definitions/Nope"}}]}}}}`, "Parse issue: attribute paths.'/a'(post).parameters.[b].schema.#/definitions/Nope is missing"},
		{"missing response model", `{"openapi": "3.0.1", "info": {"title": "t"}, "paths": {"/update": {"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ModelThatDoesNotExist"}}}}}}}}}`, "Parse issue: attribute paths.'/update'(get).responses.200.content.schema.#/components/schemas/ModelThatDoesNotExist is missing"},
		{"external ref", `{"swagger": "2.0", "info": {"title": "t"}, "definitions": {"A": {"$ref": "other.json#/B"}}}`, "Model 'A' has an unsupported reference 'other.json#/B'"},
		{"model name", `{"swagger": "2.0", "info": {"title": "t"}, "definitions": {"a-b": {"type": "object"}}}`, "Unable to create model 'a-b': Model name must be alphanumeric. Ignoring."},
		{"method extension", `{"swagger": "2.0", "info": {"title": "t"}, "paths": {"/a": {"get": {"x-amazon-apigateway-cors": {}}}}}`, "Unsupported extension x-amazon-apigateway-cors on method 'GET /a'. Ignoring."},
		{"integration field", `{"swagger": "2.0", "info": {"title": "t"}, "paths": {"/a": {"get": {"x-amazon-apigateway-integration": {"type": "mock", "payloadFormatVersion": "2.0"}}}}}`, "Unsupported integration field 'payloadFormatVersion' on method 'GET /a'. Ignoring."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := Import([]byte(tc.body), ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.Join(doc.RestApi.Warnings, "\n"), tc.want) {
				t.Errorf("warnings %q do not contain %q", doc.RestApi.Warnings, tc.want)
			}
			var ie *InputError
			if _, err := Import([]byte(tc.body), ImportOptions{FailOnWarnings: true}); !errors.As(err, &ie) || !strings.Contains(ie.Message, tc.want) {
				t.Errorf("FailOnWarnings: got %v", err)
			}
		})
	}
}

func TestImportWarnings(t *testing.T) {
	doc, err := Import(readTestdata(t, "basepath.yaml"), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Unsupported extension x-amazon-apigateway-documentation at the document root. Ignoring.",
		"Unsupported operation 'trace' on path '/g'. Ignoring.",
	}
	for _, w := range want {
		found := false
		for _, got := range doc.RestApi.Warnings {
			found = found || got == w
		}
		if !found {
			t.Errorf("warning %q missing from %q", w, doc.RestApi.Warnings)
		}
	}
	if _, err := Import(readTestdata(t, "basepath.yaml"), ImportOptions{FailOnWarnings: true}); err == nil {
		t.Error("FailOnWarnings accepted a document with warnings")
	}
	if _, err := Import(readTestdata(t, "petstore-swagger.json"), ImportOptions{FailOnWarnings: true}); err != nil {
		t.Errorf("a clean document failed on warnings: %v", err)
	}
}

func TestImportYAMLKeepsWrittenScalars(t *testing.T) {
	body := `swagger: "2.0"
info:
  title: Scalars
  version: 1.10
  description: 2026-11-01T00:00:00Z
x-amazon-apigateway-minimum-compression-size: 0x400
defaults: &mock
  x-amazon-apigateway-integration:
    type: MOCK
    timeoutInMillis: 1_000
paths:
  /a:
    get:
      <<: *mock
      operationId: A
`
	doc, err := Import([]byte(body), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	api := doc.RestApi
	if api.Version != "1.10" || api.Description != "2026-11-01T00:00:00Z" || *api.MinimumCompressionSize != 1024 {
		t.Errorf("scalars changed: version %q, description %q, compression %d", api.Version, api.Description, *api.MinimumCompressionSize)
	}
	m := doc.ResourceByPath("/a").ResourceMethods["GET"]
	if m.OperationName != "A" || m.MethodIntegration == nil || m.MethodIntegration.TimeoutInMillis != 1000 {
		t.Errorf("merge key not applied: %+v", m)
	}
}

func TestImportRefusesAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("swagger: \"2.0\"\ninfo: {title: t}\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 12; i++ {
		b.WriteString("a" + string(rune('a'+i)) + ": &a" + string(rune('a'+i)) + " [")
		prev := "*a0"
		if i > 1 {
			prev = "*a" + string(rune('a'+i-1))
		}
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(prev)
		}
		b.WriteString("]\n")
	}
	_, err := Import([]byte(b.String()), ImportOptions{})
	var ie *InputError
	if !errors.As(err, &ie) || ie.Message != "Invalid OpenAPI input." {
		t.Fatalf("alias bomb: got %v", err)
	}
}

func TestImportIntegrationDefaults(t *testing.T) {
	body := `{"swagger": "2.0", "info": {"title": "t"}, "paths": {"/items/{id}": {"get": {
	  "parameters": [{"name": "id", "in": "path"}, {"name": "q", "in": "query"}],
	  "x-amazon-apigateway-integration": {"type": "HTTP", "httpMethod": "get",
	    "uri": "https://${stageVariables.host}:8443/items/{id}",
	    "requestParameters": {"integration.request.path.id": "method.request.path.id",
	      "integration.request.header.x-q": "method.request.multivaluequerystring.q",
	      "integration.request.header.x-stage": "stageVariables.name",
	      "integration.request.header.x-req": "context.requestId",
	      "integration.request.header.x-body": "method.request.body.order.id",
	      "integration.request.header.x-lit": "'fixed'"}}}}}}`
	doc, err := Import([]byte(body), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := doc.ResourceByPath("/items/{id}")
	m := r.ResourceMethods["GET"]
	if !m.RequestParameters["method.request.path.id"] || m.RequestParameters["method.request.querystring.q"] {
		t.Errorf("path parameters are required, others as declared: %v", m.RequestParameters)
	}
	in := m.MethodIntegration
	if in.HttpMethod != "GET" || in.TimeoutInMillis != 29000 || in.PassthroughBehavior != "WHEN_NO_MATCH" ||
		in.CacheNamespace != r.Id || in.CacheKeyParameters == nil || len(in.CacheKeyParameters) != 0 {
		t.Errorf("integration defaults: %+v", in)
	}
}
