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
