package mgmt

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	goruntime "runtime"
	"strings"
	"sync"
	"time"

	"github.com/portico/portico/internal/observe/audit"
)

// WithAudit records every call of h that can change something (any verb but GET, HEAD and
// OPTIONS), accepted or refused, in l, as CloudTrail would. What is recorded of a call:
//
//   - who: the access key id of its signature (the one it claimed, when refused), and where
//     from: the connection's address (X-Forwarded-For is not trusted) and User-Agent;
//   - what: the operation's AWS name, the path, and the request parameters: path placeholders,
//     query and JSON body. Secrets are replaced by "***": API key values (CreateApiKey,
//     ImportApiKeys) and any field whose name says it holds a secret (secret, password,
//     token) or is a credential header (authorization, x-api-key: TestInvokeMethod's headers). Resource policies are kept, as CloudTrail keeps them: they are configuration, not
//     credentials. A body that is not a JSON object (OpenAPI imports, key files) or is over
//     64 KiB is summarised by its size and SHA-256; a key import by its size only;
//   - the outcome: status, AWS error code and message, and the id the answer names.
//
// The entry is written before the answer leaves (answers are held until then); log receives
// failures to write the audit log, and the call is answered regardless.
func WithAudit(h http.Handler, l *audit.Log, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &auditor{next: h, audit: l, log: log}
}

type auditor struct {
	next  http.Handler
	audit *audit.Log
	log   *slog.Logger
}

// maxAuditedBody is the largest JSON body recorded field by field.
const maxAuditedBody = 64 << 10

func (a *auditor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		a.next.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	var body bytes.Buffer
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.TeeReader(r.Body, &body), r.Body}
	rec := &auditWriter{ResponseWriter: w}
	a.next.ServeHTTP(rec, r)

	e := &audit.Entry{
		EventTime:       start.UTC(),
		AccessKeyID:     signingKey(r.Header.Get("Authorization")),
		SourceIPAddress: remoteIP(r.RemoteAddr),
		UserAgent:       r.UserAgent(),
		HTTPMethod:      r.Method,
		RequestPath:     r.URL.Path,
		Status:          rec.status,
		RequestID:       w.Header().Get("x-amzn-RequestId"),
	}
	q := r.URL.Query()
	rt, params := findRoute(r, q.Get("mode"))
	if rt != nil {
		e.EventName = operationName(rt)
	}
	e.RequestParameters = requestParameters(e.EventName, params, q, body.Bytes())

	answer := rec.body.Bytes()
	if len(answer) > maxAuditedBody {
		answer = nil // an error or an id is a short answer; a document is not read for one
	}
	if rec.status >= 300 {
		e.ErrorCode = rec.Header().Get("x-amzn-ErrorType")
		var m struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(answer, &m) == nil {
			e.ErrorMessage = m.Message
		}
	} else {
		var m struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(answer, &m) == nil && m.ID != "" {
			e.ResponseElements = map[string]any{"id": m.ID}
		}
	}
	if err := a.audit.Append(e); err != nil {
		a.log.Error("audit log cannot be written", "error", err, "operation", e.EventName, "requestId", e.RequestID)
	}
	rec.send()
}

// auditWriter holds an answer until its entry is written, so a client that has its answer
// finds the call in the audit log.
type auditWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *auditWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *auditWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}

// send writes the held answer.
func (w *auditWriter) send() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.ResponseWriter.WriteHeader(w.status)
	if w.body.Len() > 0 {
		w.ResponseWriter.Write(w.body.Bytes())
	}
}

// signingKey returns the access key id of a SigV4 Authorization header ("" when none).
func signingKey(auth string) string {
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(cred, "/")
	if len(id) > 128 {
		id = id[:128]
	}
	return id
}

func remoteIP(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

var (
	opNamesOnce sync.Once
	opNames     map[*route]string
)

// operationName is AWS's name of a route's operation, read from its handler's name
// ((*server).createRestApi is CreateRestApi), so the routes table stays the one list.
func operationName(rt *route) string {
	opNamesOnce.Do(func() {
		opNames = make(map[*route]string, len(routes))
		for i := range routes {
			fn := goruntime.FuncForPC(reflect.ValueOf(routes[i].h).Pointer())
			if fn == nil {
				continue
			}
			name := fn.Name()
			name = strings.TrimSuffix(name[strings.LastIndexByte(name, '.')+1:], "-fm")
			if name != "" {
				opNames[&routes[i]] = strings.ToUpper(name[:1]) + name[1:]
			}
		}
	})
	return opNames[rt]
}

// awsParamNames are the names AWS's API reference gives the path placeholders of the routes
// table, so an entry reads like the operation's documentation.
var awsParamNames = map[string]string{
	"api": "restApiId", "arn": "resourceArn", "authorizer": "authorizerId", "dep": "deploymentId", "key": "apiKey",
	"model": "modelName", "parent": "parentId", "plan": "usagePlanId", "res": "resourceId",
	"stage": "stageName", "status": "statusCode", "validator": "requestValidatorId", "verb": "httpMethod",
}

func awsParamName(op, placeholder string) string {
	switch {
	case placeholder == "key" && strings.Contains(op, "UsagePlanKey") || op == "UpdateUsage" && placeholder == "key":
		return "keyId"
	case placeholder == "type" && strings.Contains(op, "Export"):
		return "exportType"
	case placeholder == "type":
		return "responseType"
	}
	if n, ok := awsParamNames[placeholder]; ok {
		return n
	}
	return placeholder
}

// isSecretField reports whether a JSON field's value is never recorded.
func isSecretField(op, name string) bool {
	n := strings.ToLower(name)
	if n == "value" && op == "CreateApiKey" {
		return true
	}
	return strings.Contains(n, "secret") || strings.Contains(n, "password") || strings.Contains(n, "token") ||
		n == "authorization" || n == "x-api-key"
}

func requestParameters(op string, params map[string]string, q map[string][]string, body []byte) map[string]any {
	out := map[string]any{}
	for k, v := range params {
		out[awsParamName(op, k)] = v
	}
	for k, v := range q {
		if len(v) == 1 {
			out[k] = v[0]
		} else {
			out[k] = v
		}
	}
	if len(body) > 0 {
		var doc map[string]any
		switch {
		case op == "ImportApiKeys":
			out["body"] = map[string]any{"bytes": len(body)}
		case len(body) <= maxAuditedBody && json.Unmarshal(body, &doc) == nil:
			redact(op, doc)
			for k, v := range doc {
				out[k] = v
			}
		default:
			sum := sha256.Sum256(body)
			out["body"] = map[string]any{"bytes": len(body), "sha256": hex.EncodeToString(sum[:])}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// redact replaces secret values in a decoded JSON document, at any depth.
func redact(op string, v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if isSecretField(op, k) {
				x[k] = "***"
				continue
			}
			redact(op, val)
		}
	case []any:
		for _, val := range x {
			redact(op, val)
		}
	}
}
