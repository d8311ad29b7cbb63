package gateway

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/observe"
	"github.com/portico/portico/internal/observe/otlptest"
	"github.com/portico/portico/internal/store"
)

// traceBackend is an HTTP backend that keeps the headers of the last request it got.
type traceBackend struct {
	*httptest.Server
	mu   sync.Mutex
	last http.Header
}

func newTraceBackend(t *testing.T) *traceBackend {
	b := &traceBackend{}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		b.last = r.Header.Clone()
		b.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(b.Close)
	return b
}

func (b *traceBackend) header(name string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.last.Get(name)
}

func traceDoc(backendHost string) *model.APIDoc {
	ok := map[string]*model.IntegrationResponse{"200": ir("200", "", "", nil)}
	httpMethod := &model.Method{HttpMethod: "GET", AuthorizationType: "NONE",
		MethodResponses: map[string]*model.MethodResponse{"200": {StatusCode: "200"}},
		MethodIntegration: &model.Integration{Type: "HTTP", HttpMethod: "GET", Uri: "http://" + backendHost + "/plain",
			IntegrationResponses: ok}}
	iam := mockMethod("GET", `{"statusCode": 200}`, ok, "200")
	iam.AuthorizationType = "AWS_IAM"
	doc := newDoc(
		&model.Resource{Id: "px0001", Path: "/proxy/{proxy+}", ResourceMethods: map[string]*model.Method{
			"ANY": proxyMethod("ANY", "ANY", "http://"+backendHost+"/echo/{proxy}", nil, 0)}},
		&model.Resource{Id: "ht0001", Path: "/http", ResourceMethods: map[string]*model.Method{"GET": httpMethod}},
		&model.Resource{Id: "fn0001", Path: "/fn", ResourceMethods: map[string]*model.Method{
			"POST": {HttpMethod: "POST", AuthorizationType: "NONE", MethodIntegration: &model.Integration{
				Type: "AWS_PROXY", HttpMethod: "POST", Uri: lambdaURI}}}},
		&model.Resource{Id: "mk0001", Path: "/mock", ResourceMethods: map[string]*model.Method{
			"GET": mockMethod("GET", `{"statusCode": 200}`, ok, "200")}},
		&model.Resource{Id: "iam001", Path: "/iam", ResourceMethods: map[string]*model.Method{"GET": iam}},
		&model.Resource{Id: "dn0001", Path: "/down", ResourceMethods: map[string]*model.Method{
			"GET": proxyMethod("GET", "GET", "http://127.0.0.1:1/", nil, 0)}},
	)
	doc.RestApi.Name = "shop"
	return doc
}

// putTraced stores doc deployed as stage "traced" (tracingEnabled) and stage "plain" (not),
// both changed by configure.
func putTraced(tb testing.TB, st store.Store, doc *model.APIDoc, configure ...func(*model.Stage)) {
	tb.Helper()
	err := st.Update(func(tx store.Tx) error {
		if err := tx.Put(store.KindRestAPI, doc.RestApi.Id, doc); err != nil {
			return err
		}
		rec := model.DeploymentRecord{Deployment: model.Deployment{Id: "dep001"}, APIID: doc.RestApi.Id, Snapshot: doc.Clone()}
		if err := tx.Put(store.KindDeployment, store.Key(doc.RestApi.Id, "dep001"), rec); err != nil {
			return err
		}
		for _, s := range []model.Stage{
			{StageName: "traced", DeploymentId: "dep001", TracingEnabled: true, Variables: map[string]string{"fn": "f"}},
			{StageName: "plain", DeploymentId: "dep001", Variables: map[string]string{"fn": "f"}},
		} {
			for _, f := range configure {
				f(&s)
			}
			if err := tx.Put(store.KindStage, store.Key(doc.RestApi.Id, s.StageName), model.StageRecord{APIID: doc.RestApi.Id, Stage: s}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// deployTraced deploys doc with putTraced and waits until the gateway serves both stages.
func (e *env) deployTraced(doc *model.APIDoc) {
	e.t.Helper()
	putTraced(e.t, e.st, doc)
	e.waitFor(func() bool {
		return e.gw.table.Lookup(doc.RestApi.Id, "traced") != nil && e.gw.table.Lookup(doc.RestApi.Id, "plain") != nil
	})
}

type tracedEnv struct {
	*env
	rcv     *otlptest.Receiver
	backend *traceBackend
	fns     *fakeFunctions
}

func newTracedEnv(t *testing.T) *tracedEnv {
	rcv := otlptest.New(t)
	tracer := observe.NewTracer(observe.TracerOptions{Endpoint: rcv.URL, BatchInterval: 2 * time.Millisecond})
	t.Cleanup(func() { tracer.Close() })
	fns := &fakeFunctions{answer: answering(`{"statusCode":200,"body":"ok"}`, "")}
	e := newEnv(t, Options{Tracer: tracer, Functions: fns})
	backend := newTraceBackend(t)
	e.deployTraced(traceDoc(strings.TrimPrefix(backend.URL, "http://")))
	return &tracedEnv{env: e, rcv: rcv, backend: backend, fns: fns}
}

// spansOf waits for the n spans of one trace and returns them by name.
func (e *tracedEnv) spansOf(traceID string, n int) map[string]otlptest.Span {
	e.t.Helper()
	var got []otlptest.Span
	e.waitFor(func() bool {
		got = got[:0]
		for _, s := range e.rcv.Spans() {
			if s.TraceID == traceID {
				got = append(got, s)
			}
		}
		return len(got) >= n
	})
	if p := e.rcv.Problems(); len(p) > 0 {
		e.t.Fatalf("malformed exports: %v", p)
	}
	m := map[string]otlptest.Span{}
	for _, s := range got {
		m[s.Name] = s
	}
	if len(got) != n || len(m) != n {
		e.t.Fatalf("trace %s: %d spans, want %d: %+v", traceID, len(got), n, got)
	}
	return m
}

// propagated checks what a backend (or function) got: both headers in trace, naming span as
// the parent.
func propagated(t *testing.T, traceparent, xray, traceID, span string) {
	t.Helper()
	if want := "00-" + traceID + "-" + span + "-01"; traceparent != want && traceparent != "-" {
		t.Errorf("traceparent %q, want %q", traceparent, want)
	}
	want := "Root=1-" + traceID[:8] + "-" + traceID[8:] + ";Parent=" + span + ";Sampled=1"
	if xray != want {
		t.Errorf("X-Amzn-Trace-Id %q, want %q", xray, want)
	}
}

func TestTraceContinuesTraceparent(t *testing.T) {
	e := newTracedEnv(t)
	const traceID, caller = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	url, host := e.hostURL(apiID, "/traced/proxy/a")
	r := e.do("GET", url, host, nil, map[string]string{"traceparent": "00-" + traceID + "-" + caller + "-01", "tracestate": "v=1"})
	if r.status != 200 {
		t.Fatalf("status %d %s", r.status, r.body)
	}
	spans := e.spansOf(traceID, 2)
	root, in := spans["shop/traced"], spans[strings.TrimPrefix(e.backend.URL, "http://")]
	if root.ParentSpanID != caller || root.Kind != 2 || in.ParentSpanID != root.SpanID || in.Kind != 3 {
		t.Errorf("parents: caller %s <- request %s (parent %s) <- integration %s (parent %s)", caller, root.SpanID,
			root.ParentSpanID, in.SpanID, in.ParentSpanID)
	}
	for k, v := range map[string]string{"aws.api_gateway.rest_api_id": apiID, "aws.api_gateway.stage": "traced",
		"aws.api_gateway.resource_path": "/proxy/{proxy+}", "http.request.method": "GET", "http.response.status_code": "200",
		"url.path": "/traced/proxy/a", "aws.api_gateway.request_id": r.header.Get("X-Amzn-Requestid")} {
		if root.Attributes[k] != v {
			t.Errorf("request span %s = %q, want %q", k, root.Attributes[k], v)
		}
	}
	if in.Attributes["aws.api_gateway.integration_type"] != "HTTP_PROXY" || in.Attributes["http.response.status_code"] != "200" {
		t.Errorf("integration span attributes %v", in.Attributes)
	}
	if root.TraceState != "v=1" || e.backend.header("Tracestate") != "v=1" {
		t.Errorf("tracestate: span %q, backend %q", root.TraceState, e.backend.header("Tracestate"))
	}
	if root.Start > in.Start || in.End > root.End || root.StatusCode != 0 {
		t.Errorf("times or status: request %d..%d, integration %d..%d, status %d", root.Start, root.End, in.Start, in.End, root.StatusCode)
	}
	propagated(t, e.backend.header("Traceparent"), e.backend.header("X-Amzn-Trace-Id"), traceID, in.SpanID)
	// HTTP_PROXY answers carry no X-Amzn-Trace-Id, as on AWS.
	if v := r.header.Get("X-Amzn-Trace-Id"); v != "" {
		t.Errorf("HTTP_PROXY answer carries X-Amzn-Trace-Id %q", v)
	}
}

func TestTraceContinuesXRay(t *testing.T) {
	e := newTracedEnv(t)
	url, host := e.hostURL(apiID, "/traced/http")
	r := e.do("GET", url, host, nil, map[string]string{"X-Amzn-Trace-Id": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"})
	if r.status != 200 {
		t.Fatalf("status %d %s", r.status, r.body)
	}
	const traceID = "5759e988bd862e3fe1be46a994272793"
	spans := e.spansOf(traceID, 2)
	root, in := spans["shop/traced"], spans[strings.TrimPrefix(e.backend.URL, "http://")]
	if root.ParentSpanID != "53995c3f42cd8ad8" || in.ParentSpanID != root.SpanID || in.Attributes["aws.api_gateway.integration_type"] != "HTTP" {
		t.Errorf("request %+v\nintegration %+v", root, in)
	}
	propagated(t, e.backend.header("Traceparent"), e.backend.header("X-Amzn-Trace-Id"), traceID, in.SpanID)
	// A non-proxy HTTP answer carries the trace, as AWS answers it.
	if v := r.header.Get("X-Amzn-Trace-Id"); v != "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1" {
		t.Errorf("answer's X-Amzn-Trace-Id %q", v)
	}
}

func TestTraceStartsNewAndReachesFunction(t *testing.T) {
	e := newTracedEnv(t)
	url, host := e.hostURL(apiID, "/traced/fn")
	r := e.do("POST", url, host, strings.NewReader(`{}`), nil)
	if r.status != 200 {
		t.Fatalf("status %d %s", r.status, r.body)
	}
	req := e.fns.last(t)
	sc, ok := observe.ParseXRay(req.TraceID)
	if !ok {
		t.Fatalf("the function got trace %q", req.TraceID)
	}
	traceID := sc.TraceID.String()
	// A new trace id begins with the request's epoch seconds, as X-Ray's do.
	if d := time.Now().Unix() - int64(sc.TraceID[0])<<24 - int64(sc.TraceID[1])<<16 - int64(sc.TraceID[2])<<8 - int64(sc.TraceID[3]); d < 0 || d > 60 {
		t.Errorf("trace id %s does not start with the epoch", traceID)
	}
	spans := e.spansOf(traceID, 2)
	root, in := spans["shop/traced"], spans["Lambda"]
	if root.ParentSpanID != "" || in.ParentSpanID != root.SpanID || in.Attributes["faas.invoked_name"] == "" ||
		in.Attributes["aws.api_gateway.integration_type"] != "AWS_PROXY" {
		t.Errorf("request %+v\nintegration %+v", root, in)
	}
	propagated(t, "-", req.TraceID, traceID, in.SpanID)
	if v := r.header.Get("X-Amzn-Trace-Id"); !strings.HasPrefix(v, "Root=1-"+traceID[:8]+"-"+traceID[8:]) {
		t.Errorf("answer's X-Amzn-Trace-Id %q", v)
	}
}

func TestTraceAuthorizerAndErrors(t *testing.T) {
	e := newTracedEnv(t)
	const traceID = "0af7651916cd43dd8448eb211c80319c"
	url, host := e.hostURL(apiID, "/traced/iam")
	if r := e.do("GET", url, host, nil, map[string]string{"traceparent": "00-" + traceID + "-b7ad6b7169203331-01"}); r.status != 403 {
		t.Fatalf("status %d", r.status)
	}
	spans := e.spansOf(traceID, 2)
	if a := spans["Authorizer"]; a.ParentSpanID != spans["shop/traced"].SpanID || a.StatusCode != 2 ||
		a.StatusMessage != "Missing Authentication Token" || a.Attributes["aws.api_gateway.authorization_type"] != "AWS_IAM" {
		t.Errorf("authorizer span %+v", a)
	}
	const down = "1af7651916cd43dd8448eb211c80319c"
	url, host = e.hostURL(apiID, "/traced/down")
	if r := e.do("GET", url, host, nil, map[string]string{"traceparent": "00-" + down + "-b7ad6b7169203331-01"}); r.status != 500 {
		t.Fatalf("status %d", r.status)
	}
	spans = e.spansOf(down, 2)
	if root := spans["shop/traced"]; root.StatusCode != 2 || root.Attributes["http.response.status_code"] != "500" {
		t.Errorf("request span %+v", root)
	}
	if in := spans["127.0.0.1:1"]; in.StatusCode != 2 || in.StatusMessage == "" {
		t.Errorf("integration span %+v", in)
	}
	// A MOCK calls no backend: the request's span alone.
	const mock = "2af7651916cd43dd8448eb211c80319c"
	url, host = e.hostURL(apiID, "/traced/mock")
	if r := e.do("GET", url, host, nil, map[string]string{"traceparent": "00-" + mock + "-b7ad6b7169203331-01"}); r.status != 200 || r.header.Get("X-Amzn-Trace-Id") != "" {
		t.Fatalf("status %d, X-Amzn-Trace-Id %q", r.status, r.header.Get("X-Amzn-Trace-Id"))
	}
	e.spansOf(mock, 1)
}

// An unsampled caller is followed: nothing is exported, and the backend hears the decision.
// A stage without tracingEnabled exports nothing and passes the caller's headers untouched.
func TestTraceUnsampledAndOff(t *testing.T) {
	e := newTracedEnv(t)
	const unsampled = "3af7651916cd43dd8448eb211c80319c"
	url, host := e.hostURL(apiID, "/traced/proxy/x")
	e.do("GET", url, host, nil, map[string]string{"traceparent": "00-" + unsampled + "-b7ad6b7169203331-00"})
	if tp := e.backend.header("Traceparent"); !strings.HasPrefix(tp, "00-"+unsampled+"-") || !strings.HasSuffix(tp, "-00") ||
		strings.Contains(tp, "b7ad6b7169203331") {
		t.Errorf("unsampled traceparent to the backend %q", tp)
	}
	const off = "4af7651916cd43dd8448eb211c80319c"
	url, host = e.hostURL(apiID, "/plain/proxy/x")
	e.do("GET", url, host, nil, map[string]string{"traceparent": "00-" + off + "-b7ad6b7169203331-01"})
	if tp := e.backend.header("Traceparent"); tp != "00-"+off+"-b7ad6b7169203331-01" {
		t.Errorf("untraced stage changed traceparent: %q", tp)
	}
	// A last traced request marks when the exports above would have arrived.
	const last = "5af7651916cd43dd8448eb211c80319c"
	url, host = e.hostURL(apiID, "/traced/mock")
	e.do("GET", url, host, nil, map[string]string{"traceparent": "00-" + last + "-b7ad6b7169203331-01"})
	e.spansOf(last, 1)
	for _, s := range e.rcv.Spans() {
		if s.TraceID == unsampled || s.TraceID == off {
			t.Errorf("exported %+v", s)
		}
	}
}

// A Lambda authorizer's invocation belongs under the Authorizer span; the integration's
// under the integration span.
func TestTraceLambdaAuthorizer(t *testing.T) {
	rcv := otlptest.New(t)
	tracer := observe.NewTracer(observe.TracerOptions{Endpoint: rcv.URL, BatchInterval: 2 * time.Millisecond})
	t.Cleanup(func() { tracer.Close() })
	var calls atomic.Int64
	fns := &fakeFunctions{answer: authorizerFunctions(&calls)}
	e := newEnv(t, Options{Tracer: tracer, Functions: fns, Region: "us-east-1", AccountID: "123456789012"})
	doc := authorizerDoc(0)
	err := e.st.Update(func(tx store.Tx) error {
		tx.Put(store.KindRestAPI, apiID, doc)
		tx.Put(store.KindDeployment, store.Key(apiID, "dep001"), model.DeploymentRecord{
			Deployment: model.Deployment{Id: "dep001"}, APIID: apiID, Snapshot: doc.Clone()})
		return tx.Put(store.KindStage, store.Key(apiID, "prod"), model.StageRecord{APIID: apiID,
			Stage: model.Stage{StageName: "prod", DeploymentId: "dep001", TracingEnabled: true,
				Variables: map[string]string{"authFn": "auth"}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	e.waitFor(func() bool { return e.gw.table.Lookup(apiID, "prod") != nil })
	const traceID = "6af7651916cd43dd8448eb211c80319c"
	url, host := e.hostURL(apiID, "/prod/pets")
	r := e.do("POST", url, host, strings.NewReader(`{}`), map[string]string{"Authorization": "Bearer alice",
		"traceparent": "00-" + traceID + "-b7ad6b7169203331-01"})
	if r.status != 200 {
		t.Fatalf("status %d %s", r.status, r.body)
	}
	te := &tracedEnv{env: e, rcv: rcv}
	spans := te.spansOf(traceID, 3)
	auth, in := spans["Authorizer"], spans["Lambda"]
	if auth.StatusCode != 0 || auth.ParentSpanID != spans["test/prod"].SpanID || auth.Attributes["aws.api_gateway.authorization_type"] != "CUSTOM" {
		t.Errorf("authorizer span %+v", auth)
	}
	fns.mu.Lock()
	defer fns.mu.Unlock()
	for _, req := range fns.reqs {
		want := in.SpanID
		if req.FunctionName != "backend" {
			want = auth.SpanID
		}
		if sc, ok := observe.ParseXRay(req.TraceID); !ok || sc.TraceID.String() != traceID || sc.SpanID.String() != want {
			t.Errorf("%s got trace %q, want its parent %s", req.FunctionName, req.TraceID, want)
		}
	}
	if len(fns.reqs) != 2 {
		t.Errorf("%d invocations, want the authorizer's and the backend's", len(fns.reqs))
	}
}

// $context.xrayTraceId is the request span's X-Ray header on a traced stage, the caller's
// X-Amzn-Trace-Id on another.
func TestTraceXrayTraceIDInAccessLog(t *testing.T) {
	rcv := otlptest.New(t)
	tracer := observe.NewTracer(observe.TracerOptions{Endpoint: rcv.URL, BatchInterval: 2 * time.Millisecond})
	t.Cleanup(func() { tracer.Close() })
	out := &syncBuffer{}
	sinks := observe.NewSinks(observe.SinkOptions{Default: out})
	t.Cleanup(func() { sinks.Close() })
	e := newEnv(t, Options{Tracer: tracer, AccessLogs: sinks})
	putTraced(t, e.st, traceDoc("127.0.0.1:1"), func(s *model.Stage) {
		s.AccessLogSettings = &model.AccessLogSettings{Format: "$context.stage $context.xrayTraceId"}
	})
	e.waitFor(func() bool {
		return e.gw.table.Lookup(apiID, "traced") != nil && e.gw.table.Lookup(apiID, "plain") != nil
	})
	const caller = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	for _, stage := range []string{"traced", "plain"} {
		url, host := e.hostURL(apiID, "/"+stage+"/mock")
		e.do("GET", url, host, nil, map[string]string{"X-Amzn-Trace-Id": caller})
	}
	te := &tracedEnv{env: e, rcv: rcv}
	root := te.spansOf("5759e988bd862e3fe1be46a994272793", 1)["shop/traced"]
	var lines []string
	e.waitFor(func() bool {
		lines = strings.Split(strings.TrimSpace(out.String()), "\n")
		return len(lines) == 2
	})
	want := []string{"traced Root=1-5759e988-bd862e3fe1be46a994272793;Parent=" + root.SpanID + ";Sampled=1", "plain " + caller}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("access log line %q, want %q", lines[i], want[i])
		}
	}
}
