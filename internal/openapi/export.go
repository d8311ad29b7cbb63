package openapi

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/portico/portico/internal/model"
)

// Security scheme names used in exports, as AWS names them.
const (
	apiKeyScheme = "api_key"
	sigv4Scheme  = "sigv4"
)

// exporter renders one definition.
type exporter struct {
	doc    *model.APIDoc
	opts   ExportOptions
	v3     bool
	ext    bool // add the x-amazon-apigateway-* extensions
	apiKey bool // some method requires an API key
	sigv4  bool // some method uses AWS_IAM
	// validatorNames maps validator ids to names.
	validatorNames map[string]string
	// authorizers are the ids of the authorizers some method uses.
	authorizers map[string]bool
}

func exportDoc(doc *model.APIDoc, opts ExportOptions) ([]byte, error) {
	ex := &exporter{doc: doc, opts: opts, validatorNames: map[string]string{}, authorizers: map[string]bool{}}
	switch opts.Type {
	case "oas30":
		ex.v3 = true
	case "swagger":
	default:
		return nil, &InputError{Message: "Invalid export type specified: '" + opts.Type + "'. Valid values are oas30, swagger"}
	}
	switch opts.Extensions {
	case "integrations", "apigateway":
		ex.ext = true
	case "", "authorizers", "postman":
	default:
		return nil, &InputError{Message: "Invalid extensions specified: '" + opts.Extensions + "'. Valid values are integrations, apigateway, authorizers, postman"}
	}
	for id, v := range doc.RequestValidators {
		ex.validatorNames[id] = v.Name
	}
	out := ex.document()
	if opts.YAML {
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(yamlValues(out)); err != nil {
			return nil, err
		}
		if err := enc.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func (ex *exporter) document() map[string]any {
	api := ex.doc.RestApi
	out := map[string]any{}
	info := map[string]any{"title": api.Name, "version": ex.version()}
	if api.Description != "" {
		info["description"] = api.Description
	}
	out["info"] = info
	base := strings.Trim(ex.opts.BasePath, "/")
	if base == "" {
		base = ex.opts.StageName
	}
	if ex.v3 {
		out["openapi"] = "3.0.1"
		url := "/{basePath}"
		if ex.opts.Host != "" {
			url = "https://" + ex.opts.Host + "/{basePath}"
		}
		server := map[string]any{"url": url, "variables": map[string]any{"basePath": map[string]any{"default": base}}}
		if ec := ex.endpointExtension(); ec != nil {
			server[extEndpointConfig] = ec
		}
		out["servers"] = []any{server}
	} else {
		out["swagger"] = "2.0"
		if ex.opts.Host != "" {
			out["host"] = ex.opts.Host
		}
		out["basePath"] = "/" + base
		out["schemes"] = []any{"https"}
		if ec := ex.endpointExtension(); ec != nil {
			out[extEndpointConfig] = ec
		}
	}
	out["paths"] = ex.paths()
	schemas := ex.schemas()
	security := ex.securitySchemes()
	if ex.v3 {
		comps := map[string]any{}
		if len(schemas) > 0 {
			comps["schemas"] = schemas
		}
		if len(security) > 0 {
			comps["securitySchemes"] = security
		}
		if len(comps) > 0 {
			out["components"] = comps
		}
	} else {
		if len(schemas) > 0 {
			out["definitions"] = schemas
		}
		if len(security) > 0 {
			out["securityDefinitions"] = security
		}
	}
	if ex.ext {
		ex.rootExtensions(out)
	}
	return out
}

// version is the API's version, else its creation time as AWS writes it.
func (ex *exporter) version() string {
	if v := ex.doc.RestApi.Version; v != "" {
		return v
	}
	if !ex.doc.RestApi.CreatedDate.IsZero() {
		return ex.doc.RestApi.CreatedDate.UTC().Format(time.RFC3339)
	}
	return "1.0"
}

func (ex *exporter) endpointExtension() map[string]any {
	api := ex.doc.RestApi
	ec := map[string]any{}
	if api.DisableExecuteApiEndpoint {
		ec["disableExecuteApiEndpoint"] = true
	}
	if c := api.EndpointConfiguration; c != nil {
		if len(c.VpcEndpointIds) > 0 {
			ec["vpcEndpointIds"] = stringsAny(c.VpcEndpointIds)
		}
		if c.IpAddressType != "" {
			ec["ipAddressType"] = c.IpAddressType
		}
	}
	if len(ec) == 0 || !ex.ext {
		return nil
	}
	return ec
}

func (ex *exporter) rootExtensions(out map[string]any) {
	api := ex.doc.RestApi
	if len(api.BinaryMediaTypes) > 0 {
		out[extBinaryMediaTypes] = stringsAny(api.BinaryMediaTypes)
	}
	if api.MinimumCompressionSize != nil {
		out[extMinCompression] = *api.MinimumCompressionSize
	}
	if api.ApiKeySource != "" && api.ApiKeySource != "HEADER" {
		out[extAPIKeySource] = api.ApiKeySource
	}
	if api.Policy != "" {
		var p any
		if err := json.Unmarshal([]byte(api.Policy), &p); err == nil {
			out[extPolicy] = p
		} else {
			out[extPolicy] = api.Policy
		}
	}
	if len(ex.doc.RequestValidators) > 0 {
		vs := map[string]any{}
		for _, v := range ex.doc.RequestValidators {
			vs[v.Name] = map[string]any{"validateRequestBody": v.ValidateRequestBody,
				"validateRequestParameters": v.ValidateRequestParameters}
		}
		out[extValidators] = vs
	}
	grs := map[string]any{}
	for typ, gr := range ex.doc.GatewayResponses {
		if gr.DefaultResponse {
			continue
		}
		g := map[string]any{}
		if gr.StatusCode != "" {
			g["statusCode"] = gr.StatusCode
		}
		if len(gr.ResponseParameters) > 0 {
			g["responseParameters"] = stringMapAny(gr.ResponseParameters)
		}
		if len(gr.ResponseTemplates) > 0 {
			g["responseTemplates"] = stringMapAny(gr.ResponseTemplates)
		}
		grs[typ] = g
	}
	if len(grs) > 0 {
		out[extGatewayResponses] = grs
	}
}

// paths lists every resource with methods, and every leaf resource (so an empty resource
// survives a round trip).
func (ex *exporter) paths() map[string]any {
	hasChild := map[string]bool{}
	for _, r := range ex.doc.Resources {
		hasChild[r.ParentId] = true
	}
	paths := map[string]any{}
	for _, r := range ex.doc.SortedResources() {
		if len(r.ResourceMethods) == 0 && hasChild[r.Id] {
			continue
		}
		item := map[string]any{}
		for verb, m := range r.ResourceMethods {
			key := strings.ToLower(verb)
			if verb == "ANY" {
				key = extAnyMethod
			}
			item[key] = ex.operation(r, m)
		}
		paths[r.Path] = item
	}
	return paths
}

func (ex *exporter) operation(r *model.Resource, m *model.Method) map[string]any {
	op := map[string]any{}
	if m.OperationName != "" {
		op["operationId"] = m.OperationName
	}
	params := ex.parameters(m)
	if len(m.RequestModels) > 0 {
		cts := sortedKeys(m.RequestModels)
		if ex.v3 {
			content := map[string]any{}
			for _, ct := range cts {
				content[ct] = map[string]any{"schema": ex.ref(m.RequestModels[ct])}
			}
			op["requestBody"] = map[string]any{"content": content, "required": true}
		} else {
			name := m.RequestModels[preferredType(cts)]
			params = append(params, map[string]any{"in": "body", "name": name, "required": true, "schema": ex.ref(name)})
			op["consumes"] = stringsAny(cts)
		}
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	responses := map[string]any{}
	var produces []string
	for code, mr := range m.MethodResponses {
		resp := map[string]any{"description": code + " response"}
		headers := map[string]any{}
		for key := range mr.ResponseParameters {
			name, ok := strings.CutPrefix(key, "method.response.header.")
			if !ok {
				continue
			}
			if ex.v3 {
				headers[name] = map[string]any{"schema": map[string]any{"type": "string"}}
			} else {
				headers[name] = map[string]any{"type": "string"}
			}
		}
		if len(headers) > 0 {
			resp["headers"] = headers
		}
		if len(mr.ResponseModels) > 0 {
			cts := sortedKeys(mr.ResponseModels)
			if ex.v3 {
				content := map[string]any{}
				for _, ct := range cts {
					content[ct] = map[string]any{"schema": ex.ref(mr.ResponseModels[ct])}
				}
				resp["content"] = content
			} else {
				resp["schema"] = ex.ref(mr.ResponseModels[preferredType(cts)])
				produces = append(produces, cts...)
			}
		}
		responses[code] = resp
	}
	op["responses"] = responses
	if len(produces) > 0 {
		op["produces"] = stringsAny(dedupe(produces))
	}
	var security []any
	if m.ApiKeyRequired {
		ex.apiKey = true
		security = append(security, map[string]any{apiKeyScheme: []any{}})
	}
	if m.AuthorizationType == "AWS_IAM" {
		ex.sigv4 = true
		security = append(security, map[string]any{sigv4Scheme: []any{}})
	}
	if a := ex.doc.Authorizers[m.AuthorizerId]; a != nil && (m.AuthorizationType == "CUSTOM" || m.AuthorizationType == model.AuthorizerCognito) {
		ex.authorizers[a.Id] = true
		security = append(security, map[string]any{a.Name: stringsAny(m.AuthorizationScopes)})
	}
	if len(security) > 0 {
		op["security"] = security
	}
	if ex.ext {
		if name, ok := ex.validatorNames[m.RequestValidatorId]; ok {
			op[extValidator] = name
		}
		if m.MethodIntegration != nil {
			op[extIntegration] = ex.integration(r, m.MethodIntegration)
		}
	}
	return op
}

func (ex *exporter) parameters(m *model.Method) []any {
	var params []any
	for _, key := range sortedKeys(m.RequestParameters) {
		rest, ok := strings.CutPrefix(key, "method.request.")
		if !ok {
			continue
		}
		loc, name, ok := strings.Cut(rest, ".")
		if !ok {
			continue
		}
		var in string
		switch loc {
		case "path":
			in = "path"
		case "querystring":
			in = "query"
		case "header":
			in = "header"
		default:
			continue
		}
		p := map[string]any{"name": name, "in": in, "required": m.RequestParameters[key] || in == "path"}
		if ex.v3 {
			p["schema"] = map[string]any{"type": "string"}
		} else {
			p["type"] = "string"
		}
		params = append(params, p)
	}
	return params
}

func (ex *exporter) integration(r *model.Resource, in *model.Integration) map[string]any {
	out := map[string]any{"type": strings.ToLower(in.Type)}
	set := func(k, v string) {
		if v != "" {
			out[k] = v
		}
	}
	set("uri", in.Uri)
	set("httpMethod", in.HttpMethod)
	set("connectionType", in.ConnectionType)
	set("connectionId", in.ConnectionId)
	set("credentials", in.Credentials)
	set("passthroughBehavior", strings.ToLower(in.PassthroughBehavior))
	set("contentHandling", in.ContentHandling)
	// The default namespace is the resource's own id, which a re-import gives anew.
	if in.CacheNamespace != r.Id {
		set("cacheNamespace", in.CacheNamespace)
	}
	out["timeoutInMillis"] = in.TimeoutInMillis
	keys := in.CacheKeyParameters
	if keys == nil {
		keys = []string{}
	}
	out["cacheKeyParameters"] = stringsAny(keys)
	if len(in.RequestParameters) > 0 {
		out["requestParameters"] = stringMapAny(in.RequestParameters)
	}
	if len(in.RequestTemplates) > 0 {
		out["requestTemplates"] = stringMapAny(in.RequestTemplates)
	}
	if in.TlsConfig != nil {
		out["tlsConfig"] = map[string]any{"insecureSkipVerification": in.TlsConfig.InsecureSkipVerification}
	}
	if len(in.IntegrationResponses) > 0 {
		rs := map[string]any{}
		for _, ir := range in.IntegrationResponses {
			resp := map[string]any{"statusCode": ir.StatusCode}
			if len(ir.ResponseParameters) > 0 {
				resp["responseParameters"] = stringMapAny(ir.ResponseParameters)
			}
			if len(ir.ResponseTemplates) > 0 {
				resp["responseTemplates"] = stringMapAny(ir.ResponseTemplates)
			}
			if ir.ContentHandling != "" {
				resp["contentHandling"] = ir.ContentHandling
			}
			rs[patternKey(ir.SelectionPattern)] = resp
		}
		out["responses"] = rs
	}
	return out
}

func (ex *exporter) ref(name string) map[string]any {
	if ex.v3 {
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{"$ref": "#/definitions/" + name}
}

// schemas renders the models: `$schema` dropped, `title` kept, model URLs turned back into local
// references.
func (ex *exporter) schemas() map[string]any {
	out := map[string]any{}
	for name, m := range ex.doc.Models {
		var s any
		dec := json.NewDecoder(strings.NewReader(m.Schema))
		dec.UseNumber()
		if m.Schema == "" || dec.Decode(&s) != nil {
			s = map[string]any{}
		}
		if sm, ok := s.(map[string]any); ok {
			delete(sm, "$schema")
		}
		ex.localRefs(s, 0)
		out[name] = s
	}
	return out
}

func (ex *exporter) localRefs(v any, depth int) {
	if depth > maxDepth {
		return
	}
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if s, ok := e.(string); ok && k == "$ref" {
				if name, ok := modelNameFromURL(s); ok {
					t[k] = ex.ref(name)["$ref"]
				}
				continue
			}
			ex.localRefs(e, depth+1)
		}
	case []any:
		for _, e := range t {
			ex.localRefs(e, depth+1)
		}
	}
}

// securitySchemes declares the schemes the operations used (paths are built first).
func (ex *exporter) securitySchemes() map[string]any {
	out := map[string]any{}
	if ex.apiKey {
		out[apiKeyScheme] = map[string]any{"type": "apiKey", "name": "x-api-key", "in": "header"}
	}
	if ex.sigv4 {
		out[sigv4Scheme] = map[string]any{"type": "apiKey", "name": "Authorization", "in": "header",
			extAuthType: "awsSigv4"}
	}
	ex.authorizerSchemes(out)
	return out
}

// preferredType picks the media type whose model a Swagger 2 operation shows: JSON if present.
func preferredType(cts []string) string {
	for _, ct := range cts {
		if ct == jsonType {
			return ct
		}
	}
	return cts[0]
}

func dedupe(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func stringsAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func stringMapAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// yamlValues turns json.Number into YAML numbers (yaml.v3 would quote them as strings).
func yamlValues(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = yamlValues(e)
		}
	case []any:
		for i, e := range t {
			t[i] = yamlValues(e)
		}
	case json.Number:
		if n, err := strconv.ParseInt(t.String(), 10, 64); err == nil {
			return n
		}
		if f, err := t.Float64(); err == nil {
			return f
		}
		return t.String()
	}
	return v
}
