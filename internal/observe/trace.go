package observe

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// SpanKind is OTLP's span kind.
type SpanKind uint8

// The kinds a gateway records (OTLP's enum values).
const (
	KindInternal SpanKind = 1
	KindServer   SpanKind = 2
	KindClient   SpanKind = 3
)

// maxSpans and maxAttrs bound what one trace holds, so a Trace is one pooled value with no
// slices to grow: a request has a span for itself, its authorization and its integration.
const (
	maxSpans = 6
	maxAttrs = 12
)

// Attr is one span attribute: a string, or an integer when IsInt.
type Attr struct {
	Key   string
	Str   string
	Int   int64
	IsInt bool
}

// Span is one recorded operation. Its fields are written by the request that owns it and read
// only after Trace.End, by the exporter.
type Span struct {
	ID, Parent SpanID
	Name       string
	Kind       SpanKind
	Start, End time.Time
	// Error marks the span failed (OTLP status ERROR) with Message.
	Error   bool
	Message string
	attrs   [maxAttrs]Attr
	nattrs  int
}

// SetString adds a string attribute (dropped past maxAttrs).
func (s *Span) SetString(key, v string) {
	if s.nattrs < maxAttrs {
		s.attrs[s.nattrs] = Attr{Key: key, Str: v}
		s.nattrs++
	}
}

// SetInt adds an integer attribute (dropped past maxAttrs).
func (s *Span) SetInt(key string, v int64) {
	if s.nattrs < maxAttrs {
		s.attrs[s.nattrs] = Attr{Key: key, Int: v, IsInt: true}
		s.nattrs++
	}
}

// Attrs returns the span's attributes.
func (s *Span) Attrs() []Attr { return s.attrs[:s.nattrs] }

// Trace is what one request records: its place in the caller's trace and its spans. It is
// pooled; after End it belongs to the exporter.
type Trace struct {
	tracer *Tracer
	// ID is the trace, the caller's or a new one; Remote the caller's span (zero when none).
	ID     TraceID
	Remote SpanID
	// Root is the id of the request's own span, made at Start so it can be propagated before
	// the span is recorded.
	Root SpanID
	// Active is the span that calls made now belong under, set while one is open (zero: the
	// request's own).
	Active  SpanID
	Sampled bool
	State   string
	spans   [maxSpans]Span
	n       int
}

// Add returns a new span of the trace with a fresh id, or nil when the trace is full.
func (tr *Trace) Add(name string, kind SpanKind, parent SpanID, start time.Time) *Span {
	if tr.n == maxSpans {
		return nil
	}
	// A pooled trace's spans were cleared when it was released: set only what differs.
	s := &tr.spans[tr.n]
	tr.n++
	s.ID, s.Parent, s.Name, s.Kind, s.Start = newSpanID(), parent, name, kind, start
	return s
}

// AddRoot returns the request's own span (id Root, parented on the caller's span).
func (tr *Trace) AddRoot(name string, start time.Time) *Span {
	s := tr.Add(name, KindServer, tr.Remote, start)
	if s != nil {
		s.ID = tr.Root
	}
	return s
}

// Spans returns the spans recorded so far.
func (tr *Trace) Spans() []Span { return tr.spans[:tr.n] }

// End hands a sampled trace to the exporter, without waiting: when the export queue is full
// the trace is dropped and counted. An unsampled trace is only recycled.
func (tr *Trace) End() {
	t := tr.tracer
	if !tr.Sampled || tr.n == 0 {
		t.release(tr)
		return
	}
	select {
	case t.queue <- tr:
	default:
		t.dropped.Add(int64(tr.n))
		t.release(tr)
	}
}

// TracerOptions configure a Tracer.
type TracerOptions struct {
	// Endpoint is the OTLP/HTTP traces URL (http://collector:4318/v1/traces).
	Endpoint string
	// Headers are sent with every export (OTEL_EXPORTER_OTLP_HEADERS).
	Headers map[string]string
	// ServiceName is the resource's service.name (default "portico").
	ServiceName string
	// QueueTraces bounds the traces waiting for export (default 4096); past it traces are
	// dropped and counted.
	QueueTraces int
	// BatchTraces is how many traces one export carries at most (default 512);
	// BatchInterval how long traces gather before an export (default 1s).
	BatchTraces   int
	BatchInterval time.Duration
	// Timeout bounds one export, and Close's final one (default 10s, OTLP's default).
	Timeout time.Duration
	Client  *http.Client
	Logger  *slog.Logger
}

// Tracer records the spans of traced requests and exports them to an OTLP/HTTP collector, in
// OTLP's JSON encoding, from one goroutine: a request only fills a pooled Trace and queues it.
type Tracer struct {
	opts     TracerOptions
	queue    chan *Trace
	done     chan struct{}
	finished chan struct{}
	// stop aborts an export in flight when Close has waited Timeout.
	stopCtx context.Context
	stop    context.CancelFunc
	pool    sync.Pool
	closed  sync.Once
	// dropped counts spans lost to a full queue or a failed export; exported those a
	// collector accepted.
	dropped, exported atomic.Int64
	lastWarn          atomic.Int64
	resource          []byte // the encoded resource and scope, the same for every export
}

// NewTracer starts a tracer exporting to opts.Endpoint; Close flushes it.
func NewTracer(opts TracerOptions) *Tracer {
	if opts.ServiceName == "" {
		opts.ServiceName = "portico"
	}
	if opts.QueueTraces <= 0 {
		opts.QueueTraces = 4096
	}
	if opts.BatchTraces <= 0 {
		opts.BatchTraces = 512
	}
	if opts.BatchInterval <= 0 {
		opts.BatchInterval = time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.Client == nil {
		opts.Client = &http.Client{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	t := &Tracer{opts: opts, queue: make(chan *Trace, opts.QueueTraces), done: make(chan struct{}),
		finished: make(chan struct{})}
	t.stopCtx, t.stop = context.WithCancel(context.Background())
	t.pool.New = func() any { return &Trace{tracer: t} }
	r := []byte(`{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":`)
	r = AppendJSONString(r, opts.ServiceName)
	r = append(r, `}},{"key":"telemetry.sdk.name","value":{"stringValue":"portico"}}]},"scopeSpans":[{"scope":{"name":"portico"},"spans":[`...)
	t.resource = r
	go t.run()
	return t
}

// Endpoint is where traces go.
func (t *Tracer) Endpoint() string { return t.opts.Endpoint }

// Dropped is how many spans were lost: the queue was full or the collector failed to take them.
func (t *Tracer) Dropped() int64 { return t.dropped.Load() }

// Exported is how many spans a collector accepted.
func (t *Tracer) Exported() int64 { return t.exported.Load() }

// Start begins the trace of a request received at start. parent is the caller's context (ok
// false: none): its trace is continued, and its sampling decision kept when it made one;
// otherwise a new trace starts, sampled.
func (t *Tracer) Start(start time.Time, parent SpanContext, ok bool) *Trace {
	tr := t.pool.Get().(*Trace)
	tr.Root = newSpanID()
	tr.Sampled = true
	if ok {
		tr.ID, tr.Remote, tr.State = parent.TraceID, parent.SpanID, parent.State
		if parent.Decided {
			tr.Sampled = parent.Sampled
		}
	} else {
		tr.ID = newTraceID(start)
	}
	return tr
}

// release clears what tr used (not the whole value: most of its spans were never touched)
// and pools it.
func (t *Tracer) release(tr *Trace) {
	clear(tr.spans[:tr.n])
	tr.n, tr.ID, tr.Remote, tr.Root, tr.Active, tr.Sampled, tr.State = 0, TraceID{}, SpanID{}, SpanID{}, SpanID{}, false, ""
	t.pool.Put(tr)
}

// Close exports what is queued and stops the exporter, within Timeout: past it, the export in
// flight is abandoned and what remains is dropped.
func (t *Tracer) Close() error {
	t.closed.Do(func() { close(t.done) })
	wait := time.NewTimer(t.opts.Timeout)
	defer wait.Stop()
	select {
	case <-t.finished:
	case <-wait.C:
		t.stop()
		<-t.finished
	}
	t.stop()
	return nil
}

func (t *Tracer) run() {
	defer close(t.finished)
	tick := time.NewTicker(t.opts.BatchInterval)
	defer tick.Stop()
	batch := make([]*Trace, 0, t.opts.BatchTraces)
	var buf []byte
	flush := func() {
		if len(batch) > 0 {
			buf = t.export(buf[:0], batch)
			batch = batch[:0]
		}
	}
	for {
		select {
		case tr := <-t.queue:
			if batch = append(batch, tr); len(batch) == t.opts.BatchTraces {
				flush()
			}
		case <-tick.C:
			flush()
		case <-t.done:
			for {
				select {
				case tr := <-t.queue:
					if batch = append(batch, tr); len(batch) == t.opts.BatchTraces {
						flush()
					}
				default:
					flush()
					return
				}
			}
		}
	}
}

// export encodes batch as one ExportTraceServiceRequest into b, recycles its traces and POSTs
// it. A failed export is not retried: its spans are counted as dropped, and a warning is
// logged at most once a minute. It returns the encoding's buffer for reuse.
func (t *Tracer) export(b []byte, batch []*Trace) []byte {
	b = append(b, t.resource...)
	n := 0
	for _, tr := range batch {
		for i := range tr.spans[:tr.n] {
			if n > 0 {
				b = append(b, ',')
			}
			b = appendSpan(b, tr, &tr.spans[i])
			n++
		}
		t.release(tr)
	}
	b = append(b, "]}]}]}"...)
	if err := t.post(b); err != nil {
		t.dropped.Add(int64(n))
		if now := time.Now().Unix(); t.lastWarn.Load() <= now-60 {
			t.lastWarn.Store(now)
			t.opts.Logger.Warn("trace export failed; spans dropped", "endpoint", t.opts.Endpoint, "spans", n, "error", err)
		}
		return b
	}
	t.exported.Add(int64(n))
	return b
}

func (t *Tracer) post(body []byte) error {
	ctx, cancel := context.WithTimeout(t.stopCtx, t.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.opts.Endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range t.opts.Headers {
		req.Header.Set(k, v)
	}
	res, err := t.opts.Client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("collector answered %s", res.Status)
	}
	return nil
}

// appendSpan encodes one span in OTLP/JSON: ids in hex, times as decimal strings of Unix
// nanoseconds, enums as numbers.
func appendSpan(b []byte, tr *Trace, s *Span) []byte {
	b = append(b, `{"traceId":"`...)
	b = hex.AppendEncode(b, tr.ID[:])
	b = append(b, `","spanId":"`...)
	b = hex.AppendEncode(b, s.ID[:])
	b = append(b, '"')
	if !s.Parent.IsZero() {
		b = append(b, `,"parentSpanId":"`...)
		b = hex.AppendEncode(b, s.Parent[:])
		b = append(b, '"')
	}
	if tr.State != "" {
		b = append(b, `,"traceState":`...)
		b = AppendJSONString(b, tr.State)
	}
	b = append(b, `,"name":`...)
	b = AppendJSONString(b, s.Name)
	b = append(b, `,"kind":`...)
	b = strconv.AppendUint(b, uint64(s.Kind), 10)
	b = append(b, `,"startTimeUnixNano":"`...)
	b = strconv.AppendInt(b, s.Start.UnixNano(), 10)
	b = append(b, `","endTimeUnixNano":"`...)
	b = strconv.AppendInt(b, s.End.UnixNano(), 10)
	b = append(b, `","attributes":[`...)
	for i, a := range s.Attrs() {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"key":`...)
		b = AppendJSONString(b, a.Key)
		if a.IsInt {
			b = append(b, `,"value":{"intValue":"`...)
			b = strconv.AppendInt(b, a.Int, 10)
			b = append(b, `"}}`...)
		} else {
			b = append(b, `,"value":{"stringValue":`...)
			b = AppendJSONString(b, a.Str)
			b = append(b, `}}`...)
		}
	}
	b = append(b, ']')
	if s.Error {
		b = append(b, `,"status":{"code":2,"message":`...)
		b = AppendJSONString(b, s.Message)
		b = append(b, '}')
	}
	return append(b, '}')
}

// RegisterTracer exports the tracer's counts: portico_trace_spans_exported_total and
// portico_trace_spans_dropped_total.
func (m *Metrics) RegisterTracer(t *Tracer) {
	m.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "portico_trace_spans_exported_total",
		Help: "Spans an OTLP collector accepted.",
	}, func() float64 { return float64(t.Exported()) }), prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "portico_trace_spans_dropped_total",
		Help: "Spans dropped: the export queue was full, or the collector failed to take them.",
	}, func() float64 { return float64(t.Dropped()) }))
}
