package functions

import (
	"context"
	"sort"
	"testing"
	"time"
)

// Warm invocation: the whole round trip through Portico (slot, worker, /next, /response, END and
// REPORT lines) of an aws-lambda-go handler whose own work is a few microseconds. Its p50 is an
// upper bound of what Portico adds over calling the handler directly.
//
//	go test -run XXX -bench Invoke -benchtime 2000x ./internal/functions/
func BenchmarkInvokeWarm(b *testing.B) {
	rt := newRuntime(b, Options{})
	createCmd(b, rt, "w", nil, 3)
	req := InvokeRequest{FunctionName: "w", Payload: []byte(`{"op":"noop"}`)}
	ctx := context.Background()
	if _, err := rt.Invoke(ctx, req); err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		res, err := rt.Invoke(ctx, req)
		lat = append(lat, time.Since(t0))
		if err != nil || res.FunctionError != "" {
			b.Fatal(err, res)
		}
	}
	b.StopTimer()
	report(b, lat)
}

// Cold start: each invocation starts a new process. "init-us" is the process's own start (exec
// to its first /next); the rest of the latency is Portico's plus the warm round trip.
func BenchmarkInvokeCold(b *testing.B) {
	rt := newRuntime(b, Options{})
	createCmd(b, rt, "c", nil, 3)
	req := InvokeRequest{FunctionName: "c", Payload: []byte(`{"op":"noop"}`)}
	ctx := context.Background()
	p := rt.getPool("c")
	lat := make([]time.Duration, 0, b.N)
	var init []time.Duration
	b.ResetTimer()
	for range b.N {
		p.reap(time.Now().Add(time.Hour))
		t0 := time.Now()
		res, err := rt.Invoke(ctx, req)
		lat = append(lat, time.Since(t0))
		if err != nil || res.FunctionError != "" {
			b.Fatal(err, res)
		}
		p.mu.Lock()
		init = append(init, p.idle[len(p.idle)-1].initDur)
		p.mu.Unlock()
	}
	b.StopTimer()
	report(b, lat)
	sort.Slice(init, func(i, j int) bool { return init[i] < init[j] })
	b.ReportMetric(float64(init[len(init)/2].Microseconds()), "init-p50-us")
}

func report(b *testing.B, lat []time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-us")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-us")
}
