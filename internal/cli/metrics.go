package cli

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"sort"
	"text/tabwriter"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/portico/portico/internal/server"
)

// runMetrics prints a per-route summary of an API's series from the server's /metrics.
func runMetrics(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "metrics", "API [--stage S]",
		"Summarise an API's requests, errors and latencies per stage and route, from the admin listener's /metrics.\n"+
			"API is an id or a name. Routes appear one by one when their stage's methodSettings turn metricsEnabled on;\n"+
			"the others are summed on the stage's line (ROUTE \"*\"). CACHE HIT/MISS counts the requests the stage's\n"+
			"response cache answered and those it sent on (\"-\": none cached).")
	endpoint := fs.String("endpoint", envOr(e, "PORTICO_ENDPOINT", "http://127.0.0.1:8081"), "management API URL (PORTICO_ENDPOINT)")
	stage := fs.String("stage", "", "only this stage")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: want one API id or name", errUsage)
	}
	u, err := url.ParseRequestURI(*endpoint)
	if err != nil {
		return fmt.Errorf("%w: --endpoint %q is not a URL", errUsage, *endpoint)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", u.JoinPath(server.MetricsPath).String(), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", server.MetricsPath, resp.Status)
	}
	rows, err := summarise(resp.Body, pos[0], *stage)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return fmt.Errorf("no requests recorded for API %q%s since the server started", pos[0], map[bool]string{true: " stage " + *stage}[*stage != ""])
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STAGE\tROUTE\tCOUNT\t4XX\t5XX\tLATENCY AVG\tLATENCY P99\tINTEGRATION AVG\tCACHE HIT/MISS")
	for _, r := range rows {
		route := r.method + " " + r.resource
		if r.resource == "" {
			route = "*"
		}
		cache := "-"
		if r.hits+r.misses > 0 {
			cache = fmt.Sprintf("%.0f/%.0f", r.hits, r.misses)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.0f\t%.0f\t%s\t%s\t%s\t%s\n", r.stage, route, r.count, r.err4, r.err5,
			ms(r.latSum, r.latCount), p99(r.latBuckets, r.latCount), ms(r.intSum, r.intCount), cache)
	}
	return tw.Flush()
}

type routeRow struct {
	stage, resource, method string
	count, err4, err5       float64
	hits, misses            float64
	latSum, intSum          float64
	latCount, intCount      uint64
	latBuckets              []*dto.Bucket
}

// summarise reads Prometheus text and returns the rows of the API (by id or name), sorted.
func summarise(r io.Reader, api, stage string) ([]*routeRow, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", server.MetricsPath, err)
	}
	rows := map[[3]string]*routeRow{}
	each := func(name string, fn func(*routeRow, *dto.Metric)) {
		f := fams[name]
		if f == nil {
			return
		}
		for _, m := range f.Metric {
			l := map[string]string{}
			for _, lp := range m.Label {
				l[lp.GetName()] = lp.GetValue()
			}
			if l["api_id"] != api && l["api_name"] != api || stage != "" && l["stage"] != stage {
				continue
			}
			k := [3]string{l["stage"], l["resource"], l["method"]}
			row := rows[k]
			if row == nil {
				row = &routeRow{stage: k[0], resource: k[1], method: k[2]}
				rows[k] = row
			}
			fn(row, m)
		}
	}
	each("portico_apigateway_count_total", func(r *routeRow, m *dto.Metric) { r.count += m.GetCounter().GetValue() })
	each("portico_apigateway_4xx_errors_total", func(r *routeRow, m *dto.Metric) { r.err4 += m.GetCounter().GetValue() })
	each("portico_apigateway_5xx_errors_total", func(r *routeRow, m *dto.Metric) { r.err5 += m.GetCounter().GetValue() })
	each("portico_apigateway_cache_hit_count_total", func(r *routeRow, m *dto.Metric) { r.hits += m.GetCounter().GetValue() })
	each("portico_apigateway_cache_miss_count_total", func(r *routeRow, m *dto.Metric) { r.misses += m.GetCounter().GetValue() })
	each("portico_apigateway_latency_seconds", func(r *routeRow, m *dto.Metric) {
		h := m.GetHistogram()
		r.latSum, r.latCount, r.latBuckets = h.GetSampleSum(), h.GetSampleCount(), h.Bucket
	})
	each("portico_apigateway_integration_latency_seconds", func(r *routeRow, m *dto.Metric) {
		h := m.GetHistogram()
		r.intSum, r.intCount = h.GetSampleSum(), h.GetSampleCount()
	})
	out := make([]*routeRow, 0, len(rows))
	for _, r := range rows {
		if r.count > 0 {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.stage != b.stage {
			return a.stage < b.stage
		}
		if a.resource != b.resource {
			return a.resource < b.resource
		}
		return a.method < b.method
	})
	return out, nil
}

// ms is an average in milliseconds, "-" without samples.
func ms(sum float64, n uint64) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fms", sum/float64(n)*1000)
}

// p99 is the upper bound of the histogram bucket holding the 99th percentile.
func p99(buckets []*dto.Bucket, n uint64) string {
	if n == 0 {
		return "-"
	}
	want := uint64(math.Ceil(float64(n) * 0.99))
	for _, b := range buckets {
		if b.GetCumulativeCount() >= want {
			return fmt.Sprintf("≤%gms", b.GetUpperBound()*1000)
		}
	}
	return fmt.Sprintf(">%gms", buckets[len(buckets)-1].GetUpperBound()*1000)
}
