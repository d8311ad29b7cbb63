// Command loadgen is the constant-rate (open-loop) load generator of Portico's load benchmark
// (bench/run). wrk measures peak throughput; loadgen measures latency at a fixed rate, which a
// closed-loop tool cannot: when the server stalls, a closed loop sends less and hides the stall.
//
// Each of -connections keep-alive connections owns every Nth slot of one global schedule
// (slot i is due at start + i/rate). When a connection is still busy with an earlier answer at a
// slot's due time, the request's latency runs from that due time, so the wait behind a slow answer
// is charged to the server (no coordinated omission). When the connection was free, latency runs
// from the moment the request was sent: Go's timers wake up to a millisecond late on an idle
// process, and that slack belongs to the generator, not to the server. Every latency is kept, so
// the percentiles are exact.
//
// It is a benchmark tool: it imports nothing from Portico.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sync"
	"time"
)

// config is one run's settings.
type config struct {
	URL         string
	Rate        float64       // requests per second over all connections
	Duration    time.Duration // measured window
	Warmup      time.Duration // sent on the same schedule before the window, not measured
	Connections int
	Timeout     time.Duration // one request's limit, so a dead server cannot hang the run
}

// result is one run's measured window.
type result struct {
	Requests int     // answered with 2xx inside the window
	Errors   int     // non-2xx answers and connection failures inside the window
	Achieved float64 // Requests+Errors per second of window
	// Latency percentiles, to each answer read whole (from when, see the package comment).
	P50, P90, P99, P999, Max time.Duration
	// SendLagP99 is the 99th percentile of how late requests left after their due time. Up to
	// about a millisecond is timer slack; more means the rate was more than the server (or the
	// generator) could take.
	SendLagP99 time.Duration
}

func (r result) String() string {
	us := func(d time.Duration) string { return fmt.Sprintf("%.0f", float64(d)/float64(time.Microsecond)) }
	return fmt.Sprintf("requests=%d errors=%d achieved_rps=%.0f p50_us=%s p90_us=%s p99_us=%s p999_us=%s max_us=%s send_lag_p99_us=%s",
		r.Requests, r.Errors, r.Achieved, us(r.P50), us(r.P90), us(r.P99), us(r.P999), us(r.Max), us(r.SendLagP99))
}

func main() {
	var c config
	flag.StringVar(&c.URL, "url", "", "http:// URL to GET (required)")
	flag.Float64Var(&c.Rate, "rate", 1000, "requests per second, over all connections")
	flag.DurationVar(&c.Duration, "duration", 10*time.Second, "measured window")
	flag.DurationVar(&c.Warmup, "warmup", 2*time.Second, "unmeasured lead-in on the same schedule")
	flag.IntVar(&c.Connections, "connections", 64, "keep-alive connections")
	flag.DurationVar(&c.Timeout, "timeout", 5*time.Second, "one request's limit")
	flag.Parse()
	res, err := run(c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
	fmt.Println(res)
}

// run sends c's schedule and measures its window.
func run(c config) (result, error) {
	u, err := url.Parse(c.URL)
	switch {
	case err != nil:
		return result{}, fmt.Errorf("-url: %w", err)
	case u.Scheme != "http" || u.Host == "":
		return result{}, fmt.Errorf("-url %q: want an http://host:port/path URL", c.URL)
	case c.Rate <= 0 || c.Connections <= 0 || c.Duration <= 0 || c.Warmup < 0 || c.Timeout <= 0:
		return result{}, errors.New("-rate, -connections, -duration and -timeout must be positive, -warmup not negative")
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	req := []byte("GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\nUser-Agent: portico-loadgen\r\n\r\n")

	// Dial every connection before the clock starts so connection setup is not measured.
	workers := make([]*worker, c.Connections)
	for i := range workers {
		w := &worker{addr: addr, req: req, timeout: c.Timeout}
		if err := w.dial(); err != nil {
			for _, d := range workers[:i] {
				d.conn.Close()
			}
			return result{}, err
		}
		workers[i] = w
	}

	interval := float64(time.Second) / c.Rate
	start := time.Now().Add(10 * time.Millisecond)
	measureFrom := start.Add(c.Warmup)
	end := measureFrom.Add(c.Duration)
	var wg sync.WaitGroup
	for k, w := range workers {
		wg.Go(func() { w.loop(start, measureFrom, end, interval, k, c.Connections) })
	}
	wg.Wait()

	var lat, lag []time.Duration
	errs := 0
	for _, w := range workers {
		w.close()
		lat = append(lat, w.latencies...)
		lag = append(lag, w.lags...)
		errs += w.errors
	}
	if len(lat) == 0 {
		return result{}, fmt.Errorf("no request to %s succeeded (%d errors; last: %v)", c.URL, errs, lastErr(workers))
	}
	slices.Sort(lat)
	slices.Sort(lag)
	return result{
		Requests:   len(lat),
		Errors:     errs,
		Achieved:   float64(len(lat)+errs) / c.Duration.Seconds(),
		P50:        percentile(lat, 50),
		P90:        percentile(lat, 90),
		P99:        percentile(lat, 99),
		P999:       percentile(lat, 99.9),
		Max:        lat[len(lat)-1],
		SendLagP99: percentile(lag, 99),
	}, nil
}

func lastErr(ws []*worker) error {
	for _, w := range ws {
		if w.lastErr != nil {
			return w.lastErr
		}
	}
	return nil
}

// percentile returns the nearest-rank p-th percentile of sorted, which must not be empty.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(float64(len(sorted))*p/100+0.999999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// worker is one keep-alive connection and the measurements of the slots it sends.
type worker struct {
	addr    string
	req     []byte
	timeout time.Duration

	conn net.Conn
	br   *bufio.Reader

	latencies, lags []time.Duration
	errors          int
	lastErr         error
}

func (w *worker) dial() error {
	conn, err := net.DialTimeout("tcp", w.addr, w.timeout)
	if err != nil {
		return fmt.Errorf("connect %s: %w", w.addr, err)
	}
	w.conn = conn
	if w.br == nil {
		w.br = bufio.NewReaderSize(conn, 16<<10)
	} else {
		w.br.Reset(conn)
	}
	return nil
}

func (w *worker) close() {
	if w.conn != nil {
		w.conn.Close()
		w.conn = nil
	}
}

// loop sends slots k, k+n, k+2n, ... due before end, recording those due at or after measureFrom.
func (w *worker) loop(start, measureFrom, end time.Time, interval float64, k, n int) {
	var done time.Time // when the previous answer was read
	for slot := k; ; slot += n {
		due := start.Add(time.Duration(float64(slot) * interval))
		if !due.Before(end) {
			return
		}
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		sent := time.Now()
		from := sent
		if done.After(due) {
			from = due // queued behind the previous answer: the wait counts
		}
		err := w.do()
		done = time.Now()
		if due.Before(measureFrom) {
			continue
		}
		if err != nil {
			w.errors++
			w.lastErr = err
			continue
		}
		w.latencies = append(w.latencies, done.Sub(from))
		w.lags = append(w.lags, sent.Sub(due))
	}
}

// errStatus is a non-2xx answer: the server is reachable but the request failed.
type errStatus int

func (e errStatus) Error() string { return fmt.Sprintf("status %d", int(e)) }

// do sends one request and reads its whole answer, reconnecting first if the last one broke.
func (w *worker) do() error {
	if w.conn == nil {
		if err := w.dial(); err != nil {
			return err
		}
	}
	w.conn.SetDeadline(time.Now().Add(w.timeout))
	resp, err := w.exchange()
	if err != nil {
		w.close()
		return err
	}
	if resp.Close {
		w.close()
	}
	if resp.StatusCode/100 != 2 {
		return errStatus(resp.StatusCode)
	}
	return nil
}

func (w *worker) exchange() (*http.Response, error) {
	if _, err := w.conn.Write(w.req); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(w.br, nil)
	if err != nil {
		return nil, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, err
}
