package observe

import (
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/observe/otlptest"
)

func TestTracerExportsOTLPJSON(t *testing.T) {
	rcv := otlptest.New(t)
	tr := NewTracer(TracerOptions{Endpoint: rcv.URL, ServiceName: "gw \"one\"", BatchInterval: time.Hour})
	parent, _ := ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	parent.State = "vendor=x"
	start := time.Unix(1700000000, 5)
	trace := tr.Start(start, parent, true)
	in := trace.Add("Lambda", KindClient, trace.Root, start.Add(time.Millisecond))
	in.End = start.Add(2 * time.Millisecond)
	in.SetString("faas.invoked_name", "fn")
	root := trace.AddRoot("shop/prod", start)
	root.End = start.Add(3 * time.Millisecond)
	root.SetString("weird", "a\"b\\c\x01\xff")
	root.SetInt("http.response.status_code", 502)
	root.Error, root.Message = true, "Internal server error"
	rootID, inID := trace.Root.String(), in.ID.String()
	trace.End()
	// An unsampled trace is not exported.
	off := tr.Start(start, SpanContext{TraceID: parent.TraceID, SpanID: parent.SpanID, Decided: true}, true)
	off.AddRoot("x/y", start).End = start
	off.End()
	tr.Close()

	if p := rcv.Problems(); len(p) > 0 {
		t.Fatalf("malformed exports: %v", p)
	}
	spans := rcv.Spans()
	if len(spans) != 2 {
		t.Fatalf("got %d spans, want 2: %+v", len(spans), spans)
	}
	c, r := spans[0], spans[1]
	if c.TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" || r.TraceID != c.TraceID {
		t.Errorf("trace ids %s %s", c.TraceID, r.TraceID)
	}
	if r.SpanID != rootID || r.ParentSpanID != "00f067aa0ba902b7" || c.SpanID != inID || c.ParentSpanID != rootID {
		t.Errorf("ids: root %s<-%s, client %s<-%s", r.SpanID, r.ParentSpanID, c.SpanID, c.ParentSpanID)
	}
	if r.Kind != 2 || c.Kind != 3 || r.Name != "shop/prod" || c.Name != "Lambda" {
		t.Errorf("kinds/names %d %q %d %q", r.Kind, r.Name, c.Kind, c.Name)
	}
	if r.TraceState != "vendor=x" || c.TraceState != "vendor=x" {
		t.Errorf("trace state %q %q", r.TraceState, c.TraceState)
	}
	if r.Start != start.UnixNano() || r.End != start.Add(3*time.Millisecond).UnixNano() {
		t.Errorf("times %d %d", r.Start, r.End)
	}
	if r.Attributes["weird"] != "a\"b\\c\x01\uFFFD" || r.Attributes["http.response.status_code"] != "502" || c.Attributes["faas.invoked_name"] != "fn" {
		t.Errorf("attributes %v %v", r.Attributes, c.Attributes)
	}
	if r.StatusCode != 2 || r.StatusMessage != "Internal server error" || c.StatusCode != 0 {
		t.Errorf("status %d %q / %d", r.StatusCode, r.StatusMessage, c.StatusCode)
	}
	if r.Service != "gw \"one\"" {
		t.Errorf("service.name %q", r.Service)
	}
	if tr.Exported() != 2 || tr.Dropped() != 0 {
		t.Errorf("exported %d dropped %d", tr.Exported(), tr.Dropped())
	}
}

// A collector that stops answering never holds up Trace.End: the queue fills and what does
// not fit is dropped and counted.
func TestTracerStuckCollectorDoesNotBlock(t *testing.T) {
	rcv := otlptest.NewStuck(t)
	tr := NewTracer(TracerOptions{Endpoint: rcv.URL, QueueTraces: 8, BatchTraces: 1, BatchInterval: time.Millisecond,
		Timeout: 50 * time.Millisecond})
	m := NewMetrics(nil)
	m.RegisterTracer(tr)
	begin := time.Now()
	for i := 0; i < 10000; i++ {
		trace := tr.Start(time.Now(), SpanContext{}, false)
		trace.AddRoot("a/b", time.Now()).End = time.Now()
		trace.End()
	}
	if d := time.Since(begin); d > 2*time.Second {
		t.Errorf("10000 traces took %v against a stuck collector", d)
	}
	// Close waits for the export in flight at most Timeout, then abandons it.
	closing := time.Now()
	tr.Close()
	if d := time.Since(closing); d > time.Second {
		t.Errorf("Close took %v against a stuck collector", d)
	}
	if tr.Exported() != 0 || tr.Dropped() != 10000 {
		t.Errorf("exported %d, dropped %d; want 0 and 10000", tr.Exported(), tr.Dropped())
	}
	if v := gathered(t, m, "portico_trace_spans_dropped_total"); v != 10000 {
		t.Errorf("portico_trace_spans_dropped_total %v", v)
	}
}

// gathered is the value of the first series of a metric of m's registry: a counter's or a
// gauge's value, a histogram's count.
func gathered(t *testing.T, m *Metrics, name string) float64 {
	t.Helper()
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			s := mf.GetMetric()[0]
			switch {
			case s.Counter != nil:
				return s.GetCounter().GetValue()
			case s.Gauge != nil:
				return s.GetGauge().GetValue()
			case s.Histogram != nil:
				return float64(s.GetHistogram().GetSampleCount())
			}
		}
	}
	t.Fatalf("%s is not exported", name)
	return 0
}

func TestOTLPTracesURL(t *testing.T) {
	for _, c := range []struct{ portico, traces, base, want string }{
		{"http://c:4318", "http://x/v1/traces", "http://y", "http://c:4318/v1/traces"},
		{"http://c:4318/", "", "", "http://c:4318/v1/traces"},
		{"http://c:4318/v1/traces", "", "", "http://c:4318/v1/traces"},
		{"", "http://x/custom", "http://y", "http://x/custom"},
		{"", "", "https://y/otlp", "https://y/otlp/v1/traces"},
		{"", "", "", ""},
	} {
		got, err := OTLPTracesURL(c.portico, c.traces, c.base)
		if err != nil || got != c.want {
			t.Errorf("%+v: %q %v", c, got, err)
		}
	}
	if _, err := OTLPTracesURL("collector:4318", "", ""); err == nil {
		t.Error("a URL without a scheme was accepted")
	}
	h, err := ParseOTLPHeaders("api-key=a%20b, x=1")
	if err != nil || h["api-key"] != "a b" || h["x"] != "1" {
		t.Errorf("headers %v %v", h, err)
	}
	if _, err := ParseOTLPHeaders("novalue"); err == nil || !strings.Contains(err.Error(), "key=value") {
		t.Errorf("bad headers: %v", err)
	}
}

func TestFunctionMetrics(t *testing.T) {
	m := NewMetrics(nil)
	f := m.Function("fn")
	f.Started(true)
	f.Started(false)
	f.Finished(3*time.Millisecond, false)
	f.Started(false)
	f.Finished(time.Second, true)
	f.Throttled()
	// Series resolved again (a new pool after an update) count on.
	m.Function("fn").Throttled()
	for name, want := range map[string]float64{
		"portico_lambda_invocations_total":     2,
		"portico_lambda_errors_total":          1,
		"portico_lambda_throttles_total":       2,
		"portico_lambda_cold_starts_total":     1,
		"portico_lambda_concurrent_executions": 1,
		"portico_lambda_duration_seconds":      2, // observations
	} {
		if got := gathered(t, m, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
}
