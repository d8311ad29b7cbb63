// Package functions runs Lambda functions as local worker processes: it keeps function
// definitions in the store, unpacks their code, serves the Lambda Runtime API on loopback to the
// workers it starts, keeps them warm, reaps them, and enforces timeouts, concurrency and payload
// limits the way AWS Lambda does. The data plane and the Lambda management API call it through
// the Invoker interface and map its typed errors to AWS's answers.
//
// Behaviour chosen where AWS documents no single answer:
//   - A timed-out invocation answers {"errorMessage":"<RFC 3339 ms time> <requestId> Task timed
//     out after N.NN seconds"} with FunctionError Unhandled (the form most runtimes print, and the
//     one selectionPatterns like ".*Task timed out.*" match); its process group is killed and a
//     fresh worker serves the next invocation.
//   - A worker that exits mid-invocation answers {"errorMessage":"RequestId: <id> Error: Runtime
//     exited with error: exit status N","errorType":"Runtime.ExitError"}; one that posted
//     /init/error answers that error's body.
//   - Past the concurrency limit (reserved concurrency, else Options.MaxConcurrency) an
//     invocation waits Options.QueueWait for a slot, then fails with TooManyRequestsException
//     (429, Reason ReservedFunctionConcurrentInvocationLimitExceeded). AWS throttles at once; the
//     short wait absorbs bursts on one machine.
//   - A response over 6 MB answers Function.ResponseSizeTooLarge (Unhandled); the runtime is
//     refused with 413 and its worker is not reused.
//   - Delete and update let running invocations finish on the old workers, which then stop;
//     invocations that arrive after see the new definition (or ResourceNotFoundException).
//   - Each worker runs one invocation at a time, as on AWS, unless the function's environment
//     sets AWS_LAMBDA_MAX_CONCURRENCY=N (as Lambda Managed Instances do): then a worker takes up
//     to N at once, one per waiting /next, and new workers start only when all are full. A
//     timeout or crash stops the process, so it ends the worker's other invocations too.
//   - Worker output (stdout and stderr) goes line by line to the function's log: a ring buffer of
//     Options.LogBufferBytes, the file {data dir}/logs/functions/{name}.log, and followers. The
//     output pipe is read apart from the Runtime API; before writing END, Portico waits (at most
//     5 ms, on Linux, where it can see what is unread in the pipe) until what the function printed
//     before answering is logged, so it is in the invocation's LogType Tail.
//
// functions imports only the store; it must never import the gateway, the
// management APIs or the CLI.
package functions

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// Invocation types, as the X-Amz-Invocation-Type header names them.
const (
	InvocationRequestResponse = "RequestResponse"
	InvocationEvent           = "Event"
	InvocationDryRun          = "DryRun"
)

// Function error kinds, as the X-Amz-Function-Error header carries them.
const (
	FunctionErrorUnhandled = "Unhandled"
	FunctionErrorHandled   = "Handled"
)

// Payload limits of synchronous invocations (AWS Lambda quotas).
const (
	MaxRequestPayload  = 6 * 1024 * 1024
	MaxResponsePayload = 6 * 1024 * 1024
	// MaxEventPayload bounds an asynchronous (Event) invocation's payload.
	MaxEventPayload = 256 * 1024
)

// InvokeRequest is one invocation.
type InvokeRequest struct {
	// FunctionName is a name ("f"), a full ARN ("arn:aws:lambda:us-east-1:123456789012:function:f"),
	// a partial ARN ("123456789012:function:f"), each optionally with ":qualifier".
	FunctionName string
	// Qualifier is a version or alias; "" and "$LATEST" are the same. A qualifier inside
	// FunctionName must agree with it.
	Qualifier string
	Payload   []byte
	// InvocationType is RequestResponse (default when empty), Event or DryRun.
	InvocationType string
	// LogTail asks for the last 4 KB of the invocation's log in InvokeResult.LogResult.
	LogTail bool
	// TraceID is passed to the worker as Lambda-Runtime-Trace-Id / _X_AMZN_TRACE_ID.
	TraceID string
	// ClientContext is the base64 JSON client context (X-Amz-Client-Context), passed to the
	// worker as Lambda-Runtime-Client-Context after decoding.
	ClientContext string
	// CognitoIdentity is passed as Lambda-Runtime-Cognito-Identity when set.
	CognitoIdentity string
}

// InvokeResult is the answer to one invocation. A function that failed is still a result (with
// FunctionError set), not a Go error: AWS answers 200 with X-Amz-Function-Error.
type InvokeResult struct {
	// StatusCode is 200 for RequestResponse, 202 for Event, 204 for DryRun.
	StatusCode int
	Payload    []byte
	// FunctionError is "" on success, "Unhandled" for errors raised by the function or the runtime
	// (crash, timeout, oversized response), "Handled" never in current runtimes but kept for
	// callers that map it.
	FunctionError string
	// LogResult is the base64 of the last 4 KB of the invocation's log, when LogTail was asked.
	LogResult string
	// ExecutedVersion is "$LATEST".
	ExecutedVersion string
	// RequestID is the invocation's request id (x-amzn-RequestId).
	RequestID string
}

// Invoker invokes functions. It is safe for concurrent use.
type Invoker interface {
	Invoke(ctx context.Context, req InvokeRequest) (*InvokeResult, error)
}

// Error is a Lambda service error: the invocation did not reach (or could not be answered by)
// the function. Type is AWS's exception name (x-amzn-ErrorType), Status its HTTP status.
type Error struct {
	Status  int
	Type    string
	Message string
	// Reason is set for TooManyRequestsException ("ReservedFunctionConcurrentInvocationLimitExceeded",
	// "ConcurrentInvocationLimitExceeded").
	Reason string
}

func (e *Error) Error() string { return e.Type + ": " + e.Message }

// Is lets errors.Is match an *Error by Type against the sentinels below.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Type == e.Type && t.Message == ""
}

// Sentinels for errors.Is: errors.Is(err, functions.ErrNotFound) holds for any
// ResourceNotFoundException, whatever its message.
var (
	ErrNotFound        = &Error{Type: "ResourceNotFoundException", Status: http.StatusNotFound}
	ErrThrottled       = &Error{Type: "TooManyRequestsException", Status: http.StatusTooManyRequests}
	ErrPayloadTooLarge = &Error{Type: "RequestEntityTooLargeException", Status: http.StatusRequestEntityTooLarge}
	ErrInvalidParam    = &Error{Type: "InvalidParameterValueException", Status: http.StatusBadRequest}
	ErrConflict        = &Error{Type: "ResourceConflictException", Status: http.StatusConflict}
	ErrService         = &Error{Type: "ServiceException", Status: http.StatusInternalServerError}
)

// AsError returns err as an *Error, wrapping anything else as a ServiceException.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Status: http.StatusInternalServerError, Type: "ServiceException", Message: err.Error()}
}

func errNotFound(arn string) *Error {
	return &Error{Status: http.StatusNotFound, Type: "ResourceNotFoundException",
		Message: "Function not found: " + arn}
}

func errInvalid(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Type: "InvalidParameterValueException",
		Message: fmt.Sprintf(format, args...)}
}

func errThrottled() *Error {
	return &Error{Status: http.StatusTooManyRequests, Type: "TooManyRequestsException",
		Message: "Rate Exceeded.", Reason: "ReservedFunctionConcurrentInvocationLimitExceeded"}
}

func errRequestTooLarge(limit int) *Error {
	return &Error{Status: http.StatusRequestEntityTooLarge, Type: "RequestEntityTooLargeException",
		Message: fmt.Sprintf("Request must be smaller than %d bytes for the InvokeFunction operation", limit)}
}
