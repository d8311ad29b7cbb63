package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
)

// nonProxyAPI has an HTTP (non-proxy) integration with parameter mappings, request and response
// templates, and a MOCK whose status comes from a templated statusCode. BACKEND is replaced by
// the test's backend address.
const nonProxyAPI = `openapi: 3.0.1
info: {title: nonproxy, version: "1"}
paths:
  /pets/{petId}:
    post:
      parameters:
        - {name: petId, in: path, required: true, schema: {type: string}}
        - {name: X-Client, in: header, schema: {type: string}}
      responses:
        "200": {description: ok, headers: {X-Backend-Said: {schema: {type: string}}}}
        "404": {description: missing}
      x-amazon-apigateway-integration:
        type: http
        httpMethod: PUT
        uri: http://BACKEND/store/{id}
        passthroughBehavior: never
        requestParameters:
          integration.request.path.id: method.request.path.petId
          integration.request.header.X-Mapped: method.request.header.X-Client
          integration.request.querystring.color: stageVariables.color
        requestTemplates:
          application/json: |
            #set($root = $input.path('$'))
            {"id": "$input.params('petId')", "name": "$root.name", "tags": $input.json('$.tags'), "stage": "$context.stage"}
        responses:
          default:
            statusCode: "200"
            responseParameters:
              method.response.header.X-Backend-Said: integration.response.header.X-Said
            responseTemplates:
              application/json: |
                #set($b = $input.path('$'))
                {"received": $input.json('$.body'), "uri": "$b.uri", "mapped": "$b.mapped", "agent": "$b.agent"}
          "404":
            statusCode: "404"
            responseTemplates:
              application/json: '{"message": "no pet $input.params(''petId'')"}'
  /mock/{code}:
    get:
      responses:
        "200": {description: ok}
        "418": {description: teapot}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: |
            {"statusCode": #if($input.params('code') == "tea")418#else 200#end}
        responses:
          default:
            statusCode: "200"
            responseTemplates: {application/json: '{"code": "$input.params(''code'')"}'}
          "418":
            statusCode: "418"
            selectionPattern: "418"
            responseTemplates:
              application/json: |
                #set($context.responseOverride.header.X-Brewed = "tea")
                {"message": "I'm a teapot"}
`

// TestNonProxyIntegrations imports an API with HTTP and MOCK non-proxy integrations through the
// management API and calls it: request mapping and templates reach the backend, its answer is
// selected and mapped, the MOCK's templated statusCode selects its response.
func TestNonProxyIntegrations(t *testing.T) {
	ctx := context.Background()
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Said", "hello")
		if strings.HasSuffix(r.URL.Path, "/missing") {
			w.WriteHeader(404)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"uri": r.RequestURI, "body": json.RawMessage(body),
			"mapped": r.Header.Get("X-Mapped"), "agent": r.Header.Get("User-Agent")})
	}))
	defer backend.Close()
	srv := startServer(t, t.TempDir())
	c := sdk(srv)
	doc := strings.ReplaceAll(nonProxyAPI, "BACKEND", strings.TrimPrefix(backend.URL, "http://"))
	api, err := c.ImportRestApi(ctx, &apigateway.ImportRestApiInput{Body: []byte(doc)})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if len(api.Warnings) > 0 {
		t.Fatalf("import warnings: %v", api.Warnings)
	}
	if _, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("prod"),
		Variables: map[string]string{"color": "red"}}); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	id := aws.ToString(api.Id)
	waitFor(t, "deployment", func() bool { return invokePath(t, srv, "GET", id, "prod", "/mock/x", "").status == 200 })

	r := invokePath(t, srv, "POST", id, "prod", "/pets/7", `{"name": "Rex", "tags": ["a", "b"]}`, "X-Client", "cli", "Content-Type", "application/json")
	// The backend re-encodes what it received compactly.
	r.want(t, 200, `{"received": {"id":"7","name":"Rex","tags":["a","b"],"stage":"prod"}, "uri": "/store/7?color=red", "mapped": "cli", "agent": "AmazonAPIGateway_`+id+`"}
`)
	if r.header.Get("X-Backend-Said") != "hello" || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("mapped response headers: %v", r.header)
	}
	invokePath(t, srv, "POST", id, "prod", "/pets/missing", `{}`).want(t, 404, `{"message": "no pet missing"}`)
	// passthroughBehavior NEVER: a body with no matching template is refused.
	invokePath(t, srv, "POST", id, "prod", "/pets/7", `x`, "Content-Type", "text/plain").want(t, 415, `{"message":"Unsupported Media Type"}`)

	invokePath(t, srv, "GET", id, "prod", "/mock/abc", "").want(t, 200, `{"code": "abc"}`)
	r = invokeHost(t, srv, "GET", id, "prod", "/mock/tea", "")
	r.want(t, 418, `{"message": "I'm a teapot"}
`)
	if r.header.Get("X-Brewed") != "tea" {
		t.Errorf("responseOverride header: %v", r.header)
	}
}
