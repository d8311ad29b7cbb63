package httpproxy

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// byteConn is a net.Conn that reads from a fixed byte slice.
type byteConn struct {
	net.Conn
	r *bytes.Reader
}

func (c byteConn) Read(p []byte) (int, error)       { return c.r.Read(p) }
func (c byteConn) Close() error                     { return nil }
func (c byteConn) SetDeadline(time.Time) error      { return nil }
func (c byteConn) SetReadDeadline(time.Time) error  { return nil }
func (c byteConn) SetWriteDeadline(time.Time) error { return nil }
func (c byteConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c byteConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }

// FuzzReadResponse feeds arbitrary bytes to the response parser and body decoder. They must
// never panic, and what they accept net/http must accept too, with the same status and body.
func FuzzReadResponse(f *testing.F) {
	seeds := []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: 1\r\n\r\n",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 404\nX: y\n\nbody until close",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nX:\r\n\r\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s), false)
	}
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, isHead bool) {
		cn := newConn(byteConn{r: bytes.NewReader(data)}, &hostPool{max: 0}, 4096)
		resp, err := cn.readResponse(isHead)
		if err != nil {
			return
		}
		body, berr := io.ReadAll(resp.Body)
		resp.Body.Close()

		method := "GET"
		if isHead {
			method = "HEAD"
		}
		br := bufio.NewReader(bytes.NewReader(data))
		want, err := http.ReadResponse(br, &http.Request{Method: method})
		for err == nil && want.StatusCode >= 100 && want.StatusCode < 200 {
			want, err = http.ReadResponse(br, &http.Request{Method: method})
		}
		if err != nil {
			t.Fatalf("accepted a response net/http refuses (%v): %q", err, data)
		}
		wantBody, werr := io.ReadAll(want.Body)
		if want.StatusCode != resp.StatusCode {
			t.Fatalf("status %d, net/http says %d: %q", resp.StatusCode, want.StatusCode, data)
		}
		if berr == nil && werr == nil && !bytes.Equal(body, wantBody) {
			t.Fatalf("body %q, net/http says %q: %q", body, wantBody, data)
		}
	})
}

// FuzzSplitHost: any host string is refused or yields an address net can split, free of
// characters that would change the request's meaning.
func FuzzSplitHost(f *testing.F) {
	for _, s := range []string{"example.com", "example.com:8080", "[::1]", "[::1]:443", "::1", "a:b:c", "x:0", "host:65536", "[x]y", "a@b", ""} {
		f.Add("http", s)
		f.Add("https", s)
	}
	f.Fuzz(func(t *testing.T, scheme, host string) {
		addr, name, err := splitHost(scheme, host)
		if err != nil {
			return
		}
		h, p, err := net.SplitHostPort(addr)
		if err != nil || h != name || p == "" || name == "" {
			t.Fatalf("splitHost(%q) = %q, %q: SplitHostPort says %q %q %v", host, addr, name, h, p, err)
		}
		for i := 0; i < len(host); i++ {
			if c := host[i]; c <= ' ' || c >= 0x7f || c == '/' || c == '@' || c == '?' || c == '#' {
				t.Fatalf("accepted host %q", host)
			}
		}
	})
}

// FuzzWriteRequest: whatever validateRequest accepts is written as exactly one request that
// net/http reads back with the same method, URI, header and body: no injected lines.
func FuzzWriteRequest(f *testing.F) {
	f.Add("GET", "/a?b=c", "X-Key", "value", "", int64(0))
	f.Add("POST", "/", "Content-Type", "application/json", `{"a":1}`, int64(7))
	f.Add("PUT", "/x", "X", "a\r\nInjected: 1", "body", int64(-1))
	f.Add("GET", "/\r\n\r\nGET /smuggled", "X", "v", "", int64(0))
	f.Fuzz(func(t *testing.T, method, uri, key, value, payload string, n int64) {
		if n > 0 {
			n = int64(len(payload))
		}
		req := &Request{Method: method, Scheme: "http", Host: "upstream.test", RequestURI: uri,
			Header: http.Header{key: {value}}, ContentLength: n}
		if n != 0 {
			req.Body = bytes.NewReader([]byte(payload))
		}
		if validateRequest(req) != nil {
			return
		}
		var out bytes.Buffer
		w := &captureConn{w: &out}
		cn := newConn(w, &hostPool{}, 1<<20)
		var bodyRead bool
		if err := cn.writeRequest(req, &bodyRead); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(&out)
		got, err := http.ReadRequest(br)
		if err != nil {
			// net/http is stricter about URIs than the wire format needs; what matters is that
			// nothing was injected, checked below for what it does read.
			return
		}
		b, _ := io.ReadAll(got.Body)
		wantURI := uri
		if wantURI == "" {
			wantURI = "/"
		}
		if got.Method != method || got.RequestURI != wantURI {
			t.Fatalf("wrote %q %q, read back %q %q", method, uri, got.Method, got.RequestURI)
		}
		if !isFramingHeader(key) && http.CanonicalHeaderKey(key) != "Connection" {
			if gv := got.Header.Values(key); len(gv) != 1 || gv[0] != strings.Trim(value, " \t") {
				t.Fatalf("header %q: %q, read back %q", key, value, gv)
			}
		}
		if n != 0 && string(b) != payload {
			t.Fatalf("body %q, read back %q", payload, b)
		}
		if br.Buffered() != 0 {
			t.Fatalf("bytes after the request: %q", out.String())
		}
	})
}

// captureConn is a net.Conn that records what is written to it.
type captureConn struct {
	net.Conn
	w io.Writer
}

func (c *captureConn) Write(p []byte) (int, error) { return c.w.Write(p) }
