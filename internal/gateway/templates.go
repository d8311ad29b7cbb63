package gateway

import (
	"github.com/portico/portico/internal/runtime"
)

// renderRequestTemplate renders a request mapping template.
func (g *Gateway) renderRequestTemplate(rc *request, in *runtime.Integration, t *runtime.RequestTemplate) ([]byte, *gatewayError) {
	return []byte(t.Text), nil
}

// renderResponseTemplate renders a response mapping template.
func (g *Gateway) renderResponseTemplate(rc *request, in *runtime.Integration, t *runtime.ResponseTemplate, res *integrationResult) ([]byte, *gatewayError) {
	return []byte(t.Text), nil
}
