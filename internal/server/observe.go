package server

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/portico/portico/internal/observe"
	"github.com/portico/portico/internal/observe/audit"
	"github.com/portico/portico/internal/store"
)

// Admin-listener paths answered without a signature, like HealthPath.
const (
	MetricsPath = "/metrics"
	LivePath    = "/healthz"
	ReadyPath   = "/readyz"
)

// observability is what a server records: access log sinks, metrics and the audit log.
type observability struct {
	sinks   *observe.Sinks
	metrics *observe.Metrics
	audit   *audit.Log
	exec    *observe.ExecLog
	// tracer exports the spans of traced stages (nil: no OTLP endpoint is configured).
	tracer *observe.Tracer
	// following is closed when the admin listener shuts down, to end execution log streams.
	following chan struct{}
	stopOnce  sync.Once
}

// openObservability opens the audit log in the data directory and the access log sinks:
// cfg.AccessLog picks where stages whose destinationArn names no Portico sink write
// ("" or "stdout", "stderr", or file://PATH).
func openObservability(cfg Config) (*observability, error) {
	opts := observe.SinkOptions{}
	switch dest := cfg.AccessLog; {
	case dest == "" || dest == "stdout":
		opts.Default = os.Stdout
	case dest == "stderr":
		opts.Default = os.Stderr
	case strings.HasPrefix(dest, "file://") && len(dest) > len("file://"):
		opts.DefaultFile = dest[len("file://"):]
	default:
		return nil, fmt.Errorf("access log destination %q: want stdout, stderr or file://PATH", dest)
	}
	al, err := audit.Open(filepath.Join(cfg.DataDir, audit.FileName))
	if err != nil {
		return nil, err
	}
	exec, err := observe.OpenExecLog(observe.ExecLogOptions{Path: filepath.Join(cfg.DataDir, observe.ExecFileName)})
	if err != nil {
		al.Close()
		return nil, err
	}
	sinks := observe.NewSinks(opts)
	m := observe.NewMetrics(sinks)
	m.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "portico_execution_log_dropped_total",
		Help: "Execution log lines dropped because the log's queue was full or its file refused them.",
	}, func() float64 { return float64(exec.Dropped()) }))
	return &observability{sinks: sinks, metrics: m, audit: al, exec: exec}, nil
}

// handle serves /metrics, /healthz (the process answers) and /readyz (the store answers; the
// stages were compiled before the listeners opened) on the admin mux.
func (o *observability) handle(mux *http.ServeMux, st store.Store) {
	mux.Handle("GET "+MetricsPath, promhttp.HandlerFor(o.metrics.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET "+LivePath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok"}`)
	})
	mux.HandleFunc("GET "+ReadyPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if err := st.View(func(store.Tx) error { return nil }); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"status":"store unavailable"}`)
			return
		}
		io.WriteString(w, `{"status":"ready"}`)
	})
}

// close flushes the access logs and closes the audit log; call it after the listeners stop.
func (o *observability) close() error {
	err := o.sinks.Close()
	if aerr := o.audit.Close(); err == nil {
		err = aerr
	}
	if eerr := o.exec.Close(); err == nil {
		err = eerr
	}
	if o.tracer != nil {
		o.tracer.Close()
	}
	return err
}
