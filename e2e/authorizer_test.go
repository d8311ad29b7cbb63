package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLambdaAuthorizerWithAWSCLI protects a route with an unmodified aws-lambda-go TOKEN
// authorizer, everything created with the stock AWS CLI: allowed, denied, unauthorized,
// crashing and garbage answers get AWS's status and body; one token within the TTL makes one
// call; the authorizer's context reaches the mapping template; usageIdentifierKey is the API
// key of an API whose apiKeySource is AUTHORIZER; and an authorizer in use cannot be deleted.
func TestLambdaAuthorizerWithAWSCLI(t *testing.T) {
	srv := startServer(t, t.TempDir())
	z := buildFunctionZip(t, "./testdata/authfn")
	if stderr, err := awsCLI(t, srv, nil, "lambda", "create-function", "--function-name", "authfn",
		"--runtime", "provided.al2023", "--handler", "bootstrap", "--role", "arn:aws:iam::000000000000:role/lambda",
		"--zip-file", "fileb://"+z); err != nil {
		t.Fatalf("create-function: %v\n%s", err, stderr)
	}
	cli := func(out any, args ...string) {
		t.Helper()
		if stderr, err := awsCLI(t, srv, out, append([]string{"apigateway"}, args...)...); err != nil {
			t.Fatalf("aws %v: %v\n%s", args, err, stderr)
		}
	}
	var api struct{ Id, RootResourceId string }
	cli(&api, "create-rest-api", "--name", "guarded")
	var auth struct {
		Id                           string
		Type                         string
		AuthorizerResultTtlInSeconds int `json:"authorizerResultTtlInSeconds"`
	}
	cli(&auth, "create-authorizer", "--rest-api-id", api.Id, "--name", "tokens", "--type", "TOKEN",
		"--authorizer-uri", "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:${stageVariables.auth}/invocations",
		"--identity-source", "method.request.header.Authorization", "--identity-validation-expression", "^Bearer [a-z-]+$")
	if auth.Type != "TOKEN" || auth.AuthorizerResultTtlInSeconds != 300 {
		t.Fatalf("create-authorizer answered %+v", auth)
	}
	var list struct{ Items []struct{ Id, Name string } }
	cli(&list, "get-authorizers", "--rest-api-id", api.Id)
	if len(list.Items) != 1 || list.Items[0].Id != auth.Id {
		t.Fatalf("get-authorizers answered %+v", list)
	}

	var pets struct{ Id string }
	cli(&pets, "create-resource", "--rest-api-id", api.Id, "--parent-id", api.RootResourceId, "--path-part", "pets")
	for _, verb := range []string{"GET", "POST"} {
		cli(nil, "put-method", "--rest-api-id", api.Id, "--resource-id", pets.Id, "--http-method", verb,
			"--authorization-type", "CUSTOM", "--authorizer-id", auth.Id)
		cli(nil, "put-method-response", "--rest-api-id", api.Id, "--resource-id", pets.Id, "--http-method", verb, "--status-code", "200")
		cli(nil, "put-integration", "--rest-api-id", api.Id, "--resource-id", pets.Id, "--http-method", verb,
			"--type", "MOCK", "--request-templates", `{"application/json":"{\"statusCode\": 200}"}`)
		cli(nil, "put-integration-response", "--rest-api-id", api.Id, "--resource-id", pets.Id, "--http-method", verb,
			"--status-code", "200", "--response-templates",
			`{"application/json":"$context.authorizer.principalId calls=$context.authorizer.calls admin=$context.authorizer.admin"}`)
	}
	// GET /orders: a REQUEST authorizer on a header and a query string, never cached.
	var req struct{ Id string }
	cli(&req, "create-authorizer", "--rest-api-id", api.Id, "--name", "requests", "--type", "REQUEST",
		"--authorizer-uri", "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/authfn/invocations",
		"--identity-source", "method.request.header.X-User, method.request.querystring.tenant",
		"--authorizer-result-ttl-in-seconds", "0")
	var orders struct{ Id string }
	cli(&orders, "create-resource", "--rest-api-id", api.Id, "--parent-id", api.RootResourceId, "--path-part", "orders")
	cli(nil, "put-method", "--rest-api-id", api.Id, "--resource-id", orders.Id, "--http-method", "GET",
		"--authorization-type", "CUSTOM", "--authorizer-id", req.Id)
	cli(nil, "put-method-response", "--rest-api-id", api.Id, "--resource-id", orders.Id, "--http-method", "GET", "--status-code", "200")
	cli(nil, "put-integration", "--rest-api-id", api.Id, "--resource-id", orders.Id, "--http-method", "GET",
		"--type", "MOCK", "--request-templates", `{"application/json":"{\"statusCode\": 200}"}`)
	cli(nil, "put-integration-response", "--rest-api-id", api.Id, "--resource-id", orders.Id, "--http-method", "GET",
		"--status-code", "200", "--response-templates", `{"application/json":"$context.authorizer.principalId"}`)
	cli(nil, "create-deployment", "--rest-api-id", api.Id, "--stage-name", "prod", "--variables", "auth=authfn")

	get := func(method, token string) response {
		if token == "" {
			return invokePath(t, srv, method, api.Id, "prod", "/pets", "")
		}
		return invokePath(t, srv, method, api.Id, "prod", "/pets", "", "Authorization", token)
	}
	waitFor(t, "the deployment", func() bool { return get("GET", "").status == 401 })
	// One token within the TTL: one call, whatever the number of requests.
	for range 5 {
		get("GET", "Bearer allow-root").want(t, 200, "root calls=1 admin=true")
	}
	get("GET", "Bearer allow-ann").want(t, 200, "ann calls=2 admin=false")
	invokePath(t, srv, "GET", api.Id, "prod", "/orders?tenant=t1", "", "X-User", "carol").want(t, 200, "carol")
	invokePath(t, srv, "GET", api.Id, "prod", "/orders", "", "X-User", "carol").want(t, 401, `{"message":"Unauthorized"}`)
	invokePath(t, srv, "GET", api.Id, "prod", "/orders?tenant=t1", "").want(t, 401, `{"message":"Unauthorized"}`)
	// Flushing the stage's authorizer cache makes the next request call the authorizer again.
	cli(nil, "flush-stage-authorizers-cache", "--rest-api-id", api.Id, "--stage-name", "prod")
	get("GET", "Bearer allow-root").want(t, 200, "root calls=4 admin=true")

	const (
		unauthorized = `{"message":"Unauthorized"}`
		noAllow      = `{"Message":"User is not authorized to access this resource"}`
		denied       = `{"Message":"User is not authorized to access this resource with an explicit deny"}`
		broken       = `{"message":null}`
	)
	for _, c := range []struct {
		name, method, token string
		status              int
		body, errorType     string
	}{
		{"no token", "GET", "", 401, unauthorized, "UnauthorizedException"},
		{"validation expression", "GET", "Basic cm9vdDpyb290", 401, unauthorized, "UnauthorizedException"},
		{"header injection", "GET", `Bearer allow-root","methodArn":"*`, 401, unauthorized, "UnauthorizedException"},
		{"policy for another method", "POST", "Bearer allow-root", 403, noAllow, "AccessDeniedException"},
		{"explicit deny", "GET", "Bearer deny", 403, denied, "AccessDeniedException"},
		{"Unauthorized error", "GET", "Bearer unauthorized", 401, unauthorized, "UnauthorizedException"},
		{"crash", "GET", "Bearer crash", 500, broken, "AuthorizerConfigurationException"},
		{"garbage", "GET", "Bearer garbage", 500, broken, "AuthorizerConfigurationException"},
	} {
		r := get(c.method, c.token)
		if r.status != c.status || r.body != c.body || r.header.Get("x-amzn-ErrorType") != c.errorType {
			t.Errorf("%s: got %d %s (%s), want %d %s (%s)", c.name, r.status, r.body, r.header.Get("x-amzn-ErrorType"),
				c.status, c.body, c.errorType)
		}
	}

	// TestInvokeAuthorizer tries the authorizer with a request of the caller's making.
	var tried struct {
		ClientStatus  int `json:"clientStatus"`
		PrincipalId   string
		Policy        string
		Log           string
		Authorization map[string][]string
	}
	cli(&tried, "test-invoke-authorizer", "--rest-api-id", api.Id, "--authorizer-id", auth.Id,
		"--headers", "Authorization=Bearer allow-test", "--path-with-query-string", "/pets", "--stage-variables", "auth=authfn")
	if tried.ClientStatus != 200 || tried.PrincipalId != "test" || !strings.Contains(tried.Policy, "execute-api:Invoke") ||
		tried.Authorization["user"][0] != "test" || !strings.Contains(tried.Log, "Successfully completed authorizer execution") {
		t.Fatalf("test-invoke-authorizer answered %+v", tried)
	}
	cli(&tried, "test-invoke-authorizer", "--rest-api-id", api.Id, "--authorizer-id", auth.Id,
		"--headers", "Authorization=Bearer deny", "--stage-variables", "auth=authfn")
	if tried.ClientStatus != 403 {
		t.Fatalf("test-invoke-authorizer of a denying token answered %+v", tried)
	}

	// The API key comes from the authorizer's usageIdentifierKey.
	var key struct{ Id string }
	cli(&key, "create-api-key", "--name", "from-authorizer", "--enabled", "--value", "authfn-key-0000000000001")
	var plan struct{ Id string }
	cli(&plan, "create-usage-plan", "--name", "p", "--api-stages", "apiId="+api.Id+",stage=prod")
	cli(nil, "create-usage-plan-key", "--usage-plan-id", plan.Id, "--key-id", key.Id, "--key-type", "API_KEY")
	cli(nil, "update-rest-api", "--rest-api-id", api.Id, "--patch-operations", "op=replace,path=/apiKeySource,value=AUTHORIZER")
	cli(nil, "update-method", "--rest-api-id", api.Id, "--resource-id", pets.Id, "--http-method", "GET",
		"--patch-operations", "op=replace,path=/apiKeyRequired,value=true")
	cli(nil, "create-deployment", "--rest-api-id", api.Id, "--stage-name", "prod", "--variables", "auth=authfn")
	waitFor(t, "the keyed deployment", func() bool { return get("GET", "Bearer allow-bob").status == 403 })
	get("GET", "Bearer key-bob").want(t, 200, "")

	// The export declares the authorizers; importing it makes an API with the same ones.
	exported := filepath.Join(t.TempDir(), "export.json")
	cli(nil, "get-export", "--rest-api-id", api.Id, "--stage-name", "prod", "--export-type", "oas30",
		"--parameters", "extensions=authorizers", "--accepts", "application/json", exported)
	body, rerr := os.ReadFile(exported)
	if rerr != nil || !strings.Contains(string(body), `"x-amazon-apigateway-authorizer"`) || !strings.Contains(string(body), `"tokens"`) {
		t.Fatalf("export: %v\n%s", rerr, body)
	}
	var copied struct{ Id string }
	cli(&copied, "import-rest-api", "--body", "fileb://"+exported)
	var copiedAuth struct {
		Items []struct {
			Name, Type, IdentitySource, IdentityValidationExpression string
		}
	}
	cli(&copiedAuth, "get-authorizers", "--rest-api-id", copied.Id)
	if len(copiedAuth.Items) != 2 {
		t.Fatalf("the imported export has authorizers %+v", copiedAuth.Items)
	}
	for _, a := range copiedAuth.Items {
		if a.Name == "tokens" && (a.Type != "TOKEN" || a.IdentitySource != "method.request.header.Authorization" ||
			a.IdentityValidationExpression != "^Bearer [a-z-]+$") {
			t.Errorf("imported TOKEN authorizer %+v", a)
		}
	}

	// An authorizer a method uses cannot be deleted.
	stderr, err := awsCLI(t, srv, nil, "apigateway", "delete-authorizer", "--rest-api-id", api.Id, "--authorizer-id", auth.Id)
	if err == nil || !strings.Contains(stderr, "ConflictException") || !strings.Contains(stderr, "Cannot delete authorizer 'tokens', is referenced in method: GET//pets") {
		t.Fatalf("delete-authorizer in use: %v\n%s", err, stderr)
	}
	cli(nil, "update-authorizer", "--rest-api-id", api.Id, "--authorizer-id", auth.Id,
		"--patch-operations", "op=replace,path=/authorizerResultTtlInSeconds,value=0")
	var got struct {
		AuthorizerResultTtlInSeconds int `json:"authorizerResultTtlInSeconds"`
	}
	cli(&got, "get-authorizer", "--rest-api-id", api.Id, "--authorizer-id", auth.Id)
	if got.AuthorizerResultTtlInSeconds != 0 {
		t.Fatalf("update-authorizer left the TTL at %d", got.AuthorizerResultTtlInSeconds)
	}
}
