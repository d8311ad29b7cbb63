package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/portico/portico/internal/auth/oidc"
	"github.com/portico/portico/internal/compile"
	"github.com/portico/portico/internal/model"
)

// testInvokeCognito tries a COGNITO_USER_POOLS authorizer as AWS's TestInvokeAuthorizer does:
// the token is the identity source header of the request's headers (raw or after "Bearer "),
// checked against the authorizer's pools as an ID token (no method, so no scopes, which is why
// AWS's console asks for an ID token), and the answer carries the status a client would get and,
// when it verifies, the token's claims.
func (g *Gateway) testInvokeCognito(ctx context.Context, ma *model.Authorizer, in *model.TestInvokeAuthorizerRequest) (*model.TestInvokeAuthorizerResponse, error) {
	start := time.Now()
	a := compile.Authorizer(ma, in.StageVariables)
	var log strings.Builder
	logf := func(format string, args ...any) {
		log.WriteString(time.Now().UTC().Format("Mon Jan 02 15:04:05 MST 2006"))
		log.WriteString(" : ")
		fmt.Fprintf(&log, format, args...)
		log.WriteByte('\n')
	}
	logf("Starting authorizer: %s", ma.Id)
	out := &model.TestInvokeAuthorizerResponse{}
	finish := func(status int) (*model.TestInvokeAuthorizerResponse, error) {
		out.ClientStatus = status
		out.Latency = time.Since(start).Milliseconds()
		out.Log = log.String()
		return out, nil
	}
	if a.Err != "" {
		logf("Execution failed due to configuration error: %s", a.Err)
		return finish(http.StatusInternalServerError)
	}
	header := http.Header{}
	for k, vs := range in.MultiValueHeaders {
		for _, v := range vs {
			header.Add(k, v)
		}
	}
	for k, v := range in.Headers {
		if _, ok := in.MultiValueHeaders[k]; !ok {
			header.Set(k, v)
		}
	}
	name := "Authorization"
	if len(a.Sources) > 0 {
		name = a.Sources[0].Name
	}
	token := bearerToken(header.Get(name))
	if token == "" {
		logf("The identity source header %s is missing or empty", name)
		return finish(http.StatusUnauthorized)
	}
	claims, err := g.opts.Tokens.Verify(ctx, token, a.ProviderARNs, nil)
	switch {
	case err == nil:
	case errors.Is(err, oidc.ErrKeysUnavailable):
		logf("Execution failed: %s: %v", errAuthorizerFailure.typ, err)
		return finish(http.StatusInternalServerError)
	case errors.Is(err, oidc.ErrProvider):
		logf("Execution failed due to configuration error: %v", err)
		return finish(http.StatusInternalServerError)
	default:
		logf("Unauthorized: %v", err)
		return finish(http.StatusUnauthorized)
	}
	if a.Validation != nil && !audienceMatches(a.Validation.MatchString, claims) {
		logf("Unauthorized: the token's audience does not match the identity validation expression")
		return finish(http.StatusUnauthorized)
	}
	out.Claims = claims.Values
	logf("Successfully completed authorizer execution")
	return finish(http.StatusOK)
}
