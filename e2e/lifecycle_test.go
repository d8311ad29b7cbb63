package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	"github.com/portico/portico/internal/server"
)

// backendAPI is an API whose HTTP_PROXY route points at a test backend through a stage variable.
const backendAPI = `openapi: 3.0.1
info: {title: lifecycle, version: "1"}
paths:
  /hello:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default: {statusCode: "200", responseTemplates: {application/json: '{"version": 1}'}}
  /items/{proxy+}:
    x-amazon-apigateway-any-method:
      parameters: [{name: proxy, in: path, required: true, schema: {type: string}}]
      responses: {default: {description: backend}}
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: ANY
        uri: http://${stageVariables.backend}/v1/{proxy}
        requestParameters: {integration.request.path.proxy: method.request.path.proxy}
`

// TestLifecycle imports with the stock AWS CLI, deploys, invokes at both URL forms, changes and
// redeploys, rolls back, restarts, and exports and re-imports.
func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"method": r.Method, "uri": r.RequestURI, "host": r.Host})
	}))
	defer backend.Close()
	dir := t.TempDir()
	srv := startServer(t, dir)
	file := filepath.Join(t.TempDir(), "api.yaml")
	if err := os.WriteFile(file, []byte(backendAPI), 0o600); err != nil {
		t.Fatal(err)
	}

	var api struct{ ID, Name string }
	if msg, err := awsCLI(t, srv, &api, "apigateway", "import-rest-api", "--body", "fileb://"+file); err != nil {
		t.Fatalf("aws apigateway import-rest-api: %v\n%s", err, msg)
	}
	if len(api.ID) != 10 || api.Name != "lifecycle" {
		t.Fatalf("imported API = %+v", api)
	}
	var dep1 struct{ ID string }
	backendHost := strings.TrimPrefix(backend.URL, "http://")
	if msg, err := awsCLI(t, srv, &dep1, "apigateway", "create-deployment", "--rest-api-id", api.ID,
		"--stage-name", "prod", "--variables", "backend="+backendHost); err != nil {
		t.Fatalf("create-deployment: %v\n%s", err, msg)
	}
	var list struct{ Items []struct{ ID string } }
	if msg, err := awsCLI(t, srv, &list, "apigateway", "get-rest-apis"); err != nil || len(list.Items) != 1 || list.Items[0].ID != api.ID {
		t.Fatalf("get-rest-apis = %+v, %v %s", list, err, msg)
	}

	waitFor(t, "the first deployment to serve", func() bool {
		return invokePath(t, srv, "GET", api.ID, "prod", "/hello", "").status == 200
	})
	invokePath(t, srv, "GET", api.ID, "prod", "/hello", "").want(t, 200, `{"version": 1}`)
	invokeHost(t, srv, "GET", api.ID, "prod", "/hello", "").want(t, 200, `{"version": 1}`)
	r := invokeHost(t, srv, "POST", api.ID, "prod", "/items/a/b%2Fc?x=1&y=2", `{"k":1}`)
	r.want(t, 200, "")
	var seen map[string]string
	if err := json.Unmarshal([]byte(r.body), &seen); err != nil {
		t.Fatalf("backend answer %q: %v", r.body, err)
	}
	if seen["method"] != "POST" || seen["uri"] != "/v1/a/b%2Fc?x=1&y=2" || seen["host"] != backendHost {
		t.Fatalf("backend saw %v", seen)
	}
	invokePath(t, srv, "GET", api.ID, "prod", "/nowhere", "").want(t, 403, `{"message":"Missing Authentication Token"}`)
	invokePath(t, srv, "GET", api.ID, "nostage", "/hello", "").want(t, 403, `{"message":"Forbidden"}`)

	// Change the MOCK answer and redeploy with the SDK: the stage serves version 2.
	c := sdk(srv)
	res, err := c.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: aws.String(api.ID)})
	if err != nil {
		t.Fatal(err)
	}
	var helloID string
	for _, r := range res.Items {
		if aws.ToString(r.Path) == "/hello" {
			helloID = aws.ToString(r.Id)
		}
	}
	_, err = c.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{
		RestApiId: aws.String(api.ID), ResourceId: aws.String(helloID), HttpMethod: aws.String("GET"), StatusCode: aws.String("200"),
		ResponseTemplates: map[string]string{"application/json": `{"version": 2}`},
	})
	if err != nil {
		t.Fatalf("put-integration-response: %v", err)
	}
	invokePath(t, srv, "GET", api.ID, "prod", "/hello", "").want(t, 200, `{"version": 1}`) // not deployed yet
	dep2, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: aws.String(api.ID), StageName: aws.String("prod")})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the second deployment to serve", func() bool {
		return invokePath(t, srv, "GET", api.ID, "prod", "/hello", "").body == `{"version": 2}`
	})

	// A deployment a stage uses cannot be deleted.
	_, err = c.DeleteDeployment(ctx, &apigateway.DeleteDeploymentInput{RestApiId: aws.String(api.ID), DeploymentId: dep2.Id})
	if err == nil || !strings.Contains(err.Error(), "Active stages pointing to this deployment must be moved or deleted") {
		t.Fatalf("delete of a deployment in use: %v", err)
	}

	// Roll back: point the stage at the first deployment.
	if msg, err := awsCLI(t, srv, nil, "apigateway", "update-stage", "--rest-api-id", api.ID, "--stage-name", "prod",
		"--patch-operations", "op=replace,path=/deploymentId,value="+dep1.ID); err != nil {
		t.Fatalf("update-stage: %v\n%s", err, msg)
	}
	waitFor(t, "the rollback to serve", func() bool {
		return invokePath(t, srv, "GET", api.ID, "prod", "/hello", "").body == `{"version": 1}`
	})

	// Restart on the same data directory: everything is there.
	stopServer(t, srv)
	srv = startServer(t, dir)
	invokePath(t, srv, "GET", api.ID, "prod", "/hello", "").want(t, 200, `{"version": 1}`)
	deps, err := sdk(srv).GetDeployments(ctx, &apigateway.GetDeploymentsInput{RestApiId: aws.String(api.ID)})
	if err != nil || len(deps.Items) != 2 {
		t.Fatalf("deployments after restart: %v, %v", deps, err)
	}

	// The portico CLI lists, shows routes and exports.
	out, errOut, code := portico(t, srv, "apis")
	if code != 0 || !strings.Contains(out, api.ID) {
		t.Fatalf("portico apis: %d %s %s", code, out, errOut)
	}
	out, errOut, code = portico(t, srv, "routes", api.ID)
	if code != 0 || !strings.Contains(out, "/items/{proxy+}") || !strings.Contains(out, "HTTP_PROXY") {
		t.Fatalf("portico routes: %d %s %s", code, out, errOut)
	}
	out, errOut, code = portico(t, srv, "stages", api.ID)
	if code != 0 || !strings.Contains(out, "prod") || !strings.Contains(out, dep1.ID) {
		t.Fatalf("portico stages: %d %s %s", code, out, errOut)
	}

	// Deploy the current definition to a second stage, export it with extensions, re-import the
	// export, and find the same routes and integrations.
	if out, errOut, code := portico(t, srv, "deploy", api.ID, "--stage", "latest"); code != 0 {
		t.Fatalf("portico deploy: %d %s %s", code, out, errOut)
	}
	exported, errOut, code := portico(t, srv, "export", api.ID, "--stage", "latest", "--extensions")
	if code != 0 {
		t.Fatalf("portico export: %d %s", code, errOut)
	}
	again, err := sdk(srv).ImportRestApi(ctx, &apigateway.ImportRestApiInput{Body: []byte(exported)})
	if err != nil {
		t.Fatalf("re-import of the export: %v\n%s", err, exported)
	}
	if a, b := routeTable(t, srv, api.ID), routeTable(t, srv, aws.ToString(again.Id)); a != b {
		t.Fatalf("export then import changed the API:\n%s\n---\n%s", a, b)
	}
}

// routeTable describes an API's resources, methods and integrations, ids left out.
func routeTable(t *testing.T, srv *server.Server, apiID string) string {
	t.Helper()
	ctx := context.Background()
	c := sdk(srv)
	res, err := c.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: aws.String(apiID), Limit: aws.Int32(500)})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, r := range res.Items {
		lines = append(lines, aws.ToString(r.Path))
		for verb := range r.ResourceMethods {
			m, err := c.GetMethod(ctx, &apigateway.GetMethodInput{RestApiId: aws.String(apiID), ResourceId: r.Id, HttpMethod: aws.String(verb)})
			if err != nil {
				t.Fatal(err)
			}
			line := aws.ToString(r.Path) + " " + verb + " " + aws.ToString(m.AuthorizationType)
			if in := m.MethodIntegration; in != nil {
				b, _ := json.Marshal(struct {
					Type, Method, URI string
					Req               map[string]string
					Templates         map[string]string
					Responses         map[string]types.IntegrationResponse
				}{string(in.Type), aws.ToString(in.HttpMethod), aws.ToString(in.Uri), in.RequestParameters, in.RequestTemplates, in.IntegrationResponses})
				line += " " + string(b)
			}
			lines = append(lines, line)
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
