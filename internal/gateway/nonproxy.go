package gateway

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/portico/portico/internal/integration/httpproxy"
	"github.com/portico/portico/internal/runtime"
	awsvtl "github.com/portico/portico/internal/vtl/aws"
)

// integrationResult is what a non-proxy integration answered, before response mapping.
type integrationResult struct {
	status int
	header http.Header // nil for a MOCK
	body   []byte
	doc    jsonDoc
	// lambda marks a Lambda result, selected by selection (the function's errorMessage, ""
	// on success) instead of by status.
	lambda    bool
	selection string
}

// Mapped method response headers that AWS renames x-amzn-Remapped-<name> on non-proxy
// integrations (rest-api-model.md §6), in canonical form.
var remappedMethodHeaders = map[string]string{
	"Connection":         "X-Amzn-Remapped-Connection",
	"Content-Length":     "X-Amzn-Remapped-Content-Length",
	"Date":               "X-Amzn-Remapped-Date",
	"Server":             "X-Amzn-Remapped-Server",
	"Authorization":      "X-Amzn-Remapped-Authorization",
	"Content-Md5":        "X-Amzn-Remapped-Content-Md5",
	"Expect":             "X-Amzn-Remapped-Expect",
	"Host":               "X-Amzn-Remapped-Host",
	"Max-Forwards":       "X-Amzn-Remapped-Max-Forwards",
	"Proxy-Authenticate": "X-Amzn-Remapped-Proxy-Authenticate",
	"Trailer":            "X-Amzn-Remapped-Trailer",
	"Upgrade":            "X-Amzn-Remapped-Upgrade",
	"User-Agent":         "X-Amzn-Remapped-User-Agent",
	"Www-Authenticate":   "X-Amzn-Remapped-Www-Authenticate",
}

// readRequestBody reads the whole request body (non-proxy integrations map it), held to the
// payload limit.
func (rc *request) readRequestBody() *gatewayError {
	if rc.reqBodyRead {
		return nil
	}
	rc.reqBodyRead = true
	if rc.r.ContentLength == 0 {
		return nil
	}
	body, gerr := rc.decodedBody()
	if gerr != nil {
		return gerr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		switch {
		case errors.Is(err, errTooLargeBody):
			return errTooLarge
		case body != io.Reader(rc.body):
			return errUndecodable
		}
		return errInternal
	}
	rc.reqBody = b
	return nil
}

// requestPayload chooses what a non-proxy integration receives: the request template selected
// by Content-Type, rendered; else the body as it came, unless the passthrough behaviour refuses
// it with 415 (rest-api-model.md §5). An empty template passes the body through, as AWS does.
// templated is false when the body is passed through.
func (g *Gateway) requestPayload(rc *request, in *runtime.Integration) (payload []byte, templated bool, gerr *gatewayError) {
	if err := rc.readRequestBody(); err != nil {
		return nil, false, err
	}
	t, ok := in.SelectRequestTemplate(rc.r.Header.Get("Content-Type"))
	if !ok {
		if in.Passthrough == runtime.Never || in.Passthrough == runtime.WhenNoTemplates && len(in.RequestTemplates) > 0 {
			return nil, false, errMediaType
		}
		return rc.reqBody, false, nil
	}
	if t.Text == "" {
		return rc.reqBody, false, nil
	}
	payload, gerr = g.renderRequestTemplate(rc, t)
	return payload, true, gerr
}

// serveHTTP runs a non-proxy HTTP integration: the request is built from the integration's
// mappings and template alone (the client's query string and headers reach the backend only
// when mapped), and the answer goes through integration response selection and mapping.
func (g *Gateway) serveHTTP(rc *request, in *runtime.Integration) *gatewayError {
	payload, templated, gerr := g.requestPayload(rc, in)
	if gerr != nil {
		return gerr
	}
	if !templated {
		if payload, gerr = g.convertRequest(rc, in, payload); gerr != nil {
			return gerr
		}
	}
	t := in.HTTP
	req := &rc.upstream
	*req = httpproxy.Request{
		Method:             t.Method,
		Scheme:             t.Scheme,
		Host:               t.Host,
		RequestURI:         rc.nonProxyURI(t),
		Header:             rc.nonProxyHeader(t, len(payload) > 0),
		Timeout:            in.Timeout,
		InsecureSkipVerify: t.InsecureSkipVerify,
	}
	if req.Method == "" {
		req.Method = rc.r.Method
	}
	return g.exchange(rc, in, req, payload, "host", t.Host)
}

// exchange sends a non-proxy integration request (HTTP or AWS service) with its rendered
// payload, reads the whole answer within the integration timeout and maps it through the
// integration responses. logAttrs name the target in the log line of a failed call.
func (g *Gateway) exchange(rc *request, in *runtime.Integration, req *httpproxy.Request, payload []byte, logAttrs ...any) *gatewayError {
	if len(payload) > 0 {
		req.Body, req.ContentLength = bytes.NewReader(payload), int64(len(payload))
	}
	if rc.exec != nil {
		rc.traceEndpointRequest(req.Scheme+"://"+req.Host+req.RequestURI, req.Header, payload)
	}
	deadline := time.Now().Add(in.Timeout)
	resp, err := g.upstreamFor(rc).Do(rc.r.Context(), req)
	if err != nil {
		switch {
		case errors.Is(err, httpproxy.ErrTimeout):
			return errTimeout
		case rc.r.Context().Err() != nil:
			return nil // the client is gone; there is no one to answer
		}
		rc.exec.Log("Execution failed due to configuration error: Invalid endpoint address")
		g.log.Warn("execution failed due to configuration error: invalid endpoint address", append([]any{
			"api", rc.api.ID, "stage", rc.api.Stage, "resource", rc.resource.Path, "method", rc.r.Method},
			append(logAttrs, "error", err, "requestId", rc.requestID)...)...)
		return errInternal
	}
	rc.obs.integrationAnswered(resp.StatusCode)
	body, gerr, gone := g.readAnswer(rc, resp, deadline)
	if gone {
		return nil
	}
	if gerr != nil {
		return gerr
	}
	if rc.exec != nil {
		rc.traceEndpointResponse(resp.StatusCode, resp.Header, body)
	}
	return g.respond(rc, in, &integrationResult{status: resp.StatusCode, header: resp.Header, body: body})
}

// readAnswer reads an integration's answer whole, within what is left of the integration
// timeout: the upstream client bounds the exchange only up to the answer's head, so the body is
// read on a goroutine of its own, which closes it when done. An answer still arriving at the
// deadline is AWS's 504; one over the payload limit is 500. gone reports that the client left.
func (g *Gateway) readAnswer(rc *request, resp *httpproxy.Response, deadline time.Time) (body []byte, gerr *gatewayError, gone bool) {
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	limit := g.opts.MaxPayloadBytes
	go func() {
		b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
		resp.Body.Close()
		done <- result{b, err}
	}()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	var r result
	select {
	case r = <-done:
	case <-timer.C:
		return nil, errTimeout, false
	case <-rc.r.Context().Done():
		return nil, nil, true
	}
	if r.err != nil {
		g.log.Warn("integration response could not be read", "api", rc.api.ID, "stage", rc.api.Stage,
			"resource", rc.resource.Path, "method", rc.r.Method, "error", r.err, "requestId", rc.requestID)
		return nil, errInternal, false
	}
	if int64(len(r.b)) > limit {
		g.log.Error("integration response exceeds the payload limit", "api", rc.api.ID, "stage", rc.api.Stage,
			"resource", rc.resource.Path, "method", rc.r.Method, "limit", limit, "requestId", rc.requestID)
		return nil, errInternal, false
	}
	return r.b, nil, false
}

// nonProxyURI builds the upstream request line's path and query from the uri and the mapped
// querystring parameters; the client's own query string is not passed on.
func (rc *request) nonProxyURI(t *runtime.HTTPTarget) string {
	var b strings.Builder
	for _, p := range t.Path {
		if !p.Param {
			b.WriteString(p.Text)
		} else if v, ok := rc.pathOverride(p); ok {
			appendPathValue(&b, v)
		} else if v, ok := rc.source(p.Source, nil); ok {
			appendPathValue(&b, v)
		}
	}
	sep := byte('?')
	add := func(s string) {
		b.WriteByte(sep)
		b.WriteString(s)
		sep = '&'
	}
	if len(t.Query) > 0 {
		var q strings.Builder
		for _, p := range t.Query {
			if !p.Param {
				q.WriteString(p.Text)
			} else if v, ok := rc.source(p.Source, nil); ok {
				appendPathValue(&q, v)
			}
		}
		if q.Len() > 0 {
			add(q.String())
		}
	}
	for _, q := range t.QueryParams {
		if rc.queryOverridden(q.Name) {
			continue
		}
		name := url.QueryEscape(q.Name) + "="
		if q.Source.Kind == runtime.SrcMultiQuery {
			for _, v := range queryValues(rc.r.URL.RawQuery, q.Source.Name) {
				add(name + url.QueryEscape(v))
			}
			continue
		}
		if v, ok := rc.source(q.Source, nil); ok {
			add(name + url.QueryEscape(v))
		}
	}
	for _, o := range rc.overrides.query {
		for _, v := range o.Values {
			add(url.QueryEscape(o.Name) + "=" + url.QueryEscape(v))
		}
	}
	return b.String()
}

// nonProxyHeader builds the upstream's headers: the mapped ones, then the request overrides,
// over the ones API Gateway always sends (its User-Agent, Accept: application/json, the API id
// and a trace id) and the client's Content-Type when there is a body.
func (rc *request) nonProxyHeader(t *runtime.HTTPTarget, hasBody bool) http.Header {
	h := make(http.Header, len(t.Headers)+6)
	h["User-Agent"] = []string{"AmazonAPIGateway_" + rc.api.ID}
	h["Accept"] = jsonContentType
	h["X-Amzn-Apigateway-Api-Id"] = []string{rc.api.ID}
	if v := rc.r.Header["X-Amzn-Trace-Id"]; len(v) > 0 {
		h["X-Amzn-Trace-Id"] = v
	} else {
		h["X-Amzn-Trace-Id"] = []string{newTraceID(rc.start.Unix())}
	}
	rc.propagateTrace(h)
	if hasBody {
		if ct := rc.r.Header["Content-Type"]; len(ct) > 0 {
			h["Content-Type"] = ct
		} else {
			h["Content-Type"] = jsonContentType
		}
	}
	for i := range t.Headers {
		rc.setHeader(h, &t.Headers[i], nil)
	}
	for _, o := range rc.overrides.header {
		h[http.CanonicalHeaderKey(o.Name)] = o.Values
	}
	// The client writes the framing and Host itself; a mapped copy would contradict it.
	for _, k := range framingHeaders {
		delete(h, k)
	}
	return h
}

// framingHeaders are request headers a mapping or override may not set (in canonical form):
// the upstream client writes Host and the body's framing, and AWS forwards none of the others.
var framingHeaders = []string{"Host", "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive",
	"Proxy-Connection", "Te", "Trailer", "Upgrade", "Expect", "Max-Forwards"}

// appendPathValue appends a value to the upstream path, percent-encoding the bytes a request
// line cannot carry (spaces, controls, non-ASCII) and those that would end the path (? and #).
// Existing escapes are kept: a route parameter arrives as the client encoded it.
func appendPathValue(b *strings.Builder, v string) {
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c <= ' ' || c >= 0x7f || c == '?' || c == '#' {
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xf])
			continue
		}
		b.WriteByte(c)
	}
}

// respond selects the integration response for a non-proxy result and writes the method
// response: mapped headers, the response template (or the body as it came) and the status,
// each subject to the template's $context.responseOverride.
func (g *Gateway) respond(rc *request, in *runtime.Integration, res *integrationResult) *gatewayError {
	selection := res.selection
	if !res.lambda {
		selection = statusText(res.status)
	}
	ir := in.Select(selection)
	if ir == nil {
		rc.exec.Log("Execution failed due to configuration error: No match for output mapping and no default output mapping configured. Endpoint Response Status Code: " + statusText(res.status))
		g.log.Error("no match for output mapping and no default output mapping configured",
			"api", rc.api.ID, "stage", rc.api.Stage, "resource", rc.resource.Path, "method", rc.r.Method,
			"status", res.status, "requestId", rc.requestID)
		return errInternal
	}
	if !ir.HasMethodResponse {
		rc.exec.Log("Execution failed due to configuration error: Output mapping refers to an invalid method response: " + statusText(ir.StatusCode))
		g.log.Error("integration response has no method response", "api", rc.api.ID, "stage", rc.api.Stage,
			"resource", rc.resource.Path, "method", rc.r.Method, "statusCode", ir.StatusCode, "requestId", rc.requestID)
		return errInternal
	}
	contentType := jsonContentType
	var body []byte
	var gerr *gatewayError
	t := runtime.SelectResponseTemplate(ir.Templates, rc.r.Header.Get("Accept"))
	if t != nil {
		contentType = []string{t.ContentType}
	}
	// A MOCK without a response template answers with no body.
	switch {
	case t != nil && t.Text != "":
		body, gerr = g.renderResponseTemplate(rc, t, res)
	case res.header != nil:
		body, gerr = g.convertResponse(rc, ir, res)
	}
	if gerr != nil {
		return gerr
	}
	status := ir.StatusCode
	if s := rc.overrides.status; s != 0 {
		status = s
	}
	h := rc.w.Header()
	for i := range ir.Headers {
		p := &ir.Headers[i]
		name := p.Name
		if to, ok := remappedMethodHeaders[name]; ok {
			name = to
		} else if name == "Transfer-Encoding" {
			continue
		}
		if p.Values != nil {
			h[name] = p.Values
		} else if v, ok := rc.responseValue(p.Source, res); ok {
			h[name] = []string{v}
		}
	}
	for _, o := range rc.overrides.respHeader {
		name := http.CanonicalHeaderKey(o.Name)
		if to, ok := remappedMethodHeaders[name]; ok {
			name = to
		}
		h[name] = o.Values
	}
	if _, set := h["Content-Type"]; !set {
		h["Content-Type"] = contentType
	}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	if rc.exec != nil {
		rc.traceMethodResponse(body, h)
	}
	rc.w.WriteHeader(status)
	if rc.r.Method != http.MethodHead {
		rc.w.Write(body)
	}
	return nil
}

// responseValue evaluates a response parameter's source against the integration's answer
// (integration.response.*) or the request.
func (rc *request) responseValue(src runtime.Source, res *integrationResult) (string, bool) {
	switch src.Kind {
	case runtime.SrcRespHeader, runtime.SrcRespMultiHeader:
		if res.header == nil {
			return "", false
		}
		v := res.header.Values(src.Name)
		if len(v) == 0 {
			return "", false
		}
		if src.Kind == runtime.SrcRespHeader {
			return v[0], true
		}
		return strings.Join(v, ","), true
	case runtime.SrcRespBody:
		return string(res.body), true
	case runtime.SrcRespBodyPath:
		return bodyPathValue(src.Path, res.body, &res.doc)
	}
	return rc.source(src, nil)
}

// moreSource evaluates the sources only an integration request has: every value of a query
// parameter or header (joined with commas, as AWS joins them into one value) and the body.
func (rc *request) moreSource(src runtime.Source) (string, bool) {
	switch src.Kind {
	case runtime.SrcMultiQuery:
		v := queryValues(rc.r.URL.RawQuery, src.Name)
		if len(v) == 0 {
			return "", false
		}
		return strings.Join(v, ","), true
	case runtime.SrcMultiHeader:
		v := rc.r.Header.Values(src.Name)
		if len(v) == 0 {
			return "", false
		}
		return strings.Join(v, ","), true
	case runtime.SrcBody:
		if !rc.reqBodyRead {
			return "", false
		}
		return string(rc.reqBody), true
	case runtime.SrcBodyPath:
		if !rc.reqBodyRead {
			return "", false
		}
		return bodyPathValue(src.Path, rc.reqBody, &rc.reqDoc)
	}
	return "", false
}

// queryValues returns every form-decoded value of name in a raw query string.
func queryValues(raw, name string) []string {
	var out []string
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(pair, "=")
		if k != name {
			if dk, err := queryUnescape(k); err != nil || dk != name {
				continue
			}
		}
		if dv, err := queryUnescape(v); err == nil {
			v = dv
		}
		out = append(out, v)
	}
	return out
}

// overrides are what the templates of a request assigned to $context.requestOverride and
// $context.responseOverride, applied after each template is evaluated.
type overrides struct {
	header, query, path []awsvtl.Param
	respHeader          []awsvtl.Param
	status              int
}

func (o *overrides) add(ov *awsvtl.Overrides) {
	if ov == nil {
		return
	}
	o.header = append(o.header, ov.Header...)
	o.query = append(o.query, ov.Querystring...)
	o.path = append(o.path, ov.Path...)
	o.respHeader = append(o.respHeader, ov.ResponseHeader...)
	if ov.Status != 0 {
		o.status = ov.Status
	}
}

// pathOverride returns the request override of the uri placeholder p.
func (rc *request) pathOverride(p runtime.URIPart) (string, bool) {
	for _, o := range rc.overrides.path {
		if o.Name == p.Name && len(o.Values) > 0 {
			return o.Values[0], true
		}
	}
	return "", false
}

// queryOverridden reports whether a template overrides query parameter name.
func (rc *request) queryOverridden(name string) bool {
	for _, o := range rc.overrides.query {
		if o.Name == name {
			return true
		}
	}
	return false
}
