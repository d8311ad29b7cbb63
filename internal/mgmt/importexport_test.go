package mgmt

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
)

const petstoreOAS = `openapi: 3.0.1
info:
  title: imported
  version: "1.0"
paths:
  /pets:
    get:
      responses:
        "200":
          description: ok
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: '{"statusCode": 200}'
        responses:
          default:
            statusCode: "200"
`

func TestImportExport(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	imp, err := c.ImportRestApi(ctx, &apigateway.ImportRestApiInput{Body: []byte(petstoreOAS), Parameters: map[string]string{"endpointConfigurationTypes": "REGIONAL"}})
	if err != nil {
		t.Fatal(err)
	}
	if *imp.Name != "imported" || len(*imp.Id) != 10 || string(imp.EndpointConfiguration.Types[0]) != "REGIONAL" {
		t.Fatalf("imported %+v", imp)
	}
	res := must(c.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: imp.Id, Embed: []string{"methods"}})).ok(t)
	found := false
	for _, r := range res.Items {
		if *r.Path == "/pets" && r.ResourceMethods["GET"].MethodIntegration != nil {
			found = true
		}
	}
	if !found {
		t.Fatalf("imported resources %+v", res.Items)
	}

	must(c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: imp.Id, StageName: aws.String("v1")})).ok(t)
	out, err := c.GetExport(ctx, &apigateway.GetExportInput{RestApiId: imp.Id, StageName: aws.String("v1"), ExportType: aws.String("oas30"),
		Parameters: map[string]string{"extensions": "integrations"}})
	if err != nil {
		t.Fatal(err)
	}
	if *out.ContentType != "application/json" || !strings.Contains(*out.ContentDisposition, "attachment") ||
		!strings.Contains(string(out.Body), "/pets") || !strings.Contains(string(out.Body), "x-amazon-apigateway-integration") {
		t.Fatalf("export: %s %s\n%s", *out.ContentType, *out.ContentDisposition, out.Body)
	}
	// The Go SDK always sends Accept: application/json, so YAML is asked for directly.
	resp, body := e.raw(t, "GET", "/restapis/"+*imp.Id+"/stages/v1/exports/swagger", nil, testSecret, "Accept", "application/yaml")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/yaml" || !strings.Contains(string(body), "swagger:") {
		t.Fatalf("yaml export: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}

	// A document Portico refuses is a BadRequestException and creates nothing.
	before := len(must(c.GetRestApis(ctx, &apigateway.GetRestApisInput{})).ok(t).Items)
	_, err = c.ImportRestApi(ctx, &apigateway.ImportRestApiInput{Body: []byte("openapi: [")})
	wantAPIError(t, err, "BadRequestException", "")
	if after := len(must(c.GetRestApis(ctx, &apigateway.GetRestApisInput{})).ok(t).Items); after != before {
		t.Fatalf("refused import changed the API count %d → %d", before, after)
	}

	// PutRestApi merge adds a path and keeps the id.
	merged := strings.Replace(petstoreOAS, "paths:\n", "paths:\n  /cats:\n    get:\n      responses:\n        \"200\":\n          description: ok\n      x-amazon-apigateway-integration:\n        type: mock\n", 1)
	put, err := c.PutRestApi(ctx, &apigateway.PutRestApiInput{RestApiId: imp.Id, Body: []byte(merged)})
	if err != nil {
		t.Fatal(err)
	}
	if *put.Id != *imp.Id {
		t.Fatalf("put changed the id: %s → %s", *imp.Id, *put.Id)
	}
	res = must(c.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: imp.Id})).ok(t)
	paths := map[string]bool{}
	for _, r := range res.Items {
		paths[*r.Path] = true
	}
	if !paths["/cats"] || !paths["/pets"] {
		t.Fatalf("after merge: %v", paths)
	}
}
