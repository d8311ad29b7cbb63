package cli

import (
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/portico/portico/internal/observe"
	"github.com/portico/portico/internal/server"
)

// traceFlags declares serve's tracing flag; the returned function, run after parsing, fills
// cfg from it and from the standard OpenTelemetry variables: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
// and OTEL_EXPORTER_OTLP_ENDPOINT (when the flag and PORTICO_OTLP_ENDPOINT are unset),
// OTEL_EXPORTER_OTLP_HEADERS, OTEL_SERVICE_NAME, OTEL_BSP_SCHEDULE_DELAY and
// OTEL_EXPORTER_OTLP_TIMEOUT (OTEL_EXPORTER_OTLP_TRACES_TIMEOUT first), both in milliseconds.
func traceFlags(e *env, fs *flag.FlagSet, cfg *server.Config) func() error {
	endpoint := fs.String("otlp-endpoint", e.getenv("PORTICO_OTLP_ENDPOINT"),
		"OTLP/HTTP collector that spans of stages with tracingEnabled are exported to, as JSON: its base URL (http://host:4318) or its /v1/traces URL (PORTICO_OTLP_ENDPOINT; OTEL_EXPORTER_OTLP_ENDPOINT is honoured)")
	return func() error {
		u, err := observe.OTLPTracesURL(*endpoint, e.getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"), e.getenv("OTEL_EXPORTER_OTLP_ENDPOINT"))
		if err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		h, err := observe.ParseOTLPHeaders(e.getenv("OTEL_EXPORTER_OTLP_HEADERS"))
		if err != nil {
			return fmt.Errorf("%w: OTEL_EXPORTER_OTLP_HEADERS: %v", errUsage, err)
		}
		cfg.OTLPEndpoint, cfg.OTLPHeaders, cfg.ServiceName = u, h, e.getenv("OTEL_SERVICE_NAME")
		for _, v := range []struct {
			names []string
			dst   *time.Duration
		}{
			{[]string{"OTEL_BSP_SCHEDULE_DELAY"}, &cfg.TraceBatchInterval},
			{[]string{"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"}, &cfg.TraceExportTimeout},
		} {
			for _, name := range v.names {
				s := e.getenv(name)
				if s == "" {
					continue
				}
				ms, err := strconv.Atoi(s)
				if err != nil || ms <= 0 {
					return fmt.Errorf("%w: %s: want a positive number of milliseconds", errUsage, name)
				}
				*v.dst = time.Duration(ms) * time.Millisecond
				break
			}
		}
		return nil
	}
}
