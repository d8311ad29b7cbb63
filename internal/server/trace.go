package server

import (
	"log/slog"

	"github.com/portico/portico/internal/functions"
	"github.com/portico/portico/internal/observe"
)

// openTracer starts the OTLP exporter of traced stages when an endpoint is configured (nil
// otherwise: no stage is traced, whatever its tracingEnabled says) and exports its counts.
func openTracer(cfg Config, m *observe.Metrics, log *slog.Logger) *observe.Tracer {
	if cfg.OTLPEndpoint == "" {
		return nil
	}
	t := observe.NewTracer(observe.TracerOptions{
		Endpoint:      cfg.OTLPEndpoint,
		Headers:       cfg.OTLPHeaders,
		ServiceName:   cfg.ServiceName,
		BatchInterval: cfg.TraceBatchInterval,
		Timeout:       cfg.TraceExportTimeout,
		Logger:        log,
	})
	m.RegisterTracer(t)
	log.Info("traces of stages with tracingEnabled are exported", "endpoint", cfg.OTLPEndpoint)
	return t
}

// functionMeter counts function invocations on the server's metrics.
type functionMeter struct{ m *observe.Metrics }

func (f functionMeter) Function(name string) functions.FunctionMeter { return f.m.Function(name) }
