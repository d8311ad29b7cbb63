package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/functions"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/observe"
	"github.com/portico/portico/internal/runtime"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/bolt"
)

const authURI = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.authFn}/invocations"

// authorizerDoc protects GET and POST /pets with a TOKEN authorizer and GET /orders with a
// REQUEST one. GET /pets answers $context.authorizer values from a MOCK template; POST /pets
// is a Lambda proxy that answers its event.
func authorizerDoc(ttl int64) *model.APIDoc {
	get := mockMethod("GET", `{"statusCode":200}`, map[string]*model.IntegrationResponse{
		"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": `$context.authorizer.principalId|$context.authorizer.tenant|$context.authorizer.admin|$context.authorizer.n`}},
	}, "200")
	get.AuthorizationType, get.AuthorizerId = "CUSTOM", "tok001"
	post := &model.Method{HttpMethod: "POST", AuthorizationType: "CUSTOM", AuthorizerId: "tok001",
		MethodIntegration: &model.Integration{Type: "AWS_PROXY", HttpMethod: "POST", TimeoutInMillis: 2000,
			Uri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/backend/invocations"}}
	orders := mockMethod("GET", `{"statusCode":200}`, map[string]*model.IntegrationResponse{
		"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": `$context.authorizer.principalId`}},
	}, "200")
	orders.AuthorizationType, orders.AuthorizerId = "CUSTOM", "req001"
	doc := newDoc(
		&model.Resource{Id: "petsid", ParentId: "rootrootid", PathPart: "pets", Path: "/pets",
			ResourceMethods: map[string]*model.Method{"GET": get, "POST": post}},
		&model.Resource{Id: "ordersid", ParentId: "rootrootid", PathPart: "orders", Path: "/orders",
			ResourceMethods: map[string]*model.Method{"GET": orders}},
	)
	zero := int64(0)
	doc.Authorizers = map[string]*model.Authorizer{
		"tok001": {Id: "tok001", Name: "tok", Type: "TOKEN", AuthorizerUri: authURI,
			IdentitySource: "method.request.header.Authorization", IdentityValidationExpression: `Bearer [a-z]+`,
			AuthorizerResultTtlInSeconds: &ttl},
		"req001": {Id: "req001", Name: "req", Type: "REQUEST", AuthorizerUri: authURI,
			IdentitySource:               "method.request.header.X-User, method.request.querystring.tenant, stageVariables.zone",
			AuthorizerResultTtlInSeconds: &zero},
	}
	return doc
}

// policyFor is an authorizer answer with one statement on resource.
func policyFor(principal, effect, resource, context string) string {
	if context == "" {
		context = "null"
	}
	return `{"principalId":"` + principal + `","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"` +
		effect + `","Resource":"` + resource + `"}]},"context":` + context + `}`
}

const petsARN = "arn:aws:execute-api:us-east-1:123456789012:" + apiID + "/prod"

// authorizerFunctions answers as the authorizer by the token it gets, and as the backend with
// the event it got.
func authorizerFunctions(calls *atomic.Int64) func(context.Context, functions.InvokeRequest) (*functions.InvokeResult, error) {
	return func(ctx context.Context, req functions.InvokeRequest) (*functions.InvokeResult, error) {
		ok := func(p string) (*functions.InvokeResult, error) {
			return &functions.InvokeResult{StatusCode: 200, Payload: []byte(p)}, nil
		}
		if req.FunctionName == "backend" {
			b, _ := json.Marshal(map[string]any{"statusCode": 200, "body": string(req.Payload)})
			return ok(string(b))
		}
		calls.Add(1)
		var ev struct {
			Type, AuthorizationToken, MethodArn string
			Headers                             map[string]string
			QueryStringParameters               map[string]string
		}
		if err := json.Unmarshal(req.Payload, &ev); err != nil {
			return nil, err
		}
		if ev.Type == "REQUEST" {
			return ok(policyFor(ev.Headers["X-User"]+"@"+ev.QueryStringParameters["tenant"], "Allow", petsARN+"/GET/orders", ""))
		}
		switch strings.TrimPrefix(ev.AuthorizationToken, "Bearer ") {
		case "alice":
			return ok(policyFor("alice", "Allow", petsARN+"/*/pets", `{"tenant":"t1","admin":true,"n":7}`))
		case "anystage":
			return ok(policyFor("any", "Allow", "arn:aws:execute-api:*:*:*/*/GET/*", `{"tenant":"t1"}`))
		case "getonly":
			return ok(policyFor("g", "Allow", petsARN+"/GET/*", ""))
		case "deny":
			return ok(`{"principalId":"d","policyDocument":{"Version":"2012-10-17","Statement":[` +
				`{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"*"},` +
				`{"Action":"execute-api:Invoke","Effect":"Deny","Resource":"` + petsARN + `/GET/pets"}]}}`)
		case "unauthorized":
			return &functions.InvokeResult{StatusCode: 200, FunctionError: "Unhandled",
				Payload: []byte(`{"errorMessage":"Unauthorized","errorType":"errorString"}`)}, nil
		case "crash":
			return &functions.InvokeResult{StatusCode: 200, FunctionError: "Unhandled",
				Payload: []byte(`{"errorMessage":"runtime error: index out of range","errorType":"runtime.Error"}`)}, nil
		case "garbage":
			return ok(`<html>`)
		case "nested":
			return ok(policyFor("n", "Allow", "*", `{"obj":{"a":1}}`))
		case "noprincipal":
			return ok(`{"policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"*"}]}}`)
		case "slow":
			<-ctx.Done()
			return nil, ctx.Err()
		case "missing":
			return nil, &functions.Error{Status: 404, Type: "ResourceNotFoundException", Message: "Function not found"}
		case "throttled":
			return nil, &functions.Error{Status: 429, Type: "TooManyRequestsException", Message: "Rate Exceeded."}
		}
		return ok(policyFor("x", "Deny", "*", ""))
	}
}

func TestLambdaAuthorizer(t *testing.T) {
	defer func(d time.Duration) { authorizerTimeout = d }(authorizerTimeout)
	authorizerTimeout = 200 * time.Millisecond
	var calls atomic.Int64
	fn := &fakeFunctions{answer: authorizerFunctions(&calls)}
	e := newEnv(t, Options{Functions: fn, AccountID: "123456789012", Region: "us-east-1"})
	e.deploy(authorizerDoc(0), "dep1", "prod", map[string]string{"authFn": "auth", "zone": "eu"})

	const (
		unauthorized = `{"message":"Unauthorized"}`
		noAllow      = `{"Message":"User is not authorized to access this resource"}`
		denied       = `{"Message":"User is not authorized to access this resource with an explicit deny"}`
		configError  = `{"message":null}`
	)
	cases := []struct {
		name, method, path, token string
		header                    map[string]string
		status                    int
		body, errorType           string
		calls                     int64
	}{
		{"allowed, context in the template", "GET", "/pets", "Bearer alice", nil, 200, "alice|t1|true|7", "", 1},
		{"missing token", "GET", "/pets", "", nil, 401, unauthorized, "UnauthorizedException", 0},
		{"empty token", "GET", "/pets", " ", nil, 401, unauthorized, "UnauthorizedException", 0},
		{"validation expression mismatch", "GET", "/pets", "Basic abc", nil, 401, unauthorized, "UnauthorizedException", 0},
		{"validation expression is anchored", "GET", "/pets", "Bearer alice; x", nil, 401, unauthorized, "UnauthorizedException", 0},
		{"explicit deny", "GET", "/pets", "Bearer deny", nil, 403, denied, "AccessDeniedException", 1},
		{"policy for another method", "POST", "/pets", "Bearer getonly", nil, 403, noAllow, "AccessDeniedException", 1},
		{"no statement applies", "GET", "/pets", "Bearer nobody", nil, 403, denied, "AccessDeniedException", 1},
		{"Unauthorized error", "GET", "/pets", "Bearer unauthorized", nil, 401, unauthorized, "UnauthorizedException", 1},
		{"authorizer crash", "GET", "/pets", "Bearer crash", nil, 500, configError, "AuthorizerConfigurationException", 1},
		{"garbage answer", "GET", "/pets", "Bearer garbage", nil, 500, configError, "AuthorizerConfigurationException", 1},
		{"context object", "GET", "/pets", "Bearer nested", nil, 500, configError, "AuthorizerConfigurationException", 1},
		{"no principalId", "GET", "/pets", "Bearer noprincipal", nil, 500, configError, "AuthorizerConfigurationException", 1},
		{"timeout", "GET", "/pets", "Bearer slow", nil, 500, configError, "AuthorizerConfigurationException", 1},
		{"function missing", "GET", "/pets", "Bearer missing", nil, 500, configError, "AuthorizerConfigurationException", 1},
		{"throttled", "GET", "/pets", "Bearer throttled", nil, 500, configError, "AuthorizerConfigurationException", 1},
		{"request authorizer", "GET", "/orders?tenant=t9", "", map[string]string{"X-User": "bob"}, 200, "bob@t9", "", 1},
		{"request source missing", "GET", "/orders", "", map[string]string{"X-User": "bob"}, 401, unauthorized, "UnauthorizedException", 0},
		{"request header missing", "GET", "/orders?tenant=t9", "", nil, 401, unauthorized, "UnauthorizedException", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hdr := map[string]string{}
			if c.token != "" {
				hdr["Authorization"] = c.token
			}
			for k, v := range c.header {
				hdr[k] = v
			}
			before := calls.Load()
			r := e.do(c.method, e.pathURL(apiID, "prod", c.path), "", nil, hdr)
			if r.status != c.status || r.body != c.body {
				t.Fatalf("got %d %s, want %d %s", r.status, r.body, c.status, c.body)
			}
			if et := r.header.Get("X-Amzn-Errortype"); et != c.errorType {
				t.Errorf("x-amzn-ErrorType %q, want %q", et, c.errorType)
			}
			if n := calls.Load() - before; n != c.calls {
				t.Errorf("%d authorizer calls, want %d", n, c.calls)
			}
		})
	}
}

func TestLambdaAuthorizerEvents(t *testing.T) {
	var calls atomic.Int64
	fn := &fakeFunctions{answer: authorizerFunctions(&calls)}
	e := newEnv(t, Options{Functions: fn, AccountID: "123456789012", Region: "us-east-1"})
	e.deploy(authorizerDoc(0), "dep1", "prod", map[string]string{"authFn": "auth", "zone": "eu"})

	// A token that tries to break out of its JSON string reaches the function verbatim.
	const injected = `Bearer alice","methodArn":"arn:aws:execute-api:*`
	r := e.do("GET", e.pathURL(apiID, "prod", "/pets"), "", nil, map[string]string{"Authorization": injected})
	if r.status != 401 {
		t.Fatalf("injected token: %d %s", r.status, r.body)
	}
	if calls.Load() != 0 {
		t.Fatal("a token failing the validation expression reached the authorizer")
	}
	doc := authorizerDoc(0)
	doc.Authorizers["tok001"].IdentityValidationExpression = ""
	e.deploy(doc, "dep2", "prod", map[string]string{"authFn": "auth", "zone": "eu"})
	r = e.do("GET", e.pathURL(apiID, "prod", "/pets"), "", nil, map[string]string{"Authorization": injected})
	if r.status != 403 {
		t.Fatalf("injected token without a validation expression: %d %s", r.status, r.body)
	}
	var ev map[string]string
	if err := json.Unmarshal(fn.last(t).Payload, &ev); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"type": "TOKEN", "authorizationToken": injected, "methodArn": petsARN + "/GET/pets"}
	if fmt.Sprint(ev) != fmt.Sprint(want) {
		t.Errorf("TOKEN event %v, want %v", ev, want)
	}
	if fn.last(t).FunctionName != "arn:aws:lambda:us-east-1:123456789012:function:auth" {
		t.Errorf("authorizer function %q", fn.last(t).FunctionName)
	}

	// REQUEST: the proxy event's request fields, no body.
	r = e.do("GET", e.pathURL(apiID, "prod", "/orders?tenant=t9"), "", strings.NewReader(""), map[string]string{"X-User": "bob"})
	if r.status != 200 {
		t.Fatalf("request authorizer: %d %s", r.status, r.body)
	}
	var rev map[string]any
	if err := json.Unmarshal(fn.last(t).Payload, &rev); err != nil {
		t.Fatal(err)
	}
	if rev["type"] != "REQUEST" || rev["methodArn"] != petsARN+"/GET/orders" || rev["resource"] != "/orders" ||
		rev["httpMethod"] != "GET" || rev["stageVariables"].(map[string]any)["zone"] != "eu" {
		t.Errorf("REQUEST event %v", rev)
	}
	if _, ok := rev["body"]; ok {
		t.Error("REQUEST event carries a body")
	}

	// The proxy event of the protected method carries the authorizer's answer.
	r = e.do("POST", e.pathURL(apiID, "prod", "/pets"), "", strings.NewReader("{}"), map[string]string{"Authorization": "Bearer alice"})
	if r.status != 200 {
		t.Fatalf("proxy: %d %s", r.status, r.body)
	}
	var pev struct {
		RequestContext struct {
			Authorizer map[string]any `json:"authorizer"`
		} `json:"requestContext"`
	}
	if err := json.Unmarshal([]byte(r.body), &pev); err != nil {
		t.Fatalf("proxy event %s: %v", r.body, err)
	}
	a := pev.RequestContext.Authorizer
	if a["principalId"] != "alice" || a["tenant"] != "t1" || a["admin"] != "true" || a["n"] != "7" {
		t.Errorf("requestContext.authorizer %v", a)
	}
	if _, ok := a["integrationLatency"].(float64); !ok {
		t.Errorf("requestContext.authorizer.integrationLatency %v", a["integrationLatency"])
	}
}

func TestLambdaAuthorizerCache(t *testing.T) {
	var calls atomic.Int64
	fn := &fakeFunctions{answer: authorizerFunctions(&calls)}
	e := newEnv(t, Options{Functions: fn, AccountID: "123456789012", Region: "us-east-1"})
	e.deploy(authorizerDoc(300), "dep1", "prod", map[string]string{"authFn": "auth", "zone": "eu"})
	alice := map[string]string{"Authorization": "Bearer alice"}
	for range 20 {
		if r := e.do("GET", e.pathURL(apiID, "prod", "/pets"), "", nil, alice); r.status != 200 {
			t.Fatalf("GET: %d %s", r.status, r.body)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("20 requests with one token made %d authorizer calls, want 1", n)
	}
	// The cached policy serves another method it allows, without a call.
	if r := e.do("POST", e.pathURL(apiID, "prod", "/pets"), "", strings.NewReader("{}"), alice); r.status != 200 {
		t.Fatalf("POST: %d %s", r.status, r.body)
	}
	// A cached policy is evaluated for each method: GET-only refuses POST from the cache.
	getonly := map[string]string{"Authorization": "Bearer getonly"}
	e.do("GET", e.pathURL(apiID, "prod", "/pets"), "", nil, getonly)
	if r := e.do("POST", e.pathURL(apiID, "prod", "/pets"), "", strings.NewReader("{}"), getonly); r.status != 403 {
		t.Fatalf("POST with a GET-only policy: %d %s", r.status, r.body)
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("%d authorizer calls, want 2", n)
	}
	// FlushStageAuthorizersCache forgets the stage's results.
	e.gw.FlushStageAuthorizersCache(apiID, "prod")
	e.do("GET", e.pathURL(apiID, "prod", "/pets"), "", nil, alice)
	if n := calls.Load(); n != 3 {
		t.Fatalf("%d authorizer calls after a flush, want 3", n)
	}
	// A redeploy compiles new authorizers: their results start afresh.
	e.deploy(authorizerDoc(300), "dep2", "prod", map[string]string{"authFn": "auth", "zone": "eu"})
	e.do("GET", e.pathURL(apiID, "prod", "/pets"), "", nil, alice)
	if n := calls.Load(); n != 4 {
		t.Fatalf("%d authorizer calls after a redeploy, want 4", n)
	}
}

func TestAuthCacheBounded(t *testing.T) {
	var c authCache
	a := &authorizerForTest
	now := time.Now()
	res := &authorization{principalID: "p"}
	for i := range authCacheShards * authCacheShardSize * 2 {
		c.put(a, fmt.Sprint("token-", i), res, now.Add(time.Hour))
	}
	if n := cachedResults(&c); n > authCacheShards*authCacheShardSize {
		t.Fatalf("%d results kept, bound is %d", n, authCacheShards*authCacheShardSize)
	}
	if c.get(a, "token-"+fmt.Sprint(authCacheShards*authCacheShardSize*2-1), now) == nil {
		t.Error("the newest result was evicted")
	}
	if c.get(a, "token-1", now.Add(2*time.Hour)) != nil {
		t.Error("an expired result was served")
	}
}

var authorizerForTest = runtime.Authorizer{ID: "a", TTL: time.Hour}

// withTokenAuthorizer gives doc a TOKEN authorizer on the Authorization header and makes every
// CUSTOM method use it.
func withTokenAuthorizer(doc *model.APIDoc) *model.APIDoc {
	doc.Authorizers = map[string]*model.Authorizer{"tok001": {Id: "tok001", Name: "tok", Type: "TOKEN",
		AuthorizerUri:  "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/auth/invocations",
		IdentitySource: "method.request.header.Authorization"}}
	for _, r := range doc.Resources {
		for _, m := range r.ResourceMethods {
			if m.AuthorizationType == "CUSTOM" {
				m.AuthorizerId = "tok001"
			}
		}
	}
	return doc
}

// The resource policy and the authorizer's policy combine as AWS's same-account table says: an
// Allow in either suffices, a Deny in either refuses.
func TestLambdaAuthorizerWithResourcePolicy(t *testing.T) {
	var calls atomic.Int64
	fn := &fakeFunctions{answer: authorizerFunctions(&calls)}
	e := newEnv(t, Options{Functions: fn, AccountID: "123456789012", Region: "us-east-1"})
	doc := authorizerDoc(0)
	doc.RestApi.Policy = `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*/POST/pets"}]}`
	e.deploy(doc, "dep1", "prod", map[string]string{"authFn": "auth", "zone": "eu"})
	getonly := map[string]string{"Authorization": "Bearer getonly"}
	// Authorizer silent on POST, resource policy allows: allowed.
	if r := e.do("POST", e.pathURL(apiID, "prod", "/pets"), "", strings.NewReader("{}"), getonly); r.status != 200 {
		t.Fatalf("POST allowed by the resource policy: %d %s", r.status, r.body)
	}
	// Authorizer allows GET, resource policy silent: allowed.
	if r := e.do("GET", e.pathURL(apiID, "prod", "/pets"), "", nil, getonly); r.status != 200 {
		t.Fatalf("GET allowed by the authorizer: %d %s", r.status, r.body)
	}
	// Resource policy allows POST, authorizer denies everything: refused.
	r := e.do("POST", e.pathURL(apiID, "prod", "/pets"), "", strings.NewReader("{}"), map[string]string{"Authorization": "Bearer nobody"})
	if r.status != 403 || !strings.Contains(r.body, "explicit deny") {
		t.Fatalf("POST denied by the authorizer: %d %s", r.status, r.body)
	}
}

func FuzzAuthorizerOutput(f *testing.F) {
	for _, s := range []string{policyFor("p", "Allow", "*", `{"a":"b","n":1,"t":true}`), `{}`, `null`, `"x"`, `[]`,
		`{"principalId":"p","policyDocument":"{}"}`, `{"principalId":1}`,
		`{"principalId":"p","policyDocument":{"Statement":[{"Effect":"Allow","Action":["execute-api:Invoke"],"Resource":["*"]}]},"context":{"o":{}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		out, err := parseAuthorizerOutput(payload)
		if err == nil && out.policy == nil {
			t.Fatalf("%q: accepted without a policy", payload)
		}
	})
}

// benchAuthorizerGateway deploys authorizerDoc with the given authorization on GET /pets and
// returns a request for it with a token the fake authorizer allows.
func benchAuthorizerGateway(b *testing.B, authType string) (*Gateway, func() *http.Request) {
	st, err := bolt.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	doc := authorizerDoc(300)
	doc.Resources["petsid"].ResourceMethods["GET"].AuthorizationType = authType
	err = st.Update(func(tx store.Tx) error {
		tx.Put(store.KindRestAPI, apiID, doc)
		tx.Put(store.KindDeployment, store.Key(apiID, "dep001"), model.DeploymentRecord{
			Deployment: model.Deployment{Id: "dep001"}, APIID: apiID, Snapshot: doc})
		return tx.Put(store.KindStage, store.Key(apiID, "prod"), model.StageRecord{APIID: apiID,
			Stage: model.Stage{StageName: "prod", DeploymentId: "dep001", Variables: map[string]string{"authFn": "auth"}}})
	})
	if err != nil {
		b.Fatal(err)
	}
	var calls atomic.Int64
	gw, err := New(st, Options{Logger: slog.New(slog.DiscardHandler), AccountID: "123456789012", Region: "us-east-1",
		Functions: &fakeFunctions{answer: authorizerFunctions(&calls)}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { gw.Close() })
	req := func() *http.Request {
		r := httptest.NewRequest("GET", "http://"+apiID+".execute-api.localhost/prod/pets", nil)
		r.Header.Set("Authorization", "Bearer getonly")
		return r
	}
	return gw, req
}

// BenchmarkLambdaAuthorizerCached measures a MOCK method behind a TOKEN authorizer whose
// result is cached, against the same method without authorization: the difference is what a
// cached decision costs (identity value, cache lookup, method ARN, policy evaluation).
func BenchmarkLambdaAuthorizerCached(b *testing.B) {
	for _, c := range []struct{ name, authType string }{{"none", "NONE"}, {"cached", "CUSTOM"}} {
		b.Run(c.name, func(b *testing.B) {
			gw, req := benchAuthorizerGateway(b, c.authType)
			w := httptest.NewRecorder()
			gw.ServeHTTP(w, req()) // fills the cache
			if w.Code != 200 {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				w := httptest.NewRecorder()
				gw.ServeHTTP(w, req())
				if w.Code != 200 {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}

// BenchmarkLambdaAuthorizerDecision measures the authorization phase alone for a cached TOKEN
// result: the identity value, the cache lookup, the method ARN and the policy evaluation.
func BenchmarkLambdaAuthorizerDecision(b *testing.B) {
	gw, req := benchAuthorizerGateway(b, "CUSTOM")
	w := httptest.NewRecorder()
	gw.ServeHTTP(w, req()) // fills the cache
	rc := newRequest(w, req())
	defer rc.release()
	if err := gw.resolveStage(rc); err != nil {
		b.Fatal(err)
	}
	if err := gw.matchRoute(rc); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		rc.auth = nil
		if err := gw.checkAccess(rc); err != nil {
			b.Fatal(err)
		}
	}
}

func TestTestInvokeAuthorizer(t *testing.T) {
	var calls atomic.Int64
	fn := &fakeFunctions{answer: authorizerFunctions(&calls)}
	e := newEnv(t, Options{Functions: fn, AccountID: "123456789012", Region: "us-east-1"})
	doc := authorizerDoc(300)
	vars := map[string]string{"authFn": "auth", "zone": "eu"}
	cases := []struct {
		name, authorizer, token string
		header                  map[string]string
		status                  int
		principal               string
	}{
		{"allowed", "tok001", "Bearer anystage", nil, 200, "any"},
		{"policy for another stage", "tok001", "Bearer alice", nil, 403, "alice"},
		{"denied", "tok001", "Bearer nobody", nil, 403, "x"},
		{"missing token", "tok001", "", nil, 401, ""},
		{"unauthorized", "tok001", "Bearer unauthorized", nil, 401, ""},
		{"crash", "tok001", "Bearer crash", nil, 500, ""},
		{"request", "req001", "", map[string]string{"X-User": "bob"}, 403, "bob@t9"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hdr := map[string]string{}
			if c.token != "" {
				hdr["Authorization"] = c.token
			}
			for k, v := range c.header {
				hdr[k] = v
			}
			out, err := e.gw.TestInvokeAuthorizer(context.Background(), doc.Clone(), c.authorizer, &model.TestInvokeAuthorizerRequest{
				Headers: hdr, PathWithQueryString: "/pets?tenant=t9", StageVariables: vars})
			if err != nil {
				t.Fatal(err)
			}
			if out.ClientStatus != c.status || out.PrincipalId != c.principal {
				t.Fatalf("got %d %q, want %d %q\n%s", out.ClientStatus, out.PrincipalId, c.status, c.principal, out.Log)
			}
			if !strings.HasPrefix(out.Log, "Execution log for request ") {
				t.Errorf("log %q", out.Log)
			}
			if c.status == 200 && (!strings.Contains(out.Policy, `"Effect":"Allow"`) || out.Authorization["tenant"][0] != "t1") {
				t.Errorf("policy %s, authorization %v", out.Policy, out.Authorization)
			}
		})
	}
	if _, err := e.gw.TestInvokeAuthorizer(context.Background(), doc, "nope", &model.TestInvokeAuthorizerRequest{}); err == nil {
		t.Error("an unknown authorizer was tried")
	}
}

// context.authorizer.x mapping expressions read the authorizer's answer: here into the headers
// of an HTTP_PROXY call.
func TestLambdaAuthorizerParameterMapping(t *testing.T) {
	got := make(chan http.Header, 1)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Clone()
	}))
	defer backend.Close()
	var calls atomic.Int64
	fn := &fakeFunctions{answer: authorizerFunctions(&calls)}
	e := newEnv(t, Options{Functions: fn, AccountID: "123456789012", Region: "us-east-1"})
	doc := authorizerDoc(300)
	m := proxyMethod("GET", "GET", backend.URL+"/", map[string]string{
		"integration.request.header.X-Principal": "context.authorizer.principalId",
		"integration.request.header.X-Tenant":    "context.authorizer.tenant",
	}, 0)
	m.AuthorizationType, m.AuthorizerId = "CUSTOM", "tok001"
	doc.Resources["mapid"] = &model.Resource{Id: "mapid", ParentId: "rootrootid", PathPart: "mapped", Path: "/mapped",
		ResourceMethods: map[string]*model.Method{"GET": m}}
	e.deploy(doc, "dep1", "prod", map[string]string{"authFn": "auth"})
	r := e.do("GET", e.pathURL(apiID, "prod", "/mapped"), "", nil, map[string]string{"Authorization": "Bearer anystage"})
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	h := <-got
	if h.Get("X-Principal") != "any" || h.Get("X-Tenant") != "t1" {
		t.Errorf("mapped headers %v", h)
	}
}

// A result is used until its TTL passes, and not after.
func TestLambdaAuthorizerCacheExpires(t *testing.T) {
	var calls atomic.Int64
	fn := &fakeFunctions{answer: authorizerFunctions(&calls)}
	e := newEnv(t, Options{Functions: fn, AccountID: "123456789012", Region: "us-east-1"})
	const ttl = 2 * time.Second
	e.deploy(authorizerDoc(int64(ttl/time.Second)), "dep1", "prod", map[string]string{"authFn": "auth"})
	alice := map[string]string{"Authorization": "Bearer alice"}
	first := time.Now()
	e.do("GET", e.pathURL(apiID, "prod", "/pets"), "", nil, alice)
	e.waitFor(func() bool {
		e.do("GET", e.pathURL(apiID, "prod", "/pets"), "", nil, alice)
		return calls.Load() == 2
	})
	if elapsed := time.Since(first); elapsed < ttl {
		t.Fatalf("the authorizer was called again after %v, before its TTL of %v", elapsed, ttl)
	}
}

// The events an authorizer function gets, key for key: TOKEN, REQUEST, and the proxy event of
// a method behind an authorizer (requestContext.authorizer).
func TestLambdaAuthorizerEventGolden(t *testing.T) {
	var calls atomic.Int64
	fn := &fakeFunctions{answer: authorizerFunctions(&calls)}
	e := newEnv(t, Options{Functions: fn, AccountID: "123456789012", Region: "us-east-1"})
	e.deploy(authorizerDoc(0), "dep1", "prod", map[string]string{"authFn": "auth", "zone": "eu"})
	base := map[string]string{"User-Agent": "test/1.0", "X-Amzn-Trace-Id": "Root=1-00000000-000000000000000000000000"}
	with := func(kv ...string) map[string]string {
		h := map[string]string{}
		for k, v := range base {
			h[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			h[kv[i]] = kv[i+1]
		}
		return h
	}
	lastAuthorizerEvent := func() []byte {
		fn.mu.Lock()
		defer fn.mu.Unlock()
		for i := len(fn.reqs) - 1; i >= 0; i-- {
			if fn.reqs[i].FunctionName != "backend" {
				return fn.reqs[i].Payload
			}
		}
		t.Fatal("the authorizer was not invoked")
		return nil
	}
	e.do("GET", e.pathURL(apiID, "prod", "/pets"), "", nil, with("Authorization", "Bearer alice"))
	compareGolden(t, "testdata/authorizer/token_event.json", normaliseEvent(t, lastAuthorizerEvent()))
	e.do("GET", e.pathURL(apiID, "prod", "/orders?tenant=t9&tenant=t10"), "", nil, with("X-User", "bob"))
	compareGolden(t, "testdata/authorizer/request_event.json", normaliseEvent(t, lastAuthorizerEvent()))
	r := e.do("POST", e.pathURL(apiID, "prod", "/pets"), "", strings.NewReader(`{"a":1}`),
		with("Authorization", "Bearer alice", "Content-Type", "application/json"))
	if r.status != 200 {
		t.Fatalf("proxy: %d %s", r.status, r.body)
	}
	compareGolden(t, "testdata/authorizer/proxy_event.json",
		regexp.MustCompile(`("integrationLatency": )\d+`).ReplaceAllString(normaliseEvent(t, []byte(r.body)), `$1"…"`))
}

// The access log's $context.authorizer.* variables: the phase's status, error and latencies,
// and what the authorizer answered.
func TestLambdaAuthorizerAccessLog(t *testing.T) {
	out := &syncBuffer{}
	sinks := observe.NewSinks(observe.SinkOptions{Default: out})
	t.Cleanup(func() { sinks.Close() })
	var calls atomic.Int64
	fn := &fakeFunctions{answer: authorizerFunctions(&calls)}
	e := newEnv(t, Options{Functions: fn, AccountID: "123456789012", Region: "us-east-1", AccessLogs: sinks})
	doc := authorizerDoc(300)
	e.deploy(doc, "dep1", "prod", map[string]string{"authFn": "auth"})
	e.setStage(apiID, "prod", func(s *model.Stage) {
		s.AccessLogSettings = &model.AccessLogSettings{Format: `$context.requestId status=$context.authorizer.status ` +
			`int=$context.authorizer.integrationStatus principal=$context.authorizer.principalId tenant=$context.authorizer.tenant ` +
			`error="$context.authorizer.error" latency=$context.authorizer.latency`}
	})
	line := func(token string) string {
		r := e.do("GET", e.pathURL(apiID, "prod", "/pets"), "", nil, map[string]string{"Authorization": token})
		id := r.header.Get("X-Amzn-Requestid")
		var got string
		e.waitFor(func() bool {
			for _, l := range strings.Split(out.String(), "\n") {
				if strings.HasPrefix(l, id) {
					got = strings.TrimPrefix(l, id+" ")
					return true
				}
			}
			return false
		})
		return regexp.MustCompile(`latency=\d+$`).ReplaceAllString(got, "latency=N")
	}
	for _, c := range []struct{ token, want string }{
		{"Bearer alice", `status=200 int=200 principal=alice tenant=t1 error="-" latency=N`},
		{"Bearer alice", `status=200 int=- principal=alice tenant=t1 error="-" latency=N`},
		{"Bearer deny", `status=403 int=200 principal=- tenant=- error="User is not authorized to access this resource with an explicit deny" latency=N`},
		{"", `status=401 int=- principal=- tenant=- error="-" latency=N`},
		{"Bearer garbage", `status=500 int=200 principal=- tenant=- error="execution failed due to configuration error: invalid authorizer output" latency=N`},
	} {
		if got := line(c.token); got != c.want {
			t.Errorf("%q: got  %s\nwant %s", c.token, got, c.want)
		}
	}
}

// The authorizer's answers are gateway responses an API can customise.
func TestLambdaAuthorizerGatewayResponses(t *testing.T) {
	var calls atomic.Int64
	fn := &fakeFunctions{answer: authorizerFunctions(&calls)}
	e := newEnv(t, Options{Functions: fn, AccountID: "123456789012", Region: "us-east-1"})
	doc := authorizerDoc(0)
	doc.GatewayResponses = map[string]*model.GatewayResponse{
		"UNAUTHORIZED": {ResponseType: "UNAUTHORIZED", StatusCode: "401",
			ResponseParameters: map[string]string{"gatewayresponse.header.WWW-Authenticate": "'Bearer'"},
			ResponseTemplates:  map[string]string{"application/json": `{"error":$context.error.messageString,"type":"$context.error.responseType"}`}},
		"AUTHORIZER_CONFIGURATION_ERROR": {ResponseType: "AUTHORIZER_CONFIGURATION_ERROR", StatusCode: "503",
			ResponseTemplates: map[string]string{"application/json": `{"error":"$context.error.responseType"}`}},
		"ACCESS_DENIED": {ResponseType: "ACCESS_DENIED", StatusCode: "403",
			ResponseTemplates: map[string]string{"application/json": `{"denied":$context.error.messageString}`}},
	}
	e.deploy(doc, "dep1", "prod", map[string]string{"authFn": "auth"})
	for _, c := range []struct {
		token, body, header string
		status              int
	}{
		{"", `{"error":"Unauthorized","type":"UNAUTHORIZED"}`, "Bearer", 401},
		{"Bearer crash", `{"error":"AUTHORIZER_CONFIGURATION_ERROR"}`, "", 503},
		{"Bearer deny", `{"denied":"User is not authorized to access this resource with an explicit deny"}`, "", 403},
	} {
		hdr := map[string]string{}
		if c.token != "" {
			hdr["Authorization"] = c.token
		}
		r := e.do("GET", e.pathURL(apiID, "prod", "/pets"), "", nil, hdr)
		if r.status != c.status || r.body != c.body || r.header.Get("Www-Authenticate") != c.header {
			t.Errorf("%q: got %d %s %q", c.token, r.status, r.body, r.header.Get("Www-Authenticate"))
		}
	}
}

// cachedResults counts the results c keeps.
func cachedResults(c *authCache) int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}
