package openapi

import (
	"sort"
	"strings"

	"github.com/portico/portico/internal/model"
)

// authorizer reads a security scheme's x-amazon-apigateway-authorizer into an Authorizer named
// after the scheme. The authorizer's type may be written in either case ("token" is what AWS
// exports); a TOKEN authorizer without identitySource takes the scheme's header.
func (im *importer) authorizer(name string, scheme map[string]any) {
	a, ok := scheme[extAuthorizer].(map[string]any)
	if !ok {
		im.errorf("Invalid %s in security scheme '%s': expected an object", extAuthorizer, name)
		return
	}
	for _, k := range sortedKeys(a) {
		switch k {
		case "type", "authorizerUri", "authorizerCredentials", "authorizerResultTtlInSeconds",
			"identitySource", "identityValidationExpression", "providerARNs":
		default:
			im.warnf("Unsupported field %s in %s of security scheme '%s'. Ignoring.", k, extAuthorizer, name)
		}
	}
	typ, _ := getString(a, "type")
	out := &model.Authorizer{Id: model.NewID(6), Name: name, Type: strings.ToUpper(typ)}
	out.AuthType, _ = getString(scheme, extAuthType)
	out.AuthorizerUri, _ = getString(a, "authorizerUri")
	out.AuthorizerCredentials, _ = getString(a, "authorizerCredentials")
	out.IdentitySource, _ = getString(a, "identitySource")
	out.IdentityValidationExpression, _ = getString(a, "identityValidationExpression")
	ttl := int64(model.DefaultAuthorizerTTL)
	if _, set := a["authorizerResultTtlInSeconds"]; set {
		n, ok := getInt(a, "authorizerResultTtlInSeconds")
		if !ok || n < 0 || n > 3600 {
			im.errorf("Invalid authorizerResultTtlInSeconds in security scheme '%s': must be an integer between 0 and 3600", name)
		}
		ttl = n
	}
	out.AuthorizerResultTtlInSeconds = &ttl
	if arns, ok := getList(a, "providerARNs"); ok {
		for _, v := range arns {
			if s, ok := v.(string); ok {
				out.ProviderARNs = append(out.ProviderARNs, s)
			}
		}
	}
	if out.IdentitySource == "" && out.Type != model.AuthorizerRequest {
		if in, _ := getString(scheme, "in"); strings.EqualFold(in, "header") {
			if h, _ := getString(scheme, "name"); h != "" {
				out.IdentitySource = "method.request.header." + h
			}
		}
	}
	switch out.Type {
	case model.AuthorizerToken, model.AuthorizerRequest:
		if out.AuthorizerUri == "" {
			im.errorf("Invalid authorizer in security scheme '%s': authorizerUri is required for type %s", name, typ)
		}
	case model.AuthorizerCognito:
		if len(out.ProviderARNs) == 0 {
			im.errorf("Invalid authorizer in security scheme '%s': providerARNs are required for type %s", name, typ)
		}
	default:
		im.errorf("Invalid authorizer type '%s' in security scheme '%s'. Valid values are token, request, cognito_user_pools", typ, name)
		return
	}
	if im.doc.Authorizers == nil {
		im.doc.Authorizers = map[string]*model.Authorizer{}
	}
	im.authorizers[name] = out.Id
	im.doc.Authorizers[out.Id] = out
}

// useAuthorizer makes a method use the authorizer of a security requirement; scopes are the
// requirement's list, a COGNITO_USER_POOLS method's authorizationScopes.
func (im *importer) useAuthorizer(m *model.Method, name string, scopes []any, where string) {
	id := im.authorizers[name]
	a := im.doc.Authorizers[id]
	if a == nil {
		return // refused where the scheme was read
	}
	if m.AuthorizerId != "" && m.AuthorizerId != id {
		im.errorf("Unable to put method '%s': it names more than one authorizer", where)
		return
	}
	m.AuthorizerId = id
	m.AuthorizationType = "CUSTOM"
	if a.Type == model.AuthorizerCognito {
		m.AuthorizationType = model.AuthorizerCognito
		for _, s := range scopes {
			if s, ok := s.(string); ok {
				m.AuthorizationScopes = append(m.AuthorizationScopes, s)
			}
		}
	}
}

// authorizerSchemes declares, for the export, the authorizers the operations use, as AWS
// writes them: an apiKey scheme in the identity header with x-amazon-apigateway-authtype and
// x-amazon-apigateway-authorizer.
func (ex *exporter) authorizerSchemes(out map[string]any) {
	ids := make([]string, 0, len(ex.authorizers))
	for id := range ex.authorizers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		a := ex.doc.Authorizers[id]
		header := "Unused"
		if h, ok := strings.CutPrefix(a.IdentitySource, "method.request.header."); ok && !strings.Contains(h, ",") {
			header = h
		}
		authType := a.AuthType
		if authType == "" {
			authType = "custom"
			if a.Type == model.AuthorizerCognito {
				authType = "cognito_user_pools"
			}
		}
		ext := map[string]any{"type": strings.ToLower(a.Type)}
		if a.AuthorizerUri != "" {
			ext["authorizerUri"] = a.AuthorizerUri
		}
		if a.AuthorizerCredentials != "" {
			ext["authorizerCredentials"] = a.AuthorizerCredentials
		}
		if a.IdentitySource != "" {
			ext["identitySource"] = a.IdentitySource
		}
		if a.IdentityValidationExpression != "" {
			ext["identityValidationExpression"] = a.IdentityValidationExpression
		}
		if len(a.ProviderARNs) > 0 {
			ext["providerARNs"] = stringsAny(a.ProviderARNs)
		}
		ext["authorizerResultTtlInSeconds"] = a.ResultTTL()
		out[a.Name] = map[string]any{"type": "apiKey", "name": header, "in": "header",
			extAuthType: authType, extAuthorizer: ext}
	}
}
