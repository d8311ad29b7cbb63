package compile

import (
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/runtime"
)

func TestCompileAuthorizer(t *testing.T) {
	const uri = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.fn}/invocations"
	ttl := func(n int64) *int64 { return &n }
	vars := map[string]string{"fn": "auth", "zone": "eu"}
	cases := []struct {
		name     string
		a        model.Authorizer
		function string
		ttl      time.Duration
		sources  []runtime.SourceKind
		err      string
	}{
		{name: "token", a: model.Authorizer{Type: "TOKEN", AuthorizerUri: uri, IdentitySource: "method.request.header.Authorization",
			IdentityValidationExpression: "Bearer .+"}, function: "arn:aws:lambda:us-east-1:123456789012:function:auth",
			ttl: 300 * time.Second, sources: []runtime.SourceKind{runtime.SrcHeader}},
		{name: "request", a: model.Authorizer{Type: "REQUEST", AuthorizerUri: uri, AuthorizerResultTtlInSeconds: ttl(0),
			IdentitySource: "method.request.header.X-User, method.request.querystring.q,stageVariables.zone , context.httpMethod"},
			function: "arn:aws:lambda:us-east-1:123456789012:function:auth",
			sources:  []runtime.SourceKind{runtime.SrcHeader, runtime.SrcQuery, runtime.SrcLiteral, runtime.SrcContext}},
		{name: "request without sources is never cached", a: model.Authorizer{Type: "REQUEST", AuthorizerUri: uri, AuthorizerResultTtlInSeconds: ttl(300)},
			function: "arn:aws:lambda:us-east-1:123456789012:function:auth"},
		{name: "cognito", a: model.Authorizer{Type: "COGNITO_USER_POOLS", ProviderARNs: []string{"arn:pool"},
			IdentitySource: "method.request.header.Authorization", AuthorizerResultTtlInSeconds: ttl(60)},
			ttl: time.Minute, sources: []runtime.SourceKind{runtime.SrcHeader}},
		{name: "undefined stage variable", a: model.Authorizer{Type: "TOKEN", IdentitySource: "method.request.header.A",
			AuthorizerUri: strings.Replace(uri, "stageVariables.fn", "stageVariables.nope", 1)}, err: "nope"},
		{name: "not a function", a: model.Authorizer{Type: "TOKEN", IdentitySource: "method.request.header.A",
			AuthorizerUri: "arn:aws:apigateway:us-east-1:sqs:path/1/q"}, err: "does not invoke a Lambda function"},
		{name: "token from a query string", a: model.Authorizer{Type: "TOKEN", AuthorizerUri: uri,
			IdentitySource: "method.request.querystring.t"}, err: "must be a method.request.header"},
		{name: "two token sources", a: model.Authorizer{Type: "TOKEN", AuthorizerUri: uri,
			IdentitySource: "method.request.header.A, method.request.header.B"}, err: "one identity source"},
		{name: "path parameter", a: model.Authorizer{Type: "REQUEST", AuthorizerUri: uri,
			IdentitySource: "method.request.path.id"}, err: "invalid identity source"},
		{name: "literal", a: model.Authorizer{Type: "REQUEST", AuthorizerUri: uri,
			IdentitySource: "'x'"}, err: "invalid identity source"},
		{name: "bad expression", a: model.Authorizer{Type: "TOKEN", AuthorizerUri: uri, IdentitySource: "method.request.header.A",
			IdentityValidationExpression: "(("}, err: "not a supported regular expression"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.a.Id, c.a.Name = "a1", c.name
			got := Authorizer(&c.a, vars)
			if c.err != "" {
				if !strings.Contains(got.Err, c.err) {
					t.Fatalf("Err %q, want %q", got.Err, c.err)
				}
				return
			}
			if got.Err != "" {
				t.Fatal(got.Err)
			}
			if got.Function != c.function || got.TTL != c.ttl || len(got.Sources) != len(c.sources) {
				t.Fatalf("got %+v", got)
			}
			for i, k := range c.sources {
				if got.Sources[i].Kind != k {
					t.Errorf("source %d: kind %v, want %v", i, got.Sources[i].Kind, k)
				}
			}
			if c.a.IdentityValidationExpression != "" && (got.Validation == nil || got.Validation.MatchString("x Bearer y")) {
				t.Error("the validation expression is not compiled anchored")
			}
		})
	}
	if got := Authorizer(&model.Authorizer{Type: "REQUEST", AuthorizerUri: uri, IdentitySource: "stageVariables.zone"}, vars); got.Sources[0].Name != "eu" {
		t.Errorf("stage variable source resolved to %q", got.Sources[0].Name)
	}
}

func FuzzIdentitySources(f *testing.F) {
	for _, s := range []string{"method.request.header.Authorization", "method.request.header.A, method.request.querystring.b",
		"stageVariables.x,context.identity.sourceIp", "", ",", "method.request.path.p", "context."} {
		f.Add("REQUEST", s)
		f.Add("TOKEN", s)
	}
	f.Fuzz(func(t *testing.T, typ, src string) {
		out, err := IdentitySources(typ, src, map[string]string{"x": "1"})
		if err == nil && typ == "TOKEN" && len(out) != 1 {
			t.Fatalf("TOKEN %q gave %d sources", src, len(out))
		}
	})
}
