package observe

import (
	"encoding/hex"
	"math/rand/v2"
	"strings"
	"time"
)

// TraceID and SpanID are W3C Trace Context identifiers. An X-Ray trace id maps onto a TraceID
// as the OpenTelemetry X-Ray propagator maps it: 1-{8 hex}-{24 hex} is the 32 hex digits of
// the TraceID, the first 8 of which X-Ray reads as the trace's start in epoch seconds.
type (
	TraceID [16]byte
	SpanID  [8]byte
)

// SpanContext is where a request stands in a trace as it crosses a process boundary.
type SpanContext struct {
	TraceID TraceID
	// SpanID is the caller's span, the parent of what this process records ("zero": none).
	SpanID SpanID
	// Sampled is the caller's sampling decision; Decided is false when the caller left it to
	// us (X-Ray's Sampled=? or no Sampled field).
	Sampled, Decided bool
	// State is the W3C tracestate, passed on unchanged.
	State string
}

// IsZero reports whether id is all zeros (invalid in both formats).
func (id TraceID) IsZero() bool { return id == TraceID{} }

// IsZero reports whether id is all zeros.
func (id SpanID) IsZero() bool { return id == SpanID{} }

func (id TraceID) String() string { return hex.EncodeToString(id[:]) }
func (id SpanID) String() string  { return hex.EncodeToString(id[:]) }

// newTraceID returns a random trace id whose first 4 bytes are the epoch seconds of now, so
// it is a valid X-Ray trace id too.
func newTraceID(now time.Time) TraceID {
	var id TraceID
	s := uint32(now.Unix())
	id[0], id[1], id[2], id[3] = byte(s>>24), byte(s>>16), byte(s>>8), byte(s)
	a, b := rand.Uint64(), rand.Uint64()
	for i := 0; i < 8; i++ {
		id[4+i] = byte(a >> (8 * i))
	}
	for i := 0; i < 4; i++ {
		id[12+i] = byte(b >> (8 * i))
	}
	return id
}

func newSpanID() SpanID {
	for {
		a := rand.Uint64()
		if a == 0 {
			continue
		}
		var id SpanID
		for i := 0; i < 8; i++ {
			id[i] = byte(a >> (8 * i))
		}
		return id
	}
}

// ParseTraceparent reads a W3C traceparent header, version 00 (and, as the specification
// asks, any later version by its first four fields). An all-zero trace or parent id, upper
// case hex or a wrong length is refused.
func ParseTraceparent(s string) (SpanContext, bool) {
	var sc SpanContext
	if len(s) < 55 || s[2] != '-' || s[35] != '-' || s[52] != '-' {
		return sc, false
	}
	ver, ok := hexByte(s[0:2])
	if !ok || ver == 0xff || ver == 0 && len(s) != 55 || ver != 0 && len(s) > 55 && s[55] != '-' {
		return sc, false
	}
	if !lowerHex(s[3:35], sc.TraceID[:]) || !lowerHex(s[36:52], sc.SpanID[:]) {
		return sc, false
	}
	flags, ok := hexByte(s[53:55])
	if !ok || sc.TraceID.IsZero() || sc.SpanID.IsZero() {
		return sc, false
	}
	sc.Sampled, sc.Decided = flags&1 == 1, true
	return sc, true
}

// ParseXRay reads an X-Amzn-Trace-Id header: Root=1-{8 hex}-{24 hex}, optionally
// Parent={16 hex} and Sampled=0|1|?, in any order, other fields (Self, Lineage) ignored. A
// header without a well-formed Root is refused.
func ParseXRay(s string) (SpanContext, bool) {
	var sc SpanContext
	root := false
	for s != "" {
		var field string
		field, s, _ = strings.Cut(s, ";")
		k, v, _ := strings.Cut(strings.TrimSpace(field), "=")
		switch strings.TrimSpace(k) {
		case "Root":
			v = strings.TrimSpace(v)
			if len(v) != 35 || v[0:2] != "1-" || v[10] != '-' {
				return SpanContext{}, false
			}
			if !anyHex(v[2:10], sc.TraceID[0:4]) || !anyHex(v[11:], sc.TraceID[4:]) || sc.TraceID.IsZero() {
				return SpanContext{}, false
			}
			root = true
		case "Parent":
			var p SpanID
			if v = strings.TrimSpace(v); len(v) == 16 && anyHex(v, p[:]) {
				sc.SpanID = p
			}
		case "Sampled":
			switch strings.TrimSpace(v) {
			case "1":
				sc.Sampled, sc.Decided = true, true
			case "0":
				sc.Sampled, sc.Decided = false, true
			}
		}
	}
	return sc, root
}

// FromHeaders reads the caller's trace context: traceparent (with tracestate) when it parses,
// else X-Amzn-Trace-Id. ok is false when neither is there or well-formed.
func FromHeaders(traceparent, tracestate, xray []string) (SpanContext, bool) {
	if len(traceparent) == 1 {
		if sc, ok := ParseTraceparent(strings.TrimSpace(traceparent[0])); ok {
			if len(tracestate) > 0 {
				sc.State = strings.Join(tracestate, ",")
			}
			return sc, true
		}
	}
	if len(xray) > 0 {
		return ParseXRay(xray[0])
	}
	return SpanContext{}, false
}

// AppendTraceparent appends the traceparent of span in trace (version 00).
func AppendTraceparent(b []byte, trace TraceID, span SpanID, sampled bool) []byte {
	b = append(b, "00-"...)
	b = hex.AppendEncode(b, trace[:])
	b = append(b, '-')
	b = hex.AppendEncode(b, span[:])
	if sampled {
		return append(b, "-01"...)
	}
	return append(b, "-00"...)
}

// AppendXRayRoot appends the X-Ray form of a trace id: 1-{8 hex}-{24 hex}.
func AppendXRayRoot(b []byte, trace TraceID) []byte {
	b = append(b, "1-"...)
	b = hex.AppendEncode(b, trace[0:4])
	b = append(b, '-')
	return hex.AppendEncode(b, trace[4:])
}

// AppendXRay appends an X-Amzn-Trace-Id value: Root=…;Parent={span};Sampled=0|1.
func AppendXRay(b []byte, trace TraceID, span SpanID, sampled bool) []byte {
	b = append(b, "Root="...)
	b = AppendXRayRoot(b, trace)
	b = append(b, ";Parent="...)
	b = hex.AppendEncode(b, span[:])
	if sampled {
		return append(b, ";Sampled=1"...)
	}
	return append(b, ";Sampled=0"...)
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func hexByte(s string) (byte, bool) {
	if len(s) != 2 || !isLowerHex(s[0]) || !isLowerHex(s[1]) {
		return 0, false
	}
	h, _ := hexVal(s[0])
	l, _ := hexVal(s[1])
	return h<<4 | l, true
}

func isLowerHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }

// lowerHex decodes s (lower case only, as traceparent requires) into dst.
func lowerHex(s string, dst []byte) bool {
	for i := 0; i < len(s); i++ {
		if !isLowerHex(s[i]) {
			return false
		}
	}
	return anyHex(s, dst)
}

// anyHex decodes s, of either case, into dst (len(s) == 2*len(dst)).
func anyHex(s string, dst []byte) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := range dst {
		h, ok1 := hexVal(s[2*i])
		l, ok2 := hexVal(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = h<<4 | l
	}
	return true
}
