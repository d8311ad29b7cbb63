package cli

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/portico/portico/internal/observe"
	"github.com/portico/portico/internal/server"
)

// TestMetricsSummary serves a registry with known observations on a real listener and reads it
// back through `portico metrics`.
func TestMetricsSummary(t *testing.T) {
	m := observe.NewMetrics(nil)
	pets := m.Series("abc123", "shop", "prod", "/pets", "GET")
	stage := m.Series("abc123", "shop", "prod", "", "")
	other := m.Series("zzz999", "other", "prod", "", "")
	for i := 0; i < 100; i++ {
		pets.Observe(&observe.Record{Status: 200, Latency: 3 * time.Millisecond, Integrated: true, IntegrationLatency: 2 * time.Millisecond,
			CacheHit: i < 90, CacheMiss: i >= 90})
	}
	pets.Observe(&observe.Record{Status: 404, Latency: 400 * time.Millisecond})
	stage.Observe(&observe.Record{Status: 502, Latency: 20 * time.Millisecond})
	other.Observe(&observe.Record{Status: 200})
	m.Series("abc123", "shop", "test", "", "").Observe(&observe.Record{Status: 200, Latency: time.Millisecond})

	srv := httptest.NewServer(promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}))
	defer srv.Close()
	code, out, errOut := run("metrics", "shop", "--stage", "prod", "--endpoint", srv.URL)
	want := []string{
		"STAGE  ROUTE      COUNT  4XX  5XX  LATENCY AVG  LATENCY P99  INTEGRATION AVG  CACHE HIT/MISS",
		"prod   *          1      0    1    20.0ms       ≤25ms        -                -",
		"prod   GET /pets  101    1    0    6.9ms        ≤5ms         2.0ms            90/10",
	}
	if code != 0 || strings.TrimSpace(out) != strings.Join(want, "\n") {
		t.Errorf("portico metrics: exit %d\n%s%s\nwant:\n%s", code, out, errOut, strings.Join(want, "\n"))
	}
	if code, out, _ := run("metrics", "abc123", "--endpoint", srv.URL); code != 0 || strings.Count(out, "\n") != 4 {
		t.Errorf("every stage by id: exit %d\n%s", code, out)
	}
	if code, _, errOut := run("metrics", "nosuch", "--endpoint", srv.URL); code != 1 || !strings.Contains(errOut, "no requests recorded") {
		t.Errorf("unknown API: exit %d %s", code, errOut)
	}
	if code, _, _ := run("metrics"); code != 2 {
		t.Errorf("no API: exit %d", code)
	}
	bad := httptest.NewServer(nil) // answers 404 to /metrics
	defer bad.Close()
	if code, _, errOut := run("metrics", "shop", "--endpoint", bad.URL); code != 1 || !strings.Contains(errOut, server.MetricsPath) {
		t.Errorf("no /metrics: exit %d %s", code, errOut)
	}
}
