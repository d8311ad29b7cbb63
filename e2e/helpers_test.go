// Package e2e drives a whole Portico, started on loopback ports, with the stock AWS CLI, boto3,
// aws-sdk-go-v2 and the portico CLI for management, and net/http for invocations.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"

	"github.com/portico/portico/internal/cli"
	"github.com/portico/portico/internal/server"
)

const (
	testKeyID  = "AKIAPORTICOTEST00001"
	testSecret = "portico-test-secret-key-0000000000000000"
)

// startServer starts Portico on ephemeral loopback ports over dataDir and stops it when the test ends.
// Options in configure change the configuration before the start.
func startServer(t *testing.T, dataDir string, configure ...func(*server.Config)) *server.Server {
	t.Helper()
	cfg := server.Defaults()
	cfg.Listen, cfg.AdminListen, cfg.DataDir = "127.0.0.1:0", "127.0.0.1:0", dataDir
	cfg.AccessKeyID, cfg.SecretAccessKey = testKeyID, testSecret
	cfg.ShutdownTimeout = 5 * time.Second
	// Tests that load the server harder than AWS's account limit (10,000 rps) are not about
	// throttling; the ones that are set their own limits.
	cfg.ThrottleRate, cfg.ThrottleBurst = 1e9, 1e9
	for _, f := range configure {
		f(&cfg)
	}
	srv, err := server.Start(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
	if err != nil {
		t.Fatalf("start portico: %v", err)
	}
	t.Cleanup(func() { stopServer(t, srv) }) // Shutdown is idempotent: tests may stop it earlier
	return srv
}

func stopServer(t *testing.T, srv *server.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

func sdk(srv *server.Server) *apigateway.Client {
	return apigateway.New(apigateway.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String("http://" + srv.AdminAddr),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}, nil
		}),
		RetryMaxAttempts: 1,
	})
}

// needTool finds an external tool; a missing tool fails the test in CI and skips it elsewhere.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed; CI must install it", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return p
}

func toolEnv(srv *server.Server) []string {
	return append(os.Environ(),
		"AWS_ACCESS_KEY_ID="+testKeyID, "AWS_SECRET_ACCESS_KEY="+testSecret,
		"AWS_DEFAULT_REGION=us-east-1", "AWS_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"PORTICO_ENDPOINT=http://"+srv.AdminAddr)
}

// awsCLI runs the stock AWS CLI against the management API and decodes its JSON output into out
// (when out is not nil). It returns the CLI's stderr and exit error.
func awsCLI(t *testing.T, srv *server.Server, out any, args ...string) (string, error) {
	t.Helper()
	bin := needTool(t, "aws")
	cmd := exec.Command(bin, append([]string{"--endpoint-url", "http://" + srv.AdminAddr, "--output", "json"}, args...)...)
	cmd.Env = toolEnv(srv)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err == nil && out != nil && stdout.Len() > 0 {
		if jerr := json.Unmarshal(stdout.Bytes(), out); jerr != nil {
			t.Fatalf("aws %s: output is not JSON: %v\n%s", strings.Join(args, " "), jerr, stdout.String())
		}
	}
	return stderr.String(), err
}

// portico runs the portico command line in-process against srv.
func portico(t *testing.T, srv *server.Server, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	env := map[string]string{
		"PORTICO_ENDPOINT":                "http://" + srv.AdminAddr,
		"PORTICO_DATA_URL":                "http://" + srv.DataAddr,
		"PORTICO_ADMIN_ACCESS_KEY_ID":     testKeyID,
		"PORTICO_ADMIN_SECRET_ACCESS_KEY": testSecret,
	}
	var o, e bytes.Buffer
	code = cli.Run(context.Background(), args, func(k string) string { return env[k] }, &o, &e)
	return o.String(), e.String(), code
}

// runCLI runs the portico command line in-process with the given environment.
func runCLI(ctx context.Context, env map[string]string, out io.Writer, args ...string) int {
	return cli.Run(ctx, args, func(k string) string { return env[k] }, out, out)
}

// syncBuffer is a bytes.Buffer safe to write from one goroutine while another reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// response is an invocation's result, body read.
type response struct {
	status int
	header http.Header
	body   string
}

var invokeClient = &http.Client{Timeout: 30 * time.Second}

// invokePath calls the path-style invoke URL of apiID/stage.
func invokePath(t *testing.T, srv *server.Server, method, apiID, stage, path, body string, hdr ...string) response {
	t.Helper()
	return do(t, method, "http://"+srv.DataAddr+"/restapis/"+apiID+"/"+stage+"/_user_request_"+path, "", body, hdr...)
}

// invokeHost calls the host-style invoke URL {apiID}.execute-api.localhost, dialled on loopback.
func invokeHost(t *testing.T, srv *server.Server, method, apiID, stage, path, body string, hdr ...string) response {
	t.Helper()
	_, port, _ := net.SplitHostPort(srv.DataAddr)
	return do(t, method, "http://"+srv.DataAddr+"/"+stage+path, apiID+".execute-api.localhost:"+port, body, hdr...)
}

func do(t *testing.T, method, url, host, body string, hdr ...string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := invokeClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return response{resp.StatusCode, resp.Header, string(b)}
}

func (r response) want(t *testing.T, status int, body string) {
	t.Helper()
	if r.status != status || (body != "" && r.body != body) {
		t.Fatalf("got %d %q, want %d %q", r.status, r.body, status, body)
	}
	if r.header.Get("x-amzn-RequestId") == "" || r.header.Get("x-amz-apigw-id") == "" {
		t.Fatalf("response lacks x-amzn-RequestId / x-amz-apigw-id: %v", r.header)
	}
}

// waitFor polls cond until it holds or the deadline passes: deployments reach the data plane
// through the store's change feed, so a test waits on what it expects, never on a clock.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
