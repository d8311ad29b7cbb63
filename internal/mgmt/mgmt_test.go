package mgmt

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/smithy-go"

	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/bolt"
)

const (
	testKey    = "AKIDPORTICOTEST"
	testSecret = "portico-test-secret"
	testRegion = "us-east-1"
	testAcct   = "123456789012"
)

type env struct {
	url    string
	st     store.Store
	client *apigateway.Client
}

func newEnv(t testing.TB) *env {
	t.Helper()
	st, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewServer(New(st, Options{Region: testRegion, AccountID: testAcct, Credentials: map[string]string{testKey: testSecret}}))
	t.Cleanup(srv.Close)
	client := apigateway.New(apigateway.Options{
		BaseEndpoint:     aws.String(srv.URL),
		Region:           testRegion,
		Credentials:      credentials.NewStaticCredentialsProvider(testKey, testSecret, ""),
		RetryMaxAttempts: 1,
	})
	return &env{url: srv.URL, st: st, client: client}
}

// raw sends a request signed like the SDK signs it (or unsigned / with another secret).
// Extra headers come as name, value pairs.
func (e *env) raw(t *testing.T, method, path string, body []byte, secret string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if secret != "" {
		sum := sha256.Sum256(body)
		creds := aws.Credentials{AccessKeyID: testKey, SecretAccessKey: secret}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "apigateway", testRegion, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// result carries a call's value and error until the test checks it: must(c.Op(...)).ok(t).
type result[T any] struct {
	v   T
	err error
}

func must[T any](v T, err error) result[T] { return result[T]{v, err} }

func (r result[T]) ok(t testing.TB) T {
	t.Helper()
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.v
}

// wantAPIError checks an SDK error's code and (if msg is not empty) message.
func wantAPIError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want %s", err, code)
	}
	if ae.ErrorCode() != code || (msg != "" && ae.ErrorMessage() != msg) {
		t.Fatalf("error = %s %q, want %s %q", ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

func pop(o types.Op, path, value string) types.PatchOperation {
	p := types.PatchOperation{Op: o, Path: aws.String(path)}
	if value != "" {
		p.Value = aws.String(value)
	}
	return p
}

// buildAPI creates an API with GET /pets → HTTP integration and returns ids.
func buildAPI(t testing.TB, e *env) (apiID, petsID string) {
	t.Helper()
	ctx := context.Background()
	api := must(e.client.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("petstore")})).ok(t)
	pets := must(e.client.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: api.Id, ParentId: api.RootResourceId, PathPart: aws.String("pets")})).ok(t)
	must(e.client.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: pets.Id, HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE")})).ok(t)
	return *api.Id, *pets.Id
}

func TestLifecycle(t *testing.T) {
	e := newEnv(t)
	c := e.client
	ctx := context.Background()

	api := must(c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("petstore"), Description: aws.String("pets")})).ok(t)
	if len(*api.Id) != 10 || len(*api.RootResourceId) != 10 || api.ApiKeySource != types.ApiKeySourceTypeHeader ||
		api.EndpointConfiguration.Types[0] != types.EndpointTypeEdge || api.CreatedDate == nil {
		t.Fatalf("created %+v", api)
	}
	models := must(c.GetModels(ctx, &apigateway.GetModelsInput{RestApiId: api.Id})).ok(t)
	if len(models.Items) != 2 || *models.Items[0].Name != "Empty" || *models.Items[1].Name != "Error" {
		t.Fatalf("built-in models: %+v", models.Items)
	}

	pets := must(c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: api.Id, ParentId: api.RootResourceId, PathPart: aws.String("pets")})).ok(t)
	pet := must(c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: api.Id, ParentId: pets.Id, PathPart: aws.String("{petId}")})).ok(t)
	if *pet.Path != "/pets/{petId}" || len(*pet.Id) != 6 {
		t.Fatalf("child resource %+v", pet)
	}

	m := must(c.PutMethod(ctx, &apigateway.PutMethodInput{
		RestApiId: api.Id, ResourceId: pet.Id, HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE"),
		RequestParameters: map[string]bool{"method.request.path.petId": true},
	})).ok(t)
	if *m.HttpMethod != "GET" || !m.RequestParameters["method.request.path.petId"] {
		t.Fatalf("method %+v", m)
	}
	must(c.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: api.Id, ResourceId: pet.Id, HttpMethod: aws.String("GET"), StatusCode: aws.String("200")})).ok(t)
	ig := must(c.PutIntegration(ctx, &apigateway.PutIntegrationInput{
		RestApiId: api.Id, ResourceId: pet.Id, HttpMethod: aws.String("GET"), Type: types.IntegrationTypeHttp,
		IntegrationHttpMethod: aws.String("GET"), Uri: aws.String("http://backend.example:8080/pets/{id}"),
		RequestParameters: map[string]string{"integration.request.path.id": "method.request.path.petId"},
	})).ok(t)
	if ig.PassthroughBehavior == nil || *ig.PassthroughBehavior != "WHEN_NO_MATCH" || ig.TimeoutInMillis != 29000 ||
		*ig.CacheNamespace != *pet.Id || ig.CacheKeyParameters == nil || ig.ConnectionType != types.ConnectionTypeInternet {
		t.Fatalf("integration defaults %+v", ig)
	}
	must(c.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: api.Id, ResourceId: pet.Id, HttpMethod: aws.String("GET"), StatusCode: aws.String("200"), SelectionPattern: aws.String("")})).ok(t)

	got := must(c.GetMethod(ctx, &apigateway.GetMethodInput{RestApiId: api.Id, ResourceId: pet.Id, HttpMethod: aws.String("GET")})).ok(t)
	if got.MethodIntegration == nil || got.MethodIntegration.IntegrationResponses["200"].StatusCode == nil || got.MethodResponses["200"].StatusCode == nil {
		t.Fatalf("method with integration %+v", got)
	}
	res := must(c.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: api.Id, Embed: []string{"methods"}})).ok(t)
	if len(res.Items) != 3 || res.Items[2].ResourceMethods["GET"].MethodIntegration == nil {
		t.Fatalf("resources %+v", res.Items)
	}

	// Patching integration and method.
	ig2 := must(c.UpdateIntegration(ctx, &apigateway.UpdateIntegrationInput{RestApiId: api.Id, ResourceId: pet.Id, HttpMethod: aws.String("GET"),
		PatchOperations: []types.PatchOperation{pop(types.OpReplace, "/timeoutInMillis", "5000"), pop(types.OpAdd, "/requestTemplates/application~1json", `{"a":1}`)}})).ok(t)
	if ig2.TimeoutInMillis != 5000 || ig2.RequestTemplates["application/json"] != `{"a":1}` {
		t.Fatalf("patched integration %+v", ig2)
	}

	dep1 := must(c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("dev"), Description: aws.String("first")})).ok(t)
	if len(*dep1.Id) != 6 {
		t.Fatalf("deployment %+v", dep1)
	}
	stage := must(c.GetStage(ctx, &apigateway.GetStageInput{RestApiId: api.Id, StageName: aws.String("dev")})).ok(t)
	if *stage.DeploymentId != *dep1.Id || stage.CreatedDate == nil || stage.MethodSettings == nil {
		t.Fatalf("stage %+v", stage)
	}
	dep2 := must(c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("dev")})).ok(t)
	stage = must(c.GetStage(ctx, &apigateway.GetStageInput{RestApiId: api.Id, StageName: aws.String("dev")})).ok(t)
	if *stage.DeploymentId != *dep2.Id {
		t.Fatalf("stage after redeploy %+v", stage)
	}
	full := must(c.GetDeployment(ctx, &apigateway.GetDeploymentInput{RestApiId: api.Id, DeploymentId: dep2.Id, Embed: []string{"apisummary"}})).ok(t)
	if full.ApiSummary["/pets/{petId}"]["GET"].AuthorizationType == nil {
		t.Fatalf("apiSummary %+v", full.ApiSummary)
	}

	// Rollback: point the stage back at the first deployment.
	stage2 := must(c.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: api.Id, StageName: aws.String("dev"),
		PatchOperations: []types.PatchOperation{pop(types.OpReplace, "/deploymentId", *dep1.Id), pop(types.OpReplace, "/variables/backend", "b.example")}})).ok(t)
	if *stage2.DeploymentId != *dep1.Id || stage2.Variables["backend"] != "b.example" {
		t.Fatalf("rolled back stage %+v", stage2)
	}
	_, err := c.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: api.Id, StageName: aws.String("dev"),
		PatchOperations: []types.PatchOperation{pop(types.OpReplace, "/deploymentId", "nope00")}})
	wantAPIError(t, err, "BadRequestException", "Deployment id does not exist")

	_, err = c.DeleteDeployment(ctx, &apigateway.DeleteDeploymentInput{RestApiId: api.Id, DeploymentId: dep1.Id})
	wantAPIError(t, err, "BadRequestException", "Active stages pointing to this deployment must be moved or deleted")
	must(c.DeleteDeployment(ctx, &apigateway.DeleteDeploymentInput{RestApiId: api.Id, DeploymentId: dep2.Id})).ok(t)
	deps := must(c.GetDeployments(ctx, &apigateway.GetDeploymentsInput{RestApiId: api.Id})).ok(t)
	if len(deps.Items) != 1 || *deps.Items[0].Id != *dep1.Id {
		t.Fatalf("deployments %+v", deps.Items)
	}

	// Stage create with a second name, duplicates refused.
	must(c.CreateStage(ctx, &apigateway.CreateStageInput{RestApiId: api.Id, StageName: aws.String("prod"), DeploymentId: dep1.Id})).ok(t)
	_, err = c.CreateStage(ctx, &apigateway.CreateStageInput{RestApiId: api.Id, StageName: aws.String("prod"), DeploymentId: dep1.Id})
	wantAPIError(t, err, "ConflictException", "Stage already exists")
	_, err = c.CreateStage(ctx, &apigateway.CreateStageInput{RestApiId: api.Id, StageName: aws.String("qa"), DeploymentId: aws.String("zzzzzz")})
	wantAPIError(t, err, "BadRequestException", "Deployment id does not exist")
	stages := must(c.GetStages(ctx, &apigateway.GetStagesInput{RestApiId: api.Id})).ok(t)
	if len(stages.Item) != 2 {
		t.Fatalf("stages %+v", stages.Item)
	}

	// Deleting the API takes its deployments and stages with it.
	must(c.DeleteRestApi(ctx, &apigateway.DeleteRestApiInput{RestApiId: api.Id})).ok(t)
	_, err = c.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: api.Id})
	wantAPIError(t, err, "NotFoundException", "Invalid API identifier specified "+testAcct+":"+*api.Id)
	if n := countDocs(t, e.st, store.KindDeployment) + countDocs(t, e.st, store.KindStage); n != 0 {
		t.Fatalf("%d deployments/stages left after DeleteRestApi", n)
	}
}

func countDocs(t *testing.T, st store.Store, k store.Kind) int {
	t.Helper()
	n := 0
	if err := st.View(func(tx store.Tx) error {
		return tx.List(k, "", func(string, []byte) error { n++; return nil })
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestStageMethodSettings(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	apiID, petsID := buildAPI(t, e)
	must(e.client.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: &apiID, ResourceId: &petsID, HttpMethod: aws.String("GET"), Type: types.IntegrationTypeMock})).ok(t)
	must(e.client.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &apiID, StageName: aws.String("dev")})).ok(t)
	st := must(e.client.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: &apiID, StageName: aws.String("dev"), PatchOperations: []types.PatchOperation{
		pop(types.OpReplace, "/*/*/throttling/burstLimit", "10"),
		pop(types.OpReplace, "/~1pets/GET/caching/enabled", "true"),
		pop(types.OpReplace, "/accessLogSettings/format", "$context.requestId $context.status"),
	}})).ok(t)
	all := st.MethodSettings["*/*"]
	if all.ThrottlingBurstLimit != 10 || all.ThrottlingRateLimit != 10000 || all.CacheTtlInSeconds != 300 ||
		!all.RequireAuthorizationForCacheControl || all.UnauthorizedCacheControlHeaderStrategy != "SUCCEED_WITH_RESPONSE_HEADER" {
		t.Fatalf("*/* settings %+v", all)
	}
	if !st.MethodSettings["pets/GET"].CachingEnabled || st.MethodSettings["pets/GET"].ThrottlingBurstLimit != 5000 {
		t.Fatalf("pets/GET settings %+v", st.MethodSettings["pets/GET"])
	}
	if st.AccessLogSettings == nil || !strings.Contains(*st.AccessLogSettings.Format, "requestId") {
		t.Fatalf("access log %+v", st.AccessLogSettings)
	}
	st = must(e.client.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: &apiID, StageName: aws.String("dev"), PatchOperations: []types.PatchOperation{
		pop(types.OpRemove, "/*/*", ""),
	}})).ok(t)
	if _, ok := st.MethodSettings["*/*"]; ok {
		t.Fatal("*/* block not removed")
	}
	// A failing operation later in the list applies nothing.
	_, err := e.client.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: &apiID, StageName: aws.String("dev"), PatchOperations: []types.PatchOperation{
		pop(types.OpReplace, "/description", "changed"),
		pop(types.OpReplace, "/bogus", "x"),
	}})
	wantAPIError(t, err, "BadRequestException", "")
	st2 := must(e.client.GetStage(ctx, &apigateway.GetStageInput{RestApiId: &apiID, StageName: aws.String("dev")})).ok(t)
	if st2.Description != nil {
		t.Fatalf("failed patch list applied description %q", *st2.Description)
	}
}

func TestGatewayResponses(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	apiID, _ := buildAPI(t, e)
	list := must(e.client.GetGatewayResponses(ctx, &apigateway.GetGatewayResponsesInput{RestApiId: &apiID})).ok(t)
	if len(list.Items) != 21 || list.Position != nil {
		t.Fatalf("%d gateway responses, position %v", len(list.Items), list.Position)
	}
	for _, g := range list.Items {
		if !g.DefaultResponse {
			t.Fatalf("%s not default", g.ResponseType)
		}
	}
	put := must(e.client.PutGatewayResponse(ctx, &apigateway.PutGatewayResponseInput{RestApiId: &apiID, ResponseType: types.GatewayResponseTypeMissingAuthenticationToken,
		StatusCode: aws.String("404"), ResponseTemplates: map[string]string{"application/json": `{"msg":"nope"}`}})).ok(t)
	if put.DefaultResponse || *put.StatusCode != "404" {
		t.Fatalf("put %+v", put)
	}
	g := must(e.client.GetGatewayResponse(ctx, &apigateway.GetGatewayResponseInput{RestApiId: &apiID, ResponseType: types.GatewayResponseTypeThrottled})).ok(t)
	if !g.DefaultResponse || *g.StatusCode != "429" || g.ResponseTemplates["application/json"] != `{"message":$context.error.messageString}` {
		t.Fatalf("built-in THROTTLED %+v", g)
	}
	page := must(e.client.GetGatewayResponses(ctx, &apigateway.GetGatewayResponsesInput{RestApiId: &apiID, Limit: aws.Int32(10)})).ok(t)
	if len(page.Items) != 10 || page.Position == nil {
		t.Fatalf("page %d %v", len(page.Items), page.Position)
	}
	_, err := e.client.PutGatewayResponse(ctx, &apigateway.PutGatewayResponseInput{RestApiId: &apiID, ResponseType: "NOPE"})
	wantAPIError(t, err, "ValidationException", "")
	_, err = e.client.PutGatewayResponse(ctx, &apigateway.PutGatewayResponseInput{RestApiId: &apiID, ResponseType: types.GatewayResponseTypeThrottled, StatusCode: aws.String("999")})
	wantAPIError(t, err, "ValidationException", "")
	_, err = e.client.DeleteGatewayResponse(ctx, &apigateway.DeleteGatewayResponseInput{RestApiId: &apiID, ResponseType: types.GatewayResponseTypeThrottled})
	wantAPIError(t, err, "NotFoundException", "Gateway response type not defined on api")
	must(e.client.DeleteGatewayResponse(ctx, &apigateway.DeleteGatewayResponseInput{RestApiId: &apiID, ResponseType: types.GatewayResponseTypeMissingAuthenticationToken})).ok(t)
}

func TestErrors(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	apiID, petsID := buildAPI(t, e)
	api := must(c.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: &apiID})).ok(t)
	cases := []struct {
		name      string
		call      func() error
		code, msg string
	}{
		{"unknown api", func() error {
			_, err := c.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: aws.String("nope123456")})
			return err
		}, "NotFoundException", "Invalid API identifier specified " + testAcct + ":nope123456"},
		{"unknown resource", func() error {
			_, err := c.GetResource(ctx, &apigateway.GetResourceInput{RestApiId: &apiID, ResourceId: aws.String("zzzzzz")})
			return err
		}, "NotFoundException", "Invalid Resource identifier specified"},
		{"unknown method", func() error {
			_, err := c.GetMethod(ctx, &apigateway.GetMethodInput{RestApiId: &apiID, ResourceId: &petsID, HttpMethod: aws.String("POST")})
			return err
		}, "NotFoundException", "Invalid Method identifier specified"},
		{"unknown integration", func() error {
			_, err := c.GetIntegration(ctx, &apigateway.GetIntegrationInput{RestApiId: &apiID, ResourceId: &petsID, HttpMethod: aws.String("GET")})
			return err
		}, "NotFoundException", "Invalid Integration identifier specified"},
		{"duplicate resource", func() error {
			_, err := c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: &apiID, ParentId: api.RootResourceId, PathPart: aws.String("pets")})
			return err
		}, "ConflictException", "Another resource with the same parent already has this name: pets"},
		{"bad path part", func() error {
			_, err := c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: &apiID, ParentId: api.RootResourceId, PathPart: aws.String("a{b}")})
			return err
		}, "BadRequestException", pathPartMsg},
		{"duplicate method", func() error {
			_, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: &apiID, ResourceId: &petsID, HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE")})
			return err
		}, "ConflictException", "Method already exists for this resource"},
		{"bad verb", func() error {
			_, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: &apiID, ResourceId: &petsID, HttpMethod: aws.String("FETCH"), AuthorizationType: aws.String("NONE")})
			return err
		}, "BadRequestException", "Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY"},
		{"bad integration type", func() error {
			_, err := c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: &apiID, ResourceId: &petsID, HttpMethod: aws.String("GET"), Type: "SOAP"})
			return err
		}, "ValidationException", "1 validation error detected: Value 'SOAP' at 'putIntegrationInput.type' failed to satisfy constraint: Member must satisfy enum value set: [HTTP, MOCK, AWS_PROXY, HTTP_PROXY, AWS]"},
		{"bad http uri", func() error {
			_, err := c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: &apiID, ResourceId: &petsID, HttpMethod: aws.String("GET"), Type: types.IntegrationTypeHttpProxy, IntegrationHttpMethod: aws.String("GET"), Uri: aws.String("not a url")})
			return err
		}, "BadRequestException", "Invalid HTTP endpoint specified for URI"},
		{"timeout out of range", func() error {
			_, err := c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: &apiID, ResourceId: &petsID, HttpMethod: aws.String("GET"), Type: types.IntegrationTypeMock, TimeoutInMillis: aws.Int32(30000)})
			return err
		}, "BadRequestException", "Timeout should be between 50 ms and 29000 ms"},
		{"bad status code", func() error {
			_, err := c.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: &apiID, ResourceId: &petsID, HttpMethod: aws.String("GET"), StatusCode: aws.String("600")})
			return err
		}, "ValidationException", ""},
		{"invalid patch path", func() error {
			_, err := c.UpdateModel(ctx, &apigateway.UpdateModelInput{RestApiId: &apiID, ModelName: aws.String("Empty"), PatchOperations: []types.PatchOperation{pop(types.OpReplace, "/name", "x")}})
			return err
		}, "BadRequestException", "Invalid patch path  '/name' specified for op 'replace'. Must be one of: [/description, /schema]"},
		{"invalid patch op", func() error {
			_, err := c.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: &apiID, PatchOperations: []types.PatchOperation{pop("jump", "/name", "x")}})
			return err
		}, "ValidationException", "1 validation error detected: Value 'jump' at 'updateRestApiInput.patchOperations.1.member.op' failed to satisfy constraint: Member must satisfy enum value set: [add, remove, move, test, replace, copy]"},
		{"empty description", func() error {
			_, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("x"), Description: aws.String("")})
			return err
		}, "BadRequestException", "Description cannot be an empty string"},
		{"compression size", func() error {
			_, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("x"), MinimumCompressionSize: aws.Int32(-1)})
			return err
		}, "BadRequestException", "Invalid minimum compression size, must be between 0 and 10485760"},
		{"deploy without methods", func() error {
			empty := must(c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("empty")})).ok(t)
			_, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: empty.Id})
			return err
		}, "BadRequestException", "The REST API doesn't contain any methods"},
		{"duplicate model", func() error {
			_, err := c.CreateModel(ctx, &apigateway.CreateModelInput{RestApiId: &apiID, Name: aws.String("Empty"), ContentType: aws.String("application/json")})
			return err
		}, "ConflictException", "Model name already exists for this REST API"},
		{"schema not json", func() error {
			_, err := c.CreateModel(ctx, &apigateway.CreateModelInput{RestApiId: &apiID, Name: aws.String("Pet"), ContentType: aws.String("application/json"), Schema: aws.String("{")})
			return err
		}, "BadRequestException", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { wantAPIError(t, tc.call(), tc.code, tc.msg) })
	}
}

func TestModelInUse(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	apiID, petsID := buildAPI(t, e)
	must(e.client.CreateModel(ctx, &apigateway.CreateModelInput{RestApiId: &apiID, Name: aws.String("Pet"), ContentType: aws.String("application/json"), Schema: aws.String(`{"type":"object"}`)})).ok(t)
	must(e.client.UpdateMethod(ctx, &apigateway.UpdateMethodInput{RestApiId: &apiID, ResourceId: &petsID, HttpMethod: aws.String("GET"),
		PatchOperations: []types.PatchOperation{pop(types.OpAdd, "/requestModels/application~1json", "Pet")}})).ok(t)
	_, err := e.client.DeleteModel(ctx, &apigateway.DeleteModelInput{RestApiId: &apiID, ModelName: aws.String("Pet")})
	wantAPIError(t, err, "ConflictException", "Cannot delete model 'Pet', is referenced in method request: /pets/GET")
}

func TestResourceMoves(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	apiID, petsID := buildAPI(t, e)
	api := must(c.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: &apiID})).ok(t)
	child := must(c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: &apiID, ParentId: &petsID, PathPart: aws.String("{id}")})).ok(t)
	_, err := c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: &apiID, ParentId: &petsID, PathPart: aws.String("{proxy+}")})
	wantAPIError(t, err, "BadRequestException", "A sibling ({id}) of this resource already has a variable path part -- only one is allowed")
	other := must(c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: &apiID, ParentId: api.RootResourceId, PathPart: aws.String("{proxy+}")})).ok(t)
	_, err = c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: &apiID, ParentId: other.Id, PathPart: aws.String("x")})
	wantAPIError(t, err, "BadRequestException", "Cannot create a child of a resource with a greedy path variable: {proxy+}")

	moved := must(c.UpdateResource(ctx, &apigateway.UpdateResourceInput{RestApiId: &apiID, ResourceId: &petsID, PatchOperations: []types.PatchOperation{pop(types.OpReplace, "/pathPart", "animals")}})).ok(t)
	if *moved.Path != "/animals" {
		t.Fatalf("renamed %+v", moved)
	}
	got := must(c.GetResource(ctx, &apigateway.GetResourceInput{RestApiId: &apiID, ResourceId: child.Id})).ok(t)
	if *got.Path != "/animals/{id}" {
		t.Fatalf("child path after rename %q", *got.Path)
	}
	_, err = c.UpdateResource(ctx, &apigateway.UpdateResourceInput{RestApiId: &apiID, ResourceId: &petsID, PatchOperations: []types.PatchOperation{pop(types.OpReplace, "/parentId", *child.Id)}})
	wantAPIError(t, err, "BadRequestException", "Resources cannot be cyclical.")
	_, err = c.UpdateResource(ctx, &apigateway.UpdateResourceInput{RestApiId: &apiID, ResourceId: api.RootResourceId, PatchOperations: []types.PatchOperation{pop(types.OpReplace, "/pathPart", "x")}})
	wantAPIError(t, err, "BadRequestException", "Root resource cannot update its pathPart.")

	must(c.DeleteResource(ctx, &apigateway.DeleteResourceInput{RestApiId: &apiID, ResourceId: &petsID})).ok(t)
	all := must(c.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: &apiID})).ok(t)
	if len(all.Items) != 2 {
		t.Fatalf("after subtree delete: %d resources", len(all.Items))
	}
}

func TestPagination(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i := 0; i < 7; i++ {
		must(e.client.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("api")})).ok(t)
	}
	seen := map[string]bool{}
	var pages []int
	p := apigateway.NewGetRestApisPaginator(e.client, &apigateway.GetRestApisInput{Limit: aws.Int32(3)})
	for p.HasMorePages() {
		page := must(p.NextPage(ctx)).ok(t)
		pages = append(pages, len(page.Items))
		for _, a := range page.Items {
			seen[*a.Id] = true
		}
	}
	if len(seen) != 7 || len(pages) != 3 || pages[0] != 3 || pages[2] != 1 {
		t.Fatalf("pages %v, %d distinct", pages, len(seen))
	}
	_, err := e.client.GetRestApis(ctx, &apigateway.GetRestApisInput{Limit: aws.Int32(501)})
	wantAPIError(t, err, "ValidationException", "")
	fresh := must(e.client.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("x")})).ok(t)
	empty := must(e.client.GetDeployments(ctx, &apigateway.GetDeploymentsInput{RestApiId: fresh.Id})).ok(t)
	if len(empty.Items) != 0 || empty.Position != nil {
		t.Fatalf("empty list %+v", empty)
	}
}

func TestAuthAndWireErrors(t *testing.T) {
	e := newEnv(t)
	before := countDocs(t, e.st, store.KindRestAPI)
	for _, tc := range []struct {
		name, method, path, body, secret string
		status                           int
		code, msg                        string
	}{
		{"unsigned", "POST", "/restapis", `{"name":"x"}`, "", 403, "MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"wrong secret", "POST", "/restapis", `{"name":"x"}`, "wrong", 403, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."},
		{"malformed json", "POST", "/restapis", `{"name":`, testSecret, 400, "SerializationException", ""},
		{"wrong type", "POST", "/restapis", `{"name":true}`, testSecret, 400, "SerializationException", ""},
		{"not an object", "POST", "/restapis", `[1]`, testSecret, 400, "SerializationException", ""},
		{"unknown route", "GET", "/nothing/here", ``, testSecret, 404, "UnknownOperationException", "Unknown operation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.raw(t, tc.method, tc.path, []byte(tc.body), tc.secret)
			if resp.StatusCode != tc.status || resp.Header.Get("x-amzn-ErrorType") != tc.code || resp.Header.Get("x-amzn-RequestId") == "" {
				t.Fatalf("status %d type %q id %q body %s", resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), resp.Header.Get("x-amzn-RequestId"), body)
			}
			var m map[string]string
			if err := json.Unmarshal(body, &m); err != nil || m["message"] == "" || (tc.msg != "" && m["message"] != tc.msg) {
				t.Fatalf("body %s", body)
			}
		})
	}
	if after := countDocs(t, e.st, store.KindRestAPI); after != before {
		t.Fatalf("refused requests changed the store: %d → %d APIs", before, after)
	}
	// Unknown JSON fields are ignored, plain JSON comes back without an Accept header.
	resp, body := e.raw(t, "POST", "/restapis", []byte(`{"name":"ok","somethingNew":1}`), testSecret)
	if resp.StatusCode != 201 || resp.Header.Get("Content-Type") != "application/json" || !strings.Contains(string(body), `"name":"ok"`) {
		t.Fatalf("create with unknown field: %d %s", resp.StatusCode, body)
	}
	big := append([]byte(`{"name":"`), bytes.Repeat([]byte("x"), maxBody)...)
	big = append(big, `"}`...)
	resp, body = e.raw(t, "POST", "/restapis", big, testSecret)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || resp.Header.Get("x-amzn-ErrorType") != "PayloadTooLargeException" {
		t.Fatalf("oversized body: %d %s", resp.StatusCode, body)
	}
	resp, body = e.raw(t, "GET", "/account", nil, testSecret)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"burstLimit":5000`) {
		t.Fatalf("account: %d %s", resp.StatusCode, body)
	}
}

func TestTags(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	apiID, petsID := buildAPI(t, e)
	must(c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: &apiID, ResourceId: &petsID, HttpMethod: aws.String("GET"), Type: types.IntegrationTypeMock})).ok(t)
	must(c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &apiID, StageName: aws.String("dev")})).ok(t)
	for _, arn := range []string{
		"arn:aws:apigateway:" + testRegion + "::/restapis/" + apiID,
		"arn:aws:apigateway:" + testRegion + "::/restapis/" + apiID + "/stages/dev",
	} {
		must(c.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"team": "pets", "env": "dev"}})).ok(t)
		must(c.UntagResource(ctx, &apigateway.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"env"}})).ok(t)
		got := must(c.GetTags(ctx, &apigateway.GetTagsInput{ResourceArn: aws.String(arn)})).ok(t)
		if len(got.Tags) != 1 || got.Tags["team"] != "pets" {
			t.Fatalf("%s tags %v", arn, got.Tags)
		}
	}
	api := must(c.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: &apiID})).ok(t)
	if api.Tags["team"] != "pets" {
		t.Fatalf("api tags %v", api.Tags)
	}
	_, err := c.GetTags(ctx, &apigateway.GetTagsInput{ResourceArn: aws.String("arn:aws:apigateway:" + testRegion + "::/restapis/" + apiID + "/stages/nope")})
	wantAPIError(t, err, "NotFoundException", "Invalid Stage identifier specified")
}

// TestConcurrentWrites checks that each request is one transaction: of many concurrent
// creations of the same resource exactly one wins, and every other gets the 409.
func TestConcurrentWrites(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	apiID, _ := buildAPI(t, e)
	api := must(e.client.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: &apiID})).ok(t)
	const n = 8
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			_, err := e.client.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: &apiID, ParentId: api.RootResourceId, PathPart: aws.String("orders")})
			errs <- err
		}()
	}
	wins := 0
	for i := 0; i < n; i++ {
		if err := <-errs; err == nil {
			wins++
		} else {
			wantAPIError(t, err, "ConflictException", "Another resource with the same parent already has this name: orders")
		}
	}
	if wins != 1 {
		t.Fatalf("%d creations succeeded, want 1", wins)
	}
}

func TestAccount(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	acct := must(e.client.GetAccount(ctx, &apigateway.GetAccountInput{})).ok(t)
	if acct.ThrottleSettings.BurstLimit != 5000 || acct.ThrottleSettings.RateLimit != 10000 || len(acct.Features) != 0 {
		t.Fatalf("account %+v", acct)
	}
	up := must(e.client.UpdateAccount(ctx, &apigateway.UpdateAccountInput{PatchOperations: []types.PatchOperation{
		pop(types.OpReplace, "/cloudwatchRoleArn", "arn:aws:iam::123456789012:role/logs"),
		pop(types.OpAdd, "/features", "UsagePlans"),
	}})).ok(t)
	if *up.CloudwatchRoleArn != "arn:aws:iam::123456789012:role/logs" || len(up.Features) != 1 {
		t.Fatalf("updated account %+v", up)
	}
	acct = must(e.client.GetAccount(ctx, &apigateway.GetAccountInput{})).ok(t)
	if acct.CloudwatchRoleArn == nil || len(acct.Features) != 1 {
		t.Fatalf("account after update %+v", acct)
	}
}
