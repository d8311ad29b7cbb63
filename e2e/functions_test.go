package e2e

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildFunctionZip builds an aws-lambda-go program for Linux as bootstrap and zips it as for AWS.
func buildFunctionZip(t *testing.T, pkg string) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	z := filepath.Join(dir, "function.zip")
	if err := os.WriteFile(z, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return z
}

// An aws-lambda-go handler zipped as for AWS, created with the stock AWS CLI, wired with an
// OpenAPI import and answering through the gateway.
func TestLambdaFunctionThroughGateway(t *testing.T) {
	srv := startServer(t, t.TempDir())
	z := buildFunctionZip(t, "./testdata/proxyfn")
	var fn struct{ FunctionArn string }
	if stderr, err := awsCLI(t, srv, &fn, "lambda", "create-function", "--function-name", "pets",
		"--runtime", "provided.al2023", "--handler", "bootstrap", "--role", "arn:aws:iam::000000000000:role/lambda",
		"--zip-file", "fileb://"+z); err != nil {
		t.Fatalf("create-function: %v\n%s", err, stderr)
	}
	spec := `{"openapi":"3.0.1","info":{"title":"pets","version":"1"},"paths":{"/pets/{id}":{"get":{
	  "parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"}}],
	  "x-amazon-apigateway-integration":{"type":"aws_proxy","httpMethod":"POST",
	    "uri":"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/` + fn.FunctionArn + `/invocations"}}}}}`
	specFile := filepath.Join(t.TempDir(), "api.json")
	os.WriteFile(specFile, []byte(spec), 0o600)
	var api struct{ ID string }
	if stderr, err := awsCLI(t, srv, &api, "apigateway", "import-rest-api", "--body", "fileb://"+specFile); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	if stderr, err := awsCLI(t, srv, nil, "apigateway", "create-deployment", "--rest-api-id", api.ID, "--stage-name", "test"); err != nil {
		t.Fatalf("deploy: %v\n%s", err, stderr)
	}
	var r response
	waitFor(t, "the deployed stage", func() bool {
		r = invokePath(t, srv, "GET", api.ID, "test", "/pets/7?x=1", "")
		return r.status != 403 && r.status != 404
	})
	if r.status != 201 || r.header.Get("X-Fn") != "proxyfn" {
		t.Fatalf("%d %v %s", r.status, r.header, r.body)
	}
	var got map[string]any
	json.Unmarshal([]byte(r.body), &got)
	if got["resource"] != "/pets/{id}" || got["path"] != "/pets/7" || got["method"] != "GET" || got["stage"] != "test" ||
		got["pathParams"].(map[string]any)["id"] != "7" || got["query"].(map[string]any)["x"] != "1" {
		t.Fatalf("event seen by the function: %s", r.body)
	}

	// The function's log is readable with the portico command.
	stdout, stderr, code := portico(t, srv, "functions", "logs", "pets")
	if code != 0 || !strings.Contains(stdout, "REPORT RequestId:") {
		t.Fatalf("functions logs: %d %s %s", code, stdout, stderr)
	}

	// The same program as a local command, without a zip.
	bin := filepath.Join(filepath.Dir(z), "bootstrap")
	stdout, stderr, code = portico(t, srv, "functions", "create", "local", "--command", bin, "--env", "GREETING=hi", "--timeout", "10")
	if code != 0 || strings.TrimSpace(stdout) != "arn:aws:lambda:us-east-1:000000000000:function:local" {
		t.Fatalf("functions create: %d %s %s", code, stdout, stderr)
	}
	stdout, stderr, code = portico(t, srv, "functions", "invoke", "local", "--payload", `{"path":"/x","httpMethod":"PUT"}`)
	if code != 0 || !strings.Contains(stdout, `"statusCode":201`) || !strings.Contains(stdout, `\"method\":\"PUT\"`) {
		t.Fatalf("functions invoke: %d %s %s", code, stdout, stderr)
	}
	stdout, stderr, code = portico(t, srv, "functions", "list")
	if code != 0 || !strings.Contains(stdout, "local ") || !strings.Contains(stdout, "pets ") || !strings.Contains(stdout, bin) {
		t.Fatalf("functions list: %d %s %s", code, stdout, stderr)
	}
	if _, stderr, code = portico(t, srv, "functions", "invoke", "nope"); code != 1 || !strings.Contains(stderr, "ResourceNotFoundException") {
		t.Fatalf("invoke of a missing function: %d %s", code, stderr)
	}

	// logs --follow streams what later invocations print, until interrupted.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var follow syncBuffer
	done := make(chan int)
	env := map[string]string{"PORTICO_ENDPOINT": "http://" + srv.AdminAddr,
		"PORTICO_ADMIN_ACCESS_KEY_ID": testKeyID, "PORTICO_ADMIN_SECRET_ACCESS_KEY": testSecret}
	go func() { done <- runCLI(ctx, env, &follow, "functions", "logs", "local", "--follow") }()
	waitFor(t, "the followed log's first lines", func() bool { return strings.Contains(follow.String(), "REPORT") })
	if stderr, err := awsCLI(t, srv, nil, "lambda", "invoke", "--function-name", "local", filepath.Join(t.TempDir(), "o")); err != nil {
		t.Fatalf("invoke: %v %s", err, stderr)
	}
	waitFor(t, "the new invocation in the followed log", func() bool { return strings.Count(follow.String(), "REPORT") >= 2 })
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("logs --follow ended with %d: %s", code, follow.String())
	}
}
