package observe

import (
	"strings"
	"testing"
	"time"
)

func TestParseTraceparent(t *testing.T) {
	for _, c := range []struct {
		in               string
		ok               bool
		trace, span      string
		sampled, decided bool
	}{
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true, "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", true, true},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", true, "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", false, true},
		// A later version is read by its first four fields.
		{"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09-what-comes-next", true, "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", true, true},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", false, "", "", false, false},
		{"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false, "", "", false, false},
		{"00-00000000000000000000000000000000-00f067aa0ba902b7-01", false, "", "", false, false},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", false, "", "", false, false},
		{"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", false, "", "", false, false},
		{"00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", false, "", "", false, false},
		{"", false, "", "", false, false},
	} {
		sc, ok := ParseTraceparent(c.in)
		if ok != c.ok {
			t.Errorf("%q: ok %v, want %v", c.in, ok, c.ok)
			continue
		}
		if !ok {
			continue
		}
		if sc.TraceID.String() != c.trace || sc.SpanID.String() != c.span || sc.Sampled != c.sampled || sc.Decided != c.decided {
			t.Errorf("%q: got %s %s sampled=%v decided=%v", c.in, sc.TraceID, sc.SpanID, sc.Sampled, sc.Decided)
		}
	}
}

func TestParseXRay(t *testing.T) {
	for _, c := range []struct {
		in               string
		ok               bool
		trace, span      string
		sampled, decided bool
	}{
		{"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1", true,
			"5759e988bd862e3fe1be46a994272793", "53995c3f42cd8ad8", true, true},
		{"Root=1-5759e988-bd862e3fe1be46a994272793", true, "5759e988bd862e3fe1be46a994272793", "0000000000000000", false, false},
		{"Sampled=0; Root=1-5759E988-BD862E3FE1BE46A994272793 ;Self=1-abc;Lineage=a:1", true,
			"5759e988bd862e3fe1be46a994272793", "0000000000000000", false, true},
		{"Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=?", true, "5759e988bd862e3fe1be46a994272793", "0000000000000000", false, false},
		// A malformed Parent is ignored, the trace kept.
		{"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=xyz", true, "5759e988bd862e3fe1be46a994272793", "0000000000000000", false, false},
		{"Root=2-5759e988-bd862e3fe1be46a994272793", false, "", "", false, false},
		{"Root=1-5759e988-bd862e3fe1be46a99427279", false, "", "", false, false},
		{"Root=1-00000000-000000000000000000000000", false, "", "", false, false},
		{"Parent=53995c3f42cd8ad8;Sampled=1", false, "", "", false, false},
		{"", false, "", "", false, false},
	} {
		sc, ok := ParseXRay(c.in)
		if ok != c.ok {
			t.Errorf("%q: ok %v, want %v", c.in, ok, c.ok)
			continue
		}
		if !ok {
			continue
		}
		if sc.TraceID.String() != c.trace || sc.SpanID.String() != c.span || sc.Sampled != c.sampled || sc.Decided != c.decided {
			t.Errorf("%q: got %s %s sampled=%v decided=%v", c.in, sc.TraceID, sc.SpanID, sc.Sampled, sc.Decided)
		}
	}
}

// The X-Ray and W3C forms name the same trace: one's 1-{8}-{24} is the other's 32 hex digits.
func TestTraceFormsRoundTrip(t *testing.T) {
	sc, _ := ParseXRay("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
	tp := string(AppendTraceparent(nil, sc.TraceID, sc.SpanID, sc.Sampled))
	if tp != "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01" {
		t.Errorf("traceparent %s", tp)
	}
	back, ok := ParseTraceparent(tp)
	if !ok || back.TraceID != sc.TraceID || back.SpanID != sc.SpanID {
		t.Fatalf("traceparent does not parse back: %+v", back)
	}
	if x := string(AppendXRay(nil, back.TraceID, back.SpanID, false)); x != "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0" {
		t.Errorf("X-Ray %s", x)
	}
	now := time.Unix(0x5759e988, 0)
	id := newTraceID(now)
	if r := string(AppendXRayRoot(nil, id)); !strings.HasPrefix(r, "1-5759e988-") || len(r) != 35 {
		t.Errorf("a new trace id's X-Ray root %s does not carry its epoch", r)
	}
}

func TestFromHeaders(t *testing.T) {
	tp := []string{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
	xr := []string{"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"}
	sc, ok := FromHeaders(tp, []string{"a=1", "b=2"}, xr)
	if !ok || sc.TraceID.String() != "4bf92f3577b34da6a3ce929d0e0e4736" || sc.State != "a=1,b=2" {
		t.Errorf("traceparent first: %+v %v", sc, ok)
	}
	sc, ok = FromHeaders([]string{"garbage"}, nil, xr)
	if !ok || sc.TraceID.String() != "5759e988bd862e3fe1be46a994272793" {
		t.Errorf("X-Ray when traceparent does not parse: %+v %v", sc, ok)
	}
	if _, ok := FromHeaders(nil, nil, nil); ok {
		t.Error("no headers gave a context")
	}
}

// FuzzTraceHeaders checks that the parsers never panic and that what they accept formats back
// to what parses to the same context.
func FuzzTraceHeaders(f *testing.F) {
	f.Add("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	f.Add("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
	f.Add("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=?;Lineage=x")
	f.Add("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09-x")
	f.Fuzz(func(t *testing.T, s string) {
		if sc, ok := ParseTraceparent(s); ok {
			back, ok := ParseTraceparent(string(AppendTraceparent(nil, sc.TraceID, sc.SpanID, sc.Sampled)))
			if !ok || back.TraceID != sc.TraceID || back.SpanID != sc.SpanID || back.Sampled != sc.Sampled {
				t.Fatalf("traceparent %q does not round-trip", s)
			}
		}
		if sc, ok := ParseXRay(s); ok {
			if sc.TraceID.IsZero() {
				t.Fatalf("X-Ray %q accepted with a zero trace id", s)
			}
			back, ok := ParseXRay(string(AppendXRay(nil, sc.TraceID, sc.SpanID, sc.Sampled)))
			if !ok || back.TraceID != sc.TraceID || back.SpanID != sc.SpanID {
				t.Fatalf("X-Ray %q does not round-trip", s)
			}
		}
		FromHeaders([]string{s}, []string{s}, []string{s})
	})
}

// FuzzOTLPSettings checks that the endpoint and header settings never panic, and that what
// they accept is usable: an http(s) URL, header names that are not empty.
func FuzzOTLPSettings(f *testing.F) {
	f.Add("http://c:4318", "api-key=a%20b,x=1")
	f.Add("https://c/v1/traces", "=x")
	f.Fuzz(func(t *testing.T, endpoint, headers string) {
		if u, err := OTLPTracesURL(endpoint, "", ""); err == nil && u != "" &&
			!strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			t.Fatalf("%q accepted as %q", endpoint, u)
		}
		if h, err := ParseOTLPHeaders(headers); err == nil {
			for k := range h {
				if k == "" {
					t.Fatalf("%q gave an empty header name", headers)
				}
			}
		}
	})
}
