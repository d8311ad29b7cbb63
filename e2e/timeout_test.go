package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"

	"github.com/portico/portico/internal/server"
)

// TestRaisedIntegrationTimeoutCap: AWS's 29 s cap holds by default, in PutIntegration and in
// imports; a server started with a higher cap accepts integrations up to it.
func TestRaisedIntegrationTimeoutCap(t *testing.T) {
	ctx := context.Background()
	slowAPI := strings.Replace(backendAPI, "requestParameters: {integration.request.path.proxy: method.request.path.proxy}",
		"requestParameters: {integration.request.path.proxy: method.request.path.proxy}\n        timeoutInMillis: 120000", 1)

	for _, tc := range []struct {
		name  string
		cap   time.Duration
		allow bool
	}{{"default cap", 0, false}, {"raised cap", 5 * time.Minute, true}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t, t.TempDir(), func(c *server.Config) {
				if tc.cap > 0 {
					c.MaxIntegrationTimeout = tc.cap
				}
			})
			c := sdk(srv)
			_, err := c.ImportRestApi(ctx, &apigateway.ImportRestApiInput{Body: []byte(slowAPI)})
			if tc.allow != (err == nil) {
				t.Fatalf("import with timeoutInMillis 120000: %v", err)
			}
			api, err := c.ImportRestApi(ctx, &apigateway.ImportRestApiInput{Body: []byte(backendAPI)})
			if err != nil {
				t.Fatal(err)
			}
			res, err := c.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: api.Id})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res.Items {
				if aws.ToString(r.Path) != "/hello" {
					continue
				}
				_, err := c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: api.Id, ResourceId: r.Id, HttpMethod: aws.String("GET"),
					Type: "HTTP_PROXY", IntegrationHttpMethod: aws.String("GET"), Uri: aws.String("http://127.0.0.1:1025/slow"), TimeoutInMillis: aws.Int32(120000)})
				if tc.allow != (err == nil) {
					t.Fatalf("put-integration with timeoutInMillis 120000: %v", err)
				}
				if err != nil && !strings.Contains(err.Error(), "Timeout should be between 50 ms and 29000 ms") {
					t.Fatalf("refusal: %v", err)
				}
			}
		})
	}
}
