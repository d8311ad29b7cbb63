package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	tests := []struct {
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{ms(7), 50, 7 * time.Millisecond},
		{ms(7), 99.9, 7 * time.Millisecond},
		{ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{ms(1, 2, 3, 4), 75, 3 * time.Millisecond},
		{ms(1, 2, 3, 4), 76, 4 * time.Millisecond},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 90, 9 * time.Millisecond},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 0, 1 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := percentile(tt.sorted, tt.p); got != tt.want {
			t.Errorf("percentile(%v, %v) = %v, want %v", tt.sorted, tt.p, got, tt.want)
		}
	}
}

// TestRunKeepsRate checks that the schedule is kept: the window holds rate×duration requests,
// none of the warm-up, over the requested number of connections.
func TestRunKeepsRate(t *testing.T) {
	var served, conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		w.Write([]byte("ok"))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	res, err := run(config{URL: srv.URL + "/a?b=c", Rate: 2000, Duration: 300 * time.Millisecond, Warmup: 100 * time.Millisecond, Connections: 4, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 600 || res.Errors != 0 {
		t.Errorf("window: %d requests, %d errors; want 600, 0", res.Requests, res.Errors)
	}
	if got := served.Load(); got != 800 {
		t.Errorf("server saw %d requests; want 800 (warm-up 200 + window 600)", got)
	}
	if got := conns.Load(); got != 4 {
		t.Errorf("server saw %d connections; want 4", got)
	}
	if !(res.P50 > 0 && res.P50 <= res.P90 && res.P90 <= res.P99 && res.P99 <= res.P999 && res.P999 <= res.Max) {
		t.Errorf("percentiles out of order: %v", res)
	}
}

func TestRunCountsErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			http.Error(w, "no", http.StatusBadGateway)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()

	_, err := run(config{URL: srv.URL + "/fail", Rate: 1000, Duration: 50 * time.Millisecond, Connections: 2, Timeout: 5 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "status 502") {
		t.Errorf("all requests failing: err = %v, want one naming status 502", err)
	}
}

func TestRunRefusesBadConfig(t *testing.T) {
	tests := []struct {
		name string
		c    config
		want string
	}{
		{"no url", config{Rate: 1, Duration: time.Second, Connections: 1, Timeout: time.Second}, "want an http://"},
		{"https", config{URL: "https://127.0.0.1:1/", Rate: 1, Duration: time.Second, Connections: 1, Timeout: time.Second}, "want an http://"},
		{"zero rate", config{URL: "http://127.0.0.1:1/", Duration: time.Second, Connections: 1, Timeout: time.Second}, "must be positive"},
		{"no connections", config{URL: "http://127.0.0.1:1/", Rate: 1, Duration: time.Second, Timeout: time.Second}, "must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := run(tt.c)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestRunReportsUnreachableServer(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, err := run(config{URL: url, Rate: 10, Duration: time.Second, Connections: 1, Timeout: time.Second})
	if err == nil || !strings.Contains(err.Error(), "connect") {
		t.Errorf("err = %v, want a connect error", err)
	}
}
