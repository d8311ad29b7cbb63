package observe

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// durationBuckets cover a warm invocation (about a millisecond) to Lambda's 900 s timeout.
var durationBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900}

// functionVecs are the series of the local functions runtime, under AWS/Lambda's names
// (namespace portico_lambda), labelled by function_name (Lambda's FunctionName dimension).
type functionVecs struct {
	invocations, errors, throttles, coldStarts *prometheus.CounterVec
	duration                                   *prometheus.HistogramVec
	concurrent                                 *prometheus.GaugeVec
}

func newFunctionVecs() *functionVecs {
	l := []string{"function_name"}
	return &functionVecs{
		invocations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "portico_lambda_invocations_total",
			Help: "Function invocations run, successful or not, throttled ones excepted (AWS/Lambda Invocations)."}, l),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "portico_lambda_errors_total",
			Help: "Invocations that ended in a function error: raised, timed out, crashed (AWS/Lambda Errors)."}, l),
		throttles: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "portico_lambda_throttles_total",
			Help: "Invocations refused past the function's concurrency limit (AWS/Lambda Throttles)."}, l),
		coldStarts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "portico_lambda_cold_starts_total",
			Help: "Invocations that started a new worker process (a Portico metric; AWS reports Init Duration in logs only)."}, l),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "portico_lambda_duration_seconds",
			Help:    "Time the function's code spent on an invocation, from handing out the event to its answer (AWS/Lambda Duration).",
			Buckets: durationBuckets}, l),
		concurrent: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "portico_lambda_concurrent_executions",
			Help: "Invocations running now (AWS/Lambda ConcurrentExecutions)."}, l),
	}
}

func (v *functionVecs) collectors() []prometheus.Collector {
	return []prometheus.Collector{v.invocations, v.errors, v.throttles, v.coldStarts, v.duration, v.concurrent}
}

// FunctionSeries are one function's resolved series: counting an invocation is a few atomic
// adds.
type FunctionSeries struct {
	invocations, errors, throttles, coldStarts prometheus.Counter
	duration                                   prometheus.Observer
	concurrent                                 prometheus.Gauge
}

// Function resolves the series of a function; asking again for the same name gives series
// that count on.
func (m *Metrics) Function(name string) *FunctionSeries {
	v := m.functions
	return &FunctionSeries{
		invocations: v.invocations.WithLabelValues(name),
		errors:      v.errors.WithLabelValues(name),
		throttles:   v.throttles.WithLabelValues(name),
		coldStarts:  v.coldStarts.WithLabelValues(name),
		duration:    v.duration.WithLabelValues(name),
		concurrent:  v.concurrent.WithLabelValues(name),
	}
}

// Started counts an invocation that got its worker: one more running, and a cold start when
// the worker was started for it.
func (s *FunctionSeries) Started(cold bool) {
	s.concurrent.Inc()
	if cold {
		s.coldStarts.Inc()
	}
}

// Finished counts an invocation's end: its duration, and an error when the function failed.
func (s *FunctionSeries) Finished(d time.Duration, failed bool) {
	s.concurrent.Dec()
	s.invocations.Inc()
	if failed {
		s.errors.Inc()
	}
	s.duration.Observe(d.Seconds())
}

// Throttled counts an invocation refused for want of concurrency.
func (s *FunctionSeries) Throttled() { s.throttles.Inc() }
