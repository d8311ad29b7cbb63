package httpproxy

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// conn is one upstream connection. It owns its buffers for its whole life, so a request on a pooled
// connection allocates none.
type conn struct {
	nc   net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
	pool *hostPool
	head headParser
	// abortFn is abort, bound once so that watching a request's context does not allocate it.
	abortFn func()

	idleAt      time.Time
	reused      bool // taken from the pool rather than freshly dialled
	gotBytes    bool // some of the current response has arrived
	hasDeadline bool
	closed      bool
}

func newConn(nc net.Conn, p *hostPool, maxHeader int) *conn {
	cn := &conn{
		nc:   nc,
		br:   bufio.NewReaderSize(nc, 4096),
		bw:   bufio.NewWriterSize(nc, 4096),
		pool: p,
		head: headParser{max: maxHeader},
	}
	cn.abortFn = cn.abort
	return cn
}

// abort makes every blocked and future read or write on the connection fail at once; it is how a
// cancelled context interrupts an exchange.
func (cn *conn) abort() { cn.nc.SetDeadline(time.Unix(1, 0)) }

func (cn *conn) close() {
	if !cn.closed {
		cn.closed = true
		cn.nc.Close()
	}
}

// release hands cn back to its pool when the exchange left it clean, and closes it otherwise.
func (cn *conn) release(reusable bool) {
	if reusable && cn.br.Buffered() == 0 {
		cn.pool.put(cn)
		return
	}
	cn.close()
}

// copyBufs holds the buffers request bodies are copied through.
var copyBufs = sync.Pool{New: func() any { return new([32 << 10]byte) }}

// writeRequest writes the request line, headers and body, and flushes them.
func (cn *conn) writeRequest(req *Request, bodyRead *bool) error {
	cn.gotBytes = false
	w := cn.bw
	w.WriteString(req.Method)
	w.WriteByte(' ')
	if req.RequestURI == "" {
		w.WriteByte('/')
	} else {
		w.WriteString(req.RequestURI)
	}
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(req.Host)
	w.WriteString("\r\n")
	for k, vs := range req.Header {
		if isFramingHeader(k) {
			continue
		}
		for _, v := range vs {
			w.WriteString(k)
			w.WriteString(": ")
			w.WriteString(v)
			w.WriteString("\r\n")
		}
	}
	body, n := req.Body, req.ContentLength
	if body == nil {
		n = 0
	}
	switch {
	case n > 0:
		w.WriteString("Content-Length: ")
		var num [20]byte
		w.Write(strconv.AppendInt(num[:0], n, 10))
		w.WriteString("\r\n\r\n")
	case n < 0:
		w.WriteString("Transfer-Encoding: chunked\r\n\r\n")
	case body != nil || methodWantsLength(req.Method):
		w.WriteString("Content-Length: 0\r\n\r\n")
	default:
		w.WriteString("\r\n")
	}
	if n != 0 {
		if err := cn.writeBody(body, n, bodyRead); err != nil {
			return err
		}
	}
	return w.Flush()
}

// writeBody streams body: exactly n bytes when n > 0, chunked until EOF when n < 0.
func (cn *conn) writeBody(body io.Reader, n int64, bodyRead *bool) error {
	buf := copyBufs.Get().(*[32 << 10]byte)
	defer copyBufs.Put(buf)
	*bodyRead = true
	w := cn.bw
	left := n
	for {
		if n > 0 && left == 0 {
			return nil
		}
		p := buf[:]
		if n > 0 && left < int64(len(p)) {
			p = p[:left]
		}
		m, rerr := body.Read(p)
		if m > 0 {
			if n < 0 {
				var hex [16]byte
				w.Write(strconv.AppendInt(hex[:0], int64(m), 16))
				w.WriteString("\r\n")
			}
			if _, err := w.Write(p[:m]); err != nil {
				return err
			}
			if n < 0 {
				w.WriteString("\r\n")
			}
			left -= int64(m)
		}
		if rerr == io.EOF {
			if n > 0 && left > 0 {
				return &bodyError{fmt.Errorf("request body ended %d bytes short of its ContentLength %d", left, n)}
			}
			if n < 0 {
				w.WriteString("0\r\n\r\n")
			}
			return nil
		}
		if rerr != nil {
			return &bodyError{fmt.Errorf("reading request body: %w", rerr)}
		}
	}
}

// bodyError is a failure of the caller's request body rather than of the upstream: it is never
// retried.
type bodyError struct{ err error }

func (e *bodyError) Error() string { return e.err.Error() }
func (e *bodyError) Unwrap() error { return e.err }

// isFramingHeader reports the headers Do writes itself.
func isFramingHeader(k string) bool {
	switch len(k) {
	case 4:
		return strings.EqualFold(k, "Host")
	case 14:
		return strings.EqualFold(k, "Content-Length")
	case 17:
		return strings.EqualFold(k, "Transfer-Encoding")
	}
	return false
}

func methodWantsLength(m string) bool { return m == "POST" || m == "PUT" || m == "PATCH" }

var errBadRequest = errors.New("httpproxy: invalid request")

// validateRequest refuses what would put a malformed or smuggled request on the wire.
func validateRequest(req *Request) error {
	if req.Scheme != "http" && req.Scheme != "https" {
		return fmt.Errorf("%w: scheme %q is not http or https", errBadRequest, req.Scheme)
	}
	if !isToken(req.Method) {
		return fmt.Errorf("%w: method %q", errBadRequest, req.Method)
	}
	for i := 0; i < len(req.RequestURI); i++ {
		if c := req.RequestURI[i]; c <= ' ' || c == 0x7f {
			return fmt.Errorf("%w: request URI %q holds a space or control character", errBadRequest, req.RequestURI)
		}
	}
	if req.Body == nil && req.ContentLength > 0 {
		return fmt.Errorf("%w: ContentLength %d with no Body", errBadRequest, req.ContentLength)
	}
	for k, vs := range req.Header {
		if !isToken(k) {
			return fmt.Errorf("%w: header name %q", errBadRequest, k)
		}
		for _, v := range vs {
			if !validFieldValue(v) {
				return fmt.Errorf("%w: header %s value %q holds a control character", errBadRequest, k, v)
			}
		}
	}
	return nil
}

// splitHost checks an upstream host and returns the address to dial and the TLS server name.
func splitHost(scheme, host string) (addr, serverName string, err error) {
	if host == "" {
		return "", "", fmt.Errorf("%w: empty host", errBadRequest)
	}
	for i := 0; i < len(host); i++ {
		switch c := host[i]; {
		case c <= ' ', c >= 0x7f, c == '/', c == '?', c == '#', c == '@', c == '\\':
			return "", "", fmt.Errorf("%w: host %q", errBadRequest, host)
		}
	}
	name, port, err := net.SplitHostPort(host)
	if err != nil {
		// No port: the whole host is the name (an IPv6 literal keeps its brackets here).
		name, port = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), "443"
		if scheme == "http" {
			port = "80"
		}
		if strings.ContainsAny(name, "[]") || (strings.Contains(name, ":") && !strings.HasPrefix(host, "[")) {
			return "", "", fmt.Errorf("%w: host %q", errBadRequest, host)
		}
	} else if p, perr := strconv.Atoi(port); perr != nil || p <= 0 || p > 65535 {
		return "", "", fmt.Errorf("%w: port in host %q", errBadRequest, host)
	}
	if name == "" {
		return "", "", fmt.Errorf("%w: host %q has no name", errBadRequest, host)
	}
	return net.JoinHostPort(name, port), name, nil
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenChar[s[i]] {
			return false
		}
	}
	return true
}

// validFieldValue allows visible characters, spaces, tabs and obs-text: no CR, LF, NUL or other
// controls.
func validFieldValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// tokenChar marks the characters of an RFC 9110 token.
var tokenChar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()
