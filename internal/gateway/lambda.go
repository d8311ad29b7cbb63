package gateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/portico/portico/internal/functions"
	"github.com/portico/portico/internal/observe"
	"github.com/portico/portico/internal/runtime"
)

// errLambdaFailure is AWS's answer to a Lambda proxy call that failed: a function error, a
// malformed proxy response, or a Lambda service error (INTEGRATION_FAILURE, sent as 502).
var errLambdaFailure = &gatewayError{typ: runtime.IntegrationFailure, message: "Internal server error",
	status: http.StatusBadGateway}

// Request headers a Lambda proxy event never carries (in canonical form).
var droppedEventHeaders = []string{"Connection", "Content-Length", "Keep-Alive", "Proxy-Connection",
	"Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// invoke calls the integration's function within its timeout. A gatewayError is returned for
// everything but a result (which may carry a function error); gone reports that the client left.
func (g *Gateway) invoke(rc *request, in *runtime.Integration, req functions.InvokeRequest, proxy bool) (*functions.InvokeResult, *gatewayError, bool) {
	if g.opts.Functions == nil {
		g.log.Error("execution failed: no functions runtime is configured", "api", rc.api.ID, "stage", rc.api.Stage,
			"resource", rc.resource.Path, "method", rc.r.Method, "function", in.Lambda.Function, "requestId", rc.requestID)
		return nil, errInternal, false
	}
	req.FunctionName = in.Lambda.Function
	if req.TraceID == "" && rc.spans != nil {
		req.TraceID = rc.xrayHeader(rc.spanParent())
	}
	if req.TraceID == "" {
		if v := rc.r.Header["X-Amzn-Trace-Id"]; len(v) > 0 {
			req.TraceID = v[0]
		}
	}
	ctx, cancel := context.WithTimeout(rc.r.Context(), in.Timeout)
	defer cancel()
	if rc.exec != nil {
		rc.traceEndpointRequest(g.lambdaInvokeURI(in.Lambda.Function), lambdaRequestHeader(&req), req.Payload)
	}
	res, err := g.opts.Functions.Invoke(ctx, req)
	if err == nil {
		rc.obs.integrationAnswered(res.StatusCode)
		if rc.exec != nil {
			rc.traceEndpointResponse(res.StatusCode, lambdaResponseHeader(res), res.Payload)
		}
		return res, nil, false
	}
	switch {
	case rc.r.Context().Err() != nil:
		return nil, nil, true
	case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded):
		return nil, errTimeout, false
	}
	fe := functions.AsError(err)
	if rc.exec != nil {
		if fe.Type == functions.ErrNotFound.Type {
			rc.exec.Log("Execution failed due to configuration error: Invalid function")
		} else {
			rc.exec.Log("Lambda invocation failed with status: " + statusText(fe.Status) + ": " + fe.Type + ": " + fe.Message)
		}
	}
	g.log.Error("lambda invocation failed", "api", rc.api.ID, "stage", rc.api.Stage, "resource", rc.resource.Path,
		"method", rc.r.Method, "function", in.Lambda.Function, "errorType", fe.Type, "error", fe.Message,
		"requestId", rc.requestID)
	if !proxy && fe.Type == functions.ErrNotFound.Type {
		// AWS: "Execution failed due to configuration error: Invalid function".
		return nil, errInternal, false
	}
	return nil, errLambdaFailure, false
}

// serveLambdaProxy runs an AWS_PROXY integration: the request becomes the REST proxy event
// (payload format 1.0) and the function's answer, checked as AWS checks it, the response.
func (g *Gateway) serveLambdaProxy(rc *request, in *runtime.Integration) *gatewayError {
	if err := rc.readRequestBody(); err != nil {
		return err
	}
	event := rc.proxyEvent()
	res, gerr, gone := g.invoke(rc, in, functions.InvokeRequest{Payload: event}, true)
	if gone {
		return nil
	}
	if gerr != nil {
		return gerr
	}
	if res.FunctionError != "" {
		if rc.exec != nil {
			rc.exec.Log("Lambda execution failed with status " + statusText(res.StatusCode) +
				" due to customer function error: " + errorMessage(res.Payload))
		}
		g.log.Error("lambda function error", "api", rc.api.ID, "stage", rc.api.Stage, "resource", rc.resource.Path,
			"method", rc.r.Method, "function", in.Lambda.Function, "functionError", res.FunctionError,
			"payload", truncate(res.Payload, 512), "requestId", rc.requestID)
		return errLambdaFailure
	}
	out, err := parseProxyResponse(res.Payload)
	if err != nil {
		rc.exec.Log("Execution failed due to configuration error: Malformed Lambda proxy response")
		g.log.Error("execution failed due to configuration error: malformed Lambda proxy response", "api", rc.api.ID,
			"stage", rc.api.Stage, "resource", rc.resource.Path, "method", rc.r.Method, "function", in.Lambda.Function,
			"error", err, "requestId", rc.requestID)
		return errLambdaFailure
	}
	body := []byte(out.body)
	if out.base64 && isBinary(rc.api.BinaryMediaTypes, rc.r.Header.Get("Accept")) {
		if body, err = base64.StdEncoding.DecodeString(out.body); err != nil {
			g.log.Error("lambda proxy response body is not base64", "api", rc.api.ID, "stage", rc.api.Stage,
				"resource", rc.resource.Path, "method", rc.r.Method, "function", in.Lambda.Function, "requestId", rc.requestID)
			return errLambdaFailure
		}
	}
	h := rc.w.Header()
	for _, kv := range out.headers {
		k := http.CanonicalHeaderKey(kv.name)
		if to, ok := remappedResponseHeaders[k]; ok {
			k = to
		}
		switch k {
		case "Transfer-Encoding", "X-Amzn-Requestid", "X-Amz-Apigw-Id":
			continue
		}
		h[k] = kv.values
	}
	if _, ok := h["Content-Type"]; !ok {
		h["Content-Type"] = jsonContentType
	}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	if rc.exec != nil {
		rc.traceMethodResponse(body, h)
	}
	rc.w.WriteHeader(out.status)
	if rc.r.Method != http.MethodHead {
		rc.w.Write(body)
	}
	return nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// proxyEvent builds the REST Lambda proxy event (lambda-and-authorizers.md §1) with its keys in
// the order AWS writes them. The request body must have been read.
func (rc *request) proxyEvent() []byte {
	b := make([]byte, 0, 1536+len(rc.reqBody)*4/3)
	b = append(b, `{"resource":`...)
	b = observe.AppendJSONString(b, rc.resource.Path)
	b = append(b, `,"path":`...)
	path := rc.path
	if path == "" {
		path = "/"
	}
	b = observe.AppendJSONString(b, path)
	b = append(b, `,"httpMethod":`...)
	b = observe.AppendJSONString(b, rc.r.Method)

	// Headers as API Gateway passes them: the client's, less the hop-by-hop ones, plus Host
	// and the X-Forwarded-* and trace headers it adds.
	names := make([]string, 0, len(rc.r.Header)+5)
	for k := range rc.r.Header {
		if !slices.Contains(droppedEventHeaders, k) && k != "Host" && !strings.HasPrefix(k, "X-Forwarded-") && k != "X-Amzn-Trace-Id" {
			names = append(names, k)
		}
	}
	added := rc.addedEventHeaders()
	for _, kv := range added {
		names = append(names, kv.name)
	}
	slices.Sort(names)
	values := func(k string) []string {
		for _, kv := range added {
			if kv.name == k {
				return kv.values
			}
		}
		return rc.r.Header[k]
	}
	if len(names) == 0 {
		b = append(b, `,"headers":null,"multiValueHeaders":null`...)
	} else {
		b = append(b, `,"headers":{`...)
		for i, k := range names {
			if i > 0 {
				b = append(b, ',')
			}
			v := values(k)
			b = observe.AppendJSONString(b, k)
			b = append(b, ':')
			b = observe.AppendJSONString(b, v[len(v)-1])
		}
		b = append(b, `},"multiValueHeaders":{`...)
		for i, k := range names {
			if i > 0 {
				b = append(b, ',')
			}
			b = observe.AppendJSONString(b, k)
			b = append(b, ':')
			b = appendStringArray(b, values(k))
		}
		b = append(b, '}')
	}

	query := parseEventQuery(rc.r.URL.RawQuery)
	if len(query) == 0 {
		b = append(b, `,"queryStringParameters":null,"multiValueQueryStringParameters":null`...)
	} else {
		b = append(b, `,"queryStringParameters":{`...)
		for i, kv := range query {
			if i > 0 {
				b = append(b, ',')
			}
			b = observe.AppendJSONString(b, kv.name)
			b = append(b, ':')
			b = observe.AppendJSONString(b, kv.values[len(kv.values)-1])
		}
		b = append(b, `},"multiValueQueryStringParameters":{`...)
		for i, kv := range query {
			if i > 0 {
				b = append(b, ',')
			}
			b = observe.AppendJSONString(b, kv.name)
			b = append(b, ':')
			b = appendStringArray(b, kv.values)
		}
		b = append(b, '}')
	}

	if len(rc.resource.ParamNames) == 0 {
		b = append(b, `,"pathParameters":null`...)
	} else {
		b = append(b, `,"pathParameters":{`...)
		for i, n := range rc.resource.ParamNames {
			if i > 0 {
				b = append(b, ',')
			}
			b = observe.AppendJSONString(b, n)
			b = append(b, ':')
			v := ""
			if i < len(rc.params) {
				v = rc.params[i]
			}
			b = observe.AppendJSONString(b, v)
		}
		b = append(b, '}')
	}

	if len(rc.api.StageVariables) == 0 {
		b = append(b, `,"stageVariables":null`...)
	} else {
		keys := make([]string, 0, len(rc.api.StageVariables))
		for k := range rc.api.StageVariables {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, `,"stageVariables":{`...)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = observe.AppendJSONString(b, k)
			b = append(b, ':')
			b = observe.AppendJSONString(b, rc.api.StageVariables[k])
		}
		b = append(b, '}')
	}

	b = append(b, `,"requestContext":`...)
	b = rc.appendRequestContext(b)

	if !rc.reqBodyRead || len(rc.reqBody) == 0 {
		b = append(b, `,"body":null,"isBase64Encoded":false}`...)
		return b
	}
	b = append(b, `,"body":`...)
	if rc.requestBinary() {
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, rc.reqBody)
		b = append(b, `","isBase64Encoded":true}`...)
		return b
	}
	b = observe.AppendJSONString(b, string(rc.reqBody))
	b = append(b, `,"isBase64Encoded":false}`...)
	return b
}

// addedEventHeaders are the headers API Gateway sets itself in a proxy event.
func (rc *request) addedEventHeaders() []headerValues {
	host := rc.r.Host
	ip := clientIP(rc.r)
	xff := ip
	if prior := rc.r.Header["X-Forwarded-For"]; len(prior) > 0 {
		xff = strings.Join(prior, ", ") + ", " + ip
	}
	proto := "http"
	if rc.r.TLS != nil {
		proto = "https"
	}
	trace := rc.r.Header["X-Amzn-Trace-Id"]
	if len(trace) == 0 {
		trace = []string{newTraceID(rc.start.Unix())}
	}
	if rc.spans != nil {
		trace = []string{rc.xrayHeader(rc.spanParent())}
	}
	out := []headerValues{
		{"X-Amzn-Trace-Id", trace},
		{"X-Forwarded-For", []string{xff}},
		{"X-Forwarded-Port", []string{localPort(rc.r, proto)}},
		{"X-Forwarded-Proto", []string{proto}},
	}
	if host != "" {
		out = append(out, headerValues{"Host", []string{host}})
	}
	return out
}

// appendRequestContext writes the event's requestContext, its keys in AWS's (alphabetical) order.
func (rc *request) appendRequestContext(b []byte) []byte {
	str := func(b []byte, key, v string) []byte {
		b = append(b, '"')
		b = append(b, key...)
		b = append(b, `":`...)
		return observe.AppendJSONString(b, v)
	}
	orNull := func(b []byte, key, v string) []byte {
		if v == "" {
			b = append(b, '"')
			b = append(b, key...)
			return append(b, `":null`...)
		}
		return str(b, key, v)
	}
	b = append(b, '{')
	b = str(b, "accountId", rc.accountID)
	b = append(b, ',')
	b = str(b, "apiId", rc.api.ID)
	b = append(b, ',')
	if rc.auth != nil {
		b = rc.appendAuthorizer(b)
		b = append(b, ',')
	}
	b = str(b, "deploymentId", rc.api.DeploymentID)
	b = append(b, ',')
	b = str(b, "domainName", rc.host)
	b = append(b, ',')
	prefix, _, _ := strings.Cut(rc.host, ".")
	b = str(b, "domainPrefix", prefix)
	b = append(b, ',')
	b = str(b, "extendedRequestId", rc.extendedID)
	b = append(b, ',')
	b = str(b, "httpMethod", rc.r.Method)
	b = append(b, `,"identity":{`...)
	b = orNull(b, "accessKey", rc.callerField("identity.accessKey"))
	b = append(b, ',')
	b = orNull(b, "accountId", rc.callerField("identity.accountId"))
	b = append(b, ',')
	b = orNull(b, "apiKey", rc.apiKey)
	b = append(b, ',')
	b = orNull(b, "apiKeyId", rc.apiKeyID)
	b = append(b, ',')
	b = orNull(b, "caller", rc.callerField("identity.caller"))
	b = append(b, ',')
	if rc.clientCert != nil {
		b = append(rc.appendClientCert(b), ',')
	}
	b = append(b, `"cognitoAuthenticationProvider":null,"cognitoAuthenticationType":null,`+
		`"cognitoIdentityId":null,"cognitoIdentityPoolId":null,"principalOrgId":null,`...)
	b = str(b, "sourceIp", clientIP(rc.r))
	b = append(b, ',')
	b = orNull(b, "user", rc.callerField("identity.user"))
	b = append(b, ',')
	b = orNull(b, "userAgent", rc.r.UserAgent())
	b = append(b, ',')
	b = orNull(b, "userArn", rc.callerField("identity.userArn"))
	b = append(b, `},`...)
	b = str(b, "path", "/"+rc.api.Stage+rc.path)
	b = append(b, `,"protocol":"HTTP/1.1",`...)
	b = str(b, "requestId", rc.requestID)
	b = append(b, ',')
	b = str(b, "requestTime", rc.start.UTC().Format("02/Jan/2006:15:04:05 -0700"))
	b = append(b, `,"requestTimeEpoch":`...)
	b = strconv.AppendInt(b, rc.start.UnixMilli(), 10)
	b = append(b, ',')
	b = str(b, "resourceId", rc.resource.ID)
	b = append(b, ',')
	b = str(b, "resourcePath", rc.resource.Path)
	b = append(b, ',')
	b = str(b, "stage", rc.api.Stage)
	return append(b, '}')
}

// headerValues is a name with its values, in the order they are written.
type headerValues struct {
	name   string
	values []string
}

// parseEventQuery decodes a raw query string into its parameters, in the order their names
// first appear; a pair that does not decode is skipped, as for the mappings.
func parseEventQuery(raw string) []headerValues {
	if raw == "" {
		return nil
	}
	var out []headerValues
	var index map[string]int // by name, once there are enough names to need it
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		dk, err := url.QueryUnescape(k)
		if err != nil {
			continue
		}
		dv, err := url.QueryUnescape(v)
		if err != nil {
			continue
		}
		i := -1
		if index != nil {
			if j, ok := index[dk]; ok {
				i = j
			}
		} else {
			i = slices.IndexFunc(out, func(kv headerValues) bool { return kv.name == dk })
		}
		if i < 0 {
			out = append(out, headerValues{name: dk})
			i = len(out) - 1
			if index != nil {
				index[dk] = i
			} else if len(out) == 16 {
				index = make(map[string]int, 32)
				for j, kv := range out {
					index[kv.name] = j
				}
			}
		}
		out[i].values = append(out[i].values, dv)
	}
	return out
}

func appendStringArray(b []byte, vs []string) []byte {
	b = append(b, '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = observe.AppendJSONString(b, v)
	}
	return append(b, ']')
}

// proxyResponse is a Lambda proxy response that passed AWS's checks.
type proxyResponse struct {
	status  int
	headers []headerValues // headers then multiValueHeaders; a name in both takes the latter
	body    string
	base64  bool
}

// parseProxyResponse checks a function's answer as AWS does: a JSON object with no keys but
// statusCode (an integer, or a string holding one; 200 when absent), headers (string, number
// or boolean values), multiValueHeaders (arrays of them), body (a string or null) and
// isBase64Encoded (a boolean). Anything else is a malformed response.
func parseProxyResponse(payload []byte) (*proxyResponse, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(payload, &raw); err != nil || raw == nil {
		return nil, errors.New("the function's answer is not a JSON object")
	}
	out := &proxyResponse{status: http.StatusOK}
	for k, v := range raw {
		if bytes.Equal(v, []byte("null")) {
			if k == "statusCode" || k == "headers" || k == "multiValueHeaders" || k == "body" || k == "isBase64Encoded" {
				continue
			}
		}
		switch k {
		case "statusCode":
			var n json.Number
			if err := json.Unmarshal(v, &n); err != nil {
				var s string
				if json.Unmarshal(v, &s) != nil {
					return nil, errors.New("statusCode is not an integer")
				}
				n = json.Number(s)
			}
			code, err := strconv.Atoi(string(n))
			if err != nil || code < 100 || code > 599 {
				return nil, errors.New("statusCode is not an integer status")
			}
			out.status = code
		case "body":
			if err := json.Unmarshal(v, &out.body); err != nil {
				return nil, errors.New("body is not a string")
			}
		case "isBase64Encoded":
			if err := json.Unmarshal(v, &out.base64); err != nil {
				return nil, errors.New("isBase64Encoded is not a boolean")
			}
		case "headers", "multiValueHeaders":
		default:
			return nil, errors.New("unexpected key " + strconv.Quote(k))
		}
	}
	if v, ok := raw["headers"]; ok && !bytes.Equal(v, []byte("null")) {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(v, &m); err != nil {
			return nil, errors.New("headers is not an object")
		}
		for _, k := range sortedNames(m) {
			s, ok := scalarText(m[k])
			if !ok {
				return nil, errors.New("header " + strconv.Quote(k) + " is not a string")
			}
			out.headers = append(out.headers, headerValues{k, []string{s}})
		}
	}
	if v, ok := raw["multiValueHeaders"]; ok && !bytes.Equal(v, []byte("null")) {
		var m map[string][]json.RawMessage
		if err := json.Unmarshal(v, &m); err != nil {
			return nil, errors.New("multiValueHeaders is not an object of arrays")
		}
		// The multi-value entry wins over headers for the same name.
		multi := make(map[string]bool, len(m))
		for k := range m {
			multi[strings.ToLower(k)] = true
		}
		out.headers = slices.DeleteFunc(out.headers, func(kv headerValues) bool {
			return multi[strings.ToLower(kv.name)]
		})
		for _, k := range sortedNames(m) {
			vs := make([]string, 0, len(m[k]))
			for _, e := range m[k] {
				s, ok := scalarText(e)
				if !ok {
					return nil, errors.New("multiValueHeaders " + strconv.Quote(k) + " holds a value that is not a string")
				}
				vs = append(vs, s)
			}
			if len(vs) > 0 {
				out.headers = append(out.headers, headerValues{k, vs})
			}
		}
	}
	return out, nil
}

// scalarText returns a JSON string's value, or a number's or boolean's text.
func scalarText(v json.RawMessage) (string, bool) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "", false
	}
	switch v[0] {
	case '"':
		var s string
		if json.Unmarshal(v, &s) != nil {
			return "", false
		}
		return s, true
	case 't', 'f':
		if string(v) == "true" || string(v) == "false" {
			return string(v), true
		}
	case '{', '[', 'n':
		return "", false
	default:
		var n json.Number
		if json.Unmarshal(v, &n) == nil {
			return string(n), true
		}
	}
	return "", false
}

func sortedNames[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// serveLambda runs a non-proxy Lambda integration (type AWS with a lambda:path uri): the
// request template's output is the event; the function's answer goes through integration
// response selection, by the errorMessage of a function error ("" on success, so .+ matches
// only errors and .* anything), and response mapping. X-Amz-Invocation-Type: 'Event' mapped
// in makes the call asynchronous: the integration answer is then empty.
func (g *Gateway) serveLambda(rc *request, in *runtime.Integration) *gatewayError {
	payload, templated, gerr := g.requestPayload(rc, in)
	if gerr != nil {
		return gerr
	}
	if !templated {
		if payload, gerr = g.convertRequest(rc, in, payload); gerr != nil {
			return gerr
		}
	}
	if len(payload) == 0 {
		// Lambda's Invoke without a payload gives the function {}.
		payload = []byte("{}")
	}
	req := functions.InvokeRequest{Payload: payload}
	h := make(http.Header, len(in.Lambda.Headers))
	for i := range in.Lambda.Headers {
		rc.setHeader(h, &in.Lambda.Headers[i], nil)
	}
	for _, o := range rc.overrides.header {
		h[http.CanonicalHeaderKey(o.Name)] = o.Values
	}
	req.InvocationType = h.Get("X-Amz-Invocation-Type")
	req.LogTail = h.Get("X-Amz-Log-Type") == "Tail"
	req.ClientContext = h.Get("X-Amz-Client-Context")
	switch req.InvocationType {
	case "", functions.InvocationRequestResponse, functions.InvocationEvent, functions.InvocationDryRun:
	default:
		g.log.Error("lambda invocation failed", "api", rc.api.ID, "stage", rc.api.Stage, "resource", rc.resource.Path,
			"method", rc.r.Method, "function", in.Lambda.Function, "error", "invalid X-Amz-Invocation-Type "+strconv.Quote(req.InvocationType),
			"requestId", rc.requestID)
		return errInternal
	}
	res, gerr, gone := g.invoke(rc, in, req, false)
	if gone {
		return nil
	}
	if gerr != nil {
		return gerr
	}
	result := &integrationResult{status: res.StatusCode, body: res.Payload, lambda: true,
		header: http.Header{"Content-Type": jsonContentType}}
	if res.ExecutedVersion != "" {
		result.header["X-Amz-Executed-Version"] = []string{res.ExecutedVersion}
	}
	if res.FunctionError != "" {
		result.header["X-Amz-Function-Error"] = []string{res.FunctionError}
		result.selection = errorMessage(res.Payload)
	}
	return g.respond(rc, in, result)
}

// errorMessage is the errorMessage of a Lambda error payload; a payload without one selects by
// its whole text.
func errorMessage(payload []byte) string {
	var e struct {
		ErrorMessage *string `json:"errorMessage"`
	}
	if json.Unmarshal(payload, &e) == nil && e.ErrorMessage != nil {
		return *e.ErrorMessage
	}
	return string(payload)
}
