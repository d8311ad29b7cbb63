package gateway

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/portico/portico/internal/integration/mock"
	"github.com/portico/portico/internal/runtime"
)

// serveMock answers a MOCK integration: the status the request template names, then
// integration response selection on that status, its static header values and its template
// text as the body (templates are emitted as written until the template engine runs them).
func (g *Gateway) serveMock(rc *request, in *runtime.Integration) *gatewayError {
	status, err := g.mockStatus(rc, in)
	if err != nil {
		return err
	}
	ir := in.Select(statusText(status))
	if ir == nil {
		g.log.Error("no match for output mapping and no default output mapping configured",
			"api", rc.api.ID, "stage", rc.api.Stage, "resource", rc.resource.Path, "status", status, "requestId", rc.requestID)
		return errInternal
	}
	if !ir.HasMethodResponse {
		g.log.Error("integration response has no method response",
			"api", rc.api.ID, "resource", rc.resource.Path, "statusCode", ir.StatusCode, "requestId", rc.requestID)
		return errInternal
	}
	h := rc.w.Header()
	for i := range ir.Headers {
		if ir.Headers[i].Source.Kind == runtime.SrcHeader {
			continue // a MOCK answer has no integration response headers
		}
		rc.setHeader(h, &ir.Headers[i], nil)
	}
	var body string
	if t := runtime.SelectResponseTemplate(ir.Templates, rc.r.Header.Get("Accept")); t != nil {
		body = t.Text
	}
	if _, set := h["Content-Type"]; !set {
		h["Content-Type"] = jsonContentType
	}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	rc.w.WriteHeader(ir.StatusCode)
	if rc.r.Method != http.MethodHead {
		io.WriteString(rc.w, body)
	}
	return nil
}

// mockStatus selects the request template by Content-Type and reads its statusCode. With no
// matching template the passthrough behaviour decides: the client's body is passed through
// (and must then carry the statusCode itself) or the request is refused with 415.
func (g *Gateway) mockStatus(rc *request, in *runtime.Integration) (int, *gatewayError) {
	if t, ok := in.SelectRequestTemplate(rc.r.Header.Get("Content-Type")); ok {
		// AWS takes in the whole request before it answers, so an oversized body fails even
		// where the template ignores it.
		if rc.r.ContentLength != 0 {
			if _, err := io.Copy(io.Discard, rc.body); errors.Is(err, errTooLargeBody) {
				return 0, errTooLarge
			}
		}
		if t.MockErr != nil {
			g.log.Error("MOCK request template cannot be used", "api", rc.api.ID, "resource", rc.resource.Path,
				"contentType", t.ContentType, "error", t.MockErr, "requestId", rc.requestID)
			return 0, errInternal
		}
		return t.MockStatus, nil
	}
	switch {
	case in.Passthrough == runtime.Never,
		in.Passthrough == runtime.WhenNoTemplates && len(in.RequestTemplates) > 0:
		return 0, errMediaType
	}
	body, err := io.ReadAll(rc.body)
	if err != nil {
		if errors.Is(err, errTooLargeBody) {
			return 0, errTooLarge
		}
		return 0, errInternal
	}
	status, perr := mock.ParseStatus(body)
	if perr != nil {
		g.log.Error("MOCK integration without a request template for this content type",
			"api", rc.api.ID, "resource", rc.resource.Path, "error", perr, "requestId", rc.requestID)
		return 0, errInternal
	}
	return status, nil
}

var statusTexts = func() (s [600]string) {
	for i := 100; i < 600; i++ {
		s[i] = strconv.Itoa(i)
	}
	return s
}()

func statusText(code int) string {
	if code >= 100 && code < 600 {
		return statusTexts[code]
	}
	return strconv.Itoa(code)
}
