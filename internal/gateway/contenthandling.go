package gateway

import (
	"encoding/base64"
	"strings"

	"github.com/portico/portico/internal/runtime"
)

// isBinary reports whether a Content-Type or Accept value names a media type the API lists in
// binaryMediaTypes (exactly, or through a type/* or */* wildcard). Only the first media type of
// a list counts, as on AWS.
func isBinary(types []string, value string) bool {
	if len(types) == 0 || value == "" {
		return false
	}
	if i := strings.IndexByte(value, ','); i >= 0 {
		value = value[:i]
	}
	mt := runtime.MediaType(value)
	main, _, _ := strings.Cut(mt, "/")
	for _, t := range types {
		t = strings.ToLower(t)
		if t == mt || t == "*/*" {
			return true
		}
		if m, sub, _ := strings.Cut(t, "/"); sub == "*" && m == main {
			return true
		}
	}
	return false
}

// templateInput is the payload as a template sees it: a binary payload only as base64.
func templateInput(body []byte, binary bool) []byte {
	if !binary || len(body) == 0 {
		return body
	}
	return base64.StdEncoding.AppendEncode(nil, body)
}

// convertRequest applies the integration's contentHandling to a passed-through request
// payload (rest-api-model.md §5): CONVERT_TO_TEXT base64-encodes a binary payload, CONVERT_TO_BINARY
// base64-decodes a text one; unset passes either through. A payload that is not base64 fails
// with 500, as on AWS.
func (g *Gateway) convertRequest(rc *request, in *runtime.Integration, payload []byte) ([]byte, *gatewayError) {
	if len(payload) == 0 || in.ContentHandling == "" {
		return payload, nil
	}
	binary := rc.requestBinary()
	switch {
	case in.ContentHandling == "CONVERT_TO_TEXT" && binary:
		return base64.StdEncoding.AppendEncode(nil, payload), nil
	case in.ContentHandling == "CONVERT_TO_BINARY" && !binary:
		return g.decodeBase64(rc, payload)
	}
	return payload, nil
}

// requestBinary reports whether the request's Content-Type is one of the API's binary types.
func (rc *request) requestBinary() bool {
	return isBinary(rc.api.BinaryMediaTypes, rc.r.Header.Get("Content-Type"))
}

// convertResponse applies the table of rest-api-model.md §5 to an HTTP integration's answer
// passed through without a template,
// decided by its Content-Type and the client's first Accept type against binaryMediaTypes, and
// the integration response's contentHandling. A MOCK has no payload to convert.
func (g *Gateway) convertResponse(rc *request, ir *runtime.IntegrationResponse, res *integrationResult) ([]byte, *gatewayError) {
	if res.header == nil || len(res.body) == 0 || len(rc.api.BinaryMediaTypes) == 0 && ir.ContentHandling == "" {
		return res.body, nil
	}
	binary := isBinary(rc.api.BinaryMediaTypes, res.header.Get("Content-Type"))
	acceptBinary := isBinary(rc.api.BinaryMediaTypes, rc.r.Header.Get("Accept"))
	switch ir.ContentHandling {
	case "CONVERT_TO_TEXT":
		if binary {
			return base64.StdEncoding.AppendEncode(nil, res.body), nil
		}
	case "CONVERT_TO_BINARY":
		if !binary {
			return g.decodeBase64(rc, res.body)
		}
	default:
		switch {
		case binary && !acceptBinary:
			return base64.StdEncoding.AppendEncode(nil, res.body), nil
		case !binary && acceptBinary:
			return g.decodeBase64(rc, res.body)
		}
	}
	return res.body, nil
}

func (g *Gateway) decodeBase64(rc *request, b []byte) ([]byte, *gatewayError) {
	out, err := base64.StdEncoding.AppendDecode(nil, b)
	if err != nil {
		g.log.Error("execution failed: unable to base64-decode the payload for contentHandling",
			"api", rc.api.ID, "stage", rc.api.Stage, "resource", rc.resource.Path, "method", rc.r.Method,
			"error", err, "requestId", rc.requestID)
		return nil, errInternal
	}
	return out, nil
}
