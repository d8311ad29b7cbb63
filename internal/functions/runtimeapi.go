package functions

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The Runtime API is served on one loopback listener for every worker. Each worker's
// AWS_LAMBDA_RUNTIME_API is "127.0.0.1:PORT/TOKEN", so every path it calls starts with its own
// token: the token says which worker (and so which function and invocation) is calling, and a
// process cannot answer for another's invocation.
const runtimeAPIVersion = "/2018-06-01/runtime/"

// runtimeError answers a worker in the Runtime API's error shape.
func runtimeError(w http.ResponseWriter, status int, errorType, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(errorJSON(message, errorType))
}

func (rt *Runtime) serveRuntimeAPI(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/")
	token, rest, ok := strings.Cut(rest, "/")
	if !ok {
		runtimeError(w, http.StatusNotFound, "InvalidPath", "Not found")
		return
	}
	v, found := rt.workers.Load(token)
	if !found {
		runtimeError(w, http.StatusForbidden, "InvalidWorker", "Unknown runtime token")
		return
	}
	wk := v.(*worker)
	path, ok := strings.CutPrefix("/"+rest, runtimeAPIVersion)
	if !ok {
		runtimeError(w, http.StatusNotFound, "InvalidPath", "Not found")
		return
	}
	switch {
	case path == "invocation/next":
		if r.Method != http.MethodGet {
			runtimeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "Method not allowed")
			return
		}
		rt.next(w, r, wk)
	case path == "init/error":
		if r.Method != http.MethodPost {
			runtimeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "Method not allowed")
			return
		}
		rt.initError(w, r, wk)
	case strings.HasPrefix(path, "invocation/"):
		id, verb, ok := strings.Cut(strings.TrimPrefix(path, "invocation/"), "/")
		if !ok || (verb != "response" && verb != "error") {
			runtimeError(w, http.StatusNotFound, "InvalidPath", "Not found")
			return
		}
		if r.Method != http.MethodPost {
			runtimeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "Method not allowed")
			return
		}
		rt.answer(w, r, wk, id, verb == "error")
	default:
		runtimeError(w, http.StatusNotFound, "InvalidPath", "Not found")
	}
}

// next long-polls for the worker's next invocation.
func (rt *Runtime) next(w http.ResponseWriter, r *http.Request, wk *worker) {
	wk.markReady()
	var inv *invocation
	select {
	case inv = <-wk.assign:
	case <-wk.exited:
		return
	case <-r.Context().Done():
		return
	case <-rt.closing:
		return
	}
	now := time.Now()
	inv.begin = now
	inv.deadline = now.Add(time.Duration(wk.p.fn.Timeout) * time.Second)
	close(inv.handed)
	h := w.Header()
	h["Lambda-Runtime-Aws-Request-Id"] = []string{inv.id}
	h["Lambda-Runtime-Deadline-Ms"] = []string{strconv.FormatInt(inv.deadline.UnixMilli(), 10)}
	h["Lambda-Runtime-Invoked-Function-Arn"] = []string{wk.p.arn}
	trace := inv.req.TraceID
	if trace == "" {
		trace = newTraceID(now)
	}
	h["Lambda-Runtime-Trace-Id"] = []string{trace}
	if inv.clientContext != "" {
		h["Lambda-Runtime-Client-Context"] = []string{inv.clientContext}
	}
	if inv.req.CognitoIdentity != "" {
		h["Lambda-Runtime-Cognito-Identity"] = []string{inv.req.CognitoIdentity}
	}
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(inv.req.Payload))}
	w.WriteHeader(http.StatusOK)
	w.Write(inv.req.Payload)
}

// newTraceID makes an X-Ray trace header for an invocation that came without one.
func newTraceID(now time.Time) string {
	var b [20]byte
	rand.Read(b[:])
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", now.Unix(), hex.EncodeToString(b[:12]), hex.EncodeToString(b[12:]))
}

// answer takes a worker's /response or /error for invocation id.
func (rt *Runtime) answer(w http.ResponseWriter, r *http.Request, wk *worker, id string, isError bool) {
	inv := wk.current(id)
	if inv == nil {
		runtimeError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return
	}
	select {
	case <-inv.handed:
	default:
		runtimeError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxResponsePayload+1))
	if err != nil {
		runtimeError(w, http.StatusBadRequest, "InvalidRequest", "Could not read the request body")
		return
	}
	if len(body) > MaxResponsePayload {
		msg := fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", MaxResponsePayload)
		wk.broken.Store(true)
		inv.finish(errorJSON(msg, "Function.ResponseSizeTooLarge"), FunctionErrorUnhandled)
		rt.log.Warn("function response too large", "function", wk.p.fn.FunctionName, "requestId", id)
		runtimeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", msg)
		return
	}
	ferr := ""
	if isError {
		ferr = FunctionErrorUnhandled
		if !json.Valid(body) {
			t := r.Header.Get("Lambda-Runtime-Function-Error-Type")
			if t == "" {
				t = "Runtime.Unknown"
			}
			body = errorJSON(string(body), t)
		}
	}
	if !inv.finish(body, ferr) {
		runtimeError(w, http.StatusBadRequest, "InvalidStateTransition", "Invocation already answered")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, `{"status":"OK"}`)
}

// initError records a runtime's failure to start; the worker is then stopped, and the invocation
// that waited for it gets this error.
func (rt *Runtime) initError(w http.ResponseWriter, r *http.Request, wk *worker) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if !json.Valid(body) {
		t := r.Header.Get("Lambda-Runtime-Function-Error-Type")
		if t == "" {
			t = "Runtime.Unknown"
		}
		body = errorJSON(string(body), t)
	}
	wk.initErr.Store(&body)
	wk.p.log.Write(append(append([]byte("INIT_REPORT error: "), body...), '\n'))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, `{"status":"OK"}`)
	wk.kill()
}
