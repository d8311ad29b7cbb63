package e2e

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
)

// TestGracefulShutdown: a request in flight when shutdown begins still gets its answer, while new
// connections are refused.
func TestGracefulShutdown(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
		w.Write([]byte("finished"))
	}))
	defer backend.Close()

	srv := startServer(t, t.TempDir())
	c := sdk(srv)
	api, err := c.ImportRestApi(context.Background(), &apigateway.ImportRestApiInput{Body: []byte(strings.ReplaceAll(backendAPI, "lifecycle", "shutdown"))})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateDeployment(context.Background(), &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("prod"),
		Variables: map[string]string{"backend": strings.TrimPrefix(backend.URL, "http://")}})
	if err != nil {
		t.Fatal(err)
	}
	apiID := aws.ToString(api.Id)
	waitFor(t, "deployment", func() bool { return invokePath(t, srv, "GET", apiID, "prod", "/hello", "").status == 200 })

	answer := make(chan response, 1)
	go func() {
		// No t.Fatal here: this goroutine is not the test's.
		resp, err := http.Get("http://" + srv.DataAddr + "/restapis/" + apiID + "/prod/_user_request_/items/slow")
		if err != nil {
			answer <- response{body: err.Error()}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			b = []byte(err.Error())
		}
		answer <- response{status: resp.StatusCode, body: string(b)}
	}()
	<-arrived
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(context.Background()) }()
	waitFor(t, "the data listener to close", func() bool {
		conn, err := net.Dial("tcp", srv.DataAddr)
		if err == nil {
			conn.Close()
		}
		return err != nil
	})
	close(release)
	if got := <-answer; got.status != 200 || got.body != "finished" {
		t.Fatalf("in-flight request: %d %q", got.status, got.body)
	}
	if err := <-shut; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

// TestServeCommandStopsOnCancel runs `portico serve --example` through the command line and stops
// it the way SIGTERM does (the context given to Run ends).
func TestServeCommandStopsOnCancel(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	env := map[string]string{"PORTICO_LISTEN": "127.0.0.1:0", "PORTICO_ADMIN_LISTEN": "127.0.0.1:0", "PORTICO_DATA_DIR": dir}
	code := make(chan int, 1)
	go func() { code <- runCLI(ctx, env, out, "serve", "--example", "--log-level", "error") }()
	waitFor(t, "the example API", func() bool { return strings.Contains(out.String(), "curl -i") })
	if !strings.Contains(out.String(), "export AWS_SECRET_ACCESS_KEY=") {
		t.Errorf("first start did not print the credentials:\n%s", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "portico.db")); err != nil {
		t.Errorf("no store in the data dir: %v", err)
	}
	cancel()
	if c := <-code; c != 0 {
		t.Fatalf("serve exited %d:\n%s", c, out.String())
	}
}
