package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/portico/portico/internal/auth/sigv4"
	"github.com/portico/portico/internal/observe"
)

// ExecLogsPath is where the admin listener serves a stage's execution log:
// GET /_portico/executionlogs/{apiId}/{stage}?since=RFC3339&requestId=ID&follow=true, signed
// with SigV4 for apigateway like the management API. The answer is application/x-ndjson, one
// stored entry (time, apiId, stage, requestId, message) per line; with follow=true the stream
// stays open and each new line is sent once written.
const ExecLogsPath = "/_portico/executionlogs/"

// handleExecLogs serves ExecLogsPath to callers signed with the admin credentials.
func (o *observability) handleExecLogs(mux *http.ServeMux, region string, creds Credentials) {
	v := &sigv4.Verifier{Service: "apigateway", Region: region, Secret: func(id string) (string, bool) {
		return creds.SecretAccessKey, id == creds.AccessKeyID
	}}
	o.following = make(chan struct{})
	mux.HandleFunc("GET "+ExecLogsPath+"{api}/{stage}", func(w http.ResponseWriter, r *http.Request) {
		if _, err := v.Verify(r, nil); err != nil {
			var se *sigv4.Error
			if !errors.As(err, &se) {
				se = &sigv4.Error{Code: "InternalFailure", Message: "Internal server error"}
			}
			writeJSONError(w, se.Status(), se.Code, se.Message)
			return
		}
		f := observe.ExecFilter{APIID: r.PathValue("api"), Stage: r.PathValue("stage"), RequestID: r.URL.Query().Get("requestId")}
		if s := r.URL.Query().Get("since"); s != "" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				writeJSONError(w, http.StatusBadRequest, "BadRequestException", "since must be an RFC 3339 time")
				return
			}
			f.Since = t
		}
		w.Header().Set("Content-Type", "application/x-ndjson")
		enc := json.NewEncoder(w)
		write := func(e *observe.ExecEntry) error { return enc.Encode(e) }
		if r.URL.Query().Get("follow") != "true" {
			o.exec.Read(f, write)
			return
		}
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		go func() {
			select {
			case <-o.following:
				cancel()
			case <-ctx.Done():
			}
		}()
		// Headers go out at once, so a follower knows it is connected before any line comes.
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)
		rc.Flush()
		o.exec.Follow(ctx, f, func(e *observe.ExecEntry) error {
			if err := write(e); err != nil {
				return err
			}
			return rc.Flush()
		})
	})
}

// stopFollowing ends the follow streams, so that shutting the admin listener down does not
// wait for them.
func (o *observability) stopFollowing() {
	o.stopOnce.Do(func() {
		if o.following != nil {
			close(o.following)
		}
	})
}

func writeJSONError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", code)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"message": msg})
}
