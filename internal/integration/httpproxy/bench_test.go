//go:build unix

package httpproxy

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"
)

const benchResponse = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: Sat, 21 Nov 2026 23:00:00 GMT\r\nContent-Length: 27\r\n\r\n{\"message\":\"hello, world\"}\n"

// benchBackend answers every request (bodiless) with benchResponse, doing as little work as it
// can so the figures are the client's.
func benchBackend(b *testing.B) *rawServer {
	return newRawServer(b, func(c net.Conn, br *bufio.Reader) {
		bw := bufio.NewWriter(c)
		for {
			for {
				line, err := br.ReadSlice('\n')
				if err != nil {
					return
				}
				if len(line) <= 2 {
					break
				}
			}
			bw.WriteString(benchResponse)
			if br.Buffered() == 0 {
				if bw.Flush() != nil {
					return
				}
			}
		}
	})
}

var benchHeader = http.Header{
	"Accept":          {"application/json"},
	"User-Agent":      {"bench/1.0"},
	"X-Forwarded-For": {"10.0.0.1"},
}

// BenchmarkDo measures a GET with a small response body over pooled connections: bare, with a
// timeout, and as the gateway calls it (a timeout and a cancellable request context).
func BenchmarkDo(b *testing.B) {
	srv := benchBackend(b)
	for _, bc := range []struct {
		name string
		// cancellable gives each request its own cancellable context, as net/http's server does.
		cancellable bool
		timeout     time.Duration
	}{
		{"bare", false, 0},
		{"timeout", false, 29 * time.Second},
		{"gateway", true, 29 * time.Second},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cl := New(Options{})
			b.Cleanup(cl.CloseIdleConnections)
			b.ReportAllocs()
			defer reportCPU(b)()
			b.RunParallel(func(pb *testing.PB) {
				buf := make([]byte, 512)
				req := &Request{Method: "GET", Scheme: "http", Host: srv.host(), RequestURI: "/pets?limit=10", Header: benchHeader, Timeout: bc.timeout}
				for pb.Next() {
					ctx, cancel := context.Background(), context.CancelFunc(nil)
					if bc.cancellable {
						ctx, cancel = context.WithCancel(ctx)
					}
					resp, err := cl.Do(ctx, req)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := readAllInto(resp.Body, buf); err != nil {
						b.Fatal(err)
					}
					resp.Body.Close()
					if cancel != nil {
						cancel()
					}
				}
			})
		})
	}
}

// BenchmarkNetHTTPTransport is the same exchange through net/http's Transport, for comparison.
func BenchmarkNetHTTPTransport(b *testing.B) {
	srv := benchBackend(b)
	tr := &http.Transport{MaxIdleConnsPerHost: 512, DisableCompression: true}
	b.Cleanup(tr.CloseIdleConnections)
	ctx := context.Background()
	b.ReportAllocs()
	defer reportCPU(b)()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 512)
		for pb.Next() {
			req, err := http.NewRequestWithContext(ctx, "GET", "http://"+srv.host()+"/pets?limit=10", nil)
			if err != nil {
				b.Fatal(err)
			}
			req.Header = benchHeader.Clone()
			resp, err := tr.RoundTrip(req)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := readAllInto(resp.Body, buf); err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
		}
	})
}

func readAllInto(r io.Reader, buf []byte) (int, error) {
	n := 0
	for {
		m, err := r.Read(buf[n:])
		n += m
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// reportCPU adds cpu-ns/op: the process's CPU time (user and system, backend included) per
// request. On a shared machine it is steadier than wall time, and it is what bounds throughput.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() { b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op") }
}

func cpuTime() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
