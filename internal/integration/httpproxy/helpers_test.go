package httpproxy

import (
	"bufio"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// rawServer is a TCP listener on 127.0.0.1 whose handler speaks raw bytes, for responses that
// net/http's server would never send.
type rawServer struct {
	ln       net.Listener
	accepted atomic.Int64
	wg       sync.WaitGroup
}

// newRawServer serves each accepted connection with handle in its own goroutine.
func newRawServer(t testing.TB, handle func(c net.Conn, br *bufio.Reader)) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.accepted.Add(1)
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				handle(c, bufio.NewReader(c))
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *rawServer) host() string { return s.ln.Addr().String() }

// respondAll answers every request on a connection with the same raw response.
func respondAll(resp string) func(net.Conn, *bufio.Reader) {
	return func(c net.Conn, br *bufio.Reader) {
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			drain(req)
			if _, err := c.Write([]byte(resp)); err != nil {
				return
			}
		}
	}
}

func drain(req *http.Request) {
	buf := make([]byte, 4096)
	for {
		if _, err := req.Body.Read(buf); err != nil {
			return
		}
	}
}

// countingServer is an httptest server that counts the connections it accepted.
func countingServer(t testing.TB, h http.Handler) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	s := httptest.NewUnstartedServer(h)
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			n.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s, &n
}

// idle reports how many connections c holds idle for all upstreams.
func (c *Client) idle() int {
	n := 0
	for _, p := range *c.pools.Load() {
		p.mu.Lock()
		n += len(p.idle)
		p.mu.Unlock()
	}
	return n
}

func countingTLSServer(t testing.TB, h http.Handler) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	s := httptest.NewUnstartedServer(h)
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			n.Add(1)
		}
	}
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point of some tests
	s.StartTLS()
	t.Cleanup(s.Close)
	return s, &n
}

// newTestClient returns a client whose idle connections close when the test ends (before the
// servers it talks to, whose cleanups were registered earlier, wait for their handlers).
func newTestClient(t testing.TB, opts Options) *Client {
	cl := New(opts)
	t.Cleanup(cl.CloseIdleConnections)
	return cl
}
