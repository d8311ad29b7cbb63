package gateway

import (
	"errors"
	"io"
	"strconv"

	"github.com/portico/portico/internal/integration/mock"
	"github.com/portico/portico/internal/runtime"
)

// serveMock answers a MOCK integration: the status its request template names, then the
// non-proxy response mapping on that status. A MOCK has no integration response headers or body.
func (g *Gateway) serveMock(rc *request, in *runtime.Integration) *gatewayError {
	status, err := g.mockStatus(rc, in)
	if err != nil {
		return err
	}
	return g.respond(rc, in, &integrationResult{status: status})
}

// mockStatus reads the statusCode of the MOCK's request payload: the request template chosen
// by Content-Type, rendered, or the client's body when the passthrough behaviour lets it through
// (it must then carry the statusCode itself), or 415.
func (g *Gateway) mockStatus(rc *request, in *runtime.Integration) (int, *gatewayError) {
	if t, ok := in.SelectRequestTemplate(rc.r.Header.Get("Content-Type")); ok && t.Template == nil && t.Text != "" {
		// A template without references or directives was read at deploy. AWS takes in the
		// whole request before it answers, so an oversized body fails even so.
		if rc.r.ContentLength != 0 {
			if _, err := io.Copy(io.Discard, rc.body); errors.Is(err, errTooLargeBody) {
				return 0, errTooLarge
			}
		}
		if t.MockErr != nil {
			rc.exec.Log(mockStatusFailure)
			g.log.Error("MOCK request template cannot be used", "api", rc.api.ID, "stage", rc.api.Stage,
				"resource", rc.resource.Path, "method", rc.r.Method, "contentType", t.ContentType, "error", t.MockErr,
				"requestId", rc.requestID)
			return 0, errInternal
		}
		return t.MockStatus, nil
	}
	payload, _, gerr := g.requestPayload(rc, in)
	if gerr != nil {
		return 0, gerr
	}
	status, err := mock.ParseStatus(payload)
	if err != nil {
		rc.exec.Log(mockStatusFailure)
		g.log.Error("MOCK integration payload names no statusCode", "api", rc.api.ID, "stage", rc.api.Stage,
			"resource", rc.resource.Path, "method", rc.r.Method, "error", err, "requestId", rc.requestID)
		return 0, errInternal
	}
	return status, nil
}

// mockStatusFailure is AWS's execution log line for a MOCK payload without a statusCode.
const mockStatusFailure = "Execution failed due to configuration error: Unable to parse statusCode. It should be an integer that is defined in the request template."

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
