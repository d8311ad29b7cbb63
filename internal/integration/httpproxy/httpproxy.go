// Package httpproxy is Portico's upstream HTTP/1.1 client for HTTP and HTTP_PROXY integrations: a
// lean, pooled client built for the proxy hot path (kept-alive connections per host, pooled
// buffers, no per-request allocations it can avoid). It knows nothing of API Gateway semantics:
// callers decide which headers to send and how to render the answer.
//
// httpproxy imports nothing of Portico's.
package httpproxy

import (
	"errors"
	"io"
	"net/http"
	"time"
)

// Request is one upstream call.
type Request struct {
	Method string
	// Scheme is "http" or "https"; Host is "host[:port]" (dialled, and sent as the Host header).
	Scheme, Host string
	// RequestURI is the path and query exactly as sent on the request line ("/a%2Fb?x=1").
	RequestURI string
	// Header holds the headers to send; the client adds Host and the framing headers
	// (Content-Length or Transfer-Encoding) itself.
	Header http.Header
	// Body is sent as is; ContentLength is its length, or -1 when unknown (sent chunked).
	Body          io.Reader
	ContentLength int64
	// Timeout bounds the whole exchange up to the end of the response headers.
	Timeout time.Duration
	// InsecureSkipVerify disables TLS certificate checks for https upstreams.
	InsecureSkipVerify bool
}

// Response is the upstream's answer. Body must be read to its end or closed: closing returns the
// connection to the pool when that is safe.
type Response struct {
	StatusCode    int
	Header        http.Header
	ContentLength int64 // -1 when unknown
	Body          io.ReadCloser
}

// ErrTimeout is returned (wrapped) when Request.Timeout passes before the response headers arrive.
var ErrTimeout = errors.New("httpproxy: upstream timed out")
