package mgmt

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// apiError is an error answer in AWS's shape: a status, the x-amzn-ErrorType code and a message.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func badRequest(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "BadRequestException", fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *apiError {
	return &apiError{http.StatusNotFound, "NotFoundException", fmt.Sprintf(format, args...)}
}

func conflict(format string, args ...any) *apiError {
	return &apiError{http.StatusConflict, "ConflictException", fmt.Sprintf(format, args...)}
}

func serialization(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "SerializationException", fmt.Sprintf(format, args...)}
}

func internalError() *apiError {
	return &apiError{http.StatusInternalServerError, "InternalFailure", "The request processing has failed because of an unknown error, exception or failure."}
}

func unknownOperation() *apiError {
	return &apiError{http.StatusNotFound, "UnknownOperationException", "Unknown operation"}
}

// enumError is AWS's model-level validation failure for a value outside an enum.
func enumError(value, field string, allowed []string) *apiError {
	return &apiError{http.StatusBadRequest, "ValidationException", fmt.Sprintf(
		"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]",
		value, field, strings.Join(allowed, ", "))}
}

// patternError is AWS's model-level validation failure for a value that does not match a pattern.
func patternError(value, field, pattern string) *apiError {
	return &apiError{http.StatusBadRequest, "ValidationException", fmt.Sprintf(
		"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s",
		value, field, pattern)}
}

func writeError(w http.ResponseWriter, e *apiError) {
	h := w.Header()
	h.Set("x-amzn-ErrorType", e.code)
	h.Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	b, _ := json.Marshal(map[string]string{"message": e.msg})
	_, _ = w.Write(b)
}

// rawOutput is a response that is a document of its own (an export), not a JSON object.
type rawOutput struct {
	contentType, disposition string
	body                     []byte
}

func writeOut(w http.ResponseWriter, status int, out any) {
	switch o := out.(type) {
	case nil:
		w.WriteHeader(status)
	case *rawOutput:
		w.Header().Set("Content-Type", o.contentType)
		if o.disposition != "" {
			w.Header().Set("Content-Disposition", o.disposition)
		}
		w.WriteHeader(status)
		_, _ = w.Write(o.body)
	default:
		b, err := json.Marshal(out)
		if err != nil {
			writeError(w, internalError())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(b)
	}
}
