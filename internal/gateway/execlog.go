package gateway

import (
	"bytes"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/portico/portico/internal/functions"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/observe"
	"github.com/portico/portico/internal/runtime"
)

// execLevel is a method's loggingLevel.
type execLevel uint8

const (
	execOff execLevel = iota
	execError
	execInfo
)

// execSetting is what a method's execution log keeps: its level, and with dataTrace the
// request and response data (headers, bodies, parameters).
type execSetting struct {
	level execLevel
	data  bool
}

// execSettings are a stage's execution log settings, resolved at load: the stage's "*/*" and
// each method's own. on is false when every one is OFF, and then a request starts no trace.
type execSettings struct {
	on      bool
	stage   execSetting
	methods map[*runtime.Method]execSetting
}

// resolveExec reads the stage's methodSettings: a method's own block, else "*/*", else OFF.
func resolveExec(api *runtime.API, settings map[string]*model.MethodSetting) execSettings {
	read := func(ms *model.MethodSetting) execSetting {
		s := execSetting{data: ms.DataTraceEnabled}
		switch ms.LoggingLevel {
		case "INFO":
			s.level = execInfo
		case "ERROR":
			s.level = execError
		}
		return s
	}
	var out execSettings
	if ms := settings["*/*"]; ms != nil {
		out.stage = read(ms)
	}
	out.on = out.stage.level != execOff
	api.Routes.Walk(func(res *runtime.Resource, m *runtime.Method) {
		ms := settings[strings.TrimPrefix(res.Path, "/")+"/"+m.Verb.String()]
		if ms == nil {
			return
		}
		if out.methods == nil {
			out.methods = map[*runtime.Method]execSetting{}
		}
		s := read(ms)
		out.methods[m] = s
		out.on = out.on || s.level != execOff
	})
	return out
}

func (s *execSettings) forMethod(m *runtime.Method) execSetting {
	if ms, ok := s.methods[m]; ok {
		return ms
	}
	return s.stage
}

// execTrace gathers one request's execution log lines while the phases run; at the end of the
// request they are kept or dropped by the method's level. A request of a stage without
// execution logging has none (rc.exec is nil), and every method here is then a nil check.
//
// A phase adds a line with rc.exec.Log("...") and, for request or response data, checks
// rc.exec.Data() first so that nothing is formatted when dataTrace is off.
type execTrace struct {
	lines   []execLine
	setting execSetting
}

type execLine struct {
	at  time.Time
	msg string
}

var tracePool = sync.Pool{New: func() any { return &execTrace{lines: make([]execLine, 0, 24)} }}

// Log adds a line to the request's execution log (nothing when the stage does not log).
func (x *execTrace) Log(msg string) {
	if x == nil {
		return
	}
	x.lines = append(x.lines, execLine{time.Now(), msg})
}

// Data reports whether the request's data (headers, bodies, parameters) is logged: the
// method's dataTraceEnabled.
func (x *execTrace) Data() bool { return x != nil && x.setting.data }

// LogBody adds "prefix body" with the body cut at AWS's 1,024 bytes, when data is logged.
func (x *execTrace) LogBody(prefix string, body []byte) {
	if !x.Data() {
		return
	}
	x.Log(prefix + truncateBody(body))
}

// LogHeaders adds "prefix {Name=value, ...}" with secrets masked, when data is logged.
func (x *execTrace) LogHeaders(prefix string, h http.Header) {
	if !x.Data() {
		return
	}
	x.Log(prefix + formatHeaders(h))
}

func (x *execTrace) release() {
	clear(x.lines)
	x.lines = x.lines[:0]
	tracePool.Put(x)
}

// maxExecBody is how much of a body an execution log line carries, as on AWS.
const maxExecBody = 1024

func truncateBody(b []byte) string {
	if len(b) > maxExecBody {
		return string(b[:maxExecBody]) + " [TRUNCATED]"
	}
	return string(b)
}

// formatHeaders writes headers as AWS's execution log does, {Name=value, Name=value}, names in
// order, several values of a name joined with ",". Authorization and x-api-key values are masked
// as AWS masks them.
func formatHeaders(h http.Header) string {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		v := strings.Join(h[k], ",")
		if isSecretHeader(k) {
			v = maskSecret(v)
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v)
	}
	b.WriteByte('}')
	return b.String()
}

func isSecretHeader(name string) bool {
	return strings.EqualFold(name, "Authorization") || strings.EqualFold(name, "X-Api-Key")
}

// maskSecret keeps the last 6 characters of a secret and stars the rest, as AWS writes API
// keys and Authorization values in its execution logs; a secret of 6 characters or fewer is
// all stars.
func maskSecret(v string) string {
	if len(v) <= 6 {
		return strings.Repeat("*", len(v))
	}
	return strings.Repeat("*", len(v)-6) + v[len(v)-6:]
}

// formatPairs writes name/value pairs as {a=1, b=2}; a name with several values as a=[1, 2].
func formatPairs(names []string, values [][]string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k)
		b.WriteByte('=')
		if vs := values[i]; len(vs) == 1 {
			b.WriteString(vs[0])
		} else {
			b.WriteByte('[')
			b.WriteString(strings.Join(vs, ", "))
			b.WriteByte(']')
		}
	}
	b.WriteByte('}')
	return b.String()
}

// traceStage starts the request's execution log when its stage logs any method.
func (g *Gateway) traceStage(rc *request) {
	t, _ := rc.api.Observe.(*telemetry)
	if t == nil || !t.exec.on {
		return
	}
	x := tracePool.Get().(*execTrace)
	x.setting = t.exec.stage
	rc.exec = x
	x.Log("Extended Request Id: " + rc.extendedID)
}

// traceMethod applies the matched method's settings; a method that does not log ends the trace.
func (g *Gateway) traceMethod(rc *request) {
	x := rc.exec
	if x == nil {
		return
	}
	// The API serving the request may have changed since the trace started (a canary).
	if t, _ := rc.api.Observe.(*telemetry); t != nil {
		x.setting = t.exec.forMethod(rc.method)
	} else {
		x.setting = execSetting{}
	}
	if x.setting.level == execOff {
		x.release()
		rc.exec = nil
	}
}

// traceTraffic logs the API key and usage plan check as AWS words it, and passes its outcome on.
func (rc *request) traceTraffic(err *gatewayError) *gatewayError {
	x := rc.exec
	if x == nil {
		return err
	}
	key := ""
	if v := rc.r.Header["X-Api-Key"]; len(v) > 0 {
		key = maskSecret(v[0])
	}
	apiStage := rc.api.ID + "/" + rc.api.Stage
	method := "'" + rc.method.Verb.String() + " " + rc.resource.Path + "'"
	x.Log("Verifying Usage Plan for request: " + rc.requestID + ". API Key: " + key + " API Stage: " + apiStage)
	switch {
	case !rc.method.APIKeyRequired:
		x.Log("API Key " + key + " authorized because method " + method +
			" does not require API Key. Request will not contribute to throttle or quota limits")
	case err != nil && err.typ == runtime.InvalidAPIKey:
		x.Log("API Key " + key + " not authorized because method " + method +
			" requires API Key and API Key is not associated with a Usage Plan for API Stage " + apiStage)
		return err
	}
	if err == nil {
		x.Log("Usage Plan check succeeded for API Key " + key + " and API Stage " + apiStage)
	}
	return err
}

// traceRequest logs the start of the method's execution: what the method request carries.
// With dataTrace it reads the body (and gives it back to the integration) to log it.
func (g *Gateway) traceRequest(rc *request) *gatewayError {
	x := rc.exec
	if x == nil {
		return nil
	}
	x.Log("Starting execution for request: " + rc.requestID)
	x.Log("HTTP Method: " + rc.r.Method + ", Resource Path: " + rc.path)
	if !x.Data() {
		return nil
	}
	names := rc.resource.ParamNames
	values := make([][]string, len(names))
	for i := range names {
		if i < len(rc.params) {
			values[i] = []string{rc.params[i]}
		} else {
			values[i] = []string{""}
		}
	}
	x.Log("Method request path: " + formatPairs(names, values))
	names, values = names[:0:0], values[:0]
	for raw := rc.r.URL.RawQuery; raw != ""; {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		k, _, _ := strings.Cut(pair, "=")
		if dk, err := queryUnescape(k); err == nil {
			k = dk
		}
		seen := false
		for _, n := range names {
			seen = seen || n == k
		}
		if k != "" && !seen {
			names = append(names, k)
			values = append(values, queryValues(rc.r.URL.RawQuery, k))
		}
	}
	x.Log("Method request query string: " + formatPairs(names, values))
	x.LogHeaders("Method request headers: ", rc.r.Header)
	// The body is read here to be logged; the integration gets it back, and a non-proxy one
	// takes it as read.
	if err := rc.readRequestBody(); err != nil {
		return err
	}
	rc.bodyBuf = limitedBody{rc: io.NopCloser(bytes.NewReader(rc.reqBody)), left: int64(len(rc.reqBody))}
	rc.body = &rc.bodyBuf
	x.LogBody("Method request body before transformations: ", rc.reqBody)
	return nil
}

// traceEndpointRequest logs a backend request about to be sent.
func (rc *request) traceEndpointRequest(uri string, h http.Header, body []byte) {
	x := rc.exec
	if x == nil {
		return
	}
	x.Log("Endpoint request URI: " + uri)
	x.LogHeaders("Endpoint request headers: ", h)
	x.LogBody("Endpoint request body after transformations: ", body)
	x.Log("Sending request to " + uri)
}

// traceEndpointResponse logs a backend's answer; body is nil while it streams.
func (rc *request) traceEndpointResponse(status int, h http.Header, body []byte) {
	x := rc.exec
	if x == nil {
		return
	}
	ms := int64(0)
	if o := &rc.obs; !o.intStart.IsZero() && !o.intEnd.IsZero() {
		ms = o.intEnd.Sub(o.intStart).Milliseconds()
	}
	x.Log("Received response. Status: " + statusText(status) + ", Integration latency: " + strconv.FormatInt(ms, 10) + " ms")
	x.LogHeaders("Endpoint response headers: ", h)
	if body != nil {
		x.LogBody("Endpoint response body before transformations: ", body)
	}
}

// traceProxyBody logs a proxy integration's answer, passed through as it streamed: seen holds
// its first bytes.
func (rc *request) traceProxyBody(seen []byte, h http.Header) {
	x := rc.exec
	if !x.Data() {
		return
	}
	x.LogBody("Endpoint response body before transformations: ", seen)
	rc.traceMethodResponse(seen, h)
}

// traceMethodResponse logs what the method answers.
func (rc *request) traceMethodResponse(body []byte, h http.Header) {
	x := rc.exec
	if !x.Data() {
		return
	}
	x.LogBody("Method response body after transformations: ", body)
	x.LogHeaders("Method response headers: ", h)
}

// traceGatewayResponse logs a failure's gateway response.
func (rc *request) traceGatewayResponse(e *gatewayError, status int, body []byte, h http.Header) {
	x := rc.exec
	if x == nil {
		return
	}
	if e.typ == runtime.IntegrationTimeout {
		x.Log("Execution failed due to a timeout error")
	}
	x.Log("Gateway response type: " + e.typ.String() + " with status code: " + statusText(status))
	x.LogBody("Gateway response body: ", body)
	x.LogHeaders("Gateway response headers: ", h)
}

// finishTrace ends the request's execution log: the closing lines, then the whole trace kept or
// dropped by the method's level (ERROR keeps a request only when it failed: a gateway error or
// a 5XX answer) and handed to the log. It returns the lines kept.
func (rc *request) finishTrace(status int) []execLine {
	x := rc.exec
	rc.exec = nil
	failed := rc.obs.failure != nil || status >= 500
	if x.setting.level == execOff || x.setting.level == execError && !failed {
		x.release()
		return nil
	}
	if rc.obs.failure == nil {
		x.Log("Successfully completed execution")
	}
	x.Log("Method completed with status: " + statusText(status))
	lines := x.lines
	x.lines = make([]execLine, 0, 24)
	tracePool.Put(x)
	return lines
}

// recordTrace hands a finished request's lines to the server's execution log.
func (g *Gateway) recordTrace(rc *request) {
	lines := rc.finishTrace(rc.obs.status)
	if len(lines) == 0 || g.opts.ExecLogs == nil {
		return
	}
	entries := make([]observe.ExecEntry, len(lines))
	for i, l := range lines {
		entries[i] = observe.ExecEntry{Time: l.at.UTC(), APIID: rc.api.ID, Stage: rc.api.Stage,
			RequestID: rc.requestID, Message: l.msg}
	}
	g.opts.ExecLogs.Add(entries)
}

// lambdaInvokeURI is the Lambda Invoke URL AWS's execution log names for a function.
func (g *Gateway) lambdaInvokeURI(function string) string {
	arn := function
	if !strings.HasPrefix(arn, "arn:") {
		arn = "arn:aws:lambda:" + g.opts.Region + ":" + g.opts.AccountID + ":function:" + function
	}
	return "https://lambda." + g.opts.Region + ".amazonaws.com/2015-03-31/functions/" + arn + "/invocations"
}

// lambdaRequestHeader is what an Invoke call carries in headers, for the execution log.
func lambdaRequestHeader(req *functions.InvokeRequest) http.Header {
	h := http.Header{"X-Amz-Invocation-Type": {functions.InvocationRequestResponse}}
	if req.InvocationType != "" {
		h["X-Amz-Invocation-Type"] = []string{req.InvocationType}
	}
	if req.LogTail {
		h["X-Amz-Log-Type"] = []string{"Tail"}
	}
	if req.ClientContext != "" {
		h["X-Amz-Client-Context"] = []string{req.ClientContext}
	}
	if req.TraceID != "" {
		h["X-Amzn-Trace-Id"] = []string{req.TraceID}
	}
	return h
}

// lambdaResponseHeader is what an Invoke answer carries in headers, for the execution log.
func lambdaResponseHeader(res *functions.InvokeResult) http.Header {
	h := http.Header{"Content-Type": jsonContentType}
	if res.ExecutedVersion != "" {
		h["X-Amz-Executed-Version"] = []string{res.ExecutedVersion}
	}
	if res.FunctionError != "" {
		h["X-Amz-Function-Error"] = []string{res.FunctionError}
	}
	return h
}
