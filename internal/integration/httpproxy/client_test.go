package httpproxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// echo answers with what it received: method, URI, headers and a body hash as headers, and the
// body itself.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	w.Header().Set("X-Method", r.Method)
	w.Header().Set("X-URI", r.RequestURI)
	w.Header().Set("X-Host", r.Host)
	w.Header().Set("X-Req-Header", r.Header.Get("X-Req"))
	w.Header().Set("X-Content-Length", strconv.FormatInt(r.ContentLength, 10))
	w.Header().Set("X-Transfer-Encoding", strings.Join(r.TransferEncoding, ","))
	w.Header().Set("X-Sum", fmt.Sprintf("%x", sha256.Sum256(b)))
	w.Write(b)
})

func hostOf(url string) string {
	return strings.TrimPrefix(strings.TrimPrefix(url, "http://"), "https://")
}

func TestRequestsOnTheWire(t *testing.T) {
	srv, accepted := countingServer(t, echo)
	cl := newTestClient(t, Options{})
	big := bytes.Repeat([]byte("0123456789abcdef"), 200_000) // 3.2 MB
	tests := []struct {
		name     string
		req      Request
		body     []byte
		wantCL   string
		wantTE   string
		wantBody []byte
	}{
		{name: "GET no body", req: Request{Method: "GET", RequestURI: "/a%2Fb?x=1&y=%20"}, wantCL: "0"},
		{name: "POST empty", req: Request{Method: "POST", RequestURI: "/p"}, wantCL: "0"},
		{name: "POST known length", req: Request{Method: "POST", RequestURI: "/p", ContentLength: 5}, body: []byte("hello"), wantCL: "5"},
		{name: "PUT chunked", req: Request{Method: "PUT", RequestURI: "/p", ContentLength: -1}, body: []byte("streamed body"), wantCL: "-1", wantTE: "chunked"},
		{name: "POST large known", req: Request{Method: "POST", RequestURI: "/big", ContentLength: int64(len(big))}, body: big, wantCL: strconv.Itoa(len(big))},
		{name: "POST large chunked", req: Request{Method: "POST", RequestURI: "/big", ContentLength: -1}, body: big, wantCL: "-1", wantTE: "chunked"},
		{name: "empty URI is /", req: Request{Method: "DELETE"}, wantCL: "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req
			req.Scheme, req.Host = "http", hostOf(srv.URL)
			req.Header = http.Header{
				"X-Req":             {"v1"},
				"host":              {"evil.example"}, // the client writes Host itself
				"Content-Length":    {"999"},          // and the framing
				"Transfer-Encoding": {"gzip"},
			}
			if tt.body != nil {
				// Hide bytes.Reader's other methods: the client must stream any reader.
				req.Body = struct{ io.Reader }{bytes.NewReader(tt.body)}
			}
			resp, err := cl.Do(context.Background(), &req)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			uri := req.RequestURI
			if uri == "" {
				uri = "/"
			}
			h := resp.Header
			if resp.StatusCode != 200 || h.Get("X-Method") != req.Method || h.Get("X-URI") != uri ||
				h.Get("X-Host") != req.Host || h.Get("X-Req-Header") != "v1" ||
				h.Get("X-Content-Length") != tt.wantCL || h.Get("X-Transfer-Encoding") != tt.wantTE {
				t.Errorf("status %d, headers %v", resp.StatusCode, h)
			}
			if !bytes.Equal(got, tt.body) || h.Get("X-Sum") != fmt.Sprintf("%x", sha256.Sum256(tt.body)) {
				t.Errorf("body of %d bytes came back as %d bytes", len(tt.body), len(got))
			}
		})
	}
	if n := accepted.Load(); n != 1 {
		t.Errorf("%d connections for %d sequential requests, want 1", n, len(tests))
	}
}

func TestLargeResponses(t *testing.T) {
	payload := bytes.Repeat([]byte("portico!"), 1<<20) // 8 MiB
	srv, accepted := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("chunked") == "" {
			w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
		}
		w.Write(payload)
	}))
	cl := newTestClient(t, Options{})
	for _, uri := range []string{"/?chunked=1", "/", "/?chunked=1", "/"} {
		resp, err := cl.Do(context.Background(), &Request{Method: "GET", Scheme: "http", Host: hostOf(srv.URL), RequestURI: uri})
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		if err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("%s: %d bytes, err %v", uri, len(got), err)
		}
	}
	if n := accepted.Load(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

func TestConnectionReuseAndConcurrency(t *testing.T) {
	srv, accepted := countingServer(t, echo)
	const workers, perWorker = 8, 100
	cl := newTestClient(t, Options{MaxIdleConnsPerHost: workers})
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				body := fmt.Sprintf("worker %d request %d", w, i)
				resp, err := cl.Do(context.Background(), &Request{
					Method: "POST", Scheme: "http", Host: hostOf(srv.URL), RequestURI: "/x",
					Body: strings.NewReader(body), ContentLength: int64(len(body)),
				})
				if err != nil {
					errs <- err
					return
				}
				got, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || string(got) != body {
					errs <- fmt.Errorf("got %q, %v; want %q", got, err, body)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := accepted.Load(); n > workers {
		t.Errorf("%d connections for %d workers: connections are not reused", n, workers)
	}
	if n := cl.idle(); n < 1 || n > workers {
		t.Errorf("%d idle connections, want 1..%d", n, workers)
	}
}

func TestPoolBound(t *testing.T) {
	const inFlight, maxIdle = 6, 2
	arrived := make(chan struct{}, inFlight)
	release := make(chan struct{})
	srv, accepted := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
		io.WriteString(w, "ok")
	}))
	cl := newTestClient(t, Options{MaxIdleConnsPerHost: maxIdle})
	var wg sync.WaitGroup
	for range inFlight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := cl.Do(context.Background(), &Request{Method: "GET", Scheme: "http", Host: hostOf(srv.URL), RequestURI: "/"})
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}()
	}
	for range inFlight {
		<-arrived // every request holds its own connection now
	}
	close(release)
	wg.Wait()
	if n := accepted.Load(); n != inFlight {
		t.Errorf("%d connections, want %d", n, inFlight)
	}
	if n := cl.idle(); n != maxIdle {
		t.Errorf("%d idle connections, want the bound %d", n, maxIdle)
	}
	cl.CloseIdleConnections()
	if n := cl.idle(); n != 0 {
		t.Errorf("%d idle connections after CloseIdleConnections", n)
	}
}

func TestIdleTimeoutClosesConnections(t *testing.T) {
	closed := make(chan struct{})
	srv := newRawServer(t, func(c net.Conn, br *bufio.Reader) {
		respondAll("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")(c, br)
		close(closed) // the client closed its end
	})
	cl := newTestClient(t, Options{IdleTimeout: 20 * time.Millisecond})
	resp, err := cl.Do(context.Background(), &Request{Method: "GET", Scheme: "http", Host: srv.host(), RequestURI: "/"})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("idle connection was not closed by the idle timeout")
	}
	if n := cl.idle(); n != 0 {
		t.Errorf("%d idle connections after the idle timeout", n)
	}
}

// staleServer answers the first request on each connection, then closes that connection and
// reports it closed, so the client's pooled connection is stale when the next request is sent.
func staleServer(t *testing.T) (*rawServer, chan struct{}) {
	closedOne := make(chan struct{}, 10)
	srv := newRawServer(t, func(c net.Conn, br *bufio.Reader) {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		b, _ := io.ReadAll(req.Body)
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(b), b)
		c.Close()
		closedOne <- struct{}{}
	})
	return srv, closedOne
}

func TestStaleConnectionRetry(t *testing.T) {
	tests := []struct {
		name      string
		method    string
		body      func() io.Reader
		wantRetry bool
	}{
		{"GET", "GET", nil, true},
		{"POST without body", "POST", nil, true},
		{"POST with a seekable body", "POST", func() io.Reader { return strings.NewReader("payload") }, true},
		{"PUT with a seekable body", "PUT", func() io.Reader { return bytes.NewReader([]byte("payload")) }, true},
		{"POST with a one-shot body", "POST", func() io.Reader { return struct{ io.Reader }{strings.NewReader("payload")} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, closedOne := staleServer(t)
			cl := newTestClient(t, Options{})
			do := func() (string, error) {
				req := &Request{Method: tt.method, Scheme: "http", Host: srv.host(), RequestURI: "/"}
				if tt.body != nil {
					req.Body, req.ContentLength = tt.body(), 7
				}
				resp, err := cl.Do(context.Background(), req)
				if err != nil {
					return "", err
				}
				b, err := io.ReadAll(resp.Body)
				return string(b), err
			}
			if _, err := do(); err != nil {
				t.Fatal(err)
			}
			<-closedOne
			if cl.idle() != 1 {
				t.Fatal("first connection was not pooled")
			}
			got, err := do()
			if !tt.wantRetry {
				if err == nil {
					t.Fatal("a one-shot body was sent twice")
				}
				return
			}
			if err != nil {
				t.Fatalf("stale connection not retried: %v", err)
			}
			if tt.body != nil && got != "payload" {
				t.Errorf("retried body came back as %q", got)
			}
			if n := srv.accepted.Load(); n != 2 {
				t.Errorf("%d connections, want 2", n)
			}
		})
	}
}

func TestTimeouts(t *testing.T) {
	// The server reads the request and never answers, until the test ends.
	done := make(chan struct{})
	srv := newRawServer(t, func(c net.Conn, br *bufio.Reader) {
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		c.Write([]byte("HTTP/1.1 200 OK\r\n")) // a slow head: the first line, then nothing
		<-done
	})
	defer close(done)
	cl := newTestClient(t, Options{})

	t.Run("request timeout", func(t *testing.T) {
		start := time.Now()
		_, err := cl.Do(context.Background(), &Request{Method: "GET", Scheme: "http", Host: srv.host(), RequestURI: "/", Timeout: 50 * time.Millisecond})
		if !errors.Is(err, ErrTimeout) {
			t.Fatalf("got %v, want ErrTimeout", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("timed out after %v", d)
		}
	})
	t.Run("context deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := cl.Do(ctx, &Request{Method: "GET", Scheme: "http", Host: srv.host(), RequestURI: "/", Timeout: time.Minute})
		if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want ErrTimeout and DeadlineExceeded", err)
		}
	})
	t.Run("context cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		accepted := srv.accepted.Load()
		go func() {
			// Cancel once the request is on the wire (its connection accepted).
			for srv.accepted.Load() == accepted {
				time.Sleep(time.Millisecond)
			}
			cancel()
		}()
		_, err := cl.Do(ctx, &Request{Method: "GET", Scheme: "http", Host: srv.host(), RequestURI: "/"})
		if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
	})
	t.Run("cancelled before the call", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := cl.Do(ctx, &Request{Method: "GET", Scheme: "http", Host: srv.host(), RequestURI: "/"})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
	})
	if n := cl.idle(); n != 0 {
		t.Errorf("%d connections pooled after timeouts", n)
	}
}

func TestBodyNotBoundByTimeout(t *testing.T) {
	next := make(chan struct{})
	srv := newRawServer(t, func(c net.Conn, br *bufio.Reader) {
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		c.Write([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\none\r\n"))
		<-next // the client has read past the timeout
		c.Write([]byte("3\r\ntwo\r\n0\r\n\r\n"))
		br.ReadByte()
	})
	cl := newTestClient(t, Options{})
	resp, err := cl.Do(context.Background(), &Request{Method: "GET", Scheme: "http", Host: srv.host(), RequestURI: "/", Timeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 3)
	if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "one" {
		t.Fatalf("first chunk %q, %v", buf, err)
	}
	time.Sleep(40 * time.Millisecond) // outlive the timeout: the rest must still stream
	close(next)
	rest, err := io.ReadAll(resp.Body)
	if err != nil || string(rest) != "two" {
		t.Fatalf("rest %q, %v", rest, err)
	}
	if cl.idle() != 1 {
		t.Error("connection not pooled after a streamed body")
	}
}

func TestEarlyClose(t *testing.T) {
	tests := []struct {
		name       string
		response   string
		wantPooled int
	}{
		{"small remainder already buffered is drained", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", 1},
		{"chunked remainder discards the connection", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 0},
		{"unbuffered remainder discards the connection", "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\nabc", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRawServer(t, respondAll(tt.response))
			cl := newTestClient(t, Options{})
			resp, err := cl.Do(context.Background(), &Request{Method: "GET", Scheme: "http", Host: srv.host(), RequestURI: "/"})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			resp.Body.Close() // twice is harmless
			if _, err := resp.Body.Read(make([]byte, 1)); err == nil || err == io.EOF {
				t.Errorf("read after close returned %v", err)
			}
			if n := cl.idle(); n != tt.wantPooled {
				t.Errorf("%d pooled, want %d", n, tt.wantPooled)
			}
		})
	}
}

func TestHeaderSectionTooLarge(t *testing.T) {
	big := "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("a", 1<<20) + "\r\n\r\n"
	many := "HTTP/1.1 200 OK\r\n" + strings.Repeat("X-Many: 0123456789012345678901234567890123456789\r\n", 30_000) + "\r\n"
	for name, raw := range map[string]string{"one long line": big, "many lines": many} {
		t.Run(name, func(t *testing.T) {
			srv := newRawServer(t, func(c net.Conn, br *bufio.Reader) {
				if _, err := http.ReadRequest(br); err != nil {
					return
				}
				c.Write([]byte(raw))
			})
			cl := newTestClient(t, Options{})
			_, err := cl.Do(context.Background(), &Request{Method: "GET", Scheme: "http", Host: srv.host(), RequestURI: "/"})
			if !errors.Is(err, errHeaderTooLarge) {
				t.Fatalf("got %v, want errHeaderTooLarge", err)
			}
		})
	}
	t.Run("just under the limit", func(t *testing.T) {
		value := strings.Repeat("b", 100_000)
		raw := "HTTP/1.1 200 OK\r\nX-Long: " + value + "\r\nContent-Length: 0\r\n\r\n"
		srv := newRawServer(t, respondAll(raw))
		cl := newTestClient(t, Options{})
		resp, err := cl.Do(context.Background(), &Request{Method: "GET", Scheme: "http", Host: srv.host(), RequestURI: "/"})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Header.Get("X-Long") != value {
			t.Errorf("long header value lost")
		}
	})
}

func TestInvalidRequests(t *testing.T) {
	cl := newTestClient(t, Options{})
	tests := []struct {
		name string
		req  Request
	}{
		{"bad scheme", Request{Method: "GET", Scheme: "ftp", Host: "example.com"}},
		{"empty method", Request{Method: "", Scheme: "http", Host: "example.com"}},
		{"space in method", Request{Method: "GE T", Scheme: "http", Host: "example.com"}},
		{"empty host", Request{Method: "GET", Scheme: "http", Host: ""}},
		{"host with path", Request{Method: "GET", Scheme: "http", Host: "example.com/x"}},
		{"host with userinfo", Request{Method: "GET", Scheme: "http", Host: "user@example.com"}},
		{"host with CRLF", Request{Method: "GET", Scheme: "http", Host: "example.com\r\nX: y"}},
		{"bad port", Request{Method: "GET", Scheme: "http", Host: "example.com:http"}},
		{"port out of range", Request{Method: "GET", Scheme: "http", Host: "example.com:70000"}},
		{"bare IPv6", Request{Method: "GET", Scheme: "http", Host: "::1"}},
		{"space in URI", Request{Method: "GET", Scheme: "http", Host: "example.com", RequestURI: "/a b"}},
		{"CRLF in URI", Request{Method: "GET", Scheme: "http", Host: "example.com", RequestURI: "/\r\nX: y"}},
		{"CRLF in header value", Request{Method: "GET", Scheme: "http", Host: "example.com", Header: http.Header{"X": {"a\r\nInjected: 1"}}}},
		{"bad header name", Request{Method: "GET", Scheme: "http", Host: "example.com", Header: http.Header{"X Y": {"a"}}}},
		{"length without body", Request{Method: "POST", Scheme: "http", Host: "example.com", ContentLength: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cl.Do(context.Background(), &tt.req)
			if !errors.Is(err, errBadRequest) {
				t.Fatalf("got %v, want errBadRequest", err)
			}
		})
	}
}

func TestShortRequestBody(t *testing.T) {
	srv, _ := countingServer(t, echo)
	cl := newTestClient(t, Options{})
	_, err := cl.Do(context.Background(), &Request{
		Method: "POST", Scheme: "http", Host: hostOf(srv.URL), RequestURI: "/",
		Body: strings.NewReader("abc"), ContentLength: 10,
	})
	if err == nil || !strings.Contains(err.Error(), "short") {
		t.Fatalf("got %v, want a short-body error", err)
	}
	if cl.idle() != 0 {
		t.Error("connection pooled after a short request body")
	}
}

func TestTLS(t *testing.T) {
	srv, accepted := countingTLSServer(t, echo)
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	host := hostOf(srv.URL)
	// The test certificate names example.com and 127.0.0.1; dial by IP literal.
	t.Run("verified", func(t *testing.T) {
		cl := newTestClient(t, Options{TLSConfig: &tls.Config{RootCAs: roots}})
		for range 3 {
			resp, err := cl.Do(context.Background(), &Request{Method: "GET", Scheme: "https", Host: host, RequestURI: "/tls"})
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			if resp.Header.Get("X-URI") != "/tls" {
				t.Errorf("headers %v", resp.Header)
			}
		}
		if n := accepted.Load(); n != 1 {
			t.Errorf("%d TLS connections, want 1", n)
		}
	})
	t.Run("unknown authority refused", func(t *testing.T) {
		cl := newTestClient(t, Options{})
		_, err := cl.Do(context.Background(), &Request{Method: "GET", Scheme: "https", Host: host, RequestURI: "/"})
		var uerr x509.UnknownAuthorityError
		if !errors.As(err, &uerr) {
			t.Fatalf("got %v, want an unknown-authority error", err)
		}
	})
	t.Run("insecure skip verify", func(t *testing.T) {
		cl := newTestClient(t, Options{})
		resp, err := cl.Do(context.Background(), &Request{Method: "GET", Scheme: "https", Host: host, RequestURI: "/", InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		// A connection made without checks is not handed to a request that wants them.
		_, err = cl.Do(context.Background(), &Request{Method: "GET", Scheme: "https", Host: host, RequestURI: "/"})
		if err == nil {
			t.Fatal("verified request reused an unverified connection")
		}
	})
}

func TestEarlyAnswerToALargeUpload(t *testing.T) {
	srv, _ := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		http.Error(w, "too large", http.StatusRequestEntityTooLarge) // without reading the body
	}))
	cl := newTestClient(t, Options{})
	for _, n := range []int64{32 << 20, -1} {
		body := io.LimitReader(zeros{}, 32<<20)
		resp, err := cl.Do(context.Background(), &Request{
			Method: "POST", Scheme: "http", Host: hostOf(srv.URL), RequestURI: "/upload",
			Body: body, ContentLength: n, Timeout: 10 * time.Second,
		})
		if err != nil {
			t.Fatalf("ContentLength %d: %v", n, err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 413 || !strings.Contains(string(b), "too large") {
			t.Errorf("ContentLength %d: got %d %q", n, resp.StatusCode, b)
		}
	}
	if n := cl.idle(); n != 0 {
		t.Errorf("%d connections pooled after an interrupted upload", n)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// The most recently returned connection is the next one used, so a quiet period lets the others
// reach their idle timeout.
func TestPoolIsLIFO(t *testing.T) {
	arrived := make(chan struct{}, 2)
	release := make(chan struct{})
	srv, _ := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hold" {
			arrived <- struct{}{}
			<-release
		}
		io.WriteString(w, r.RemoteAddr)
	}))
	cl := newTestClient(t, Options{})
	get := func(uri string) *Response {
		resp, err := cl.Do(context.Background(), &Request{Method: "GET", Scheme: "http", Host: hostOf(srv.URL), RequestURI: uri})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	type result struct {
		resp *Response
		err  error
	}
	results := make(chan result, 2)
	for range 2 {
		go func() {
			resp, err := cl.Do(context.Background(), &Request{Method: "GET", Scheme: "http", Host: hostOf(srv.URL), RequestURI: "/hold"})
			results <- result{resp, err}
		}()
	}
	<-arrived
	<-arrived
	close(release)
	r1, r2 := <-results, <-results
	if r1.err != nil || r2.err != nil {
		t.Fatal(r1.err, r2.err)
	}
	first, second := r1.resp, r2.resp
	a, _ := io.ReadAll(first.Body)  // pooled first
	b, _ := io.ReadAll(second.Body) // pooled last
	if string(a) == string(b) {
		t.Fatalf("both requests on one connection %s", a)
	}
	for range 3 {
		got, _ := io.ReadAll(get("/").Body)
		if string(got) != string(b) {
			t.Fatalf("request went out on %s, want the most recently pooled %s", got, b)
		}
	}
}

// A TLS upstream that accepts and never answers the handshake: the request's timeout covers
// connecting too.
func TestTimeoutCoversHandshake(t *testing.T) {
	done := make(chan struct{})
	srv := newRawServer(t, func(c net.Conn, br *bufio.Reader) { <-done })
	defer close(done)
	cl := newTestClient(t, Options{})
	_, err := cl.Do(context.Background(), &Request{Method: "GET", Scheme: "https", Host: srv.host(), RequestURI: "/", Timeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
}
