package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portico/portico/internal/auth/oidc"
	"github.com/portico/portico/internal/auth/policy"
	"github.com/portico/portico/internal/functions"
	"github.com/portico/portico/internal/observe"
	"github.com/portico/portico/internal/runtime"
	awsvtl "github.com/portico/portico/internal/vtl/aws"
)

// authorizerTimeout bounds one Lambda authorizer call, as AWS bounds it (a variable so tests
// can shorten it).
var authorizerTimeout = 10 * time.Second

// AWS's answers of the authorization phase (lambda-and-authorizers.md §3). Authorizer errors
// carry no message: their built-in body is {"message":null}.
var (
	errAuthorizerConfig  = &gatewayError{typ: runtime.AuthorizerConfigurationError, body: `{"message":null}`}
	errAuthorizerFailure = &gatewayError{typ: runtime.AuthorizerFailure, body: `{"message":null}`}
	errAuthorizerDeny    = authorizerDenied("User is not authorized to access this resource with an explicit deny")
	errAuthorizerNoAllow = authorizerDenied("User is not authorized to access this resource")
)

func authorizerDenied(msg string) *gatewayError {
	return &gatewayError{typ: runtime.AccessDenied, message: msg, body: `{"Message":"` + msg + `"}`}
}

// checkAccess is the authorization phase (rest-api-model.md §16): it dispatches on the
// method's authorizationType. API keys are checked later, by checkTraffic.
func (g *Gateway) checkAccess(rc *request) *gatewayError {
	switch rc.method.AuthorizationType {
	case "", "NONE":
		return nil
	case "AWS_IAM":
		return g.authorizeIAM(rc)
	case "CUSTOM":
		return g.authorizeLambda(rc)
	case "COGNITO_USER_POOLS":
		return g.authorizeCognito(rc)
	default:
		return errUnauthorized
	}
}

// authorization is a Lambda authorizer's answer: what is cached for one set of identity
// source values, and what the request then sees as $context.authorizer.
type authorization struct {
	// claims are a COGNITO_USER_POOLS token's (authorize_cognito.go); nil for Lambda authorizers.
	claims      *oidc.Claims
	principalID string
	policy      *policy.Policy
	// context holds the context values in name order, stringified as REST APIs expose them.
	context []authValue
	// usageKey is usageIdentifierKey, the API key of an API whose apiKeySource is AUTHORIZER.
	usageKey string
}

type authValue struct{ name, value string }

// authorizeLambda runs the method's Lambda authorizer and records what the access log's
// $context.authorizer.* variables say of it.
func (g *Gateway) authorizeLambda(rc *request) *gatewayError {
	started := time.Now()
	err := g.decideLambda(rc)
	run := &rc.authRun
	run.latency = time.Since(started)
	run.intLatency = rc.authLatency
	run.auth = rc.auth
	switch {
	case err == nil:
		run.status = 200
	case err.typ == runtime.Unauthorized:
		run.status = 401
	case err.typ == runtime.AccessDenied:
		run.status, run.err = 403, err.message
	default:
		run.status = 500
	}
	return err
}

// decideLambda runs the method's Lambda authorizer (TOKEN or REQUEST): identity sources first
// (missing ones answer 401 without a call), then the cached result for their values or a call,
// then the policy against this request's method ARN, combined with the resource policy.
func (g *Gateway) decideLambda(rc *request) *gatewayError {
	a := rc.method.Authorizer
	if a == nil || a.Err != "" {
		reason := "the method's authorizerId names no authorizer of the deployment"
		if a != nil {
			reason = a.Err
		}
		g.log.Error("execution failed due to configuration error: authorizer cannot run", "api", rc.api.ID,
			"stage", rc.api.Stage, "resource", rc.resource.Path, "method", rc.r.Method, "reason", reason,
			"requestId", rc.requestID)
		rc.authRun.err = reason
		return errAuthorizerConfig
	}
	ids, ok := rc.identity(a)
	if !ok {
		return errUnauthorized
	}
	res := g.authCache.get(a, ids, rc.start)
	if res == nil {
		var err *gatewayError
		if res, _, err = g.callAuthorizer(rc, a); err != nil {
			return err
		}
		if a.TTL > 0 {
			g.authCache.put(a, ids, res, rc.start.Add(a.TTL))
		}
	}
	arn := g.methodARN(rc)
	switch res.policy.Evaluate(&policy.Request{Action: "execute-api:Invoke", Resource: arn,
		SourceIP: sourceAddr(rc.r.RemoteAddr), Key: rc.policyKey}) {
	case policy.ExplicitDeny:
		return errAuthorizerDeny
	case policy.ImplicitDeny:
		// A resource policy that allows the call suffices (same-account table of §7).
		if !rc.policyAllowed {
			return errAuthorizerNoAllow
		}
	}
	rc.auth = res
	if rc.tmplReq != nil {
		rc.tmplReq.Context.Authorizer = res.templateValue()
	}
	return nil
}

// identity returns the values of the authorizer's identity sources joined into a cache key,
// and false when one is missing or empty or a TOKEN fails identityValidationExpression.
func (rc *request) identity(a *runtime.Authorizer) (string, bool) {
	if len(a.Sources) == 1 {
		v, ok := rc.source(a.Sources[0], nil)
		if !ok || v == "" {
			return "", false
		}
		if a.Validation != nil && !a.Validation.MatchString(v) {
			return "", false
		}
		return v, true
	}
	// Each value is length-prefixed, so no choice of values can collide with another.
	var b []byte
	for _, src := range a.Sources {
		v, ok := rc.source(src, nil)
		if !ok || v == "" {
			return "", false
		}
		b = strconv.AppendInt(b, int64(len(v)), 10)
		b = append(b, ':')
		b = append(b, v...)
	}
	return string(b), true
}

// callAuthorizer invokes the authorizer's function with the TOKEN or REQUEST event and reads
// its answer (also returned as sent, when there is one). A function that fails with the
// message "Unauthorized" answers 401; any other failure, a timeout, or an answer that is not a
// valid authorizer output answers 500 AUTHORIZER_CONFIGURATION_ERROR; a functions runtime that
// cannot take the call answers 500 AUTHORIZER_FAILURE.
func (g *Gateway) callAuthorizer(rc *request, a *runtime.Authorizer) (*authorization, []byte, *gatewayError) {
	logFailure := func(msg string, args ...any) {
		rc.authRun.err = msg
		g.log.Error(msg, append([]any{"api", rc.api.ID, "stage", rc.api.Stage, "resource", rc.resource.Path,
			"method", rc.r.Method, "authorizer", a.ID, "function", a.Function, "requestId", rc.requestID}, args...)...)
	}
	if g.opts.Functions == nil {
		logFailure("authorizer failed: no functions runtime is configured")
		return nil, nil, errAuthorizerFailure
	}
	event := rc.authorizerEvent(a, g.methodARN(rc))
	ctx, cancel := context.WithTimeout(rc.r.Context(), authorizerTimeout)
	defer cancel()
	started := time.Now()
	res, err := g.opts.Functions.Invoke(ctx, functions.InvokeRequest{FunctionName: a.Function, Payload: event,
		TraceID: rc.downstreamTraceID()})
	rc.authLatency = time.Since(started)
	if res != nil {
		rc.authRun.intStatus, rc.authRun.requestID = res.StatusCode, res.RequestID
	}
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
			logFailure("authorizer timed out", "timeout", authorizerTimeout)
			return nil, nil, errAuthorizerConfig
		}
		fe := functions.AsError(err)
		logFailure("authorizer invocation failed", "errorType", fe.Type, "error", fe.Message)
		if errors.Is(err, functions.ErrThrottled) || errors.Is(err, functions.ErrService) {
			return nil, nil, errAuthorizerFailure
		}
		return nil, nil, errAuthorizerConfig
	}
	if res.FunctionError != "" {
		var fe struct {
			ErrorMessage string `json:"errorMessage"`
		}
		if json.Unmarshal(res.Payload, &fe) == nil && fe.ErrorMessage == "Unauthorized" {
			return nil, res.Payload, errUnauthorized
		}
		logFailure("authorizer function error", "functionError", res.FunctionError, "payload", truncate(res.Payload, 512))
		return nil, res.Payload, errAuthorizerConfig
	}
	out, perr := parseAuthorizerOutput(res.Payload)
	if perr != nil {
		logFailure("execution failed due to configuration error: invalid authorizer output", "error", perr,
			"payload", truncate(res.Payload, 512))
		return nil, res.Payload, errAuthorizerConfig
	}
	return out, res.Payload, nil
}

// authorizerEvent is the TOKEN event, or the REQUEST event: the proxy event's request fields
// without the body.
func (rc *request) authorizerEvent(a *runtime.Authorizer, methodARN string) []byte {
	if a.Type == "TOKEN" {
		token, _ := rc.source(a.Sources[0], nil)
		b := make([]byte, 0, 64+len(token)+len(methodARN))
		b = append(b, `{"type":"TOKEN","authorizationToken":`...)
		b = observe.AppendJSONString(b, token)
		b = append(b, `,"methodArn":`...)
		b = observe.AppendJSONString(b, methodARN)
		return append(b, '}')
	}
	// The event ends with the body's two keys, which are cut off. Inside a JSON string a quote is
	// escaped, so the last `,"body":` is the key itself.
	ev := rc.proxyEvent()
	ev = ev[:bytes.LastIndex(ev, []byte(`,"body":`))]
	b := make([]byte, 0, len(ev)+64+len(methodARN))
	b = append(b, `{"type":"REQUEST","methodArn":`...)
	b = observe.AppendJSONString(b, methodARN)
	b = append(b, ',')
	b = append(b, ev[1:]...)
	return append(b, '}')
}

// parseAuthorizerOutput reads a Lambda authorizer's answer: a principalId string, a
// policyDocument (an identity policy: Version and Statement), optional context whose values are
// strings, numbers or booleans, and an optional usageIdentifierKey.
func parseAuthorizerOutput(payload []byte) (*authorization, error) {
	var out struct {
		PrincipalID        *string                    `json:"principalId"`
		PolicyDocument     json.RawMessage            `json:"policyDocument"`
		Context            map[string]json.RawMessage `json:"context"`
		UsageIdentifierKey *string                    `json:"usageIdentifierKey"`
	}
	if err := json.Unmarshal(payload, &out); err != nil {
		return nil, fmt.Errorf("not a JSON object with the authorizer output's fields: %v", err)
	}
	if out.PrincipalID == nil {
		return nil, errors.New("no principalId")
	}
	if len(out.PolicyDocument) == 0 || out.PolicyDocument[0] != '{' {
		return nil, errors.New("policyDocument is not a JSON object")
	}
	p, err := policy.ParseIdentity(string(out.PolicyDocument))
	if err != nil {
		return nil, fmt.Errorf("policyDocument: %v", err)
	}
	res := &authorization{principalID: *out.PrincipalID, policy: p}
	if out.UsageIdentifierKey != nil {
		res.usageKey = *out.UsageIdentifierKey
	}
	for k, raw := range out.Context {
		v, err := contextValue(raw)
		if err != nil {
			return nil, fmt.Errorf("context.%s: %v", k, err)
		}
		res.context = append(res.context, authValue{k, v})
	}
	slices.SortFunc(res.context, func(x, y authValue) int { return strings.Compare(x.name, y.name) })
	return res, nil
}

// contextValue stringifies a context value as REST APIs do ("1", "true"); objects, arrays and
// null are not allowed.
func contextValue(raw json.RawMessage) (string, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", err
	}
	switch v := v.(type) {
	case string:
		return v, nil
	case bool:
		return strconv.FormatBool(v), nil
	case float64:
		// The number as the function wrote it (1, 1.5, 1e3).
		return strings.TrimSpace(string(raw)), nil
	}
	return "", errors.New("must be a string, a number or a boolean")
}

// templateValue is $context.authorizer for mapping templates and context.authorizer.x mappings.
func (a *authorization) templateValue() awsvtl.Authorizer {
	out := awsvtl.Authorizer{PrincipalID: a.principalID}
	if a.claims != nil {
		out.Claims = a.claims.Values
	}
	if len(a.context) > 0 {
		out.Values = make(map[string]string, len(a.context))
		for _, kv := range a.context {
			out.Values[kv.name] = kv.value
		}
	}
	return out
}

// appendAuthorizer writes the proxy event's requestContext.authorizer: principalId, the
// authorizer's context values (stringified) and integrationLatency, the authorizer call's
// duration in milliseconds (0 when the result came from the cache).
func (rc *request) appendAuthorizer(b []byte) []byte {
	if rc.auth.claims != nil {
		return appendCognitoAuthorizer(b, rc.auth.claims)
	}
	b = append(b, `"authorizer":{"principalId":`...)
	b = observe.AppendJSONString(b, rc.auth.principalID)
	for _, kv := range rc.auth.context {
		if kv.name == "principalId" || kv.name == "integrationLatency" {
			continue
		}
		b = append(b, ',')
		b = observe.AppendJSONString(b, kv.name)
		b = append(b, ':')
		b = observe.AppendJSONString(b, kv.value)
	}
	b = append(b, `,"integrationLatency":`...)
	b = strconv.AppendInt(b, rc.authLatency.Milliseconds(), 10)
	return append(b, '}')
}

// authRun is what the access log's $context.authorizer.* variables say of a request's Lambda
// authorizer phase (status 0: none ran).
type authRun struct {
	// auth is the answer the request was let through with (nil otherwise).
	auth *authorization
	// status is what the phase answered: 200, 401, 403 or 500.
	status  int
	latency time.Duration
	// intStatus, intLatency and requestID describe the function call (zero when the cache
	// answered).
	intStatus  int
	intLatency time.Duration
	requestID  string
	// err says why the phase refused the request or failed.
	err string
}

// Value is $context.authorizer.{name} of the access log: status, latency, integrationStatus,
// integrationLatency, requestId and error of the phase, else what the authorizer answered
// (principalId, context values).
func (r *authRun) Value(name string) string {
	switch name {
	case "status":
		return strconv.Itoa(r.status)
	case "latency":
		return strconv.FormatInt(r.latency.Milliseconds(), 10)
	case "integrationStatus":
		if r.intStatus == 0 {
			return ""
		}
		return strconv.Itoa(r.intStatus)
	case "integrationLatency":
		if r.intStatus == 0 {
			return ""
		}
		return strconv.FormatInt(r.intLatency.Milliseconds(), 10)
	case "requestId":
		return r.requestID
	case "error":
		return r.err
	}
	if r.auth != nil {
		return r.auth.Value(name)
	}
	return ""
}
