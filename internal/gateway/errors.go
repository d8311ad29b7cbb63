package gateway

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/portico/portico/internal/runtime"
)

// gatewayError is a failure of a request phase: the gateway response type that renders it and
// the message $context.error.message carries.
type gatewayError struct {
	typ     runtime.ResponseType
	message string
	// status and errorType, when set, replace the resolved status and the type's
	// x-amzn-ErrorType (for answers that have no gateway response type of their own).
	status    int
	errorType string
	// body, when set, replaces the body of the built-in template (AWS words some answers,
	// such as resource policy denials, as {"Message": ...}).
	body string
}

func (e *gatewayError) Error() string { return e.typ.String() + ": " + e.message }

var (
	errMissingToken = &gatewayError{typ: runtime.MissingAuthenticationToken, message: "Missing Authentication Token"}
	// errForbidden answers a request for an API or stage that is not served. There is no API to
	// customise it, so it renders with the built-in responses.
	errForbidden = &gatewayError{typ: runtime.Default4XX, message: "Forbidden", status: http.StatusForbidden,
		errorType: "ForbiddenException"}
	errTooLarge      = &gatewayError{typ: runtime.RequestTooLarge, message: "Request Too Long"}
	errInternal      = &gatewayError{typ: runtime.APIConfigurationError, message: "Internal server error"}
	errTimeout       = &gatewayError{typ: runtime.IntegrationTimeout, message: "Endpoint request timed out"}
	errUnauthorized  = &gatewayError{typ: runtime.Unauthorized, message: "Unauthorized"}
	errInvalidAPIKey = &gatewayError{typ: runtime.InvalidAPIKey, message: "Forbidden"}
	errMediaType     = &gatewayError{typ: runtime.UnsupportedMediaType, message: "Unsupported Media Type"}
	errTooLargeBody  = errors.New("gateway: request body exceeds the payload limit")
)

// writeError renders a gateway error: the one place every failure is answered. Status, headers
// and body come from the API's resolved gateway response of the error's type (the built-in ones
// when no API was found).
func (g *Gateway) writeError(rc *request, e *gatewayError) {
	responses := &g.defaults
	if rc.api != nil {
		responses = &rc.api.Responses
	}
	gr := responses[e.typ]
	status := gr.Status
	if e.status != 0 {
		status = e.status
	}
	errorType := e.errorType
	if errorType == "" {
		errorType = e.typ.ErrorType()
	}
	h := rc.w.Header()
	h["X-Amzn-Errortype"] = []string{errorType}
	for i := range gr.Headers {
		rc.setHeader(h, &gr.Headers[i], e)
	}
	bp := bufPool.Get().(*[]byte)
	body := (*bp)[:0]
	contentType := "application/json"
	if t := selectGatewayTemplate(gr.Templates, rc.r.Header.Get("Accept")); t != nil {
		contentType = t.ContentType
		if e.body != "" && isDefaultTemplate(t) {
			body = append(body, e.body...)
		} else if t.Static != nil {
			body = append(body, t.Static...)
		} else {
			for _, part := range t.Parts {
				if part.Var == "" {
					body = append(body, part.Text...)
					continue
				}
				if v, ok := rc.contextVar(part.Var, e); ok {
					body = append(body, v...)
				} else if v, ok := rc.renderRef(part.Ref, e); ok {
					body = append(body, v...)
				} else {
					body = append(body, part.Text...)
				}
			}
		}
	}
	if _, set := h["Content-Type"]; !set {
		h["Content-Type"] = []string{contentType}
	}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	rc.traceGatewayResponse(e, status, body, h)
	rc.w.WriteHeader(status)
	if rc.r.Method != http.MethodHead {
		rc.w.Write(body)
	}
	*bp = body
	bufPool.Put(bp)
}

// selectGatewayTemplate chooses a body template the way response templates are chosen.
func selectGatewayTemplate(ts []runtime.GatewayTemplate, accept string) *runtime.GatewayTemplate {
	if i := runtime.SelectByAccept(len(ts), func(i int) string { return ts[i].ContentType }, accept); i >= 0 {
		return &ts[i]
	}
	return nil
}

func queryUnescape(s string) (string, error) { return url.QueryUnescape(s) }
