package gateway

import (
	"strings"
)

// checkPayload refuses a declared body over the payload limit before anything is read, and
// bounds a body of unknown length so that it is cut when it grows past the limit.
func (g *Gateway) checkPayload(rc *request) *gatewayError {
	if rc.r.ContentLength > g.opts.MaxPayloadBytes {
		return errTooLarge
	}
	rc.bodyBuf = limitedBody{rc: rc.r.Body, left: g.opts.MaxPayloadBytes}
	rc.body = &rc.bodyBuf
	return nil
}

// resolveStage finds the API and stage the request addresses, from either invoke URL form:
// host style {apiId}.execute-api.{domain}/{stage}/{path}, or path style
// /restapis/{apiId}/{stage}/_user_request_/{path} on any host. It leaves the path after the
// stage in rc.path, raw: "" when the URL stops at the stage, which reaches no resource.
func (g *Gateway) resolveStage(rc *request) *gatewayError {
	r := rc.r
	rc.host = r.Host
	raw := r.RequestURI
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		raw = raw[:i]
	}
	if !strings.HasPrefix(raw, "/") {
		raw = r.URL.EscapedPath()
	}
	var apiID, stage string
	if id, ok := g.hostAPI(r.Host); ok {
		apiID = id
		stage, rc.path = splitSegment(raw)
	} else if d := g.customDomain(r.Host); d != nil {
		var err *gatewayError
		if apiID, stage, err = g.routeDomain(rc, d, raw); err != nil {
			return err
		}
	} else if rest, ok := strings.CutPrefix(raw, "/restapis"); ok {
		apiID, rest = splitSegment(rest)
		stage, rest = splitSegment(rest)
		marker, rest := splitSegment(rest)
		if marker != "_user_request_" {
			return errForbidden
		}
		rc.path = rest
	} else {
		return errForbidden
	}
	if apiID == "" || stage == "" {
		return errForbidden
	}
	api := g.table.Lookup(apiID, stage)
	if api == nil || (api.ExecuteAPIDisabled && rc.domain == nil) {
		return errForbidden
	}
	rc.api = pickRelease(api)
	rc.stage = stage
	rc.compressing(api.Compression)
	return nil
}

// hostAPI returns the API id of a host-style host, {apiId}.execute-api.{domain}[:port].
func (g *Gateway) hostAPI(host string) (string, bool) {
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
		host = host[:i]
	}
	i := strings.IndexByte(host, '.')
	if i <= 0 || len(host)-i != len(g.hostTail) || !strings.EqualFold(host[i:], g.hostTail) {
		return "", false
	}
	return host[:i], true
}

// splitSegment splits "/seg/rest" into "seg" and "/rest" ("" when nothing follows seg).
func splitSegment(p string) (seg, rest string) {
	if !strings.HasPrefix(p, "/") {
		return "", ""
	}
	p = p[1:]
	if i := strings.IndexByte(p, '/'); i >= 0 {
		return p[:i], p[i:]
	}
	return p, ""
}

// matchRoute finds the resource and method. A URL that stops at the stage (no "/" after it)
// reaches no resource, as on AWS.
func (g *Gateway) matchRoute(rc *request) *gatewayError {
	if rc.path == "" {
		return errMissingToken
	}
	res, params := rc.api.Routes.Match(rc.path, rc.params)
	if res == nil {
		return errMissingToken
	}
	rc.resource, rc.params = res, params
	m := res.Method(rc.r.Method)
	if m == nil {
		return errMissingToken
	}
	rc.method = m
	return nil
}
