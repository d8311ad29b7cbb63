package openapi

import (
	"sort"
	"strings"

	"github.com/portico/portico/internal/model"
)

// paths builds the resource tree and the methods.
func (im *importer) paths() {
	rootRes := &model.Resource{Id: im.doc.RestApi.RootResourceId, Path: "/"}
	im.doc.Resources[rootRes.Id] = rootRes
	prefix := im.basePath()
	byPath := map[string]*model.Resource{"/": rootRes}
	paths, ok := im.root["paths"].(map[string]any)
	if _, present := im.root["paths"]; present && !ok {
		im.errorf("Invalid paths: expected a map of paths to path items")
		return
	}
	// Prefix resources exist even without methods (basepath=prepend creates them).
	if len(prefix) > 0 {
		im.resource(byPath, "/"+strings.Join(prefix, "/"), prefix)
	}
	for _, p := range sortedKeys(paths) {
		if !strings.HasPrefix(p, "/") {
			im.errorf("Unable to create resource at path '%s': the path must start with '/'", p)
			continue
		}
		segs := strings.Split(strings.Trim(p, "/"), "/")
		if len(segs) == 1 && segs[0] == "" {
			segs = nil
		}
		full := append(append([]string{}, prefix...), segs...)
		fullPath := "/" + strings.Join(full, "/")
		res := im.resource(byPath, fullPath, full)
		if res == nil {
			continue
		}
		item, ok := paths[p].(map[string]any)
		if !ok {
			if paths[p] != nil {
				im.errorf("Unable to create resource at path '%s': the path item must be a map", p)
			}
			continue
		}
		im.pathItem(res, p, item)
	}
}

// resource finds or creates the resource for a full path and its ancestors, refusing path parts
// API Gateway refuses.
func (im *importer) resource(byPath map[string]*model.Resource, fullPath string, segs []string) *model.Resource {
	if r, ok := byPath[fullPath]; ok {
		return r
	}
	parent := byPath["/"]
	cur := ""
	for _, seg := range segs {
		cur += "/" + seg
		if r, ok := byPath[cur]; ok {
			parent = r
			continue
		}
		if !literalPart.MatchString(seg) && !variablePart.MatchString(seg) {
			im.errorf("Unable to create resource at path '%s': Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace.", fullPath)
			return nil
		}
		if strings.HasSuffix(parent.PathPart, "+}") {
			im.errorf("Unable to create resource at path '%s': Cannot create a child of a resource with a greedy path variable: %s", fullPath, parent.PathPart)
			return nil
		}
		if strings.HasPrefix(seg, "{") {
			if sib, ok := im.variableChild[parent.Id]; ok && sib != seg {
				im.errorf("Unable to create resource at path '%s': A sibling (%s) of this resource already has a variable path part -- only one is allowed", fullPath, sib)
				return nil
			}
			im.variableChild[parent.Id] = seg
		}
		r := &model.Resource{Id: model.NewID(6), ParentId: parent.Id, PathPart: seg, Path: cur}
		im.doc.Resources[r.Id] = r
		byPath[cur] = r
		parent = r
	}
	return parent
}

// pathItemKnown lists the path-item keys that are not operations.
var pathItemKnown = map[string]bool{
	"parameters": true, "summary": true, "description": true, "servers": true,
}

func (im *importer) pathItem(res *model.Resource, p string, item map[string]any) {
	shared := im.parameterList(item["parameters"], "paths.'"+p+"'")
	for _, key := range sortedKeys(item) {
		verb, isOp := verbs[key]
		if !isOp {
			switch {
			case pathItemKnown[key], strings.HasPrefix(key, "x-") && !strings.HasPrefix(key, extPrefix):
			case key == "trace":
				im.warnf("Unsupported operation 'trace' on path '%s'. Ignoring.", p)
			case key == "$ref":
				im.warnf("Unsupported path item reference on path '%s'. Ignoring.", p)
			default:
				im.warnf("Unsupported key '%s' on path '%s'. Ignoring.", key, p)
			}
			continue
		}
		op, ok := item[key].(map[string]any)
		if !ok {
			im.errorf("Unable to put method '%s' on resource at path '%s': the operation must be a map", verb, res.Path)
			continue
		}
		if res.ResourceMethods == nil {
			res.ResourceMethods = map[string]*model.Method{}
		}
		if _, dup := res.ResourceMethods[verb]; dup {
			im.errorf("Unable to put method '%s' on resource at path '%s': the method is defined more than once", verb, res.Path)
			continue
		}
		if m := im.method(res, verb, op, shared, "paths.'"+p+"'("+key+")"); m != nil {
			res.ResourceMethods[verb] = m
		}
	}
}

// param is one resolved parameter object.
type param struct {
	name, in string
	required bool
	schema   map[string]any // Swagger 2 body parameter schema
}

// parameterList resolves a parameters list (with local $refs) into params; attr locates the
// list for messages.
func (im *importer) parameterList(v any, attr string) []param {
	l, ok := v.([]any)
	if !ok {
		if v != nil {
			im.errorf("Invalid attribute %s.parameters: expected a list", attr)
		}
		return nil
	}
	var out []param
	for _, e := range l {
		m, ok := im.resolve(e, "parameters")
		if !ok {
			ref := "(not an object)"
			if em, isMap := e.(map[string]any); isMap {
				ref, _ = getString(em, "$ref")
			}
			im.warnf("Parse issue: attribute %s.parameters.%s is missing", attr, ref)
			continue
		}
		name, _ := getString(m, "name")
		in, _ := getString(m, "in")
		req, _ := getBool(m, "required")
		schema, _ := getMap(m, "schema")
		out = append(out, param{name: name, in: in, required: req, schema: schema})
	}
	return out
}

// resolve follows a local $ref (to #/parameters, #/responses, #/components/...) a few levels
// deep; anything that is not a map after resolution is reported as not found.
func (im *importer) resolve(v any, kind string) (map[string]any, bool) {
	for range 8 {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		ref, isRef := getString(m, "$ref")
		if !isRef {
			return m, true
		}
		var prefix, container string
		if im.v3 {
			prefix, container = "#/components/"+kind+"/", "components"
		} else {
			prefix = "#/" + kind + "/"
		}
		name, ok := strings.CutPrefix(ref, prefix)
		if !ok {
			return nil, false
		}
		defs := im.root
		if container != "" {
			defs, _ = getMap(im.root, container)
		}
		defs, _ = getMap(defs, kind)
		v = defs[name]
	}
	return nil, false
}

// attr locates the operation in the document the way AWS's parse warnings do: paths.'/p'(get).
func (im *importer) method(res *model.Resource, verb string, op map[string]any, shared []param, attr string) *model.Method {
	where := verb + " " + res.Path
	m := &model.Method{HttpMethod: verb, AuthorizationType: "NONE"}
	if id, ok := getString(op, "operationId"); ok {
		m.OperationName = id
	}
	for _, k := range sortedKeys(op) {
		if strings.HasPrefix(k, extPrefix) && k != extIntegration && k != extAuth && k != extValidator {
			im.warnf("Unsupported extension %s on method '%s'. Ignoring.", k, where)
		}
	}
	im.security(m, op, where)
	im.requestParameters(m, op, shared, where, attr)
	im.requestBody(m, op, attr)
	im.methodResponses(m, op, where, attr)
	im.methodValidator(m, op, where)
	if v, ok := op[extIntegration]; ok {
		m.MethodIntegration = im.integration(res, m.RequestParameters, v, where)
	}
	return m
}

func (im *importer) security(m *model.Method, op map[string]any, where string) {
	if v, ok := op[extAuth]; ok {
		a, _ := v.(map[string]any)
		t, _ := getString(a, "type")
		switch strings.ToUpper(t) {
		case "NONE":
		case "AWS_IAM":
			m.AuthorizationType = "AWS_IAM"
		default:
			im.errorf("Unable to put method '%s': invalid %s type '%s'. Valid values are NONE, AWS_IAM", where, extAuth, t)
		}
	}
	reqs, _ := getList(op, "security")
	for _, r := range reqs {
		rm, _ := r.(map[string]any)
		for _, name := range sortedKeys(rm) {
			switch im.schemes[name] {
			case "apikey":
				m.ApiKeyRequired = true
			case "iam":
				m.AuthorizationType = "AWS_IAM"
			case "authorizer":
				scopes, _ := rm[name].([]any)
				im.useAuthorizer(m, name, scopes, where)
			case "other":
				im.warnf("Unsupported security scheme '%s' on method '%s'. Ignoring.", name, where)
			default:
				im.warnf("Security scheme '%s' on method '%s' is not defined. Ignoring.", name, where)
			}
		}
	}
}

func (im *importer) requestParameters(m *model.Method, op map[string]any, shared []param, where, attr string) {
	own := im.parameterList(op["parameters"], attr)
	// Operation parameters override path-item parameters with the same name and location.
	all := map[string]param{}
	var order []string
	for _, p := range append(shared, own...) {
		key := p.in + "\x00" + p.name
		if _, seen := all[key]; !seen {
			order = append(order, key)
		}
		all[key] = p
	}
	sort.Strings(order)
	for _, key := range order {
		p := all[key]
		var loc string
		switch p.in {
		case "path":
			loc = "path"
			p.required = true
		case "query":
			loc = "querystring"
		case "header":
			loc = "header"
		case "body":
			if !im.v3 {
				im.bodyModels(m, op, p.schema, attr+".parameters.["+p.name+"].schema")
				continue
			}
			fallthrough
		default:
			im.warnf("Unsupported parameter '%s' in '%s' on method '%s'. Ignoring.", p.name, p.in, where)
			continue
		}
		if !paramNameRe.MatchString(p.name) {
			im.errorf("Unable to put method '%s': invalid parameter name '%s'", where, p.name)
			continue
		}
		if m.RequestParameters == nil {
			m.RequestParameters = map[string]bool{}
		}
		m.RequestParameters["method.request."+loc+"."+p.name] = p.required
	}
}

// mediaTypes returns the operation's (else the document's) consumes/produces list.
func (im *importer) mediaTypes(op map[string]any, key string) []string {
	if l, ok := stringList(op[key]); ok && len(l) > 0 {
		return l
	}
	if l, ok := stringList(im.root[key]); ok && len(l) > 0 {
		return l
	}
	return []string{jsonType}
}

// bodyModels sets requestModels from a Swagger 2 body parameter.
func (im *importer) bodyModels(m *model.Method, op map[string]any, schema map[string]any, attr string) {
	if schema == nil {
		return
	}
	name := im.schemaModel(schema, attr)
	if name == "" {
		return
	}
	m.RequestModels = map[string]string{}
	for _, ct := range im.mediaTypes(op, "consumes") {
		m.RequestModels[ct] = name
	}
}

// requestBody reads an OpenAPI 3 requestBody.
func (im *importer) requestBody(m *model.Method, op map[string]any, attr string) {
	if !im.v3 {
		return
	}
	v, ok := op["requestBody"]
	if !ok {
		return
	}
	rb, ok := im.resolve(v, "requestBodies")
	if !ok {
		im.warnf("Parse issue: attribute %s.requestBody is missing", attr)
		return
	}
	content, _ := getMap(rb, "content")
	for _, ct := range sortedKeys(content) {
		media, _ := content[ct].(map[string]any)
		schema, ok := getMap(media, "schema")
		if !ok {
			continue
		}
		if name := im.schemaModel(schema, attr+".requestBody.content.schema"); name != "" {
			if m.RequestModels == nil {
				m.RequestModels = map[string]string{}
			}
			m.RequestModels[ct] = name
		}
	}
}

// schemaModel returns the model a body schema names: the referenced model, or a model generated
// for an inline schema (named after its content, as AWS generates models for inline schemas).
// attr locates the schema for warnings.
func (im *importer) schemaModel(schema map[string]any, attr string) string {
	if ref, ok := getString(schema, "$ref"); ok {
		name, ok := strings.CutPrefix(ref, im.localRefPrefix())
		if !ok {
			name, ok = modelNameFromURL(ref)
		}
		if !ok {
			im.warnf("Parse issue: attribute %s.%s is not a reference to a model. Ignoring.", attr, ref)
			return ""
		}
		if _, exists := im.doc.Models[name]; !exists {
			im.warnf("Parse issue: attribute %s.%s is missing", attr, ref)
			return ""
		}
		return name
	}
	name := hashName(schema)
	if _, done := im.inlineModels[name]; !done {
		im.inlineModels[name] = name
		im.addModel(name, schema, name)
	}
	return name
}

// modelNameFromURL reads the model name from an API Gateway model URL.
func modelNameFromURL(ref string) (string, bool) {
	rest, ok := strings.CutPrefix(ref, modelURLPrefix)
	if !ok {
		return "", false
	}
	_, name, ok := strings.Cut(rest, "/models/")
	return name, ok && name != ""
}

func (im *importer) methodResponses(m *model.Method, op map[string]any, where, attr string) {
	responses, _ := getMap(op, "responses")
	for _, code := range sortedKeys(responses) {
		if !statusCodeRe.MatchString(code) {
			im.warnf("Unsupported response code '%s' on method '%s': API Gateway needs an explicit status code. Ignoring.", code, where)
			continue
		}
		r, ok := im.resolve(responses[code], "responses")
		if !ok {
			im.warnf("Parse issue: attribute %s.responses.%s is missing", attr, code)
			continue
		}
		mr := &model.MethodResponse{StatusCode: code}
		headers, _ := getMap(r, "headers")
		for _, h := range sortedKeys(headers) {
			if mr.ResponseParameters == nil {
				mr.ResponseParameters = map[string]bool{}
			}
			mr.ResponseParameters["method.response.header."+h] = false
		}
		if im.v3 {
			content, _ := getMap(r, "content")
			for _, ct := range sortedKeys(content) {
				media, _ := content[ct].(map[string]any)
				if schema, ok := getMap(media, "schema"); ok {
					if name := im.schemaModel(schema, attr+".responses."+code+".content.schema"); name != "" {
						if mr.ResponseModels == nil {
							mr.ResponseModels = map[string]string{}
						}
						mr.ResponseModels[ct] = name
					}
				}
			}
		} else if schema, ok := getMap(r, "schema"); ok {
			if name := im.schemaModel(schema, attr+".responses."+code+".schema"); name != "" {
				mr.ResponseModels = map[string]string{}
				for _, ct := range im.mediaTypes(op, "produces") {
					mr.ResponseModels[ct] = name
				}
			}
		}
		if m.MethodResponses == nil {
			m.MethodResponses = map[string]*model.MethodResponse{}
		}
		m.MethodResponses[code] = mr
	}
}

func (im *importer) methodValidator(m *model.Method, op map[string]any, where string) {
	name, ok := op[extValidator]
	if !ok {
		// An unknown root-level name has been reported once already.
		s, _ := im.root[extValidator].(string)
		m.RequestValidatorId = im.validators[s]
		return
	}
	s, _ := name.(string)
	id, known := im.validators[s]
	if !known {
		im.errorf("Unable to put method '%s': request validator '%v' is not declared in %s", where, name, extValidators)
		return
	}
	m.RequestValidatorId = id
}
