package observe

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// latencyBuckets cover 1 ms to 30 s (past AWS's 29 s integration timeout).
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// Metrics is the Prometheus registry of a server and the series of its data plane. It serves
// one gateway, which retires the series its stages no longer use (Retain).
type Metrics struct {
	Registry *prometheus.Registry

	count, err4, err5 *prometheus.CounterVec
	hits, misses      *prometheus.CounterVec
	latency, intLat   *prometheus.HistogramVec
	functions         *functionVecs

	mu     sync.Mutex
	series map[[5]string]*Series
}

// NewMetrics registers the gateway and function series, the Go runtime and process collectors and, when
// sinks is not nil, portico_access_log_lines_total and portico_access_log_dropped_total.
func NewMetrics(sinks *Sinks) *Metrics {
	labels := []string{"api_id", "api_name", "stage", "resource", "method"}
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		count: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "portico_apigateway_count_total",
			Help: "Requests served (AWS/ApiGateway Count)."}, labels),
		err4: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "portico_apigateway_4xx_errors_total",
			Help: "Requests answered 4XX (AWS/ApiGateway 4XXError)."}, labels),
		err5: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "portico_apigateway_5xx_errors_total",
			Help: "Requests answered 5XX (AWS/ApiGateway 5XXError)."}, labels),
		hits: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "portico_apigateway_cache_hit_count_total",
			Help: "Requests answered from the stage's response cache (AWS/ApiGateway CacheHitCount)."}, labels),
		misses: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "portico_apigateway_cache_miss_count_total",
			Help: "Requests of cached methods answered from the backend (AWS/ApiGateway CacheMissCount)."}, labels),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "portico_apigateway_latency_seconds",
			Help:    "Time from receiving a request to finishing its response (AWS/ApiGateway Latency).",
			Buckets: latencyBuckets}, labels),
		intLat: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "portico_apigateway_integration_latency_seconds",
			Help:    "Time from sending the backend request to its response (AWS/ApiGateway IntegrationLatency).",
			Buckets: latencyBuckets}, labels),
		series:    map[[5]string]*Series{},
		functions: newFunctionVecs(),
	}
	m.Registry.MustRegister(m.count, m.err4, m.err5, m.hits, m.misses, m.latency, m.intLat,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.Registry.MustRegister(m.functions.collectors()...)
	if sinks != nil {
		m.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "portico_access_log_lines_total",
			Help: "Access log lines their destinations took.",
		}, func() float64 { return float64(sinks.Written()) }))
		m.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "portico_access_log_dropped_total",
			Help: "Access log lines dropped because their destination's queue was full or it refused them.",
		}, func() float64 { return float64(sinks.Dropped()) }))
	}
	return m
}

// Series are the resolved series of one label set: recording a request is a few atomic adds.
type Series struct {
	count, err4, err5 prometheus.Counter
	hits, misses      prometheus.Counter
	latency, intLat   prometheus.Observer
}

// Series resolves the series of a label set; resource and method are "" for stage-level
// series. A stage reloaded with the same labels gets the same series, so its counts go on.
func (m *Metrics) Series(apiID, apiName, stage, resource, method string) *Series {
	k := [5]string{apiID, apiName, stage, resource, method}
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.series[k]; s != nil {
		return s
	}
	l := k[:]
	s := &Series{
		count:   m.count.WithLabelValues(l...),
		err4:    m.err4.WithLabelValues(l...),
		err5:    m.err5.WithLabelValues(l...),
		hits:    m.hits.WithLabelValues(l...),
		misses:  m.misses.WithLabelValues(l...),
		latency: m.latency.WithLabelValues(l...),
		intLat:  m.intLat.WithLabelValues(l...),
	}
	m.series[k] = s
	return s
}

// Retain stops exporting every series not in keep: those of a stage that is gone, of an API
// renamed, of a method whose metricsEnabled was turned off. A request still in flight on them
// counts where no scrape looks.
func (m *Metrics) Retain(keep map[*Series]bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, s := range m.series {
		if keep[s] {
			continue
		}
		l := k[:]
		m.count.DeleteLabelValues(l...)
		m.err4.DeleteLabelValues(l...)
		m.err5.DeleteLabelValues(l...)
		m.hits.DeleteLabelValues(l...)
		m.misses.DeleteLabelValues(l...)
		m.latency.DeleteLabelValues(l...)
		m.intLat.DeleteLabelValues(l...)
		delete(m.series, k)
	}
}

// Observe records one finished request.
func (s *Series) Observe(r *Record) {
	s.count.Inc()
	switch {
	case r.Status >= 500:
		s.err5.Inc()
	case r.Status >= 400:
		s.err4.Inc()
	}
	switch {
	case r.CacheHit:
		s.hits.Inc()
	case r.CacheMiss:
		s.misses.Inc()
	}
	s.latency.Observe(r.Latency.Seconds())
	if r.Integrated {
		s.intLat.Observe(r.IntegrationLatency.Seconds())
	}
}

// Stage is what the gateway attaches to a loaded stage: its access log (nil Log when off) and
// its stage-level series.
type Stage struct {
	Format *Format
	Log    *Sink
	Series *Series
}

// Record logs r and counts it on series (the method's, or the stage's when nil).
func (st *Stage) Record(r *Record, series *Series) {
	if series == nil {
		series = st.Series
	}
	if series != nil {
		series.Observe(r)
	}
	if st.Log != nil {
		st.Log.Log(st.Format, r)
	}
}
