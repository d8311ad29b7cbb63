package gateway

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/portico/portico/internal/integration/httpproxy"
	"github.com/portico/portico/internal/runtime"
)

// Request headers never sent upstream (rest-api-model.md §6, plus the hop-by-hop ones), in
// canonical form.
var droppedRequestHeaders = []string{
	"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization", "Content-Length", "Content-Md5",
	"Expect", "Max-Forwards", "Proxy-Authenticate", "Server", "Te", "Transfer-Encoding", "Trailer",
	"Upgrade", "Www-Authenticate", "Host",
}

// Response headers of proxy integrations that AWS renames x-amzn-Remapped-<name> (kept in
// canonical form so http.Header lookups find them; names are case-insensitive on the wire).
var remappedResponseHeaders = map[string]string{
	"Connection":     "X-Amzn-Remapped-Connection",
	"Content-Length": "X-Amzn-Remapped-Content-Length",
	"Date":           "X-Amzn-Remapped-Date",
	"Server":         "X-Amzn-Remapped-Server",
}

// serveHTTPProxy passes the request to the upstream and its answer back, streaming both bodies.
//
// Failures: the timeout answers 504 Endpoint request timed out (INTEGRATION_TIMEOUT); an
// upstream that cannot be reached answers 500 Internal server error as API_CONFIGURATION_ERROR,
// which is how AWS classifies it ("Execution failed due to configuration error: Invalid
// endpoint address"); a body cut at the payload limit answers 413 if nothing was sent yet.
func (g *Gateway) serveHTTPProxy(rc *request, in *runtime.Integration) *gatewayError {
	t := in.HTTP
	r := rc.r
	req := &rc.upstream
	*req = httpproxy.Request{
		Method:             t.Method,
		Scheme:             t.Scheme,
		Host:               t.Host,
		RequestURI:         rc.upstreamURI(t),
		Header:             rc.upstreamHeader(t),
		Timeout:            in.Timeout,
		InsecureSkipVerify: t.InsecureSkipVerify,
	}
	if req.Method == "" {
		req.Method = r.Method
	}
	if r.ContentLength != 0 {
		req.Body, req.ContentLength = rc.body, r.ContentLength
	}
	if rc.exec != nil {
		// With dataTrace, traceRequest has read the body whole.
		rc.traceEndpointRequest(req.Scheme+"://"+req.Host+req.RequestURI, req.Header, rc.reqBody)
	}
	resp, err := g.upstreamFor(rc).Do(r.Context(), req)
	if rc.body.tripped {
		if err == nil {
			resp.Body.Close()
		}
		return errTooLarge
	}
	if err != nil {
		switch {
		case errors.Is(err, httpproxy.ErrTimeout):
			return errTimeout
		case r.Context().Err() != nil:
			return nil // the client is gone; there is no one to answer
		}
		rc.exec.Log("Execution failed due to configuration error: Invalid endpoint address")
		g.log.Warn("execution failed due to configuration error: invalid endpoint address",
			"api", rc.api.ID, "stage", rc.api.Stage, "resource", rc.resource.Path, "host", t.Host,
			"error", err, "requestId", rc.requestID)
		return errInternal
	}
	defer resp.Body.Close()
	rc.obs.integrationAnswered(resp.StatusCode)
	h := rc.w.Header()
	for k, vv := range resp.Header {
		k = http.CanonicalHeaderKey(k)
		if to, ok := remappedResponseHeaders[k]; ok {
			h[to] = vv
			continue
		}
		switch k {
		case "Transfer-Encoding", "Keep-Alive", "X-Amzn-Requestid", "X-Amz-Apigw-Id":
			continue
		}
		h[k] = vv
	}
	if resp.ContentLength >= 0 {
		h["Content-Length"] = []string{strconv.FormatInt(resp.ContentLength, 10)}
	}
	if _, ok := h["Content-Type"]; !ok {
		h["Content-Type"] = jsonContentType
	}
	if rc.exec != nil {
		rc.traceEndpointResponse(resp.StatusCode, resp.Header, nil)
	}
	rc.w.WriteHeader(resp.StatusCode)
	if r.Method == http.MethodHead {
		rc.traceProxyBody(nil, h)
		return nil
	}
	// With dataTrace, the first bytes streamed are kept for the log (AWS logs 1,024 of them).
	var seen []byte
	bp := bufPool.Get().(*[]byte)
	buf := *bp
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			if rc.exec.Data() && len(seen) <= maxExecBody {
				seen = append(seen, buf[:min(n, maxExecBody+1-len(seen))]...)
			}
			if _, werr := rc.w.Write(buf[:n]); werr != nil {
				break
			}
		}
		if rerr != nil {
			break
		}
	}
	bufPool.Put(bp)
	rc.traceProxyBody(seen, h)
	return nil
}

// upstreamURI builds the request line's path and query: the uri's path with its placeholders
// filled (values stay as the client encoded them), then the uri's own query, the client's query
// string and the mapped querystring parameters.
func (rc *request) upstreamURI(t *runtime.HTTPTarget) string {
	var b strings.Builder
	for _, p := range t.Path {
		if !p.Param {
			b.WriteString(p.Text)
		} else if v, ok := rc.source(p.Source, nil); ok {
			b.WriteString(v)
		}
	}
	sep := byte('?')
	addQuery := func(s string) {
		if s != "" {
			b.WriteByte(sep)
			b.WriteString(s)
			sep = '&'
		}
	}
	for _, p := range t.Query {
		if !p.Param {
			addQuery(p.Text)
		} else if v, ok := rc.source(p.Source, nil); ok {
			addQuery(v)
		}
	}
	addQuery(rc.r.URL.RawQuery)
	for _, q := range t.QueryParams {
		if v, ok := rc.source(q.Source, nil); ok {
			addQuery(url.QueryEscape(q.Name) + "=" + url.QueryEscape(v))
		}
	}
	return b.String()
}

// upstreamHeader turns the client's headers into the upstream's, in place (the request owns
// them, and sparing a copy keeps the hot path free of another map): hop-by-hop and the headers AWS never forwards are dropped, a SigV4 Authorization is
// dropped, X-Forwarded-For/-Proto/-Port are added as AWS adds them, X-Amzn-Trace-Id is kept or
// started, and the integration's header mappings are applied.
func (rc *request) upstreamHeader(t *runtime.HTTPTarget) http.Header {
	h := rc.r.Header
	// Mapped values are read from the client's headers as they arrived, before any is dropped.
	type value struct {
		v  string
		ok bool
	}
	var mappedBuf [8]value
	mapped := mappedBuf[:0]
	for _, p := range t.Headers {
		v, ok := rc.source(p.Source, nil)
		mapped = append(mapped, value{v, ok})
	}
	for _, v := range h["Connection"] {
		for _, name := range strings.Split(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, k := range droppedRequestHeaders {
		delete(h, k)
	}
	if a := h["Authorization"]; len(a) > 0 && strings.HasPrefix(a[0], "AWS4-HMAC-SHA256") {
		delete(h, "Authorization")
	}
	ip := clientIP(rc.r)
	if prior := h["X-Forwarded-For"]; len(prior) > 0 {
		h["X-Forwarded-For"] = []string{strings.Join(prior, ", ") + ", " + ip}
	} else {
		h["X-Forwarded-For"] = []string{ip}
	}
	proto, protoValue := "http", protoHTTP
	if rc.r.TLS != nil {
		proto, protoValue = "https", protoHTTPS
	}
	h["X-Forwarded-Proto"] = protoValue
	h["X-Forwarded-Port"] = []string{localPort(rc.r, proto)}
	if _, ok := h["X-Amzn-Trace-Id"]; !ok {
		h["X-Amzn-Trace-Id"] = []string{newTraceID(rc.start.Unix())}
	}
	rc.propagateTrace(h)
	for i, p := range t.Headers {
		if mapped[i].ok {
			h[p.Name] = []string{mapped[i].v}
		}
	}
	return h
}

// Shared X-Forwarded-Proto values (never modified).
var protoHTTP, protoHTTPS = []string{"http"}, []string{"https"}

// localPort is the port the client connected to.
func localPort(r *http.Request, proto string) string {
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if tcp, ok := a.(*net.TCPAddr); ok {
			return strconv.Itoa(tcp.Port)
		}
	}
	if _, port, err := net.SplitHostPort(r.Host); err == nil {
		return port
	}
	if proto == "https" {
		return "443"
	}
	return "80"
}
