package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/portico/portico/internal/server"
)

// TestObservability sets a stage's access log and per-method metrics with the stock AWS CLI, as
// docs/observability.md shows, then reads the log file, /metrics, `portico metrics` and
// `portico audit`.
func TestObservability(t *testing.T) {
	dir := t.TempDir()
	srv := startServer(t, dir)
	out, errOut, code := portico(t, srv, "import", "../examples/petstore.yaml", "--name", "observed", "--stage", "v1")
	if code != 0 {
		t.Fatalf("portico import: exit %d\n%s%s", code, out, errOut)
	}
	apiID := regexp.MustCompile(`API (\w{10})`).FindStringSubmatch(out)[1]

	logFile := filepath.Join(dir, "v1-access.log")
	format := `{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","resourcePath":"$context.resourcePath","status":"$context.status","responseLength":"$context.responseLength"}`
	patch, _ := json.Marshal([]map[string]string{
		{"op": "replace", "path": "/accessLogSettings/destinationArn", "value": "file://" + logFile},
		{"op": "replace", "path": "/accessLogSettings/format", "value": format},
		{"op": "replace", "path": "/~1pets/GET/metrics/enabled", "value": "true"},
	})
	patchFile := filepath.Join(dir, "patch.json")
	if err := os.WriteFile(patchFile, patch, 0o644); err != nil {
		t.Fatal(err)
	}
	if stderr, err := awsCLI(t, srv, nil, "apigateway", "update-stage", "--rest-api-id", apiID, "--stage-name", "v1",
		"--patch-operations", "file://"+patchFile); err != nil {
		t.Fatalf("update-stage: %v\n%s", err, stderr)
	}

	// The stage is live with its log once a request's line is in the file.
	probes := 0
	waitFor(t, "the access log", func() bool {
		r := invokePath(t, srv, "GET", apiID, "v1", "/health", "")
		probes++
		b, _ := os.ReadFile(logFile)
		return r.status == 200 && strings.Contains(string(b), r.header.Get("X-Amzn-Requestid"))
	})

	scrape := func() string {
		resp, err := http.Get("http://" + server.DialAddr(srv.AdminAddr) + server.MetricsPath)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	value := func(text, series string) int {
		m := regexp.MustCompile(regexp.QuoteMeta(series) + ` (\d+)`).FindStringSubmatch(text)
		if m == nil {
			return 0
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	stage := `{api_id="` + apiID + `",api_name="observed",method="",resource="",stage="v1"}`
	pets := `{api_id="` + apiID + `",api_name="observed",method="GET",resource="/pets",stage="v1"}`
	// A client can have its answer before the gateway has counted it: wait for the counts.
	settled := func(what string, cond func(text string) bool) string {
		var text string
		waitFor(t, what, func() bool { text = scrape(); return cond(text) })
		return text
	}
	before := settled("the probes' counts", func(text string) bool {
		return value(text, "portico_apigateway_count_total"+stage) >= probes
	})
	var ids []string
	for i := 0; i < 3; i++ {
		r := invokePath(t, srv, "GET", apiID, "v1", "/pets", "")
		r.want(t, 200, "")
		ids = append(ids, r.header.Get("X-Amzn-Requestid"))
	}
	for i := 0; i < 2; i++ {
		// The example API answers a path it lacks with a customised 404.
		if r := invokePath(t, srv, "GET", apiID, "v1", "/nowhere", ""); r.status != 404 {
			t.Fatalf("GET /nowhere: %d", r.status)
		}
	}
	after := settled("the counts", func(text string) bool {
		return value(text, "portico_apigateway_count_total"+pets)-value(before, "portico_apigateway_count_total"+pets) >= 3 &&
			value(text, "portico_apigateway_count_total"+stage)-value(before, "portico_apigateway_count_total"+stage) >= 2
	})
	for _, c := range []struct {
		name, series string
		delta        int
	}{
		{"pets count", "portico_apigateway_count_total" + pets, 3},
		{"pets 4xx", "portico_apigateway_4xx_errors_total" + pets, 0},
		{"stage count", "portico_apigateway_count_total" + stage, 2},
		{"stage 4xx", "portico_apigateway_4xx_errors_total" + stage, 2},
		{"stage 5xx", "portico_apigateway_5xx_errors_total" + stage, 0},
	} {
		if d := value(after, c.series) - value(before, c.series); d != c.delta {
			t.Errorf("%s went up by %d, want %d", c.name, d, c.delta)
		}
	}

	waitFor(t, "the lines of the /pets calls", func() bool {
		b, _ := os.ReadFile(logFile)
		return strings.Contains(string(b), ids[2])
	})
	b, _ := os.ReadFile(logFile)
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var v map[string]string
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("access log line %q: %v", line, err)
		}
		if v["requestId"] == ids[0] && (v["resourcePath"] != "/pets" || v["status"] != "200" || v["ip"] != "127.0.0.1" || v["httpMethod"] != "GET") {
			t.Errorf("access log line %v", v)
		}
	}

	out, errOut, code = portico(t, srv, "metrics", "observed", "--stage", "v1")
	if code != 0 || !regexp.MustCompile(`v1\s+GET /pets\s+3\s+0\s+0`).MatchString(out) {
		t.Errorf("portico metrics: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = portico(t, srv, "audit", "--data-dir", dir)
	if code != 0 || !regexp.MustCompile(`UpdateStage\s+`+testKeyID+`\s+127.0.0.1\s+200\s+/restapis/`+apiID+`/stages/v1`).MatchString(out) ||
		!strings.Contains(out, "ImportRestApi") {
		t.Errorf("portico audit: exit %d\n%s%s", code, out, errOut)
	}
}
