package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/observe/otlptest"
	"github.com/portico/portico/internal/server"
)

// headerBackend is an HTTP backend that keeps the headers of the requests it got, by path.
type headerBackend struct {
	*httptest.Server
	mu   sync.Mutex
	seen map[string]http.Header
}

func newHeaderBackend(t *testing.T) *headerBackend {
	b := &headerBackend{seen: map[string]http.Header{}}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		b.seen[r.URL.Path] = r.Header.Clone()
		b.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(b.Close)
	return b
}

func (b *headerBackend) header(path, name string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.seen[path].Get(name)
}

// tracedAPI creates the tracefn function with the AWS CLI and imports an API whose /fn runs it
// (AWS_PROXY) and whose /b/{p} goes to backend (HTTP_PROXY), deployed as stage "prod" with
// tracingEnabled patched on, as docs/observability.md shows, and as stage "quiet" without.
func tracedAPI(t *testing.T, srv *server.Server, backend string) string {
	t.Helper()
	z := buildFunctionZip(t, "./testdata/tracefn")
	if stderr, err := awsCLI(t, srv, nil, "lambda", "create-function", "--function-name", "traced",
		"--runtime", "provided.al2023", "--handler", "bootstrap", "--role", "arn:aws:iam::000000000000:role/lambda",
		"--zip-file", "fileb://"+z); err != nil {
		t.Fatalf("create-function: %v\n%s", err, stderr)
	}
	uri := "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:traced/invocations"
	spec := `{"openapi":"3.0.1","info":{"title":"shop","version":"1"},"paths":{
	  "/fn":{"get":{"x-amazon-apigateway-integration":{"type":"aws_proxy","httpMethod":"POST","uri":"` + uri + `"}}},
	  "/b/{p}":{"get":{"parameters":[{"name":"p","in":"path","required":true,"schema":{"type":"string"}}],
	    "x-amazon-apigateway-integration":{"type":"http_proxy","httpMethod":"GET","uri":"` + backend + `/seen/{p}",
	      "requestParameters":{"integration.request.path.p":"method.request.path.p"}}}}}}`
	specFile := filepath.Join(t.TempDir(), "api.json")
	os.WriteFile(specFile, []byte(spec), 0o600)
	var api struct{ ID string }
	if stderr, err := awsCLI(t, srv, &api, "apigateway", "import-rest-api", "--body", "fileb://"+specFile); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	for _, stage := range []string{"prod", "quiet"} {
		if stderr, err := awsCLI(t, srv, nil, "apigateway", "create-deployment", "--rest-api-id", api.ID, "--stage-name", stage); err != nil {
			t.Fatalf("deploy: %v\n%s", err, stderr)
		}
	}
	if stderr, err := awsCLI(t, srv, nil, "apigateway", "update-stage", "--rest-api-id", api.ID, "--stage-name", "prod",
		"--patch-operations", "op=replace,path=/tracingEnabled,value=true"); err != nil {
		t.Fatalf("update-stage: %v\n%s", err, stderr)
	}
	return api.ID
}

// spansOf waits until rcv has n spans of the trace and returns them by name.
func spansOf(t *testing.T, rcv *otlptest.Receiver, traceID string, n int) map[string]otlptest.Span {
	t.Helper()
	m := map[string]otlptest.Span{}
	waitFor(t, "the spans of trace "+traceID, func() bool {
		clear(m)
		for _, s := range rcv.Spans() {
			if s.TraceID == traceID {
				m[s.Name] = s
			}
		}
		return len(m) >= n
	})
	if len(m) != n {
		t.Fatalf("trace %s: %d spans, want %d: %+v", traceID, len(m), n, m)
	}
	return m
}

// A traced stage exports the spans of a request that carries traceparent, one that carries
// X-Amzn-Trace-Id and one that carries neither, to an OTLP/HTTP collector, with the caller's
// span as the parent; the HTTP backend and the aws-lambda-go function see the trace with the
// integration span as their parent. An untraced stage exports nothing.
func TestTracingEndToEnd(t *testing.T) {
	rcv := otlptest.New(t)
	backend := newHeaderBackend(t)
	srv := startServer(t, t.TempDir(), func(c *server.Config) {
		c.OTLPEndpoint, c.TraceBatchInterval = rcv.URL, 5*time.Millisecond
	})
	apiID := tracedAPI(t, srv, backend.URL)
	const segment = "shop/prod"

	// traceparent, to the HTTP backend.
	const tid1, caller1 = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	waitFor(t, "the traced stage", func() bool {
		return invokeHost(t, srv, "GET", apiID, "prod", "/b/probe", "").status == 200 && len(rcv.Spans()) > 0
	})
	r := invokeHost(t, srv, "GET", apiID, "prod", "/b/one", "", "traceparent", "00-"+tid1+"-"+caller1+"-01")
	if r.status != 200 {
		t.Fatalf("/b/one: %d %s", r.status, r.body)
	}
	spans := spansOf(t, rcv, tid1, 2)
	backendHost := strings.TrimPrefix(backend.URL, "http://")
	root, in := spans[segment], spans[backendHost]
	if root.ParentSpanID != caller1 || in.ParentSpanID != root.SpanID || root.Service != "portico" {
		t.Errorf("traceparent: request %+v\nintegration %+v", root, in)
	}
	if got, want := backend.header("/seen/one", "Traceparent"), "00-"+tid1+"-"+in.SpanID+"-01"; got != want {
		t.Errorf("backend traceparent %q, want %q", got, want)
	}
	if got, want := backend.header("/seen/one", "X-Amzn-Trace-Id"), "Root=1-"+tid1[:8]+"-"+tid1[8:]+";Parent="+in.SpanID+";Sampled=1"; got != want {
		t.Errorf("backend X-Amzn-Trace-Id %q, want %q", got, want)
	}

	// X-Amzn-Trace-Id, to the function.
	r = invokeHost(t, srv, "GET", apiID, "prod", "/fn", "", "X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
	if r.status != 200 {
		t.Fatalf("/fn: %d %s", r.status, r.body)
	}
	spans = spansOf(t, rcv, "5759e988bd862e3fe1be46a994272793", 2)
	root, in = spans[segment], spans["Lambda"]
	if root.ParentSpanID != "53995c3f42cd8ad8" || in.ParentSpanID != root.SpanID {
		t.Errorf("X-Ray: request %+v\nintegration %+v", root, in)
	}
	var seen struct{ Env, Ctx string }
	json.Unmarshal([]byte(r.body), &seen)
	want := "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=" + in.SpanID + ";Sampled=1"
	if seen.Env != want || seen.Ctx != want {
		t.Errorf("the function saw _X_AMZN_TRACE_ID %q and context %q, want %q", seen.Env, seen.Ctx, want)
	}
	if got := r.header.Get("X-Amzn-Trace-Id"); got != "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1" {
		t.Errorf("answer's X-Amzn-Trace-Id %q", got)
	}

	// Neither: a new trace, which the function sees.
	r = invokeHost(t, srv, "GET", apiID, "prod", "/fn", "")
	json.Unmarshal([]byte(r.body), &seen)
	m := regexp.MustCompile(`^Root=1-([0-9a-f]{8})-([0-9a-f]{24});Parent=([0-9a-f]{16});Sampled=1$`).FindStringSubmatch(seen.Env)
	if r.status != 200 || m == nil {
		t.Fatalf("/fn without a trace: %d, the function saw %q", r.status, seen.Env)
	}
	spans = spansOf(t, rcv, m[1]+m[2], 2)
	if root, in := spans[segment], spans["Lambda"]; root.ParentSpanID != "" || in.ParentSpanID != root.SpanID || in.SpanID != m[3] {
		t.Errorf("new trace: request %+v\nintegration %+v", root, in)
	}

	// The untraced stage: nothing exported, the caller's header passed on untouched.
	const tidQuiet = "0af7651916cd43dd8448eb211c80319c"
	r = invokeHost(t, srv, "GET", apiID, "quiet", "/b/two", "", "traceparent", "00-"+tidQuiet+"-b7ad6b7169203331-01")
	if r.status != 200 || backend.header("/seen/two", "Traceparent") != "00-"+tidQuiet+"-b7ad6b7169203331-01" {
		t.Errorf("quiet stage: %d, backend traceparent %q", r.status, backend.header("/seen/two", "Traceparent"))
	}
	// A traced request after it: once its spans are in, the quiet one's would have been too.
	const tidLast = "1af7651916cd43dd8448eb211c80319c"
	invokeHost(t, srv, "GET", apiID, "prod", "/b/three", "", "traceparent", "00-"+tidLast+"-b7ad6b7169203331-01")
	spansOf(t, rcv, tidLast, 2)
	for _, s := range rcv.Spans() {
		if s.TraceID == tidQuiet {
			t.Errorf("the untraced stage exported %+v", s)
		}
	}
	if p := rcv.Problems(); len(p) > 0 {
		t.Errorf("malformed exports: %v", p)
	}
}

// A collector that never answers does not slow traced requests, and does not hold up shutdown
// past the export timeout.
func TestTracingStuckCollector(t *testing.T) {
	rcv := otlptest.NewStuck(t)
	backend := newHeaderBackend(t)
	srv := startServer(t, t.TempDir(), func(c *server.Config) {
		c.OTLPEndpoint, c.TraceBatchInterval, c.TraceExportTimeout = rcv.URL, time.Millisecond, 200*time.Millisecond
	})
	apiID := tracedAPI(t, srv, backend.URL)
	waitFor(t, "the traced stage", func() bool {
		r := invokeHost(t, srv, "GET", apiID, "prod", "/b/x", "")
		return r.status == 200 && backend.header("/seen/x", "Traceparent") != ""
	})
	waitFor(t, "an export to be stuck", func() bool { return rcv.Requests() > 0 })
	var slowest time.Duration
	for i := 0; i < 200; i++ {
		begin := time.Now()
		if r := invokeHost(t, srv, "GET", apiID, "prod", "/b/x", ""); r.status != 200 {
			t.Fatalf("status %d", r.status)
		}
		slowest = max(slowest, time.Since(begin))
	}
	if slowest > time.Second {
		t.Errorf("the slowest of 200 traced requests took %v with a stuck collector", slowest)
	}
	begin := time.Now()
	stopServer(t, srv)
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("shutdown took %v with a stuck collector", d)
	}
}

// Function metrics on /metrics are exact after a known mix: successful invocations, function
// errors and throttles, made with the stock AWS CLI.
func TestFunctionMetrics(t *testing.T) {
	srv := startServer(t, t.TempDir())
	z := buildFunctionZip(t, "./testdata/tracefn")
	if stderr, err := awsCLI(t, srv, nil, "lambda", "create-function", "--function-name", "counted",
		"--runtime", "provided.al2023", "--handler", "bootstrap", "--role", "arn:aws:iam::000000000000:role/lambda",
		"--zip-file", "fileb://"+z); err != nil {
		t.Fatalf("create-function: %v\n%s", err, stderr)
	}
	out := filepath.Join(t.TempDir(), "out.json")
	invoke := func(payload string) error {
		_, err := awsCLI(t, srv, nil, "lambda", "invoke", "--function-name", "counted", "--payload", payload, out)
		return err
	}
	for _, p := range []string{`{}`, `{"fail":"boom"}`, `{}`, `{"fail":"again"}`, `{}`} {
		if err := invoke(p); err != nil {
			t.Fatalf("invoke %s: %v", p, err)
		}
	}
	if stderr, err := awsCLI(t, srv, nil, "lambda", "put-function-concurrency", "--function-name", "counted",
		"--reserved-concurrent-executions", "0"); err != nil {
		t.Fatalf("put-function-concurrency: %v\n%s", err, stderr)
	}
	// Each throttled call is tried once: the CLI would otherwise retry it, and Lambda counts
	// every attempt.
	for i := 0; i < 3; i++ {
		cmd := exec.Command(needTool(t, "aws"), "--endpoint-url", "http://"+srv.AdminAddr, "lambda", "invoke",
			"--function-name", "counted", "--payload", "{}", out)
		cmd.Env = append(toolEnv(srv), "AWS_MAX_ATTEMPTS=1", "AWS_RETRY_MODE=standard")
		if b, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(b), "TooManyRequestsException") {
			t.Fatalf("an invocation past reserved concurrency 0: %v\n%s", err, b)
		}
	}
	resp, err := http.Get("http://" + server.DialAddr(srv.AdminAddr) + server.MetricsPath)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(b)
	for series, want := range map[string]int{
		"portico_lambda_invocations_total":      5,
		"portico_lambda_errors_total":           2,
		"portico_lambda_throttles_total":        3,
		"portico_lambda_cold_starts_total":      1,
		"portico_lambda_concurrent_executions":  0,
		"portico_lambda_duration_seconds_count": 5,
	} {
		m := regexp.MustCompile(series + `\{function_name="counted"\} (\S+)`).FindStringSubmatch(text)
		if m == nil {
			t.Errorf("%s is not exported", series)
			continue
		}
		if got, _ := strconv.ParseFloat(m[1], 64); got != float64(want) {
			t.Errorf("%s = %v, want %d", series, got, want)
		}
	}
}
