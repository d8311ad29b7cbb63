package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// TestObservability runs a server whose default access log is a file, deploys a MOCK API with a
// JSON access log format, invokes it, and reads the line, /metrics, /healthz and /readyz.
func TestObservability(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "access.log")
	cfg := testConfig(dir)
	cfg.AccessKeyID, cfg.SecretAccessKey = "AKIDOBSERVETEST00001", "observesecret"
	cfg.AccessLog = "file://" + logPath
	srv, err := Start(cfg, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	ctx := context.Background()
	c := apigateway.New(apigateway.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://" + srv.AdminAddr),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: cfg.AccessKeyID, SecretAccessKey: cfg.SecretAccessKey}, nil
		})})
	api, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("observed")})
	if err != nil {
		t.Fatal(err)
	}
	id, root := api.Id, api.RootResourceId
	steps := []error{}
	_, err = c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: id, ResourceId: root, HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE")})
	steps = append(steps, err)
	_, err = c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: id, ResourceId: root, HttpMethod: aws.String("GET"),
		Type: types.IntegrationTypeMock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}})
	steps = append(steps, err)
	_, err = c.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: id, ResourceId: root, HttpMethod: aws.String("GET"), StatusCode: aws.String("200")})
	steps = append(steps, err)
	_, err = c.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: id, ResourceId: root, HttpMethod: aws.String("GET"),
		StatusCode: aws.String("200"), ResponseTemplates: map[string]string{"application/json": `{"hello":"world"}`}})
	steps = append(steps, err)
	_, err = c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: id, StageName: aws.String("prod")})
	steps = append(steps, err)
	_, err = c.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: id, StageName: aws.String("prod"), PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/accessLogSettings/destinationArn"), Value: aws.String("arn:aws:logs:us-east-1:000000000000:log-group:observed")},
		{Op: types.OpReplace, Path: aws.String("/accessLogSettings/format"), Value: aws.String(`{"requestId":"$context.requestId","status":"$context.status","resourcePath":"$context.resourcePath","ip":"$context.identity.sourceIp"}`)},
	}})
	steps = append(steps, err)
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}

	invoke := "http://" + DialAddr(srv.DataAddr) + "/restapis/" + *id + "/prod/_user_request_/"
	var reqID string
	waitUntil(t, func() bool {
		resp, err := http.Get(invoke)
		if err != nil {
			return false
		}
		resp.Body.Close()
		reqID = resp.Header.Get("X-Amzn-Requestid")
		if resp.StatusCode != 200 {
			return false
		}
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), reqID)
	})
	b, _ := os.ReadFile(logPath)
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var v map[string]string
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("access log line %q: %v", line, err)
		}
		if v["requestId"] == reqID && (v["status"] != "200" || v["resourcePath"] != "/" || v["ip"] != "127.0.0.1") {
			t.Errorf("access log line %v", v)
		}
	}

	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + DialAddr(srv.AdminAddr) + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	code, metrics := get(MetricsPath)
	if code != 200 || !strings.Contains(metrics, `portico_apigateway_count_total{api_id="`+*id+`",api_name="observed",method="",resource="",stage="prod"}`) ||
		!strings.Contains(metrics, "portico_access_log_dropped_total 0") || !strings.Contains(metrics, "go_goroutines") {
		t.Errorf("/metrics: %d\n%s", code, metrics)
	}
	for _, p := range []string{LivePath, ReadyPath} {
		if code, body := get(p); code != 200 || !strings.Contains(body, `"status"`) {
			t.Errorf("%s: %d %s", p, code, body)
		}
	}
}

func TestAccessLogSetting(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.AccessLog = "syslog"
	if _, err := Start(cfg, slog.New(slog.DiscardHandler), nil); err == nil || !strings.Contains(err.Error(), "access log destination") {
		t.Fatalf("Start with access log %q: %v", cfg.AccessLog, err)
	}
}

// waitUntil checks cond every few milliseconds until it holds, failing after 10 seconds.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 10s")
		}
		<-tick.C
	}
}
