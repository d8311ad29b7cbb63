// Package lambdaapi serves the part of AWS Lambda's management API that deploy tools use, in
// Lambda's REST-JSON wire format (/2015-03-31/functions/..., /2017-10-31/.../concurrency,
// /2019-09-30/.../concurrency), SigV4-checked with the service name "lambda", over the functions
// runtime. The AWS CLI, SDKs and Terraform's Lambda resources talk to it unchanged.
//
// Portico extensions, which stock clients never send:
//   - CreateFunction and UpdateFunctionCode accept "PorticoCommand": the path of a local
//     executable run in place of a zip's bootstrap, for development without zipping. The
//     function's configuration shows it back as "PorticoCommand".
//   - GET /2015-03-31/functions/{name}/logs returns the function's buffered log as text;
//     ?follow=true keeps the response open and streams what the workers print.
//
// Choices where AWS offers more than Portico runs: versions and aliases do not exist (Publish
// true, a qualifier other than $LATEST, code from S3 or an image are refused with
// InvalidParameterValueException rather than ignored); Role is stored but not assumed.
//
// lambdaapi imports functions and auth/sigv4; it must never import the gateway or mgmt.
package lambdaapi

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/portico/portico/internal/auth/sigv4"
	"github.com/portico/portico/internal/functions"
)

// maxBody bounds a request: a 50 MB zip in base64 inside JSON.
const maxBody = 70 << 20

// Options configure the API.
type Options struct {
	Region string
	// Credentials maps admin access key ids to their secrets.
	Credentials map[string]string
	Logger      *slog.Logger
}

// Handler is the Lambda management API.
type Handler struct {
	rt       *functions.Runtime
	verifier *sigv4.Verifier
	log      *slog.Logger
	region   string
	closing  chan struct{}
	once     sync.Once
}

// New returns the API over rt.
func New(rt *functions.Runtime, opts Options) *Handler {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	creds := opts.Credentials
	return &Handler{rt: rt, log: log, region: opts.Region, closing: make(chan struct{}), verifier: &sigv4.Verifier{
		Service: "lambda",
		Region:  opts.Region,
		Secret: func(id string) (string, bool) {
			s, ok := creds[id]
			return s, ok
		},
	}}
}

// Close ends the followed logs being streamed, so a graceful shutdown need not wait for them.
func (h *Handler) Close() { h.once.Do(func() { close(h.closing) }) }

// Prefixes are the path prefixes of Lambda's API versions this API serves; a server mounts the
// handler on each.
var Prefixes = []string{"/2015-03-31/", "/2017-10-31/", "/2019-09-30/"}

// apiError is a Lambda error answer.
type apiError struct {
	status int
	typ    string
	msg    string
	kind   string // "User" or "Service"
	reason string
}

func (e *apiError) Error() string { return e.typ + ": " + e.msg }

func fromFunctions(err error) *apiError {
	fe := functions.AsError(err)
	kind := "User"
	if fe.Status >= 500 {
		kind = "Service"
	}
	return &apiError{status: fe.Status, typ: fe.Type, msg: fe.Message, kind: kind, reason: fe.Reason}
}

func invalid(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "InvalidParameterValueException", msg: msg, kind: "User"}
}

func writeError(w http.ResponseWriter, e *apiError) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-ErrorType", e.typ)
	w.WriteHeader(e.status)
	body := map[string]string{"message": e.msg}
	if e.kind != "" {
		body["Type"] = e.kind
	}
	if e.reason != "" {
		body["Reason"] = e.reason
	}
	json.NewEncoder(w).Encode(body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil {
		json.NewEncoder(w).Encode(v)
	}
}

func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// ServeHTTP checks the signature, then routes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := newRequestID()
	w.Header().Set("X-Amzn-RequestId", reqID)
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, &apiError{status: http.StatusRequestEntityTooLarge, typ: "RequestEntityTooLargeException",
				msg: "Request must be smaller than 69905067 bytes for the CreateFunction operation", kind: "User"})
			return
		}
		writeError(w, &apiError{status: http.StatusBadRequest, typ: "InvalidRequestContentException", msg: "Could not read the request body", kind: "User"})
		return
	}
	if _, err := h.verifier.Verify(r, body); err != nil {
		var se *sigv4.Error
		if errors.As(err, &se) {
			h.log.Info("lambda: refused request", "requestId", reqID, "method", r.Method, "path", r.URL.Path, "error", se.Code)
			writeError(w, &apiError{status: se.Status(), typ: se.Code, msg: se.Message})
			return
		}
		writeError(w, &apiError{status: 500, typ: "ServiceException", msg: "Internal error", kind: "Service"})
		return
	}
	if err := h.route(w, r, body); err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = fromFunctions(err)
		}
		if ae.status >= 500 {
			h.log.Error("lambda: request failed", "requestId", reqID, "method", r.Method, "path", r.URL.Path, "error", ae.msg)
		}
		writeError(w, ae)
	}
}

// route maps a path and method to an operation.
func (h *Handler) route(w http.ResponseWriter, r *http.Request, body []byte) error {
	p := strings.TrimSuffix(r.URL.EscapedPath(), "/")
	var version string
	version, p, _ = strings.Cut(strings.TrimPrefix(p, "/"), "/")
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if u, err := unescape(s); err == nil {
			parts[i] = u
		}
	}
	if len(parts) == 0 || parts[0] != "functions" {
		return notFoundRoute(r)
	}
	m := r.Method
	switch version {
	case "2015-03-31":
		switch {
		case len(parts) == 1 && m == http.MethodGet:
			return h.listFunctions(w, r)
		case len(parts) == 1 && m == http.MethodPost:
			return h.createFunction(w, body)
		case len(parts) == 2 && m == http.MethodGet:
			return h.getFunction(w, r, parts[1])
		case len(parts) == 2 && m == http.MethodDelete:
			return h.deleteFunction(w, r, parts[1])
		case len(parts) == 3 && parts[2] == "configuration" && m == http.MethodGet:
			return h.getConfiguration(w, r, parts[1])
		case len(parts) == 3 && parts[2] == "configuration" && m == http.MethodPut:
			return h.updateConfiguration(w, parts[1], body)
		case len(parts) == 3 && parts[2] == "code" && m == http.MethodPut:
			return h.updateCode(w, parts[1], body)
		case len(parts) == 3 && parts[2] == "invocations" && m == http.MethodPost:
			return h.invoke(w, r, parts[1], body)
		case len(parts) == 3 && parts[2] == "policy" && m == http.MethodPost:
			return h.addPermission(w, r, parts[1], body)
		case len(parts) == 3 && parts[2] == "policy" && m == http.MethodGet:
			return h.getPolicy(w, r, parts[1])
		case len(parts) == 4 && parts[2] == "policy" && m == http.MethodDelete:
			return h.removePermission(w, r, parts[1], parts[3])
		case len(parts) == 3 && parts[2] == "logs" && m == http.MethodGet:
			return h.logs(w, r, parts[1])
		}
	case "2017-10-31":
		switch {
		case len(parts) == 3 && parts[2] == "concurrency" && m == http.MethodPut:
			return h.putConcurrency(w, parts[1], body)
		case len(parts) == 3 && parts[2] == "concurrency" && m == http.MethodDelete:
			return h.deleteConcurrency(w, parts[1])
		}
	case "2019-09-30":
		if len(parts) == 3 && parts[2] == "concurrency" && m == http.MethodGet {
			return h.getConcurrency(w, parts[1])
		}
	}
	return notFoundRoute(r)
}

func notFoundRoute(r *http.Request) error {
	return &apiError{status: http.StatusNotFound, typ: "UnknownOperationException", msg: "Unknown operation " + r.Method + " " + r.URL.Path}
}

func unescape(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	return urlPathUnescape(s)
}
