// Package mgmt is Portico's management API (control plane) for REST APIs: AWS's apigateway v1
// REST-JSON wire format, SigV4-authenticated, over the document store. Every call is verified
// before anything else; every write is one store transaction, so a refused call changes nothing.
//
// Lists: every list answers {"item": [...]} with "item" present even when empty (the SDKs and
// botocore accept both forms) and a "position" only while more items follow. A position is an
// opaque token naming the first item of the next page; limit defaults to 25, at most 500.
//
// mgmt imports the model, the store, certs, openapi, auth/sigv4, and auth/policy and validate (to refuse
// a resource policy or a model the data plane could not use); it must never import the data
// plane (runtime, pipeline, integrations) or the server that assembles it. WithAudit (audit.go)
// records every changing call through observe/audit. What needs the data plane goes through an
// interface the server fills: TestInvokeMethod through MethodTester.
package mgmt

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/portico/portico/internal/auth/sigv4"
	"github.com/portico/portico/internal/store"
)

// Options configures the management API.
type Options struct {
	Region, AccountID string
	// Credentials maps access key id → secret access key; only these may call the API.
	Credentials map[string]string
	Logger      *slog.Logger
	// MaxIntegrationTimeout is the highest timeoutInMillis an integration may set; AWS's 29 s
	// when zero. The data plane enforces the same cap.
	MaxIntegrationTimeout time.Duration
	// ThrottleRate and ThrottleBurst are the account-level throttle the data plane enforces,
	// which GetAccount reports (zero: AWS's 10,000 per second and 5,000).
	ThrottleRate  float64
	ThrottleBurst int64
	// Caches empties stages' response caches for FlushStageCache (nil: nothing is flushed).
	Caches CacheFlusher
	// MethodTester runs TestInvokeMethod (nil: the operation answers BadRequestException).
	MethodTester MethodTester
	// AuthorizerTester runs TestInvokeAuthorizer (nil: the operation answers BadRequestException).
	AuthorizerTester AuthorizerTester
	// CertDir is where custom domains' certificates and truststores are found (package certs).
	CertDir string
}

// maxBody bounds a request body. AWS accepts import documents of up to 6 MB; 10 MB leaves
// room for YAML and whitespace.
const maxBody = 10 << 20

type server struct {
	st       store.Store
	opts     Options
	log      *slog.Logger
	verifier *sigv4.Verifier
	// maxTimeoutMillis caps an integration's timeoutInMillis.
	maxTimeoutMillis int64
}

// New returns the management API handler.
func New(st store.Store, opts Options) http.Handler {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	creds := make(map[string]string, len(opts.Credentials))
	for k, v := range opts.Credentials {
		creds[k] = v
	}
	maxTimeout := int64(29000)
	if opts.MaxIntegrationTimeout > 0 {
		maxTimeout = opts.MaxIntegrationTimeout.Milliseconds()
	}
	return &server{
		st:               st,
		opts:             opts,
		log:              log,
		maxTimeoutMillis: maxTimeout,
		verifier: &sigv4.Verifier{
			Service: "apigateway",
			Region:  opts.Region,
			Secret: func(id string) (string, bool) {
				s, ok := creds[id]
				return s, ok
			},
		},
	}
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := newRequestID()
	w.Header().Set("x-amzn-RequestId", reqID)
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, &apiError{status: http.StatusRequestEntityTooLarge, code: "PayloadTooLargeException", msg: "Request payload exceeds the maximum size of 10485760 bytes"})
			return
		}
		writeError(w, badRequest("Unable to read the request body"))
		return
	}
	key, err := s.verifier.Verify(r, body)
	if err != nil {
		var se *sigv4.Error
		if errors.As(err, &se) {
			s.log.Info("mgmt: refused request", "requestId", reqID, "method", r.Method, "path", r.URL.Path, "error", se.Code)
			writeError(w, &apiError{status: se.Status(), code: se.Code, msg: se.Message})
			return
		}
		writeError(w, internalError())
		return
	}
	c := &call{w: w, r: r, body: body, q: r.URL.Query()}
	status, out, err := s.route(c)
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			s.log.Error("mgmt: request failed", "requestId", reqID, "method", r.Method, "path", r.URL.Path, "error", err)
			ae = internalError()
		}
		writeError(w, ae)
		return
	}
	s.log.Debug("mgmt: request", "requestId", reqID, "accessKey", key, "method", r.Method, "path", r.URL.Path, "status", status)
	writeOut(w, status, out)
}
