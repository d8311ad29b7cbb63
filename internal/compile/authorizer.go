package compile

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/runtime"
)

// compileAuthorizers compiles a deployment's authorizers for one stage: identity sources
// parsed, the validation expression compiled, the function named by authorizerUri resolved
// with the stage's variables. An authorizer that cannot run compiles with Err set, so only
// the methods that use it answer 500.
func compileAuthorizers(doc *model.APIDoc, vars map[string]string) map[string]*runtime.Authorizer {
	if len(doc.Authorizers) == 0 {
		return nil
	}
	out := make(map[string]*runtime.Authorizer, len(doc.Authorizers))
	for id, a := range doc.Authorizers {
		if a != nil {
			out[id] = Authorizer(a, vars)
		}
	}
	return out
}

// Authorizer compiles one authorizer for a stage whose variables are vars (TestInvokeAuthorizer
// compiles the one it tries this way).
func Authorizer(a *model.Authorizer, vars map[string]string) *runtime.Authorizer {
	out := &runtime.Authorizer{ID: a.Id, Name: a.Name, Type: a.Type,
		TTL: time.Duration(a.ResultTTL()) * time.Second, ProviderARNs: a.ProviderARNs}
	fail := func(format string, args ...any) *runtime.Authorizer {
		out.Err = fmt.Sprintf("authorizer %s (%s): ", a.Name, a.Id) + fmt.Sprintf(format, args...)
		return out
	}
	srcs, err := IdentitySources(a.Type, a.IdentitySource, vars)
	if err != nil {
		return fail("%v", err)
	}
	out.Sources = srcs
	if len(srcs) == 0 {
		// No identity values to tell callers apart: a cached result would serve everyone.
		out.TTL = 0
	}
	if a.IdentityValidationExpression != "" && a.Type != model.AuthorizerRequest {
		re, err := regexp.Compile(`^(?:` + a.IdentityValidationExpression + `)$`)
		if err != nil {
			return fail("identityValidationExpression %q is not a supported regular expression: %v",
				a.IdentityValidationExpression, err)
		}
		out.Validation = re
	}
	if a.Type == model.AuthorizerCognito {
		// A pool may be named by a stage variable (...:userpool/${stageVariables.pool}), as AWS
		// allows; nil vars (no stage yet) leave it as written.
		if vars != nil {
			out.ProviderARNs = make([]string, len(a.ProviderARNs))
			for i, p := range a.ProviderARNs {
				r, err := ResolveStageVariables(p, vars)
				if err != nil {
					return fail("providerARNs %q: %v", p, err)
				}
				out.ProviderARNs[i] = r
			}
		}
		return out
	}
	fn, err := AuthorizerFunction(a.AuthorizerUri, vars)
	if err != nil {
		return fail("%v", err)
	}
	out.Function = fn
	return out
}

// AuthorizerFunction returns the Lambda function an authorizerUri invokes
// (arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{fn}/invocations), after
// substituting the stage's variables; vars nil leaves ${stageVariables.x} unresolved, for
// checks made before any stage exists.
func AuthorizerFunction(uri string, vars map[string]string) (string, error) {
	if vars != nil {
		var err error
		if uri, err = ResolveStageVariables(uri, vars); err != nil {
			return "", fmt.Errorf("authorizerUri %q: %v", uri, err)
		}
	}
	arn, err := parseAWSURI(uri)
	if err != nil {
		return "", fmt.Errorf("authorizerUri %q: %v", uri, err)
	}
	fn, ok := arn.lambdaFunction()
	if !ok || fn == "" {
		return "", fmt.Errorf("authorizerUri %q does not invoke a Lambda function", uri)
	}
	return fn, nil
}

// IdentitySources parses an authorizer's identitySource, a comma-separated list of
// method.request.header.x, method.request.querystring.x, stageVariables.x and context.x. A
// TOKEN authorizer has exactly one, a header. Stage variables resolve against vars (nil: to
// empty, for checks made before any stage exists).
func IdentitySources(typ, identitySource string, vars map[string]string) ([]runtime.Source, error) {
	if strings.TrimSpace(identitySource) == "" {
		if typ == model.AuthorizerRequest {
			return nil, nil
		}
		return nil, fmt.Errorf("identitySource is required for authorizer type %s", typ)
	}
	var out []runtime.Source
	for _, expr := range strings.Split(identitySource, ",") {
		expr = strings.TrimSpace(expr)
		src, err := parseSource(expr, vars, nil, srcMethodRequest)
		if err != nil || src.Kind == runtime.SrcPath || expr[0] == '\'' {
			return nil, fmt.Errorf("invalid identity source %q", expr)
		}
		if typ != model.AuthorizerRequest && src.Kind != runtime.SrcHeader {
			return nil, fmt.Errorf("identity source %q of a %s authorizer must be a method.request.header", expr, typ)
		}
		out = append(out, src)
	}
	if typ == model.AuthorizerToken && len(out) != 1 {
		return nil, fmt.Errorf("a TOKEN authorizer takes one identity source, not %d", len(out))
	}
	return out, nil
}

// methodAuthorizer returns the compiled authorizer a CUSTOM or COGNITO_USER_POOLS method uses
// (nil for other methods, or when its authorizerId names none).
func methodAuthorizer(auths map[string]*runtime.Authorizer, m *model.Method) *runtime.Authorizer {
	switch m.AuthorizationType {
	case "CUSTOM", model.AuthorizerCognito:
		return auths[m.AuthorizerId]
	}
	return nil
}
