package gateway

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/portico/portico/internal/auth/oidc"
	"github.com/portico/portico/internal/compile"
	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/functions"
	"github.com/portico/portico/internal/integration/httpproxy"
	"github.com/portico/portico/internal/observe"
	"github.com/portico/portico/internal/runtime"
	"github.com/portico/portico/internal/state"
	"github.com/portico/portico/internal/store"
)

// Options configure a Gateway.
type Options struct {
	Region, AccountID string
	// Domain is the suffix of host-style invoke URLs, {apiId}.execute-api.{Domain} (default
	// "localhost").
	Domain string
	// MaxIntegrationTimeout caps timeoutInMillis (default 29s; a server setting can raise it).
	MaxIntegrationTimeout time.Duration
	// MaxPayloadBytes bounds request bodies (default 10 MiB).
	MaxPayloadBytes int64
	// Upstream sends HTTP_PROXY requests (nil: a default client).
	Upstream *httpproxy.Client
	Logger   *slog.Logger

	// Tokens verifies the tokens of COGNITO_USER_POOLS methods (nil: a verifier of AWS's
	// Cognito issuers).
	Tokens *oidc.Verifier
	// Identities are the IAM callers of AWS_IAM methods (nil: none, every signature is
	// refused as an unknown key).
	Identities Identities
	// Domains are the custom domain names and client certificates (nil: none).
	Domains *domain.Set

	// Functions invokes the functions of Lambda integrations (nil: they answer 500).
	Functions functions.Invoker
	// AWS says where AWS service integrations are sent and how they are signed.
	AWS AWSServices

	// AccountLimit is the account-level throttle shared by every API (zero: none; the
	// server sets AWS's 10,000 requests per second, burst 5,000, unless configured).
	AccountLimit state.Limit
	// Limiter and Quota hold token buckets and quota counts (nil: in-process ones; the
	// in-process quota counts are written to the store every QuotaFlushInterval, default 1s).
	Limiter            state.Limiter
	Quota              state.QuotaCounter
	QuotaFlushInterval time.Duration

	// Metrics and AccessLogs record every request of a known stage (nil: not recorded).
	Metrics    *observe.Metrics
	AccessLogs *observe.Sinks
	// Tracer exports the spans of stages with tracingEnabled (nil: no stage is traced).
	Tracer *observe.Tracer
	// ResponseCache makes a stage's response cache bounded by maxBytes (nil: in-process ones).
	ResponseCache func(maxBytes int64) state.Cache
	// Now is the clock cached entries expire by (nil: time.Now).
	Now func() time.Time
	// ExecLogs receives the execution log lines of stages whose methodSettings turn
	// loggingLevel on (nil: not kept).
	ExecLogs *observe.ExecLog
}

// Gateway serves invocations of deployed REST API stages.
type Gateway struct {
	opts     Options
	hostTail string // ".execute-api." + Domain
	table    *runtime.Table
	defaults runtime.GatewayResponses
	st       store.Store
	log      *slog.Logger
	upstream *httpproxy.Client
	traffic  traffic
	caches   stageCaches

	stop      func()
	done      chan struct{}
	closeOnce sync.Once

	// iam checks the signatures of AWS_IAM methods (authorize_iam.go).
	iam *iamAuth
	// authCache holds Lambda authorizer results for their TTL.
	authCache authCache
}

// New loads every stage from st, compiles it, and follows st's change feed until Close.
// A stage that does not compile is logged and left unserved (its requests get 403 Forbidden).
func New(st store.Store, opts Options) (*Gateway, error) {
	if st == nil {
		return nil, errors.New("gateway: no store")
	}
	if opts.Domain == "" {
		opts.Domain = "localhost"
	}
	if opts.MaxIntegrationTimeout <= 0 {
		opts.MaxIntegrationTimeout = compile.DefaultMaxIntegrationTimeout
	}
	if opts.MaxPayloadBytes <= 0 {
		opts.MaxPayloadBytes = 10 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Upstream == nil {
		opts.Upstream = httpproxy.New(httpproxy.Options{})
	}
	if opts.ResponseCache == nil {
		opts.ResponseCache = newResponseCache
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Tokens == nil {
		opts.Tokens = oidc.NewVerifier(oidc.Config{})
	}
	defaults, err := compile.DefaultResponses()
	if err != nil {
		return nil, fmt.Errorf("gateway: built-in gateway responses: %w", err)
	}
	g := &Gateway{
		opts:     opts,
		hostTail: ".execute-api." + opts.Domain,
		table:    runtime.NewTable(),
		defaults: defaults,
		st:       st,
		log:      opts.Logger,
		upstream: opts.Upstream,
		iam:      newIAMAuth(opts),
		done:     make(chan struct{}),
	}
	// Subscribe before loading so no change made during the load is missed.
	changes, stop := st.Subscribe()
	g.stop = stop
	if err := g.reloadAll(); err != nil {
		stop()
		return nil, err
	}
	if err := g.startTraffic(); err != nil {
		stop()
		return nil, err
	}
	go g.follow(changes)
	return g, nil
}

// Close stops following the store and closes idle upstream connections. Requests in flight
// finish.
func (g *Gateway) Close() error {
	g.closeOnce.Do(func() {
		g.stop()
		<-g.done
		g.stopTraffic()
		g.upstream.CloseIdleConnections()
	})
	return nil
}

// ServeHTTP runs one invocation.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc := newRequest(w, r)
	rc.accountID = g.opts.AccountID
	defer rc.release()
	g.observing(rc)
	if err := g.serve(rc); err != nil {
		rc.obs.failure = err
		g.writeError(rc, err)
	}
	rc.compress.finish()
	g.record(rc)
	if rc.spans != nil {
		g.endSpans(rc)
	}
}

// serve composes the request phases in AWS's order (rest-api-model.md §16). Phases not built
// yet slot in where AWS runs them: authorizers at checkAccess, which holds their place. The
// cache phase (cache.go) runs only for a method the stage caches.
func (g *Gateway) serve(rc *request) *gatewayError {
	if err := g.checkPayload(rc); err != nil {
		return err
	}
	if err := g.resolveStage(rc); err != nil {
		return err
	}
	g.traceStage(rc)
	g.startTracing(rc)
	if err := g.matchRoute(rc); err != nil {
		return err
	}
	g.traceMethod(rc)
	if err := g.checkPolicy(rc); err != nil {
		return err
	}
	if err := g.checkAccessInSpan(rc); err != nil {
		return err
	}
	if err := rc.traceTraffic(g.checkTraffic(rc)); err != nil {
		return err
	}
	if err := g.traceRequest(rc); err != nil {
		return err
	}
	if err := g.validateRequest(rc); err != nil {
		return err
	}
	if rc.method.Cache != nil {
		return g.serveCached(rc)
	}
	return g.integrate(rc)
}

// integrate calls the method's integration and writes its answer.
func (g *Gateway) integrate(rc *request) *gatewayError {
	in := rc.method.Integration
	rc.obs.integrationStarted(in.Kind)
	if rc.spans != nil {
		rc.openIntegrationSpan(in)
	}
	switch in.Kind {
	case runtime.Mock:
		return g.serveMock(rc, in)
	case runtime.HTTPProxy:
		return g.serveHTTPProxy(rc, in)
	case runtime.HTTP:
		return g.serveHTTP(rc, in)
	case runtime.LambdaProxy:
		return g.serveLambdaProxy(rc, in)
	case runtime.Lambda:
		return g.serveLambda(rc, in)
	case runtime.AWSService:
		return g.serveAWSService(rc, in)
	default:
		if rc.exec != nil {
			rc.exec.Log("Execution failed due to configuration error: " + in.Reason)
		}
		g.log.Error("integration cannot run", "api", rc.api.ID, "stage", rc.api.Stage,
			"resource", rc.resource.Path, "method", rc.r.Method, "reason", in.Reason, "requestId", rc.requestID)
		return errInternal
	}
}
