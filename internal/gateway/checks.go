package gateway

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"strings"

	"github.com/portico/portico/internal/compile"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/observe"
	"github.com/portico/portico/internal/runtime"
	"github.com/portico/portico/internal/validate"
)

// checkPolicy applies the API's resource policy (lambda-and-authorizers.md §7). An explicit
// Deny refuses every request; for a method without authorization (NONE) the policy must
// explicitly allow it. For methods with an authorizer only the explicit-deny pre-check
// applies here: combining the policy with the authorizer's answer belongs to the authorizer.
// The caller's address is the connection's: X-Forwarded-For is not trusted, since any client
// can write it.
func (g *Gateway) checkPolicy(rc *request) *gatewayError {
	p := rc.api.Policy
	if p == nil || rc.method.AuthorizationType == "AWS_IAM" {
		// An AWS_IAM method's policy is decided with its caller, by authorizeIAM.
		return nil
	}
	arn := g.methodARN(rc)
	switch p.Decide(arn, sourceAddr(rc.r.RemoteAddr), rc.policyKey) {
	case runtime.PolicyAllow:
		rc.policyAllowed = true
		return nil
	case runtime.PolicyExplicitDeny:
		return accessDenied(arn, true)
	}
	if a := rc.method.AuthorizationType; a == "" || a == "NONE" {
		return accessDenied(arn, false)
	}
	return nil
}

// methodARN is the resource a request invokes:
// arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{VERB}/{path}, the path as sent.
func (g *Gateway) methodARN(rc *request) string {
	var b strings.Builder
	b.Grow(40 + len(g.opts.Region) + len(g.opts.AccountID) + len(rc.api.ID) + len(rc.api.Stage) + len(rc.path))
	b.WriteString("arn:aws:execute-api:")
	b.WriteString(g.opts.Region)
	b.WriteByte(':')
	b.WriteString(g.opts.AccountID)
	b.WriteByte(':')
	b.WriteString(rc.api.ID)
	b.WriteByte('/')
	b.WriteString(rc.api.Stage)
	b.WriteByte('/')
	b.WriteString(rc.r.Method)
	b.WriteByte('/')
	b.WriteString(strings.TrimPrefix(rc.path, "/"))
	return b.String()
}

// policyKey supplies the condition keys a policy may test besides aws:SourceIp.
func (rc *request) policyKey(name string) (string, bool) {
	switch name {
	case "aws:useragent":
		if v := rc.r.Header["User-Agent"]; len(v) > 0 {
			return v[0], true
		}
	case "aws:referer":
		if v := rc.r.Header["Referer"]; len(v) > 0 {
			return v[0], true
		}
	case "aws:securetransport":
		if rc.r.TLS != nil {
			return "true", true
		}
		return "false", true
	case "aws:principaltype":
		if rc.caller != nil {
			return rc.caller.Type, true
		}
		return "Anonymous", true
	case "aws:sourceip":
		if a := sourceAddr(rc.r.RemoteAddr); a.IsValid() {
			return a.String(), true
		}
	}
	if rc.caller != nil {
		return rc.caller.Key(name)
	}
	return "", false
}

// sourceAddr parses the address of a connection's remote end.
func sourceAddr(remote string) netip.Addr {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return ap.Addr().Unmap()
	}
	a, _ := netip.ParseAddr(strings.Trim(remote, "[]"))
	return a.Unmap()
}

func accessDenied(arn string, explicit bool) *gatewayError {
	msg := "User: anonymous is not authorized to perform: execute-api:Invoke on resource: " + arn
	if explicit {
		msg += " with an explicit deny"
	}
	body := observe.AppendJSONString([]byte(`{"Message":`), msg)
	return &gatewayError{typ: runtime.AccessDenied, message: msg, body: string(append(body, '}'))}
}

// validateRequest runs the method's request validator: required parameters, then the body
// (rest-api-model.md §7). A failure's detail becomes $context.error.validationErrorString.
func (g *Gateway) validateRequest(rc *request) *gatewayError {
	v := rc.method.Validation
	if v == nil {
		return nil
	}
	if v.Err != "" {
		g.log.Error("request validator cannot run", "api", rc.api.ID, "stage", rc.api.Stage,
			"resource", rc.resource.Path, "method", rc.r.Method, "reason", v.Err, "requestId", rc.requestID)
		return errInternal
	}
	var missing []string
	for _, p := range v.Params {
		if val, ok := rc.source(p, nil); !ok || strings.TrimSpace(val) == "" {
			missing = append(missing, p.Name)
		}
	}
	if missing != nil {
		msg := validate.MissingMessage(missing)
		rc.validationError = msg
		rc.exec.Log(msg)
		return &gatewayError{typ: runtime.BadRequestParameters, message: msg}
	}
	if v.Body == nil {
		return nil
	}
	bv := v.Body.For(rc.r.Header.Get("Content-Type"))
	if bv == nil {
		return nil
	}
	body, err := readWhole(rc.body, rc.r.ContentLength)
	if err != nil {
		if errors.Is(err, errTooLargeBody) {
			return errTooLarge
		}
		return errInternal
	}
	// The integration reads the body after validation: give it back. The limit left is the
	// payload limit, as for a body not yet read, so that decoding it is held to the same.
	rc.replay.Reset(body)
	rc.bodyBuf = limitedBody{rc: &rc.replay, left: g.opts.MaxPayloadBytes}
	rc.body = &rc.bodyBuf
	if ce := rc.r.Header["Content-Encoding"]; rc.api.Compression != nil && len(ce) == 1 {
		// A stage that decodes compressed bodies validates what it decodes; the integration
		// then gets the body as it came, and decodes it (or not) itself.
		dec, gerr := rc.decodedBody()
		if gerr != nil {
			return gerr
		}
		decoded, err := io.ReadAll(dec)
		rc.r.Header["Content-Encoding"] = ce
		if err != nil {
			if errors.Is(err, errTooLargeBody) {
				return errTooLarge
			}
			return errUndecodable
		}
		rc.replay.Reset(body)
		rc.bodyBuf = limitedBody{rc: &rc.replay, left: g.opts.MaxPayloadBytes}
		body = decoded
	}
	if detail, ok := bv.Validate(body); !ok {
		rc.validationError = detail
		if rc.exec != nil {
			rc.exec.Log("Request body does not match model schema for content type " +
				runtime.MediaType(rc.r.Header.Get("Content-Type")) + ": " + detail)
		}
		g.log.Debug("request body does not match model schema", "api", rc.api.ID, "stage", rc.api.Stage,
			"resource", rc.resource.Path, "method", rc.r.Method, "contentType", runtime.MediaType(rc.r.Header.Get("Content-Type")),
			"detail", detail, "requestId", rc.requestID)
		return errBadBody
	}
	return nil
}

var errBadBody = &gatewayError{typ: runtime.BadRequestBody, message: "Invalid request body"}

// defaultTemplate is the built-in gateway response template, {"message":$context.error.messageString}.
var defaultTemplate = compile.ParseGatewayTemplate("application/json", model.DefaultGatewayResponseTemplate, nil)

// isDefaultTemplate reports whether t is the built-in template, which some answers (resource
// policy denials) replace with AWS's own wording.
func isDefaultTemplate(t *runtime.GatewayTemplate) bool {
	if t.ContentType != defaultTemplate.ContentType || len(t.Parts) != len(defaultTemplate.Parts) {
		return false
	}
	for i, p := range t.Parts {
		if d := defaultTemplate.Parts[i]; p.Text != d.Text || p.Var != d.Var {
			return false
		}
	}
	return true
}

// readWhole reads r to its end. A declared length sizes the buffer at once, so the usual body
// costs one allocation and no regrowth; more than declared is still read (and bounded by r).
func readWhole(r io.Reader, declared int64) ([]byte, error) {
	if declared <= 0 || declared > 1<<20 {
		return io.ReadAll(r)
	}
	b := make([]byte, 0, declared+1) // +1: EOF is seen without regrowing
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// replayBody serves a body already read whole to the integration that reads it next.
type replayBody struct{ bytes.Reader }

func (*replayBody) Close() error { return nil }
