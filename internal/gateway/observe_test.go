package gateway

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/observe"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/bolt"
)

// observedDoc has a MOCK answering 200, one answering 500 (no statusCode), and an HTTP_PROXY
// to backend.
func observedDoc(backend string) *model.APIDoc {
	ok := map[string]*model.IntegrationResponse{"200": ir("200", "", `{"ok":true}`, nil)}
	return newDoc(
		&model.Resource{Id: "pets01", Path: "/pets/{petId}", ResourceMethods: map[string]*model.Method{
			"GET": mockMethod("GET", `{"statusCode": 200}`, ok, "200")}},
		&model.Resource{Id: "fail01", Path: "/fail", ResourceMethods: map[string]*model.Method{
			"GET": mockMethod("GET", `{}`, ok, "200")}},
		&model.Resource{Id: "prox01", Path: "/proxy", ResourceMethods: map[string]*model.Method{
			"GET": proxyMethod("GET", "GET", "http://"+backend+"/x", nil, 0)}},
	)
}

// setStage rewrites the stage with settings and waits until the gateway serves that very
// record: a stage variable carries a version the served API must show (a pointer change alone
// could be a late reload of the previous record).
func (e *env) setStage(api, stage string, edit func(*model.Stage)) {
	e.t.Helper()
	version := fmt.Sprint(time.Now().UnixNano())
	var rec model.StageRecord
	err := e.st.Update(func(tx store.Tx) error {
		if err := tx.Get(store.KindStage, store.Key(api, stage), &rec); err != nil {
			return err
		}
		edit(&rec.Stage)
		if rec.Stage.Variables == nil {
			rec.Stage.Variables = map[string]string{}
		}
		rec.Stage.Variables["settingsVersion"] = version
		return tx.Put(store.KindStage, store.Key(api, stage), rec)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.waitFor(func() bool {
		a := e.gw.table.Lookup(api, stage)
		return a != nil && a.StageVariables["settingsVersion"] == version
	})
}

// TestAccessLogAWSFormats sends one request per AWS example format through a real gateway and
// checks the line written, field by field, against testdata/accesslog.golden.
func TestAccessLogAWSFormats(t *testing.T) {
	out := &syncBuffer{}
	sinks := observe.NewSinks(observe.SinkOptions{Default: out})
	t.Cleanup(func() { sinks.Close() })
	e := newEnv(t, Options{AccessLogs: sinks, Metrics: observe.NewMetrics(sinks)})
	e.deploy(observedDoc("127.0.0.1:1"), "dep001", "prod", nil)

	formats := []struct{ name, format string }{
		{"clf", `$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime] "$context.httpMethod $context.resourcePath $context.protocol" $context.status $context.responseLength $context.requestId $context.extendedRequestId`},
		{"json", `{ "requestId":"$context.requestId", "extendedRequestId":"$context.extendedRequestId", "ip": "$context.identity.sourceIp", "caller":"$context.identity.caller", "user":"$context.identity.user", "requestTime":"$context.requestTime", "httpMethod":"$context.httpMethod", "resourcePath":"$context.resourcePath", "status":"$context.status", "protocol":"$context.protocol", "responseLength":"$context.responseLength" }`},
		{"xml", `<request id="$context.requestId"> <extendedRequestId>$context.extendedRequestId</extendedRequestId> <ip>$context.identity.sourceIp</ip> <caller>$context.identity.caller</caller> <user>$context.identity.user</user> <requestTime>$context.requestTime</requestTime> <httpMethod>$context.httpMethod</httpMethod> <resourcePath>$context.resourcePath</resourcePath> <status>$context.status</status> <protocol>$context.protocol</protocol> <responseLength>$context.responseLength</responseLength> </request>`},
		{"csv", `$context.identity.sourceIp,$context.identity.caller,$context.identity.user,$context.requestTime,$context.httpMethod,$context.resourcePath,$context.protocol,$context.status,$context.responseLength,$context.requestId,$context.extendedRequestId`},
		{"errors", `$context.requestId $context.status $context.error.responseType "$context.error.message" $context.path $context.stage $context.integrationLatency`},
	}
	formats = append(formats, struct{ name, format string }{"replaced-id", `$context.requestId $context.status`})
	paths := map[string]string{"errors": "/nowhere"}
	var got strings.Builder
	for i, f := range formats {
		e.setStage(apiID, "prod", func(s *model.Stage) {
			s.AccessLogSettings = &model.AccessLogSettings{Format: f.format}
		})
		id := fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		sent := id
		if f.name == "replaced-id" {
			sent = "not-a-uuid"
		}
		path := paths[f.name]
		if path == "" {
			path = "/pets/7"
		}
		r := e.do("GET", e.pathURL(apiID, "prod", path), "", nil, map[string]string{"X-Amzn-RequestId": sent})
		if sent != id {
			id = r.header.Get("X-Amzn-Requestid")
		}
		var line string
		e.waitFor(func() bool {
			for _, l := range strings.Split(out.String(), "\n") {
				if strings.Contains(l, id) {
					line = l
					return true
				}
			}
			return false
		})
		// What changes from run to run: the time and the extended request id.
		line = strings.ReplaceAll(line, r.header.Get("X-Amz-Apigw-Id"), "EXTENDED-ID")
		if sent != id {
			line = strings.ReplaceAll(line, id, "GENERATED-ID")
		}
		line = regexp.MustCompile(`\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000`).ReplaceAllString(line, "TIME")
		got.WriteString(f.name + "\n" + line + "\n")
	}
	p := filepath.Join("testdata", "accesslog.golden")
	if *rewrite {
		if err := os.WriteFile(p, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -rewrite)", err)
	}
	if got.String() != string(want) {
		t.Errorf("access log lines differ:\ngot:\n%s\nwant:\n%s", got.String(), want)
	}
}

// TestMetricsCounts scrapes /metrics over a real listener after a known mix of requests.
func TestMetricsCounts(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}))
	defer backend.Close()
	m := observe.NewMetrics(nil)
	e := newEnv(t, Options{Metrics: m})
	e.deploy(observedDoc(strings.TrimPrefix(backend.URL, "http://")), "dep001", "prod", nil)
	e.setStage(apiID, "prod", func(s *model.Stage) {
		s.MethodSettings = map[string]*model.MethodSetting{"pets/{petId}/GET": {MetricsEnabled: true,
			ThrottlingRateLimit: 10000, ThrottlingBurstLimit: 5000}}
	})
	mix := []struct {
		path   string
		status int
		n      int
	}{
		{"/pets/1", 200, 3}, // method series
		{"/fail", 500, 2},   // stage series from here on
		{"/nowhere", 403, 4},
		{"/proxy", 418, 1},
	}
	for _, c := range mix {
		for i := 0; i < c.n; i++ {
			if r := e.do("GET", e.pathURL(apiID, "prod", c.path), "", nil, nil); r.status != c.status {
				t.Fatalf("%s: status %d, want %d", c.path, r.status, c.status)
			}
		}
	}
	e.do("GET", e.pathURL(apiID, "nostage", "/pets/1"), "", nil, nil) // counted nowhere

	scrape := httptest.NewServer(promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}))
	defer scrape.Close()
	get := func() string {
		resp, err := http.Get(scrape.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return string(body)
	}
	stage := `{api_id="a1b2c3d4e5",api_name="test",method="",resource="",stage="prod"}`
	method := `{api_id="a1b2c3d4e5",api_name="test",method="GET",resource="/pets/{petId}",stage="prod"}`
	// A client can read its answer before ServeHTTP has returned and counted it: the counts are
	// waited for, then checked.
	text := waitMetrics(e, get,
		"portico_apigateway_count_total"+method+" 3",
		"portico_apigateway_4xx_errors_total"+method+" 0",
		"portico_apigateway_5xx_errors_total"+method+" 0",
		"portico_apigateway_count_total"+stage+" 7",
		"portico_apigateway_4xx_errors_total"+stage+" 5",
		"portico_apigateway_5xx_errors_total"+stage+" 2",
		"portico_apigateway_latency_seconds_count"+method+" 3",
		"portico_apigateway_latency_seconds_count"+stage+" 7",
		"portico_apigateway_integration_latency_seconds_count"+stage+" 1",
		"portico_apigateway_integration_latency_seconds_count"+method+" 0",
		"go_goroutines ",
		"process_cpu_seconds_total ",
	)
	if strings.Contains(text, `stage="nostage"`) {
		t.Error("a request to an unknown stage was counted")
	}

	// Turning the method's metrics off retires its series; the stage's go on counting.
	e.setStage(apiID, "prod", func(s *model.Stage) { s.MethodSettings = nil })
	e.waitFor(func() bool { return !strings.Contains(get(), method) })
	e.do("GET", e.pathURL(apiID, "prod", "/pets/1"), "", nil, nil)
	waitMetrics(e, get, "portico_apigateway_count_total"+stage+" 8")
	// A deleted stage's series go.
	if err := e.st.Update(func(tx store.Tx) error { return tx.Delete(store.KindStage, store.Key(apiID, "prod")) }); err != nil {
		t.Fatal(err)
	}
	e.waitFor(func() bool { return !strings.Contains(get(), `stage="prod"`) })
}

// waitMetrics scrapes until every wanted line is there (10s at most), reports those that never
// came, and returns the last scrape.
func waitMetrics(e *env, get func() string, want ...string) string {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		text := get()
		var missing []string
		for _, w := range want {
			if !strings.Contains(text, w) {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 {
			return text
		}
		if time.Now().After(deadline) {
			e.t.Errorf("/metrics lacks %q", missing)
			return text
		}
		<-tick.C
	}
}

// blockedWriter never returns until released: a destination that is stuck. It counts the lines
// it was finally given.
type blockedWriter struct {
	release chan struct{}
	lines   atomic.Int64
}

func (w *blockedWriter) Write(p []byte) (int, error) {
	<-w.release
	w.lines.Add(int64(bytes.Count(p, []byte("\n"))))
	return len(p), nil
}

// TestStuckAccessLogNeverBlocks: with the destination stuck, requests are served as fast as
// ever and the lines that do not fit are counted as dropped.
func TestStuckAccessLogNeverBlocks(t *testing.T) {
	stuck := &blockedWriter{release: make(chan struct{})}
	sinks := observe.NewSinks(observe.SinkOptions{Default: stuck, QueueLines: 2})
	released := false
	defer func() {
		if !released {
			close(stuck.release)
		}
	}()
	m := observe.NewMetrics(sinks)
	e := newEnv(t, Options{AccessLogs: sinks, Metrics: m})
	e.deploy(observedDoc("127.0.0.1:1"), "dep001", "prod", nil)
	e.setStage(apiID, "prod", func(s *model.Stage) {
		s.AccessLogSettings = &model.AccessLogSettings{Format: "$context.requestId", DestinationArn: "arn:aws:logs:us-east-1:000000000000:log-group:x"}
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 50; i++ {
			if r := e.do("GET", e.pathURL(apiID, "prod", "/pets/1"), "", nil, nil); r.status != 200 {
				t.Errorf("status %d", r.status)
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("requests blocked behind a stuck access log")
	}
	// The stuck writer holds one batch and two lines wait in the queue: most lines were dropped,
	// and every line is either written once the destination moves again or counted as dropped.
	if d := sinks.Dropped(); d < 40 {
		t.Errorf("dropped %d lines, want most of 50", d)
	}
	close(stuck.release)
	released = true
	if err := sinks.Close(); err != nil {
		t.Fatal(err)
	}
	if w, d := stuck.lines.Load(), sinks.Dropped(); w+d != 50 {
		t.Errorf("%d lines written and %d dropped, want 50 in all", w, d)
	}
}

// benchObserved is BenchmarkMockRequest / BenchmarkHTTPProxyRequest with stage metrics on and,
// when accessLog is set, a JSON access log written to a file. (A methodSettings block for per-method series would also
// add the stage throttle's token bucket, which the plain benchmarks do not pay.)
func benchObserved(b *testing.B, doc *model.APIDoc, vars map[string]string, url string, accessLog bool) {
	st, err := bolt.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	format := `{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","resourcePath":"$context.resourcePath","status":"$context.status","responseLength":"$context.responseLength","latency":"$context.responseLatency"}`
	var als *model.AccessLogSettings
	if accessLog {
		als = &model.AccessLogSettings{Format: format, DestinationArn: "file://" + filepath.Join(b.TempDir(), "access.log")}
	}
	err = st.Update(func(tx store.Tx) error {
		tx.Put(store.KindRestAPI, apiID, doc)
		tx.Put(store.KindDeployment, store.Key(apiID, "dep001"), model.DeploymentRecord{
			Deployment: model.Deployment{Id: "dep001"}, APIID: apiID, Snapshot: doc})
		return tx.Put(store.KindStage, store.Key(apiID, "prod"), model.StageRecord{APIID: apiID,
			Stage: model.Stage{StageName: "prod", DeploymentId: "dep001", Variables: vars,
				AccessLogSettings: als}})
	})
	if err != nil {
		b.Fatal(err)
	}
	sinks := observe.NewSinks(observe.SinkOptions{})
	defer sinks.Close()
	gw, err := New(st, Options{Logger: slog.New(slog.DiscardHandler), AccessLogs: sinks, Metrics: observe.NewMetrics(sinks)})
	if err != nil {
		b.Fatal(err)
	}
	defer gw.Close()
	if _, ok := gw.table.Lookup(apiID, "prod").Observe.(*telemetry); !ok {
		b.Fatal("no telemetry attached")
	}
	// As in the plain benchmarks: the MOCK one reuses its request, the HTTP_PROXY one does not.
	reuse := httptest.NewRequest("GET", url, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := reuse
		if doc.Resources["proxy"] != nil || vars != nil {
			req = httptest.NewRequest("GET", url, nil)
			req.Header.Set("User-Agent", "bench")
		}
		w := httptest.NewRecorder()
		gw.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(sinks.Dropped()), "dropped")
}

func BenchmarkMockRequestObserved(b *testing.B) {
	benchObserved(b, mockDoc(), nil, "http://"+apiID+".execute-api.localhost/prod/pets/42", true)
}

func BenchmarkMockRequestMetricsOnly(b *testing.B) {
	benchObserved(b, mockDoc(), nil, "http://"+apiID+".execute-api.localhost/prod/pets/42", false)
}

func BenchmarkHTTPProxyRequestObserved(b *testing.B) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	}))
	defer backend.Close()
	bhost := strings.TrimPrefix(backend.URL, "http://")
	benchObserved(b, proxyDoc(bhost, bhost), map[string]string{"backend": bhost},
		"http://"+apiID+".execute-api.localhost/prod/proxy/a/b?x=1", true)
}
