// Package otlptest is an OTLP/HTTP traces receiver for tests: a loopback server that decodes
// the JSON encoding of ExportTraceServiceRequest, as a collector would, and keeps the spans.
//
// It imports only the standard library; only tests import it.
package otlptest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
)

// Span is one received span, attributes flattened to strings.
type Span struct {
	TraceID, SpanID, ParentSpanID, TraceState, Name string
	Kind                                            int
	Start, End                                      int64
	Attributes                                      map[string]string
	StatusCode                                      int
	StatusMessage                                   string
	// Service is the resource's service.name.
	Service string
}

// Receiver collects the spans POSTed to URL.
type Receiver struct {
	URL string
	srv *httptest.Server

	mu       sync.Mutex
	spans    []Span
	requests int
	bad      []string
	hold     chan struct{}
}

// New starts a receiver that answers at once; it stops when the test ends.
func New(t testing.TB) *Receiver { return start(t, nil) }

// NewStuck starts a receiver that takes each export and answers only when the test ends, as
// a collector that has stopped answering.
func NewStuck(t testing.TB) *Receiver { return start(t, make(chan struct{})) }

func start(t testing.TB, hold chan struct{}) *Receiver {
	r := &Receiver{hold: hold}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	r.URL = r.srv.URL + "/v1/traces"
	t.Cleanup(func() {
		if hold != nil {
			close(hold)
		}
		r.srv.CloseClientConnections()
		r.srv.Close()
	})
	return r
}

// Spans returns what was received so far.
func (r *Receiver) Spans() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Span(nil), r.spans...)
}

// Requests is how many exports arrived.
func (r *Receiver) Requests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests
}

// Problems lists exports that were not well-formed OTLP/JSON.
func (r *Receiver) Problems() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bad...)
}

type anyValue struct {
	StringValue *string         `json:"stringValue"`
	IntValue    json.RawMessage `json:"intValue"`
	BoolValue   *bool           `json:"boolValue"`
}

func (v anyValue) String() string {
	switch {
	case v.StringValue != nil:
		return *v.StringValue
	case v.IntValue != nil:
		var s string
		if json.Unmarshal(v.IntValue, &s) == nil {
			return s
		}
		return string(v.IntValue)
	case v.BoolValue != nil:
		return strconv.FormatBool(*v.BoolValue)
	}
	return ""
}

type keyValue struct {
	Key   string   `json:"key"`
	Value anyValue `json:"value"`
}

type request struct {
	ResourceSpans []struct {
		Resource struct {
			Attributes []keyValue `json:"attributes"`
		} `json:"resource"`
		ScopeSpans []struct {
			Scope struct {
				Name    string `json:"name"`
				Version string `json:"version"`
			} `json:"scope"`
			Spans []struct {
				TraceID      string     `json:"traceId"`
				SpanID       string     `json:"spanId"`
				ParentSpanID string     `json:"parentSpanId"`
				TraceState   string     `json:"traceState"`
				Name         string     `json:"name"`
				Kind         int        `json:"kind"`
				Start        string     `json:"startTimeUnixNano"`
				End          string     `json:"endTimeUnixNano"`
				Attributes   []keyValue `json:"attributes"`
				Status       struct {
					Code    int    `json:"code"`
					Message string `json:"message"`
				} `json:"status"`
			} `json:"spans"`
		} `json:"scopeSpans"`
	} `json:"resourceSpans"`
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	r.mu.Lock()
	r.requests++
	r.mu.Unlock()
	if r.hold != nil {
		<-r.hold
		return
	}
	var in request
	problem := ""
	switch {
	case err != nil:
		problem = err.Error()
	case req.Method != http.MethodPost || req.URL.Path != "/v1/traces":
		problem = req.Method + " " + req.URL.Path
	case req.Header.Get("Content-Type") != "application/json":
		problem = "Content-Type " + req.Header.Get("Content-Type")
	default:
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			problem = err.Error() + ": " + string(body)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if problem != "" {
		r.bad = append(r.bad, problem)
		http.Error(w, problem, http.StatusBadRequest)
		return
	}
	for _, rs := range in.ResourceSpans {
		service := ""
		for _, a := range rs.Resource.Attributes {
			if a.Key == "service.name" {
				service = a.Value.String()
			}
		}
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				sp := Span{TraceID: s.TraceID, SpanID: s.SpanID, ParentSpanID: s.ParentSpanID, TraceState: s.TraceState,
					Name: s.Name, Kind: s.Kind, Attributes: map[string]string{}, StatusCode: s.Status.Code,
					StatusMessage: s.Status.Message, Service: service}
				sp.Start, _ = strconv.ParseInt(s.Start, 10, 64)
				sp.End, _ = strconv.ParseInt(s.End, 10, 64)
				for _, a := range s.Attributes {
					sp.Attributes[a.Key] = a.Value.String()
				}
				r.spans = append(r.spans, sp)
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, "{}")
}
