package httpproxy

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
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
