package e2e

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestExecutionLogs turns a stage's execution log on with the stock AWS CLI, follows it with
// `portico logs --follow` while requests are served, reads one request back with --request-id,
// and runs TestInvokeMethod through the AWS CLI and `portico test` (checked against
// testdata/portico_test.golden).
func TestExecutionLogs(t *testing.T) {
	srv := startServer(t, t.TempDir())
	out, errOut, code := portico(t, srv, "import", "../examples/petstore.yaml", "--name", "logged", "--stage", "v1")
	if code != 0 {
		t.Fatalf("portico import: exit %d\n%s%s", code, out, errOut)
	}
	apiID := regexp.MustCompile(`API (\w{10})`).FindStringSubmatch(out)[1]
	if stderr, err := awsCLI(t, srv, nil, "apigateway", "update-stage", "--rest-api-id", apiID, "--stage-name", "v1",
		"--patch-operations", "op=replace,path=/*/*/logging/loglevel,value=INFO",
		"op=replace,path=/*/*/logging/dataTrace,value=true"); err != nil {
		t.Fatalf("update-stage: %v\n%s", err, stderr)
	}

	env := map[string]string{
		"PORTICO_ENDPOINT":                "http://" + srv.AdminAddr,
		"PORTICO_ADMIN_ACCESS_KEY_ID":     testKeyID,
		"PORTICO_ADMIN_SECRET_ACCESS_KEY": testSecret,
	}
	ctx, cancel := context.WithCancel(context.Background())
	followed := &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- runCLI(ctx, env, followed, "logs", apiID, "--stage", "v1", "--follow") }()
	// The follower sees a request once the stage logs and the stream is open. A request's lines
	// are written after its answer, so any request sent so far may be the one that shows; a new
	// one goes out while none has, until the stage's logging and the stream are both on.
	var requestID string
	var sent []string
	var lastSent time.Time
	waitFor(t, "portico logs --follow to show a request", func() bool {
		out := followed.String()
		for _, id := range sent {
			if strings.Contains(out, "("+id+") Method completed with status: 200") {
				requestID = id
				return true
			}
		}
		if time.Since(lastSent) > 100*time.Millisecond {
			r := invokePath(t, srv, "GET", apiID, "v1", "/pets/1", "")
			sent, lastSent = append(sent, r.header.Get("X-Amzn-Requestid")), time.Now()
		}
		return false
	})
	cancel()
	if c := <-done; c != 0 {
		t.Errorf("portico logs --follow: exit %d\n%s", c, followed.String())
	}

	out, errOut, code = portico(t, srv, "logs", apiID, "--stage", "v1", "--request-id", requestID)
	if code != 0 {
		t.Fatalf("portico logs: exit %d\n%s", code, errOut)
	}
	for _, want := range []string{
		"(" + requestID + ") Starting execution for request: " + requestID,
		"(" + requestID + ") HTTP Method: GET, Resource Path: /pets/1",
		"(" + requestID + `) Method response body after transformations: {"id": "1", "type": "dog", "price": 124.99}`,
		"(" + requestID + ") Method completed with status: 200",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("portico logs --request-id lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n"); n != strings.Count(out, "("+requestID+")") {
		t.Errorf("portico logs --request-id printed other requests' lines:\n%s", out)
	}
	if _, errOut, code := portico(t, srv, "logs", apiID, "--stage", "nope"); code != 1 ||
		!strings.Contains(errOut, "NotFoundException: Invalid Stage identifier specified") {
		t.Errorf("portico logs of a stage that does not exist: exit %d %s", code, errOut)
	}

	// TestInvokeMethod with the stock AWS CLI, on the current definition.
	var resources struct {
		Items []struct{ Id, Path string } `json:"items"`
	}
	if stderr, err := awsCLI(t, srv, &resources, "apigateway", "get-resources", "--rest-api-id", apiID); err != nil {
		t.Fatalf("get-resources: %v\n%s", err, stderr)
	}
	var petID string
	for _, r := range resources.Items {
		if r.Path == "/pets/{petId}" {
			petID = r.Id
		}
	}
	var got struct {
		Status  int               `json:"status"`
		Body    string            `json:"body"`
		Headers map[string]string `json:"headers"`
		Log     string            `json:"log"`
		Latency *int64            `json:"latency"`
	}
	if stderr, err := awsCLI(t, srv, &got, "apigateway", "test-invoke-method", "--rest-api-id", apiID,
		"--resource-id", petID, "--http-method", "GET", "--path-with-query-string", "/pets/2?debug=1",
		"--headers", "Accept=application/json"); err != nil {
		t.Fatalf("test-invoke-method: %v\n%s", err, stderr)
	}
	if got.Status != 200 || got.Body != `{"id": "2", "type": "cat", "price": 124.99}` || got.Latency == nil ||
		got.Headers["Content-Type"] != "application/json" {
		t.Errorf("test-invoke-method answered %+v", got)
	}
	for _, want := range []string{"Execution log for request ", " : Method request path: {petId=2}",
		" : Method request query string: {debug=1}", " : Method completed with status: 200"} {
		if !strings.Contains(got.Log, want) {
			t.Errorf("test-invoke-method log lacks %q:\n%s", want, got.Log)
		}
	}

	out, errOut, code = portico(t, srv, "test", apiID, "GET", "/pets/1", "--header", "Accept: application/json",
		"--stage-variable", "color=blue")
	if code != 0 {
		t.Fatalf("portico test: exit %d\n%s", code, errOut)
	}
	for _, n := range []struct{ re, with string }{
		{`[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`, "REQUEST_ID"},
		{`(?m)^\w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4} : `, "TIME : "},
		{`Latency: \d+ ms`, "Latency: N ms"},
		{`X-Amz-Apigw-Id(: |=)[A-Za-z0-9_=-]+`, "X-Amz-Apigw-Id${1}EXTENDED_ID"},
	} {
		out = regexp.MustCompile(n.re).ReplaceAllString(out, n.with)
	}
	golden := filepath.Join("testdata", "portico_test.golden")
	if *rewrite {
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -rewrite)", err)
	}
	if out != string(want) {
		t.Errorf("portico test output differs:\n--- got\n%s--- want\n%s", out, want)
	}
}
