package gateway

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/portico/portico/internal/auth/oidc"
	"github.com/portico/portico/internal/auth/oidc/oidctest"
	"github.com/portico/portico/internal/functions"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/observe"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/bolt"
)

const poolARN = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_TestPool"

// cognitoDoc protects /me (GET: a MOCK answering claims from its template; POST: a Lambda
// proxy answering its event) and GET /admin (scope pets/admin) with one COGNITO_USER_POOLS
// authorizer.
func cognitoDoc(validation string) *model.APIDoc {
	me := mockMethod("GET", `{"statusCode":200}`, map[string]*model.IntegrationResponse{
		"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": `$context.authorizer.claims.email|$context.authorizer.claims.get('cognito:username')|$context.authorizer.claims.token_use`}},
	}, "200")
	me.AuthorizationType, me.AuthorizerId = "COGNITO_USER_POOLS", "cog001"
	post := &model.Method{HttpMethod: "POST", AuthorizationType: "COGNITO_USER_POOLS", AuthorizerId: "cog001",
		MethodIntegration: &model.Integration{Type: "AWS_PROXY", HttpMethod: "POST", TimeoutInMillis: 2000,
			Uri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/backend/invocations"}}
	admin := mockMethod("GET", `{"statusCode":200}`, map[string]*model.IntegrationResponse{
		"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": `$context.authorizer.claims.scope`}},
	}, "200")
	admin.AuthorizationType, admin.AuthorizerId = "COGNITO_USER_POOLS", "cog001"
	admin.AuthorizationScopes = []string{"pets/admin", "pets/root"}
	doc := newDoc(
		&model.Resource{Id: "meid", ParentId: "rootrootid", PathPart: "me", Path: "/me",
			ResourceMethods: map[string]*model.Method{"GET": me, "POST": post}},
		&model.Resource{Id: "adminid", ParentId: "rootrootid", PathPart: "admin", Path: "/admin",
			ResourceMethods: map[string]*model.Method{"GET": admin}},
	)
	doc.Authorizers = map[string]*model.Authorizer{
		"cog001": {Id: "cog001", Name: "pool", Type: "COGNITO_USER_POOLS", ProviderARNs: []string{poolARN},
			IdentitySource: "method.request.header.Authorization", IdentityValidationExpression: validation},
	}
	return doc
}

func cognitoEnv(t *testing.T, is *oidctest.Issuer, validation string) *env {
	echo := &fakeFunctions{answer: func(ctx context.Context, req functions.InvokeRequest) (*functions.InvokeResult, error) {
		b, _ := json.Marshal(map[string]any{"statusCode": 200, "body": string(req.Payload)})
		return &functions.InvokeResult{StatusCode: 200, Payload: b}, nil
	}}
	tokens := oidc.NewVerifier(oidc.Config{Pools: map[string]oidc.Pool{poolARN: {Issuer: is.URL}}})
	e := newEnv(t, Options{Functions: echo, Tokens: tokens, AccountID: "123456789012", Region: "us-east-1"})
	e.deploy(cognitoDoc(validation), "dep1", "prod", nil)
	return e
}

func TestCognitoAuthorizer(t *testing.T) {
	is := oidctest.NewIssuer(t)
	k := is.Keys()[0]
	e := cognitoEnv(t, is, "")
	id := is.Sign(k, is.Claims("id", "app-1"))
	access := is.Sign(k, is.Claims("access", "app-1", "openid", "pets/root"))
	noScope := is.Sign(k, is.Claims("access", "app-1", "openid"))
	expiredClaims := is.Claims("id", "app-1")
	expiredClaims["exp"] = time.Now().Add(-time.Hour).Unix()
	otherIssuer := oidctest.NewIssuer(t)

	const unauthorized = `{"message":"Unauthorized"}`
	cases := []struct {
		name, method, path, auth string
		status                   int
		body, errorType          string
	}{
		{"ID token", "GET", "/me", id, 200, "alice@example.com|alice|id", ""},
		{"Bearer ID token", "GET", "/me", "Bearer " + id, 200, "alice@example.com|alice|id", ""},
		{"lower-case bearer", "GET", "/me", "bearer " + id, 200, "alice@example.com|alice|id", ""},
		{"access token with a method scope", "GET", "/admin", access, 200, "openid pets/root", ""},
		{"no token", "GET", "/me", "", 401, unauthorized, "UnauthorizedException"},
		{"Bearer alone", "GET", "/me", "Bearer ", 401, unauthorized, "UnauthorizedException"},
		{"expired", "GET", "/me", is.Sign(k, expiredClaims), 401, unauthorized, "UnauthorizedException"},
		{"another issuer", "GET", "/me", otherIssuer.Sign(otherIssuer.Keys()[0], otherIssuer.Claims("id", "app-1")), 401, unauthorized, "UnauthorizedException"},
		{"access token without scopes on the method", "GET", "/me", access, 401, unauthorized, "UnauthorizedException"},
		{"ID token where scopes are needed", "GET", "/admin", id, 401, unauthorized, "UnauthorizedException"},
		{"missing scope", "GET", "/admin", noScope, 401, unauthorized, "UnauthorizedException"},
		{"tampered", "GET", "/me", id[:len(id)-8] + "AAAAAAAA", 401, unauthorized, "UnauthorizedException"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hdr := map[string]string{}
			if c.auth != "" {
				hdr["Authorization"] = c.auth
			}
			r := e.do(c.method, e.pathURL(apiID, "prod", c.path), "", nil, hdr)
			if r.status != c.status || r.body != c.body {
				t.Fatalf("got %d %s, want %d %s", r.status, r.body, c.status, c.body)
			}
			if et := r.header.Get("X-Amzn-Errortype"); et != c.errorType {
				t.Errorf("x-amzn-ErrorType %q, want %q", et, c.errorType)
			}
		})
	}

	// The proxy event carries the claims as REST APIs show them.
	r := e.do("POST", e.pathURL(apiID, "prod", "/me"), "", nil, map[string]string{"Authorization": id})
	if r.status != 200 {
		t.Fatalf("proxy: %d %s", r.status, r.body)
	}
	var ev struct {
		RequestContext struct {
			Authorizer struct {
				Claims map[string]string `json:"claims"`
				Scopes []string          `json:"scopes"`
			} `json:"authorizer"`
		} `json:"requestContext"`
	}
	if err := json.Unmarshal([]byte(r.body), &ev); err != nil {
		t.Fatalf("event %s: %v", r.body, err)
	}
	got := ev.RequestContext.Authorizer.Claims
	if got["cognito:username"] != "alice" || got["cognito:groups"] != "admins,readers" || got["email_verified"] != "true" ||
		got["iss"] != is.URL || len(got["exp"]) != len("Mon Jan 02 15:04:05 UTC 2006") {
		t.Errorf("claims in the event: %v", got)
	}
}

func TestCognitoAuthorizerFailures(t *testing.T) {
	is := oidctest.NewIssuer(t)
	k := is.Keys()[0]

	// identityValidationExpression is matched against the ID token's aud.
	e := cognitoEnv(t, is, "app-[0-9]+")
	if r := e.do("GET", e.pathURL(apiID, "prod", "/me"), "", nil, map[string]string{"Authorization": is.Sign(k, is.Claims("id", "app-7"))}); r.status != 200 {
		t.Fatalf("matching aud: %d %s", r.status, r.body)
	}
	if r := e.do("GET", e.pathURL(apiID, "prod", "/me"), "", nil, map[string]string{"Authorization": is.Sign(k, is.Claims("id", "web-7"))}); r.status != 401 {
		t.Fatalf("aud not matching: %d %s", r.status, r.body)
	}

	// Keys that cannot be fetched: 500 AUTHORIZER_FAILURE, never an answer from the backend.
	down := oidctest.NewIssuer(t)
	down.SetDown(true)
	e = cognitoEnv(t, down, "")
	r := e.do("GET", e.pathURL(apiID, "prod", "/me"), "", nil, map[string]string{"Authorization": down.Sign(down.Keys()[0], down.Claims("id", "a"))})
	if r.status != 500 || r.body != `{"message":null}` || r.header.Get("X-Amzn-Errortype") != "AuthorizerConfigurationException" {
		t.Fatalf("keys unreachable: %d %s %v", r.status, r.body, r.header)
	}

	// A provider that names no issuer: 500 AUTHORIZER_CONFIGURATION_ERROR.
	doc := cognitoDoc("")
	doc.Authorizers["cog001"].ProviderARNs = []string{"arn:aws:lambda:us-east-1:123456789012:function:f"}
	e.deploy(doc, "dep2", "prod", nil)
	r = e.do("GET", e.pathURL(apiID, "prod", "/me"), "", nil, map[string]string{"Authorization": is.Sign(k, is.Claims("id", "a"))})
	if r.status != 500 || r.body != `{"message":null}` {
		t.Fatalf("bad provider: %d %s", r.status, r.body)
	}
}

// BenchmarkCognitoMethod measures a whole call of a COGNITO_USER_POOLS method (GET /me, a MOCK
// answering two claims from its template) through ServeHTTP, the client repeating its token;
// BenchmarkCognitoMethodUnauthorized one refused for a missing token.
func BenchmarkCognitoMethod(b *testing.B)             { benchCognito(b, true) }
func BenchmarkCognitoMethodUnauthorized(b *testing.B) { benchCognito(b, false) }

func benchCognito(b *testing.B, withToken bool) {
	is := oidctest.NewIssuer(b)
	st, err := bolt.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	doc := cognitoDoc("")
	err = st.Update(func(tx store.Tx) error {
		tx.Put(store.KindRestAPI, apiID, doc)
		tx.Put(store.KindDeployment, store.Key(apiID, "dep001"), model.DeploymentRecord{
			Deployment: model.Deployment{Id: "dep001"}, APIID: apiID, Snapshot: doc})
		return tx.Put(store.KindStage, store.Key(apiID, "prod"), model.StageRecord{APIID: apiID,
			Stage: model.Stage{StageName: "prod", DeploymentId: "dep001"}})
	})
	if err != nil {
		b.Fatal(err)
	}
	tokens := oidc.NewVerifier(oidc.Config{Pools: map[string]oidc.Pool{poolARN: {Issuer: is.URL}}})
	gw, err := New(st, Options{Tokens: tokens, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { gw.Close() })
	token := is.Sign(is.Keys()[0], is.Claims("id", "app-1"))
	want := http.StatusOK
	if !withToken {
		token, want = "", http.StatusUnauthorized
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest("GET", "http://"+apiID+".execute-api.localhost/prod/me", nil)
		if token != "" {
			req.Header.Set("Authorization", token)
		}
		w := httptest.NewRecorder()
		gw.ServeHTTP(w, req)
		if w.Code != want {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// withCognitoAuthorizer gives doc's COGNITO_USER_POOLS methods an authorizer of poolARN.
func withCognitoAuthorizer(doc *model.APIDoc) {
	if doc.Authorizers == nil {
		doc.Authorizers = map[string]*model.Authorizer{}
	}
	doc.Authorizers["cog001"] = &model.Authorizer{Id: "cog001", Name: "pool", Type: "COGNITO_USER_POOLS",
		ProviderARNs: []string{poolARN}, IdentitySource: "method.request.header.Authorization"}
	for _, r := range doc.Resources {
		for _, m := range r.ResourceMethods {
			if m.AuthorizationType == "COGNITO_USER_POOLS" {
				m.AuthorizerId = "cog001"
			}
		}
	}
}

// TestCognitoPoolFromStageVariable: providerARNs may name the pool with a stage variable.
func TestCognitoPoolFromStageVariable(t *testing.T) {
	is := oidctest.NewIssuer(t)
	tokens := oidc.NewVerifier(oidc.Config{Pools: map[string]oidc.Pool{poolARN: {Issuer: is.URL}}})
	e := newEnv(t, Options{Tokens: tokens})
	doc := cognitoDoc("")
	doc.Authorizers["cog001"].ProviderARNs = []string{"arn:aws:cognito-idp:us-east-1:123456789012:userpool/${stageVariables.pool}"}
	e.deploy(doc, "dep1", "prod", map[string]string{"pool": "us-east-1_TestPool"})
	r := e.do("GET", e.pathURL(apiID, "prod", "/me"), "", nil, map[string]string{"Authorization": is.Sign(is.Keys()[0], is.Claims("id", "a"))})
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	// A stage without the variable cannot run the authorizer.
	e.deploy(doc, "dep2", "prod", map[string]string{"other": "x"})
	r = e.do("GET", e.pathURL(apiID, "prod", "/me"), "", nil, map[string]string{"Authorization": is.Sign(is.Keys()[0], is.Claims("id", "a"))})
	if r.status != 500 || r.body != `{"message":null}` {
		t.Fatalf("undefined stage variable: %d %s", r.status, r.body)
	}
}

// TestCognitoTestInvokeAuthorizer: TestInvokeAuthorizer tries a COGNITO_USER_POOLS authorizer
// with an ID token from the request's headers.
func TestCognitoTestInvokeAuthorizer(t *testing.T) {
	is := oidctest.NewIssuer(t)
	e := cognitoEnv(t, is, "")
	doc := cognitoDoc("")
	ctx := context.Background()
	k := is.Keys()[0]
	for _, c := range []struct {
		name    string
		headers map[string]string
		status  int
	}{
		{"ID token", map[string]string{"authorization": "Bearer " + is.Sign(k, is.Claims("id", "app-1"))}, 200},
		{"no header", nil, 401},
		{"access token", map[string]string{"Authorization": is.Sign(k, is.Claims("access", "app-1", "s"))}, 401},
		{"garbage", map[string]string{"Authorization": "x.y.z"}, 401},
	} {
		res, err := e.gw.TestInvokeAuthorizer(ctx, doc, "cog001", &model.TestInvokeAuthorizerRequest{Headers: c.headers})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if res.ClientStatus != c.status || (c.status == 200) != (res.Claims["email"] == "alice@example.com") || res.Log == "" {
			t.Errorf("%s: %+v", c.name, res)
		}
	}
}

// TestCognitoAccessLog: the access log's $context.authorizer.claims.x are the token's claims.
func TestCognitoAccessLog(t *testing.T) {
	is := oidctest.NewIssuer(t)
	out := &syncBuffer{}
	sinks := observe.NewSinks(observe.SinkOptions{Default: out})
	t.Cleanup(func() { sinks.Close() })
	tokens := oidc.NewVerifier(oidc.Config{Pools: map[string]oidc.Pool{poolARN: {Issuer: is.URL}}})
	e := newEnv(t, Options{Tokens: tokens, AccessLogs: sinks, Metrics: observe.NewMetrics(sinks)})
	e.deploy(cognitoDoc(""), "dep1", "prod", nil)
	e.setStage(apiID, "prod", func(s *model.Stage) {
		s.AccessLogSettings = &model.AccessLogSettings{Format: `$context.status $context.authorizer.claims.sub $context.authorizer.claims.email $context.authorizer.principalId`}
	})
	e.do("GET", e.pathURL(apiID, "prod", "/me"), "", nil, map[string]string{"Authorization": is.Sign(is.Keys()[0], is.Claims("id", "a"))})
	e.do("GET", e.pathURL(apiID, "prod", "/me"), "", nil, nil)
	want := "200 2f1d3c1e-8a3b-4f6e-9d2a-000000000001 alice@example.com -\n401 - - -\n"
	e.waitFor(func() bool { return out.String() == want })
}
