package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/auth/oidc"
	"github.com/portico/portico/internal/auth/oidc/oidctest"
	"github.com/portico/portico/internal/server"
)

// TestCognitoAuthorizerWithAWSCLI creates a COGNITO_USER_POOLS authorizer and two methods using
// it with the stock AWS CLI, points the user pool at an issuer the test serves, and calls the
// methods with that issuer's tokens, through a key rotation.
func TestCognitoAuthorizerWithAWSCLI(t *testing.T) {
	const pool = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_E2eTest"
	is := oidctest.NewIssuer(t)
	srv := startServer(t, t.TempDir(), func(c *server.Config) {
		c.CognitoPools = map[string]oidc.Pool{"us-east-1_E2eTest": {Issuer: is.URL}}
	})
	cli := func(out any, args ...string) {
		t.Helper()
		if stderr, err := awsCLI(t, srv, out, append([]string{"apigateway"}, args...)...); err != nil {
			t.Fatalf("aws %v: %v\n%s", args, err, stderr)
		}
	}
	var api struct{ Id, RootResourceId string }
	cli(&api, "create-rest-api", "--name", "cognito")
	var auth struct {
		Id           string
		Type         string
		ProviderARNs []string `json:"providerARNs"`
	}
	cli(&auth, "create-authorizer", "--rest-api-id", api.Id, "--name", "pool", "--type", "COGNITO_USER_POOLS",
		"--provider-arns", pool, "--identity-source", "method.request.header.Authorization")
	if auth.Type != "COGNITO_USER_POOLS" || len(auth.ProviderARNs) != 1 || auth.ProviderARNs[0] != pool {
		t.Fatalf("create-authorizer answered %+v", auth)
	}
	// GET /me answers claims of an ID token; GET /admin needs an access token with pets/admin.
	method := func(path, template string, extra ...string) {
		var res struct{ Id string }
		cli(&res, "create-resource", "--rest-api-id", api.Id, "--parent-id", api.RootResourceId, "--path-part", path)
		cli(nil, append([]string{"put-method", "--rest-api-id", api.Id, "--resource-id", res.Id, "--http-method", "GET",
			"--authorization-type", "COGNITO_USER_POOLS", "--authorizer-id", auth.Id}, extra...)...)
		cli(nil, "put-method-response", "--rest-api-id", api.Id, "--resource-id", res.Id, "--http-method", "GET", "--status-code", "200")
		cli(nil, "put-integration", "--rest-api-id", api.Id, "--resource-id", res.Id, "--http-method", "GET",
			"--type", "MOCK", "--request-templates", `{"application/json":"{\"statusCode\": 200}"}`)
		cli(nil, "put-integration-response", "--rest-api-id", api.Id, "--resource-id", res.Id, "--http-method", "GET",
			"--status-code", "200", "--response-templates", `{"application/json":"`+template+`"}`)
	}
	method("me", `$context.authorizer.claims.email $context.authorizer.claims.get('cognito:groups')`)
	method("admin", `$context.authorizer.claims.username`, "--authorization-scopes", "pets/admin")
	cli(nil, "create-deployment", "--rest-api-id", api.Id, "--stage-name", "prod")

	k := is.Keys()[0]
	id := is.Sign(k, is.Claims("id", "app-1"))
	get := func(path, token string) response {
		if token == "" {
			return invokePath(t, srv, "GET", api.Id, "prod", path, "")
		}
		return invokePath(t, srv, "GET", api.Id, "prod", path, "", "Authorization", token)
	}
	waitFor(t, "the deployment", func() bool { return get("/me", id).status == 200 })
	get("/me", id).want(t, 200, "alice@example.com admins,readers")
	get("/me", "Bearer "+id).want(t, 200, "alice@example.com admins,readers")
	get("/admin", is.Sign(k, is.Claims("access", "app-1", "openid", "pets/admin"))).want(t, 200, "alice")

	const unauthorized = `{"message":"Unauthorized"}`
	expired := is.Claims("id", "app-1")
	expired["exp"] = time.Now().Add(-10 * time.Minute).Unix()
	notYet := is.Claims("id", "app-1")
	notYet["nbf"] = time.Now().Add(10 * time.Minute).Unix()
	wrongIssuer := is.Claims("id", "app-1")
	wrongIssuer["iss"] = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_E2eTest"
	parts := strings.Split(id, ".")
	tampered := is.Claims("id", "app-1")
	tampered["email"] = "mallory@example.com"
	for name, c := range map[string]struct{ path, token string }{
		"no token":            {"/me", ""},
		"expired":             {"/me", is.Sign(k, expired)},
		"not yet valid":       {"/me", is.Sign(k, notYet)},
		"wrong issuer":        {"/me", is.Sign(k, wrongIssuer)},
		"access token on /me": {"/me", is.Sign(k, is.Claims("access", "app-1", "pets/admin"))},
		"ID token on /admin":  {"/admin", id},
		"missing scope":       {"/admin", is.Sign(k, is.Claims("access", "app-1", "pets/read"))},
		"unknown kid":         {"/me", oidctest.SignHeader(k, map[string]any{"alg": "RS256", "kid": "nobody"}, is.Claims("id", "app-1"))},
		"alg none":            {"/me", oidctest.Encode(map[string]any{"alg": "none", "kid": k.KID}) + "." + parts[1] + "."},
		"tampered payload":    {"/me", parts[0] + "." + oidctest.Encode(tampered) + "." + parts[2]},
	} {
		r := get(c.path, c.token)
		if r.status != 401 || r.body != unauthorized || r.header.Get("x-amzn-ErrorType") != "UnauthorizedException" {
			t.Errorf("%s: got %d %s (%s)", name, r.status, r.body, r.header.Get("x-amzn-ErrorType"))
		}
	}

	// test-invoke-authorizer tries the authorizer with an ID token, as the console does.
	var tried struct {
		ClientStatus int               `json:"clientStatus"`
		Claims       map[string]string `json:"claims"`
	}
	cli(&tried, "test-invoke-authorizer", "--rest-api-id", api.Id, "--authorizer-id", auth.Id, "--headers", "Authorization="+id)
	if tried.ClientStatus != 200 || tried.Claims["cognito:username"] != "alice" {
		t.Errorf("test-invoke-authorizer: %+v", tried)
	}
	cli(&tried, "test-invoke-authorizer", "--rest-api-id", api.Id, "--authorizer-id", auth.Id, "--headers", "Authorization=x.y.z")
	if tried.ClientStatus != 401 {
		t.Errorf("test-invoke-authorizer with a bad token: %+v", tried)
	}

	// The issuer rotates to an EC key: its tokens are accepted once Portico refetches the key
	// set (at most every 10 s), and the retired key's tokens are refused from then on.
	fresh := is.Rotate(t, "ES256")
	newID := is.Sign(fresh, is.Claims("id", "app-1"))
	deadline := time.Now().Add(30 * time.Second)
	for get("/me", newID).status != 200 {
		if time.Now().After(deadline) {
			t.Fatal("a token of the rotated key was not accepted within 30s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	get("/me", id).want(t, 401, unauthorized)
}
