package observe

import (
	"fmt"
	"net/url"
	"strings"
)

// OTLPTracesURL picks where traces are exported: Portico's own setting (--otlp-endpoint,
// PORTICO_OTLP_ENDPOINT), else OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, else
// OTEL_EXPORTER_OTLP_ENDPOINT. A base URL (Portico's, or the generic OpenTelemetry one) gets
// /v1/traces appended, as the OpenTelemetry specification says; a Portico setting that already
// ends in /v1/traces is used as it is. "" means tracing exports nowhere.
func OTLPTracesURL(portico, tracesEnv, baseEnv string) (string, error) {
	var u string
	switch {
	case portico != "":
		u = portico
		if !strings.HasSuffix(strings.TrimSuffix(u, "/"), "/v1/traces") {
			u = strings.TrimSuffix(u, "/") + "/v1/traces"
		}
	case tracesEnv != "":
		u = tracesEnv
	case baseEnv != "":
		u = strings.TrimSuffix(baseEnv, "/") + "/v1/traces"
	default:
		return "", nil
	}
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return "", fmt.Errorf("OTLP endpoint %q: want an http:// or https:// URL", u)
	}
	return u, nil
}

// ParseOTLPHeaders reads OTEL_EXPORTER_OTLP_HEADERS: comma-separated key=value pairs, values
// percent-encoded.
func ParseOTLPHeaders(s string) (map[string]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	h := map[string]string{}
	for _, pair := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(pair, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("OTLP headers: %q is not key=value", pair)
		}
		dv, err := url.PathUnescape(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("OTLP headers: %q: %v", pair, err)
		}
		h[k] = dv
	}
	return h, nil
}
