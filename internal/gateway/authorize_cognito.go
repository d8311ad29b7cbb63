package gateway

import (
	"errors"
	"strings"

	"github.com/portico/portico/internal/auth/oidc"
	"github.com/portico/portico/internal/observe"
)

// authorizeCognito runs a COGNITO_USER_POOLS authorizer (lambda-and-authorizers.md §3): the
// token from its identity source header, raw or after "Bearer ", verified by the gateway's
// oidc.Verifier against the authorizer's pools and the method's authorizationScopes. A missing
// or refused token answers 401 Unauthorized, as does an identityValidationExpression that the
// token's audience (aud, or client_id of an access token) does not match; keys that cannot be
// fetched answer 500 AUTHORIZER_FAILURE, providers that name no issuer 500
// AUTHORIZER_CONFIGURATION_ERROR. The claims become $context.authorizer.claims and the proxy
// event's requestContext.authorizer.claims.
func (g *Gateway) authorizeCognito(rc *request) *gatewayError {
	a := rc.method.Authorizer
	if a == nil || a.Err != "" {
		reason := "the method's authorizerId names no authorizer of the deployment"
		if a != nil {
			reason = a.Err
		}
		g.log.Error("execution failed due to configuration error: authorizer cannot run", "api", rc.api.ID,
			"stage", rc.api.Stage, "resource", rc.resource.Path, "method", rc.r.Method, "reason", reason,
			"requestId", rc.requestID)
		return errAuthorizerConfig
	}
	var token string
	if len(a.Sources) > 0 {
		token, _ = rc.source(a.Sources[0], nil)
	} else {
		token = rc.r.Header.Get("Authorization")
	}
	token = bearerToken(token)
	if token == "" {
		return errUnauthorized
	}
	claims, err := g.opts.Tokens.Verify(rc.r.Context(), token, a.ProviderARNs, rc.method.AuthorizationScopes)
	if err != nil {
		args := []any{"api", rc.api.ID, "stage", rc.api.Stage, "resource", rc.resource.Path, "method", rc.r.Method,
			"authorizer", a.ID, "reason", err.Error(), "requestId", rc.requestID}
		switch {
		case errors.Is(err, oidc.ErrKeysUnavailable):
			g.log.Error("authorizer failed: the user pool's signing keys cannot be fetched", args...)
			return errAuthorizerFailure
		case errors.Is(err, oidc.ErrProvider):
			g.log.Error("execution failed due to configuration error: no provider of the authorizer is usable", args...)
			return errAuthorizerConfig
		}
		g.log.Debug("token refused", args...)
		return errUnauthorized
	}
	if a.Validation != nil && !audienceMatches(a.Validation.MatchString, claims) {
		return errUnauthorized
	}
	rc.auth = &authorization{claims: claims}
	if rc.tmplReq != nil {
		rc.tmplReq.Context.Authorizer = rc.auth.templateValue()
	}
	return nil
}

// bearerToken returns the token of an Authorization value: AWS takes the raw token, and the
// "Bearer <token>" form Cognito's guides show.
func bearerToken(v string) string {
	v = strings.TrimSpace(v)
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		return strings.TrimSpace(v[7:])
	}
	return v
}

// audienceMatches applies identityValidationExpression to the token's audience: aud for ID
// tokens (any of them), client_id for access tokens.
func audienceMatches(match func(string) bool, c *oidc.Claims) bool {
	if c.ClientID != "" && c.TokenUse != "id" {
		return match(c.ClientID)
	}
	for _, aud := range c.Audience {
		if match(aud) {
			return true
		}
	}
	return false
}

// appendCognitoAuthorizer writes the proxy event's requestContext.authorizer of a
// COGNITO_USER_POOLS method: the claims, and the access token's scopes (null for ID tokens).
func appendCognitoAuthorizer(b []byte, c *oidc.Claims) []byte {
	b = append(b, `"authorizer":{"claims":`...)
	b = append(b, c.JSON()...)
	b = append(b, `,"scopes":`...)
	if c.TokenUse == "id" || len(c.Scopes) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, s := range c.Scopes {
			if i > 0 {
				b = append(b, ',')
			}
			b = observe.AppendJSONString(b, s)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}
