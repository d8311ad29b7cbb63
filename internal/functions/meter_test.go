package functions

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// countingMeter counts what a runtime tells its Meter, per function.
type countingMeter struct {
	mu sync.Mutex
	by map[string]*counts
}

type counts struct {
	m                                              *countingMeter
	started, cold, finished, failed, throttled, at int
	durations                                      []time.Duration
}

func (c *countingMeter) Function(name string) FunctionMeter {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.by[name] == nil {
		c.by[name] = &counts{m: c}
	}
	return c.by[name]
}

func (c *counts) Started(cold bool) {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	c.started++
	c.at++
	if cold {
		c.cold++
	}
}

func (c *counts) Finished(d time.Duration, failed bool) {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	c.finished++
	c.at--
	c.durations = append(c.durations, d)
	if failed {
		c.failed++
	}
}

func (c *counts) Throttled() {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	c.throttled++
}

// A known mix of invocations is counted exactly, and counted before the caller has its answer.
func TestMeterCountsInvocations(t *testing.T) {
	m := &countingMeter{by: map[string]*counts{}}
	rt := newRuntime(t, Options{Meter: m})
	createCmd(t, rt, "f", nil, 1)
	for _, p := range []string{`{}`, `{"op":"error","text":"boom"}`, `{}`, `{"op":"sleep","ms":3000}`, `{}`} {
		invoke(t, rt, "f", p)
	}
	if _, err := rt.PutConcurrency("f", 0); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := rt.Invoke(context.Background(), InvokeRequest{FunctionName: "f"}); !errors.Is(err, ErrThrottled) {
			t.Fatalf("reserved 0: %v", err)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.by["f"]
	// The timeout kills its worker: the invocation after it is a second cold start.
	if c.started != 5 || c.finished != 5 || c.failed != 2 || c.cold != 2 || c.throttled != 2 || c.at != 0 {
		t.Errorf("counted %+v; want 5 started and finished, 2 failed, 2 cold, 2 throttled, none running", *c)
	}
	if d := c.durations[3]; d < time.Second || d > 2*time.Second {
		t.Errorf("the timed-out invocation lasted %v, want about its 1s timeout", d)
	}
}

// The trace header a caller passes reaches the function as Lambda-Runtime-Trace-Id, which
// aws-lambda-go sets as _X_AMZN_TRACE_ID.
func TestTraceIDReachesFunction(t *testing.T) {
	rt := newRuntime(t, Options{})
	createCmd(t, rt, "f", nil, 3)
	const trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	res, err := rt.Invoke(context.Background(), InvokeRequest{FunctionName: "f", Payload: []byte(`{"op":"echo"}`), TraceID: trace})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(res.Payload); !strings.Contains(got, trace) {
		t.Errorf("the function saw %s", got)
	}
}
