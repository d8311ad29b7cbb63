package mgmt

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	"github.com/portico/portico/internal/store/bolt"
)

// flushes records the stages FlushStageCache asked to flush.
type flushes struct {
	mu     sync.Mutex
	stages []string
}

func (f *flushes) FlushStageCache(apiID, stage string) {
	f.mu.Lock()
	f.stages = append(f.stages, apiID+"/"+stage)
	f.mu.Unlock()
}

func TestFlushStageCache(t *testing.T) {
	st, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &flushes{}
	srv := httptest.NewServer(New(st, Options{Region: testRegion, AccountID: testAcct,
		Credentials: map[string]string{testKey: testSecret}, Caches: f}))
	t.Cleanup(srv.Close)
	client := apigateway.New(apigateway.Options{BaseEndpoint: aws.String(srv.URL), Region: testRegion,
		Credentials: credentials.NewStaticCredentialsProvider(testKey, testSecret, ""), RetryMaxAttempts: 1})
	ctx := context.Background()
	api, err := client.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("cached")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: api.RootResourceId,
		HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE")}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: api.Id, ResourceId: api.RootResourceId,
		HttpMethod: aws.String("GET"), Type: types.IntegrationTypeMock}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id,
		StageName: aws.String("prod"), CacheClusterEnabled: aws.Bool(true), CacheClusterSize: types.CacheClusterSize("0.5")}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.FlushStageCache(ctx, &apigateway.FlushStageCacheInput{RestApiId: api.Id, StageName: aws.String("prod")}); err != nil {
		t.Fatalf("FlushStageCache: %v", err)
	}
	if want := *api.Id + "/prod"; len(f.stages) != 1 || f.stages[0] != want {
		t.Fatalf("flushed %v, want [%s]", f.stages, want)
	}
	for _, c := range []struct{ api, stage, msg string }{
		{*api.Id, "nostage", "Invalid Stage identifier specified"},
		{"missing000", "prod", "Invalid API identifier specified " + testAcct + ":missing000"},
	} {
		_, err := client.FlushStageCache(ctx, &apigateway.FlushStageCacheInput{RestApiId: aws.String(c.api), StageName: aws.String(c.stage)})
		var nf *types.NotFoundException
		if !errors.As(err, &nf) || aws.ToString(nf.Message) != c.msg {
			t.Errorf("flush %s/%s: %v, want NotFoundException %q", c.api, c.stage, err, c.msg)
		}
	}
	if len(f.stages) != 1 {
		t.Fatalf("a failed flush reached the caches: %v", f.stages)
	}
}
