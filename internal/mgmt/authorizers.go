package mgmt

import (
	"context"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/portico/portico/internal/auth/oidc"
	"github.com/portico/portico/internal/compile"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

var authorizerTypes = []string{model.AuthorizerToken, model.AuthorizerRequest, model.AuthorizerCognito}

type createAuthorizerInput struct {
	Name                         *string  `json:"name"`
	Type                         *string  `json:"type"`
	ProviderARNs                 []string `json:"providerARNs"`
	AuthType                     string   `json:"authType"`
	AuthorizerUri                string   `json:"authorizerUri"`
	AuthorizerCredentials        string   `json:"authorizerCredentials"`
	IdentitySource               string   `json:"identitySource"`
	IdentityValidationExpression string   `json:"identityValidationExpression"`
	AuthorizerResultTtlInSeconds *int64   `json:"authorizerResultTtlInSeconds"`
}

func findAuthorizer(d *model.APIDoc, id string) (*model.Authorizer, error) {
	a, ok := d.Authorizers[id]
	if !ok {
		return nil, notFound("Invalid Authorizer identifier specified")
	}
	return a, nil
}

func nullError(field string) *apiError {
	return &apiError{http.StatusBadRequest, "ValidationException",
		"1 validation error detected: Value null at '" + field + "' failed to satisfy constraint: Member must not be null"}
}

// validateAuthorizer checks an authorizer as AWS does when it is created or updated: its type,
// TTL, identity sources, validation expression, the Lambda function of TOKEN and REQUEST
// authorizers and the user pools of COGNITO_USER_POOLS ones.
func validateAuthorizer(a *model.Authorizer, input string) error {
	if a.Name == "" {
		return badRequest("Authorizer name must be non-empty")
	}
	if !contains(authorizerTypes, a.Type) {
		return enumError(a.Type, input+".type", authorizerTypes)
	}
	if ttl := a.ResultTTL(); ttl < 0 || ttl > 3600 {
		return badRequest("Invalid authorizer TTL %d specified. TTL must be between 0 and 3600 seconds.", ttl)
	}
	srcs, err := compile.IdentitySources(a.Type, a.IdentitySource, nil)
	if err != nil {
		if a.Type == model.AuthorizerRequest || a.IdentitySource == "" {
			return badRequest("Invalid identity source specified: %s. %v", a.IdentitySource, err)
		}
		return badRequest("Invalid token source expression: %s. The source must be a method request header, matching 'method.request.header.[a-zA-Z0-9._-]+'.", a.IdentitySource)
	}
	if a.Type == model.AuthorizerRequest && len(srcs) == 0 && a.ResultTTL() > 0 {
		return badRequest("Identity sources are required when authorizer caching is enabled (authorizerResultTtlInSeconds > 0)")
	}
	if a.IdentityValidationExpression != "" {
		if _, err := regexp.Compile(a.IdentityValidationExpression); err != nil {
			return badRequest("Invalid identity validation expression specified: %s", a.IdentityValidationExpression)
		}
	}
	if a.Type == model.AuthorizerCognito {
		if len(a.ProviderARNs) == 0 {
			return badRequest("Invalid provider ARNs specified. A COGNITO_USER_POOLS authorizer requires at least one provider ARN.")
		}
		// A pool named by a stage variable is checked when a stage resolves it; an issuer URL
		// is Portico's extension.
		var bad []string
		for _, p := range a.ProviderARNs {
			if !strings.Contains(p, "${stageVariables.") && oidc.CheckProvider(p, nil) != nil {
				bad = append(bad, p)
			}
		}
		if len(bad) > 0 {
			return badRequest("ProviderARNs need to be valid Cognito Userpools. Invalid ARNs- %s", strings.Join(bad, ", "))
		}
		return nil
	}
	if a.AuthorizerUri == "" {
		return badRequest("Authorizer URI is required for authorizer type %s", a.Type)
	}
	if _, err := compile.AuthorizerFunction(a.AuthorizerUri, nil); err != nil {
		return badRequest("Invalid Authorizer URI: %s. Authorizer URI should be a valid API Gateway ARN that represents a Lambda function invocation.", a.AuthorizerUri)
	}
	return nil
}

func (s *server) createAuthorizer(c *call) (int, any, error) {
	var in createAuthorizerInput
	if err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	if in.Name == nil {
		return 0, nil, nullError("createAuthorizerInput.name")
	}
	if in.Type == nil {
		return 0, nil, nullError("createAuthorizerInput.type")
	}
	out := &model.Authorizer{Name: *in.Name, Type: *in.Type, ProviderARNs: in.ProviderARNs, AuthType: in.AuthType,
		AuthorizerUri: in.AuthorizerUri, AuthorizerCredentials: in.AuthorizerCredentials,
		IdentitySource: in.IdentitySource, IdentityValidationExpression: in.IdentityValidationExpression,
		AuthorizerResultTtlInSeconds: in.AuthorizerResultTtlInSeconds}
	if out.AuthorizerResultTtlInSeconds == nil {
		// AWS reports the default it applies.
		ttl := int64(model.DefaultAuthorizerTTL)
		out.AuthorizerResultTtlInSeconds = &ttl
	}
	if err := validateAuthorizer(out, "createAuthorizerInput"); err != nil {
		return 0, nil, err
	}
	err := s.updateDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		out.Id = newChildID(d)
		if d.Authorizers == nil {
			d.Authorizers = map[string]*model.Authorizer{}
		}
		d.Authorizers[out.Id] = out
		return nil
	})
	return http.StatusCreated, out, err
}

func (s *server) getAuthorizer(c *call) (int, any, error) {
	var out *model.Authorizer
	err := s.viewDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		a, err := findAuthorizer(d, c.p["authorizer"])
		out = a
		return err
	})
	return http.StatusOK, out, err
}

func (s *server) getAuthorizers(c *call) (int, any, error) {
	var all []*model.Authorizer
	if err := s.viewDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		for _, a := range d.Authorizers {
			all = append(all, a)
		}
		return nil
	}); err != nil {
		return 0, nil, err
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Id < all[j].Id })
	out, err := paginate(c, all, func(a *model.Authorizer) string { return a.Id })
	return http.StatusOK, out, err
}

func (s *server) updateAuthorizer(c *call) (int, any, error) {
	var out *model.Authorizer
	err := s.updateDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		a, err := findAuthorizer(d, c.p["authorizer"])
		if err != nil {
			return err
		}
		ttl := a.ResultTTL()
		rules := []patchRule{
			replaceString("/name", &a.Name),
			replaceString("/type", &a.Type),
			replaceString("/authType", &a.AuthType),
			replaceString("/authorizerUri", &a.AuthorizerUri),
			replaceString("/authorizerCredentials", &a.AuthorizerCredentials),
			replaceString("/identitySource", &a.IdentitySource),
			replaceString("/identityValidationExpression", &a.IdentityValidationExpression),
			{path: "/authorizerResultTtlInSeconds", ops: replaceOnly, apply: func(p patch) error {
				n, err := strconv.ParseInt(p.value, 10, 64)
				if err != nil {
					return badRequest("Invalid authorizer TTL specified: %s", p.value)
				}
				ttl = n
				return nil
			}},
			stringSet("/providerARNs", &a.ProviderARNs),
		}
		if err := applyPatch(c, "updateAuthorizerInput", rules); err != nil {
			return err
		}
		a.AuthorizerResultTtlInSeconds = &ttl
		if err := validateAuthorizer(a, "updateAuthorizerInput"); err != nil {
			return err
		}
		// A method may only use an authorizer of the kind its authorizationType names.
		for _, r := range d.SortedResources() {
			for _, verb := range sortedVerbs(r) {
				if m := r.ResourceMethods[verb]; m.AuthorizerId == a.Id {
					if err := checkMethodAuthorizer(d, m); err != nil {
						return err
					}
				}
			}
		}
		out = a
		return nil
	})
	return http.StatusOK, out, err
}

// deleteAuthorizer refuses while a method still uses the authorizer, with AWS's message.
func (s *server) deleteAuthorizer(c *call) (int, any, error) {
	id := c.p["authorizer"]
	err := s.updateDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		a, err := findAuthorizer(d, id)
		if err != nil {
			return err
		}
		for _, r := range d.SortedResources() {
			for _, verb := range sortedVerbs(r) {
				if r.ResourceMethods[verb].AuthorizerId == id {
					return conflict("Cannot delete authorizer '%s', is referenced in method: %s/%s", a.Name, verb, r.Path)
				}
			}
		}
		delete(d.Authorizers, id)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, nil, nil
}

// checkMethodAuthorizer checks a method's authorizerId: CUSTOM needs a TOKEN or REQUEST
// authorizer of the API, COGNITO_USER_POOLS a COGNITO_USER_POOLS one; another type may name
// none.
func checkMethodAuthorizer(d *model.APIDoc, m *model.Method) error {
	const invalid = "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer."
	switch m.AuthorizationType {
	case "CUSTOM", model.AuthorizerCognito:
	default:
		if m.AuthorizerId != "" {
			if _, ok := d.Authorizers[m.AuthorizerId]; !ok {
				return badRequest(invalid)
			}
		}
		return nil
	}
	a, ok := d.Authorizers[m.AuthorizerId]
	if !ok {
		return badRequest(invalid)
	}
	if (m.AuthorizationType == model.AuthorizerCognito) != (a.Type == model.AuthorizerCognito) {
		return badRequest("Invalid authorizer ID specified. The authorizer %s of type %s cannot be used with authorization type %s.",
			a.Id, a.Type, m.AuthorizationType)
	}
	return nil
}

// AuthorizerTester runs TestInvokeAuthorizer: it tries an authorizer of an API's current
// definition with one request. The server wires it to the data plane, which mgmt must not
// import.
type AuthorizerTester interface {
	// TestInvokeAuthorizer tries the authorizer authorizerID of doc (a copy the tester may
	// keep). An error means the authorizer cannot be tried at all.
	TestInvokeAuthorizer(ctx context.Context, doc *model.APIDoc, authorizerID string, in *model.TestInvokeAuthorizerRequest) (*model.TestInvokeAuthorizerResponse, error)
}

func (s *server) testInvokeAuthorizer(c *call) (int, any, error) {
	var in model.TestInvokeAuthorizerRequest
	if err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	var doc *model.APIDoc
	err := s.viewDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		if _, err := findAuthorizer(d, c.p["authorizer"]); err != nil {
			return err
		}
		doc = d.Clone()
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	if s.opts.AuthorizerTester == nil {
		return 0, nil, badRequest("TestInvokeAuthorizer is not available on this server")
	}
	out, err := s.opts.AuthorizerTester.TestInvokeAuthorizer(c.r.Context(), doc, c.p["authorizer"], &in)
	if err != nil {
		return 0, nil, badRequest("%s", err.Error())
	}
	return http.StatusOK, out, nil
}

// AuthorizerCacheFlusher empties a stage's authorizer results; the data plane passed as
// Options.Caches provides it.
type AuthorizerCacheFlusher interface {
	FlushStageAuthorizersCache(apiID, stage string)
}

// flushStageAuthorizersCache is FlushStageAuthorizersCache: the stage must exist.
func (s *server) flushStageAuthorizersCache(c *call) (int, any, error) {
	apiID, stage := c.p["api"], c.p["stage"]
	err := s.st.View(func(tx store.Tx) error {
		if _, err := s.loadDoc(tx, apiID); err != nil {
			return err
		}
		_, err := loadStage(tx, apiID, stage)
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	if f, ok := s.opts.Caches.(AuthorizerCacheFlusher); ok {
		f.FlushStageAuthorizersCache(apiID, stage)
	}
	return http.StatusAccepted, nil, nil
}
