package gateway

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/observe"
	"github.com/portico/portico/internal/store/bolt"
)

// The cost of tracing on a request: with no tracer configured, with one configured but the
// stage's tracingEnabled off (what every untraced stage pays: a nil check), on with the spans
// recorded but not exported (the request's own cost: the collector is stuck on the first
// export, so every later trace is dropped and its pooled value reused), and on with a
// batching goroutine exporting them to a loopback collector as the requests run (on two
// cores, the export's work shares the machine with the requests).
// The integrations are a MOCK (the cheapest request, so the most sensitive) and an
// HTTP_PROXY to a loopback backend.
func BenchmarkTracingMockNoTracer(b *testing.B)  { benchTracing(b, false, "plain", "/mock", false) }
func BenchmarkTracingMockOff(b *testing.B)       { benchTracing(b, true, "plain", "/mock", false) }
func BenchmarkTracingMockRecorded(b *testing.B)  { benchTracing(b, true, "traced", "/mock", false) }
func BenchmarkTracingMockExported(b *testing.B)  { benchTracing(b, true, "traced", "/mock", true) }
func BenchmarkTracingProxyNoTracer(b *testing.B) { benchTracing(b, false, "plain", "/proxy/a", false) }
func BenchmarkTracingProxyOff(b *testing.B)      { benchTracing(b, true, "plain", "/proxy/a", false) }
func BenchmarkTracingProxyRecorded(b *testing.B) { benchTracing(b, true, "traced", "/proxy/a", false) }
func BenchmarkTracingProxyExported(b *testing.B) { benchTracing(b, true, "traced", "/proxy/a", true) }

func benchTracing(b *testing.B, withTracer bool, stage, path string, exportDuring bool) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	}))
	defer backend.Close()
	stuck := make(chan struct{})
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if !exportDuring {
			<-stuck
		}
	}))
	defer collector.Close()
	st, err := bolt.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	putTraced(b, st, traceDoc(strings.TrimPrefix(backend.URL, "http://")))
	opts := Options{Logger: slog.New(slog.DiscardHandler)}
	var tracer *observe.Tracer
	if withTracer {
		// Exported: a queue deep enough, and batches frequent enough, that the exporter keeps
		// up rather than drops. Recorded: one trace per export, the first one stuck.
		o := observe.TracerOptions{Endpoint: collector.URL + "/v1/traces", QueueTraces: 1 << 16,
			BatchInterval: 10 * time.Millisecond}
		if !exportDuring {
			o.QueueTraces, o.BatchTraces = 1, 1
		}
		tracer = observe.NewTracer(o)
		opts.Tracer = tracer
	}
	gw, err := New(st, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer gw.Close()
	req := httptest.NewRequest("GET", "http://"+apiID+".execute-api.localhost/"+stage+path, nil)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := httptest.NewRecorder()
		gw.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
	b.StopTimer()
	close(stuck)
	if tracer != nil {
		tracer.Close()
		b.ReportMetric(float64(tracer.Dropped())/float64(b.N), "dropped/op")
	}
}
