package gateway

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/observe"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/bolt"
)

// execBackend answers every request with fixed headers and a JSON echo of the path, so the
// execution log of a call to it is the same on every run.
func execBackend(t testing.TB) string {
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		h := w.Header()
		h["Date"] = []string{"Sun, 22 Nov 2026 02:00:00 GMT"}
		h.Set("Content-Type", "application/json")
		h.Set("X-Backend", "yes")
		io.WriteString(w, `{"path":"`+r.URL.Path+`","query":"`+r.URL.RawQuery+`"}`)
	}))
	t.Cleanup(b.Close)
	return strings.TrimPrefix(b.URL, "http://")
}

// execDoc has a MOCK, an HTTP integration with parameter and template mappings, an HTTP_PROXY,
// and a MOCK that fails (its template names no statusCode).
func execDoc(backend string) *model.APIDoc {
	ok := map[string]*model.IntegrationResponse{"200": ir("200", "", `{"pet": "$input.params('petId')"}`,
		map[string]string{"method.response.header.X-Pet": "'yes'"})}
	mapped := map[string]*model.IntegrationResponse{"200": ir("200", "", `{"got": $input.json('$.path')}`, nil)}
	mock := mockMethod("GET", `{"statusCode": 200}`, ok, "200")
	mock.MethodResponses["200"].ResponseParameters = map[string]bool{"method.response.header.X-Pet": false}
	return newDoc(
		&model.Resource{Id: "pets01", Path: "/pets/{petId}", ResourceMethods: map[string]*model.Method{"GET": mock}},
		&model.Resource{Id: "item01", Path: "/items/{id}", ResourceMethods: map[string]*model.Method{
			"POST": httpMethod("POST", "POST", "http://"+backend+"/backend/{id}",
				map[string]string{"integration.request.path.id": "method.request.path.id",
					"integration.request.querystring.q":  "method.request.querystring.q",
					"integration.request.header.X-Token": "method.request.header.Authorization"},
				map[string]string{"application/json": `{"name": $input.json('$.name'), "id": "$input.params('id')"}`},
				mapped, "200")}},
		&model.Resource{Id: "prox01", Path: "/proxy", ResourceMethods: map[string]*model.Method{
			"GET": proxyMethod("GET", "GET", "http://"+backend+"/proxied", nil, 0)}},
		&model.Resource{Id: "fail01", Path: "/fail", ResourceMethods: map[string]*model.Method{
			"GET": mockMethod("GET", `{}`, ok, "200")}},
	)
}

// logSetting is a methodSettings block as AWS materialises it, with a logging level.
func logSetting(level string, data bool) *model.MethodSetting {
	return &model.MethodSetting{LoggingLevel: level, DataTraceEnabled: data, ThrottlingRateLimit: 10000, ThrottlingBurstLimit: 5000}
}

// execEnv is a gateway whose execution log is a real log file, with execDoc deployed as prod.
func execEnv(t *testing.T, settings map[string]*model.MethodSetting) (*env, *observe.ExecLog) {
	t.Helper()
	el, err := observe.OpenExecLog(observe.ExecLogOptions{Path: filepath.Join(t.TempDir(), observe.ExecFileName)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { el.Close() })
	e := newEnv(t, Options{ExecLogs: el})
	e.deploy(execDoc(execBackend(t)), "dep001", "prod", nil)
	e.setStage(apiID, "prod", func(s *model.Stage) { s.MethodSettings = settings })
	return e, el
}

// execLines returns the messages logged for a request once its last line is written, or, when
// none is expected, after a later request's lines are (lines are written in order).
func execLines(e *env, el *observe.ExecLog, requestID string) []string {
	e.t.Helper()
	var lines []string
	e.waitFor(func() bool {
		lines = lines[:0]
		el.Read(observe.ExecFilter{RequestID: requestID}, func(en *observe.ExecEntry) error {
			lines = append(lines, en.Message)
			return nil
		})
		return len(lines) > 0 && strings.HasPrefix(lines[len(lines)-1], "Method completed with status: ")
	})
	return lines
}

// normalise replaces what changes from run to run: ports, generated ids, latencies.
var normalisers = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "127.0.0.1:PORT"},
	{regexp.MustCompile(`Extended Request Id: \S+`), "Extended Request Id: EXTENDED_ID"},
	{regexp.MustCompile(`Integration latency: \d+ ms`), "Integration latency: N ms"},
	{regexp.MustCompile(`Root=1-[0-9a-f]{8}-[0-9a-f]{24}`), "Root=TRACE_ID"},
	{regexp.MustCompile(`X-Forwarded-Port=\d+`), "X-Forwarded-Port=PORT"},
	{regexp.MustCompile(`X-Amz-Apigw-Id=[A-Za-z0-9_=-]+`), "X-Amz-Apigw-Id=EXTENDED_ID"},
}

func normaliseLog(lines []string) string {
	s := strings.Join(lines, "\n") + "\n"
	for _, n := range normalisers {
		s = n.re.ReplaceAllString(s, n.with)
	}
	return s
}

const execRequestID = "11111111-2222-4333-8444-555555555555"

func execRequest(e *env, method, rest, body string, hdr map[string]string) result {
	e.t.Helper()
	h := map[string]string{"X-Amzn-Requestid": execRequestID, "User-Agent": "exec-test"}
	for k, v := range hdr {
		h[k] = v
	}
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	return e.do(method, e.pathURL(apiID, "prod", rest), "", r, h)
}

// TestExecutionLogGolden checks the lines of a MOCK, an HTTP request with mappings and an
// HTTP_PROXY request, at INFO with and without dataTrace, against testdata/execlog/*.golden
// (go test -run TestExecutionLogGolden -rewrite rewrites them).
func TestExecutionLogGolden(t *testing.T) {
	cases := []struct {
		name, method, rest, body string
		hdr                      map[string]string
		data                     bool
		status                   int
	}{
		{name: "mock", method: "GET", rest: "/pets/7?color=red&color=blue", data: true, status: 200},
		{name: "mock_info", method: "GET", rest: "/pets/7", status: 200},
		{name: "http", method: "POST", rest: "/items/42?q=find", body: `{"name": "rex"}`, data: true, status: 200,
			hdr: map[string]string{"Content-Type": "application/json", "Authorization": "Bearer abcdefghijklmnop",
				"X-Api-Key": "key1234567890abcdef"}},
		{name: "http_proxy", method: "GET", rest: "/proxy?x=1", data: true, status: 200},
		{name: "fail", method: "GET", rest: "/fail", data: true, status: 500},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, el := execEnv(t, map[string]*model.MethodSetting{"*/*": logSetting("INFO", c.data)})
			res := execRequest(e, c.method, c.rest, c.body, c.hdr)
			lines := execLines(e, el, execRequestID)
			if res.status != c.status {
				t.Fatalf("status %d, want %d: %s\n%s", res.status, c.status, res.body, strings.Join(lines, "\n"))
			}
			compareGolden(t, filepath.Join("testdata", "execlog", c.name+".golden"), normaliseLog(lines))
		})
	}
}

// TestExecutionLogLevels checks per-method settings over "*/*": ERROR keeps only failing
// requests (a request that matches no method falls under "*/*"), INFO keeps every request of
// its method, OFF none.
func TestExecutionLogLevels(t *testing.T) {
	e, el := execEnv(t, map[string]*model.MethodSetting{
		"*/*":              logSetting("ERROR", false),
		"proxy/GET":        logSetting("OFF", false),
		"pets/{petId}/GET": logSetting("INFO", false),
	})
	send := func(id, method, rest, body string) {
		t.Helper()
		var r io.Reader
		if body != "" {
			r = strings.NewReader(body)
		}
		e.do(method, e.pathURL(apiID, "prod", rest), "", r, map[string]string{"X-Amzn-Requestid": id,
			"Content-Type": "application/json"})
	}
	cases := []struct {
		id, method, rest, body string
		logged                 bool
	}{
		{"00000000-0000-4000-8000-000000000001", "POST", "/items/1", `{"name":"x"}`, false}, // ERROR, succeeds
		{"00000000-0000-4000-8000-000000000002", "GET", "/fail", "", true},                  // ERROR, fails
		{"00000000-0000-4000-8000-000000000003", "GET", "/proxy", "", false},                // OFF
		{"00000000-0000-4000-8000-000000000004", "GET", "/pets/1", "", true},                // INFO
		{"00000000-0000-4000-8000-000000000005", "GET", "/nowhere", "", true},               // no method: 403
	}
	for _, c := range cases {
		send(c.id, c.method, c.rest, c.body)
	}
	// Lines are written in the order requests finish: once a last request's are, all are.
	const lastID = "00000000-0000-4000-8000-0000000000ff"
	send(lastID, "GET", "/fail", "")
	execLines(e, el, lastID)
	for _, c := range cases {
		n := 0
		el.Read(observe.ExecFilter{RequestID: c.id}, func(*observe.ExecEntry) error { n++; return nil })
		if (n > 0) != c.logged {
			t.Errorf("%s %s: %d lines logged, want logged=%v", c.method, c.rest, n, c.logged)
		}
	}
}

// TestExecutionLogErrorOnly checks that ERROR drops a successful request's lines.
func TestExecutionLogErrorOnly(t *testing.T) {
	e, el := execEnv(t, map[string]*model.MethodSetting{"*/*": logSetting("ERROR", true)})
	const okID, failID = "00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b"
	e.do("GET", e.pathURL(apiID, "prod", "/pets/1"), "", nil, map[string]string{"X-Amzn-Requestid": okID})
	e.do("GET", e.pathURL(apiID, "prod", "/fail"), "", nil, map[string]string{"X-Amzn-Requestid": failID})
	lines := execLines(e, el, failID)
	if !strings.Contains(strings.Join(lines, "\n"), "Gateway response type: API_CONFIGURATION_ERROR with status code: 500") {
		t.Errorf("failing request's lines: %q", lines)
	}
	n := 0
	el.Read(observe.ExecFilter{RequestID: okID}, func(*observe.ExecEntry) error { n++; return nil })
	if n != 0 {
		t.Errorf("a successful request at ERROR level logged %d lines", n)
	}
}

// TestExecutionLogTruncatesAndMasks checks the 1,024-byte cut of bodies and the masking of
// Authorization and x-api-key.
func TestExecutionLogTruncatesAndMasks(t *testing.T) {
	if got := truncateBody([]byte(strings.Repeat("a", 1500))); got != strings.Repeat("a", 1024)+" [TRUNCATED]" {
		t.Errorf("truncateBody: %d bytes: %q...", len(got), got[1000:])
	}
	if got := truncateBody([]byte("short")); got != "short" {
		t.Errorf("truncateBody(short) = %q", got)
	}
	h := http.Header{"Authorization": {"Bearer abcdefghijklmnop"}, "X-Api-Key": {"abc"}, "Accept": {"a", "b"}}
	if got, want := formatHeaders(h), "{Accept=a,b, Authorization=*****************klmnop, X-Api-Key=***}"; got != want {
		t.Errorf("formatHeaders = %q, want %q", got, want)
	}
}

// BenchmarkExecutionLog measures a MOCK request through ServeHTTP: on a server without an
// execution log (none), on a stage whose execution log is OFF (the cost must be a nil check:
// compare with none), at INFO, and at INFO with dataTrace. Every case has the same
// methodSettings block, so the same throttle buckets.
func BenchmarkExecutionLog(b *testing.B) {
	for _, c := range []struct {
		name, level string
		data, log   bool
	}{
		{"none", "OFF", false, false},
		{"off", "OFF", false, true},
		{"info", "INFO", false, true},
		{"info_data", "INFO", true, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			st, err := bolt.Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			doc := mockDoc()
			ms := logSetting(c.level, c.data)
			ms.ThrottlingRateLimit, ms.ThrottlingBurstLimit = 1e9, 1e9
			stage := model.Stage{StageName: "prod", DeploymentId: "dep001",
				MethodSettings: map[string]*model.MethodSetting{"*/*": ms}}
			err = st.Update(func(tx store.Tx) error {
				tx.Put(store.KindRestAPI, apiID, doc)
				tx.Put(store.KindDeployment, store.Key(apiID, "dep001"), model.DeploymentRecord{
					Deployment: model.Deployment{Id: "dep001"}, APIID: apiID, Snapshot: doc})
				return tx.Put(store.KindStage, store.Key(apiID, "prod"), model.StageRecord{APIID: apiID, Stage: stage})
			})
			if err != nil {
				b.Fatal(err)
			}
			opts := Options{Logger: slog.New(slog.DiscardHandler)}
			if c.log {
				el, err := observe.OpenExecLog(observe.ExecLogOptions{Path: filepath.Join(b.TempDir(), observe.ExecFileName)})
				if err != nil {
					b.Fatal(err)
				}
				defer el.Close()
				opts.ExecLogs = el
			}
			gw, err := New(st, opts)
			if err != nil {
				b.Fatal(err)
			}
			defer gw.Close()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				req := httptest.NewRequest("GET", "http://"+apiID+".execute-api.localhost/prod/pets/1", nil)
				w := httptest.NewRecorder()
				gw.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}

// TestTestInvokeMethod runs the HTTP method of an API that is not deployed: the answer is the
// method's, and its log is AWS's test invoke log, checked against testdata/execlog/testinvoke.golden.
func TestTestInvokeMethod(t *testing.T) {
	e := newEnv(t, Options{})
	doc := execDoc(execBackend(t))
	out, err := e.gw.TestInvokeMethod(t.Context(), doc, "item01", "POST", &model.TestInvokeMethodRequest{
		PathWithQueryString: "/items/42?q=find",
		Body:                `{"name": "rex"}`,
		Headers:             map[string]string{"Content-Type": "application/json", "Authorization": "Bearer abcdefghijklmnop"},
		StageVariables:      map[string]string{"color": "blue"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != 200 || out.Body != `{"got": "/backend/42"}` {
		t.Errorf("status %d body %q", out.Status, out.Body)
	}
	if out.Headers["Content-Type"] != "application/json" || len(out.MultiValueHeaders["Content-Type"]) != 1 {
		t.Errorf("headers %v multiValueHeaders %v", out.Headers, out.MultiValueHeaders)
	}
	log := regexp.MustCompile(`(?m)^\w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4} : `).ReplaceAllString(out.Log, "TIME : ")
	log = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`).ReplaceAllString(log, "REQUEST_ID")
	compareGolden(t, filepath.Join("testdata", "execlog", "testinvoke.golden"), normaliseLog([]string{strings.TrimSuffix(log, "\n")}))

	if _, err := e.gw.TestInvokeMethod(t.Context(), doc, "item01", "GET", &model.TestInvokeMethodRequest{}); err == nil {
		t.Error("a method the resource does not have ran")
	}
	// A failing method answers its gateway response, and the log says why.
	out, err = e.gw.TestInvokeMethod(t.Context(), doc, "fail01", "GET", &model.TestInvokeMethodRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != 500 || !strings.Contains(out.Log, "Gateway response type: API_CONFIGURATION_ERROR with status code: 500") {
		t.Errorf("failing method: status %d log:\n%s", out.Status, out.Log)
	}
}

// TestExecutionLogLambda checks the lines of an AWS_PROXY call and of a function error against
// testdata/execlog/lambda_*.golden.
func TestExecutionLogLambda(t *testing.T) {
	el, err := observe.OpenExecLog(observe.ExecLogOptions{Path: filepath.Join(t.TempDir(), observe.ExecFileName)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { el.Close() })
	fn := &fakeFunctions{}
	e := newEnv(t, Options{Functions: fn, ExecLogs: el, Region: "us-east-1", AccountID: "123456789012"})
	e.deploy(lambdaProxyDoc(), "dep1", "prod", map[string]string{"fn": "pets"})
	e.setStage(apiID, "prod", func(s *model.Stage) {
		s.MethodSettings = map[string]*model.MethodSetting{"*/*": logSetting("INFO", true)}
	})
	for _, c := range []struct {
		name, payload, fnErr string
		status               int
	}{
		{"lambda_proxy", `{"statusCode": 201, "headers": {"X-Pet": "1"}, "body": "{\"id\":1}"}`, "", 201},
		{"lambda_error", `{"errorMessage": "boom", "errorType": "Error"}`, "Unhandled", 502},
	} {
		t.Run(c.name, func(t *testing.T) {
			fn.answerWith(answering(c.payload, c.fnErr))
			id := "22222222-2222-4333-8444-" + map[string]string{"lambda_proxy": "000000000001", "lambda_error": "000000000002"}[c.name]
			r := e.do("POST", e.pathURL(apiID, "prod", "/pets/1"), "", strings.NewReader(`{"name":"rex"}`),
				map[string]string{"X-Amzn-Requestid": id, "User-Agent": "exec-test", "Content-Type": "application/json",
					"X-Amzn-Trace-Id": "Root=1-00000000-000000000000000000000000"})
			if r.status != c.status {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			lines := execLines(e, el, id)
			// The proxy event is checked by the Lambda tests; here its volatile fields are hidden.
			for i, l := range lines {
				if strings.HasPrefix(l, "Endpoint request body after transformations: ") {
					lines[i] = "Endpoint request body after transformations: {EVENT}"
				}
			}
			compareGolden(t, filepath.Join("testdata", "execlog", c.name+".golden"), normaliseLog(lines))
		})
	}
}
