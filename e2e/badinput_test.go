package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

const mockAPI = `openapi: 3.0.1
info: {title: mock, version: "1"}
paths:
  /hello:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default: {statusCode: "200", responseTemplates: {application/json: 'v0'}}
`

func importMock(t *testing.T, c *apigateway.Client, stage string) string {
	t.Helper()
	api, err := c.ImportRestApi(context.Background(), &apigateway.ImportRestApiInput{Body: []byte(mockAPI)})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if _, err := c.CreateDeployment(context.Background(), &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String(stage)}); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	return aws.ToString(api.Id)
}

// TestBadInputChangesNothing sends malformed documents and requests and checks the answers and
// that the configuration and the data plane are as before.
func TestBadInputChangesNothing(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t, t.TempDir())
	c := sdk(srv)
	apiID := importMock(t, c, "prod")
	waitFor(t, "deployment", func() bool { return invokePath(t, srv, "GET", apiID, "prod", "/hello", "").status == 200 })

	for _, body := range []string{`{"openapi": "3.0.1", "info": {`, "openapi: 3.0.1\ninfo: [unclosed", `[]`, `{"swagger": "1.2"}`, ``} {
		_, err := c.ImportRestApi(ctx, &apigateway.ImportRestApiInput{Body: []byte(body)})
		if err == nil || !strings.Contains(err.Error(), "BadRequestException") {
			t.Errorf("import of %q: %v, want BadRequestException", body, err)
		}
	}
	apis, err := c.GetRestApis(ctx, &apigateway.GetRestApisInput{})
	if err != nil || len(apis.Items) != 1 {
		t.Fatalf("after bad imports: %d APIs, %v", len(apis.Items), err)
	}

	// An update whose second operation is invalid applies neither.
	_, err = c.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: aws.String(apiID), PatchOperations: patch("replace", "/name", "renamed", "replace", "/nosuch", "x")})
	if err == nil || !strings.Contains(err.Error(), "BadRequestException") {
		t.Fatalf("invalid patch path: %v", err)
	}
	got, err := c.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: aws.String(apiID)})
	if err != nil || aws.ToString(got.Name) != "mock" {
		t.Fatalf("a failed patch changed the API: %v %v", aws.ToString(got.Name), err)
	}

	// Data plane: oversized and odd requests are refused without harm.
	big := strings.Repeat("x", 20<<20)
	r := invokePath(t, srv, "POST", apiID, "prod", "/hello", big)
	if r.status != 413 {
		t.Errorf("20 MB body: %d %q", r.status, r.body)
	}
	for _, p := range []string{"/../hello", "/hello/..", "/he%00llo", "/" + strings.Repeat("a", 10000), "/%", "/%zz", "/hello\x00"} {
		status := rawGet(t, srv.DataAddr, "/restapis/"+apiID+"/prod/_user_request_"+p)
		if status < 400 || status >= 500 {
			t.Errorf("GET %.40q: %d, want a 4xx", p, status)
		}
	}
	invokePath(t, srv, "GET", apiID, "prod", "/hello", "").want(t, 200, "v0")
}

// patch builds patch operations from (op, path, value) triples.
func patch(triples ...string) []types.PatchOperation {
	var ops []types.PatchOperation
	for i := 0; i+2 < len(triples); i += 3 {
		ops = append(ops, types.PatchOperation{Op: types.Op(triples[i]), Path: aws.String(triples[i+1]), Value: aws.String(triples[i+2])})
	}
	return ops
}

// TestSwapUnderLoad redeploys a stage again and again while clients call it: no request fails
// and every answer is one of the deployed versions.
func TestSwapUnderLoad(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t, t.TempDir())
	c := sdk(srv)
	apiID := importMock(t, c, "prod")
	waitFor(t, "deployment", func() bool { return invokePath(t, srv, "GET", apiID, "prod", "/hello", "").status == 200 })
	res, err := c.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: aws.String(apiID)})
	if err != nil {
		t.Fatal(err)
	}
	var helloID *string
	for _, r := range res.Items {
		if aws.ToString(r.Path) == "/hello" {
			helloID = r.Id
		}
	}

	const deployments = 30
	var stop atomic.Bool
	var served, failed atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				r := invokePath(t, srv, "GET", apiID, "prod", "/hello", "")
				if r.status != 200 || !strings.HasPrefix(r.body, "v") {
					failed.Add(1)
					t.Errorf("during swaps: %d %q", r.status, r.body)
				}
				served.Add(1)
			}
		}()
	}
	for i := 1; i <= deployments; i++ {
		_, err := c.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{
			RestApiId: aws.String(apiID), ResourceId: helloID, HttpMethod: aws.String("GET"), StatusCode: aws.String("200"),
			ResponseTemplates: map[string]string{"application/json": fmt.Sprintf("v%d", i)},
		})
		if err == nil {
			_, err = c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: aws.String(apiID), StageName: aws.String("prod")})
		}
		if err != nil {
			stop.Store(true)
			wg.Wait()
			t.Fatalf("deployment %d: %v", i, err)
		}
	}
	want := fmt.Sprintf("v%d", deployments)
	waitFor(t, "the last deployment", func() bool { return invokePath(t, srv, "GET", apiID, "prod", "/hello", "").body == want })
	stop.Store(true)
	wg.Wait()
	if failed.Load() != 0 || served.Load() == 0 {
		t.Fatalf("%d of %d requests failed during %d swaps", failed.Load(), served.Load(), deployments)
	}
	t.Logf("%d requests served across %d deployments, none failed", served.Load(), deployments)
}

// rawGet sends a request line exactly as given, which net/http's client would refuse to build,
// and returns the answer's status.
func rawGet(t *testing.T, addr, target string) int {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", target, addr)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %.40q: %v", target, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
