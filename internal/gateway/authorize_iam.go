package gateway

import (
	"bytes"
	"errors"
	"io"
	"time"

	"github.com/portico/portico/internal/auth/iam"
	"github.com/portico/portico/internal/auth/policy"
	"github.com/portico/portico/internal/auth/sigv4"
	"github.com/portico/portico/internal/observe"
	"github.com/portico/portico/internal/runtime"
	awsvtl "github.com/portico/portico/internal/vtl/aws"
)

// Identities supplies the current IAM identities of AWS_IAM methods (iam.Registry).
type Identities interface {
	Directory() *iam.Directory
}

// iamAuth checks AWS_IAM methods: SigV4 for the execute-api service in the server's region,
// with AWS's five minutes of clock skew, against the current identities.
type iamAuth struct {
	ids      Identities
	verifier *sigv4.Verifier
}

func newIAMAuth(opts Options) *iamAuth {
	return &iamAuth{ids: opts.Identities, verifier: &sigv4.Verifier{
		Service:              "execute-api",
		Region:               opts.Region,
		MaxSkew:              5 * time.Minute,
		AllowUnsignedPayload: true,
		ExplainMismatch:      true,
	}}
}

// authorizeIAM runs an AWS_IAM method's authorization: the signature identifies the caller,
// then the caller's identity policies and the API's resource policy decide execute-api:Invoke
// on the method ARN together, as AWS combines them.
func (g *Gateway) authorizeIAM(rc *request) *gatewayError {
	if err := g.verifyCaller(rc); err != nil {
		return err
	}
	arn := g.methodARN(rc)
	switch g.decideIAM(rc, iam.ActionInvoke, arn) {
	case policy.Allow:
		return nil
	case policy.ExplicitDeny:
		return iamDenied(rc.caller.ARN, iam.ActionInvoke, arn, true)
	}
	return iamDenied(rc.caller.ARN, iam.ActionInvoke, arn, false)
}

// iamAllows reports whether the request comes from an IAM caller allowed action on its method
// ARN: the request must be signed by a known identity (it is verified here unless the
// authorization phase already did), and the decision is the one authorizeIAM makes for Invoke.
// The response cache asks it for execute-api:InvalidateCache.
func (g *Gateway) iamAllows(rc *request, action string) bool {
	if rc.caller == nil && g.verifyCaller(rc) != nil {
		return false
	}
	return g.decideIAM(rc, action, g.methodARN(rc)) == policy.Allow
}

// verifyCaller checks the request's signature and sets rc.caller.
func (g *Gateway) verifyCaller(rc *request) *gatewayError {
	var dir *iam.Directory
	if g.iam.ids != nil {
		dir = g.iam.ids.Directory()
	}
	var bodyErr *gatewayError
	key, err := g.iam.verifier.Check(rc.r, dir, func() ([]byte, error) {
		b, gerr := rc.bufferBody()
		bodyErr = gerr
		if gerr != nil {
			return nil, gerr
		}
		return b, nil
	})
	if bodyErr != nil {
		return bodyErr
	}
	if err != nil {
		var se *sigv4.Error
		if !errors.As(err, &se) {
			return errInternal
		}
		return signatureError(se)
	}
	rc.caller = dir.Caller(key)
	if rc.tmplReq != nil {
		rc.fillIdentity(&rc.tmplReq.Context.Identity)
	}
	return nil
}

// decideIAM combines the caller's identity policies with the resource policy
// (lambda-and-authorizers.md §7): an explicit Deny in either wins; a caller of the API's own
// account needs an Allow from either, a caller of another account from both. The resource
// policy speaks of execute-api:Invoke only, so other actions are the identity policies' alone.
func (g *Gateway) decideIAM(rc *request, action, arn string) policy.Decision {
	src := sourceAddr(rc.r.RemoteAddr)
	id := rc.caller.Decide(action, arn, src, rc.policyKey)
	if id == policy.ExplicitDeny {
		return policy.ExplicitDeny
	}
	res := runtime.PolicyImplicitDeny
	if p := rc.api.Policy; p != nil && action == iam.ActionInvoke {
		res = p.Decide(arn, src, rc.policyKey)
	}
	switch {
	case res == runtime.PolicyExplicitDeny:
		return policy.ExplicitDeny
	case rc.caller.AccountID == g.opts.AccountID && (id == policy.Allow || res == runtime.PolicyAllow):
		return policy.Allow
	case id == policy.Allow && res == runtime.PolicyAllow:
		return policy.Allow
	}
	return policy.ImplicitDeny
}

// bufferBody reads the whole request body, which the signature covers, and leaves it to be
// read again by what follows.
func (rc *request) bufferBody() ([]byte, *gatewayError) {
	if rc.r.ContentLength == 0 {
		return nil, nil
	}
	b, err := io.ReadAll(rc.body)
	if err != nil {
		if errors.Is(err, errTooLargeBody) {
			return nil, errTooLarge
		}
		return nil, errInternal
	}
	rc.bodyBuf = limitedBody{rc: io.NopCloser(bytes.NewReader(b)), left: int64(len(b))}
	rc.body = &rc.bodyBuf
	return b, nil
}

// signatureError is AWS's answer to a refused signature (lambda-and-authorizers.md §6).
func signatureError(se *sigv4.Error) *gatewayError {
	switch se.Code {
	case "MissingAuthenticationTokenException":
		return errMissingToken
	case "UnrecognizedClientException":
		return &gatewayError{typ: runtime.AccessDenied, message: se.Message}
	case "ExpiredTokenException":
		return &gatewayError{typ: runtime.ExpiredToken, message: se.Message}
	case "IncompleteSignatureException":
		return &gatewayError{typ: runtime.InvalidSignature, message: se.Message, errorType: se.Code}
	}
	return &gatewayError{typ: runtime.InvalidSignature, message: se.Message}
}

// iamDenied is AWS's answer to an IAM caller that may not do action:
// {"Message":"User: ARN is not authorized to perform: ACTION on resource: ARN[ with an explicit deny]"}.
func iamDenied(callerARN, action, arn string, explicit bool) *gatewayError {
	msg := "User: " + callerARN + " is not authorized to perform: " + action + " on resource: " + arn
	if explicit {
		msg += " with an explicit deny"
	}
	body := observe.AppendJSONString([]byte(`{"Message":`), msg)
	return &gatewayError{typ: runtime.AccessDenied, message: msg, body: string(append(body, '}'))}
}

// fillIdentity sets what $context.identity shows of an IAM caller.
func (rc *request) fillIdentity(id *awsvtl.Identity) {
	if c := rc.caller; c != nil {
		id.AccessKey, id.AccountID, id.Caller, id.User, id.UserArn = c.AccessKey, c.AccountID, c.UserID, c.UserID, c.ARN
	}
}

// callerField is identityVar's value, "" when absent (the proxy event writes it as null).
func (rc *request) callerField(name string) string {
	v, _ := rc.identityVar(name)
	return v
}

// identityVar is $context.identity.{accessKey,accountId,caller,user,userArn}: the IAM caller's,
// absent (null) without one.
func (rc *request) identityVar(name string) (string, bool) {
	c := rc.caller
	if c == nil {
		return "", false
	}
	switch name {
	case "identity.accessKey":
		return c.AccessKey, true
	case "identity.accountId":
		return c.AccountID, true
	case "identity.caller", "identity.user":
		return c.UserID, true
	case "identity.userArn":
		return c.ARN, true
	}
	return "", false
}
