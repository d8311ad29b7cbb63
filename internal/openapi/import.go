package openapi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/portico/portico/internal/model"
)

const (
	extPrefix           = "x-amazon-apigateway-"
	extAnyMethod        = "x-amazon-apigateway-any-method"
	extAPIKeySource     = "x-amazon-apigateway-api-key-source"
	extAuth             = "x-amazon-apigateway-auth"
	extAuthorizer       = "x-amazon-apigateway-authorizer"
	extAuthType         = "x-amazon-apigateway-authtype"
	extBinaryMediaTypes = "x-amazon-apigateway-binary-media-types"
	extEndpointConfig   = "x-amazon-apigateway-endpoint-configuration"
	extGatewayResponses = "x-amazon-apigateway-gateway-responses"
	extIntegration      = "x-amazon-apigateway-integration"
	extMinCompression   = "x-amazon-apigateway-minimum-compression-size"
	extPolicy           = "x-amazon-apigateway-policy"
	extValidator        = "x-amazon-apigateway-request-validator"
	extValidators       = "x-amazon-apigateway-request-validators"

	draft4         = "http://json-schema.org/draft-04/schema#"
	modelURLPrefix = "https://apigateway.amazonaws.com/restapis/"
	jsonType       = "application/json"

	defaultTimeout = 29000
	maxCompression = 10485760
)

// verbs maps an operation key of a path item to the method's httpMethod.
var verbs = map[string]string{
	"get": "GET", "put": "PUT", "post": "POST", "delete": "DELETE", "patch": "PATCH",
	"options": "OPTIONS", "head": "HEAD", extAnyMethod: "ANY",
}

var (
	literalPart  = regexp.MustCompile(`^[a-zA-Z0-9._:,\-]+$`)
	variablePart = regexp.MustCompile(`^\{[a-zA-Z0-9._\-]+\+?\}$`)
	statusCodeRe = regexp.MustCompile(`^[1-5][0-9][0-9]$`)
	modelNameRe  = regexp.MustCompile(`^[a-zA-Z0-9]+$`)
	paramNameRe  = regexp.MustCompile(`^[a-zA-Z0-9._$\-]+$`)
)

// parsed is one imported document: the definition, plus what the document said explicitly, which
// a merge needs to tell "set by the document" from "left at the default".
type parsed struct {
	doc      *model.APIDoc
	warnings []string
	// set names the RestApi fields the document gave a value (by JSON field name), and
	// "endpointExtension" when it carried x-amazon-apigateway-endpoint-configuration.
	set map[string]bool
}

// importer holds the state of one import.
type importer struct {
	root     map[string]any
	v3       bool
	opts     ImportOptions
	apiID    string
	doc      *model.APIDoc
	errs     []string
	dropped  int // errors past maxErrors
	warnings []string
	set      map[string]bool
	// schemes classifies the security schemes by name: "apikey", "iam", "authorizer" or "other".
	schemes map[string]string
	// validators maps a validator name to its id; authorizers a security scheme's name to the
	// id of the authorizer it declares.
	validators  map[string]string
	authorizers map[string]string
	// inlineModels maps the hash of an inline schema to the model generated for it.
	inlineModels map[string]string
	// variableChild maps a resource id to the path part of its {variable} child.
	variableChild map[string]string
	now           model.Epoch
}

// maxErrors bounds the errors listed in one refusal; a broken document can have thousands.
const maxErrors = 100

func (im *importer) errorf(format string, args ...any) {
	if len(im.errs) < maxErrors {
		im.errs = append(im.errs, fmt.Sprintf(format, args...))
	} else {
		im.dropped++
	}
}

func (im *importer) warnf(format string, args ...any) {
	im.warnings = append(im.warnings, fmt.Sprintf(format, args...))
}

// parse builds the definition for an API whose id is apiID.
func parse(body []byte, opts ImportOptions, apiID string) (*parsed, error) {
	root, err := decode(body)
	if err != nil {
		return nil, err
	}
	im := &importer{
		root: root, opts: opts, apiID: apiID, set: map[string]bool{},
		schemes: map[string]string{}, validators: map[string]string{}, authorizers: map[string]string{},
		inlineModels: map[string]string{}, variableChild: map[string]string{}, now: model.Now(),
	}
	switch {
	case isSwagger2(root):
	case isOpenAPI3(root):
		im.v3 = true
	default:
		return nil, &InputError{Message: msgNoImporter}
	}
	im.run()
	if im.dropped > 0 {
		im.errs = append(im.errs, fmt.Sprintf("... and %d more errors", im.dropped))
	}
	if len(im.errs) > 0 {
		return nil, &InputError{Message: "Errors found during import:\n\t" + strings.Join(im.errs, "\n\t")}
	}
	if opts.FailOnWarnings && len(im.warnings) > 0 {
		return nil, &InputError{Message: "Warnings found during import:\n\t" + strings.Join(im.warnings, "\n\t")}
	}
	im.doc.RestApi.Warnings = im.warnings
	return &parsed{doc: im.doc, warnings: im.warnings, set: im.set}, nil
}

func isSwagger2(root map[string]any) bool {
	s, ok := root["swagger"].(string)
	return ok && s == "2.0"
}

func isOpenAPI3(root map[string]any) bool {
	s, ok := root["openapi"].(string)
	return ok && (s == "3.0" || strings.HasPrefix(s, "3.0."))
}

func (im *importer) run() {
	im.doc = &model.APIDoc{
		Resources:         map[string]*model.Resource{},
		Models:            map[string]*model.Model{},
		RequestValidators: map[string]*model.RequestValidator{},
		GatewayResponses:  map[string]*model.GatewayResponse{},
	}
	im.restAPI()
	im.rootExtensions()
	im.securitySchemes()
	im.models()
	im.requestValidators()
	im.gatewayResponses()
	im.paths()
}

// restAPI fills the RestApi fields from info and the root extensions.
func (im *importer) restAPI() {
	api := &im.doc.RestApi
	api.Id = im.apiID
	api.CreatedDate = im.now
	api.ApiKeySource = "HEADER"
	api.RootResourceId = model.NewID(10)
	info, _ := getMap(im.root, "info")
	var title string
	switch t := info["title"].(type) {
	case string:
		title = t
	case json.Number:
		title = t.String() // an unquoted YAML title such as 2048
	}
	if strings.TrimSpace(title) == "" {
		im.errorf("Missing required field info.title: the title names the API")
	}
	api.Name = title
	if d, ok := getString(info, "description"); ok && d != "" {
		api.Description = d
		im.set["description"] = true
	}
	if v, ok := info["version"]; ok && v != nil {
		api.Version = scalarText(v)
		im.set["version"] = true
	}

	if v, ok := im.root[extAPIKeySource]; ok {
		s, _ := v.(string)
		switch strings.ToUpper(s) {
		case "HEADER", "AUTHORIZER":
			api.ApiKeySource = strings.ToUpper(s)
			im.set["apiKeySource"] = true
		default:
			im.errorf("Invalid %s value: %v. Valid values are HEADER, AUTHORIZER", extAPIKeySource, v)
		}
	}
	if v, ok := im.root[extBinaryMediaTypes]; ok {
		l, ok := stringList(v)
		if !ok {
			im.errorf("Invalid %s: expected a list of media types", extBinaryMediaTypes)
		}
		api.BinaryMediaTypes = l
		im.set["binaryMediaTypes"] = true
	}
	if _, ok := im.root[extMinCompression]; ok {
		n, ok := getInt(im.root, extMinCompression)
		if !ok || n < 0 || n > maxCompression {
			im.errorf("Invalid minimum compression size, must be between 0 and %d", maxCompression)
		} else {
			api.MinimumCompressionSize = &n
			im.set["minimumCompressionSize"] = true
		}
	}
	if v, ok := im.root[extPolicy]; ok {
		switch p := v.(type) {
		case string:
			api.Policy = p
		case map[string]any:
			b, err := json.Marshal(p)
			if err != nil {
				im.errorf("Invalid %s: %v", extPolicy, err)
			}
			api.Policy = string(b)
		default:
			im.errorf("Invalid %s: expected a policy document", extPolicy)
		}
		im.set["policy"] = true
	}
	im.endpointConfiguration()
}

func (im *importer) endpointConfiguration() {
	api := &im.doc.RestApi
	types := []string{"EDGE"}
	if t := strings.TrimSpace(im.opts.EndpointConfigurationTypes); t != "" {
		switch u := strings.ToUpper(t); u {
		case "EDGE", "REGIONAL", "PRIVATE":
			types = []string{u}
			im.set["endpointConfiguration"] = true
		default:
			im.errorf("Invalid endpoint configuration type %q. Valid values are EDGE, REGIONAL, PRIVATE", t)
		}
	}
	api.EndpointConfiguration = &model.EndpointConfiguration{Types: types}
	var ext map[string]any
	if im.v3 {
		if servers, ok := getList(im.root, "servers"); ok && len(servers) > 0 {
			s, _ := servers[0].(map[string]any)
			ext, _ = getMap(s, extEndpointConfig)
		}
	} else {
		ext, _ = getMap(im.root, extEndpointConfig)
	}
	if ext == nil {
		return
	}
	im.set["endpointExtension"] = true
	if b, ok := getBool(ext, "disableExecuteApiEndpoint"); ok {
		api.DisableExecuteApiEndpoint = b
	}
	if v, ok := ext["vpcEndpointIds"]; ok {
		ids, ok := stringList(v)
		if !ok {
			im.errorf("Invalid %s: vpcEndpointIds must be a list of strings", extEndpointConfig)
		}
		api.EndpointConfiguration.VpcEndpointIds = ids
	}
	if s, ok := getString(ext, "ipAddressType"); ok {
		switch s {
		case "ipv4", "dualstack":
			api.EndpointConfiguration.IpAddressType = s
		default:
			im.errorf("Invalid ipAddressType %q. Valid values are ipv4, dualstack", s)
		}
	}
}

// rootKnown lists the root extensions the importer reads; any other x-amazon-apigateway-* key at
// the root is listed as a warning.
var rootKnown = map[string]bool{
	extAPIKeySource: true, extBinaryMediaTypes: true, extEndpointConfig: true, extGatewayResponses: true,
	extMinCompression: true, extPolicy: true, extValidator: true, extValidators: true,
}

func (im *importer) rootExtensions() {
	for _, k := range sortedKeys(im.root) {
		switch {
		case strings.HasPrefix(k, extPrefix) && !rootKnown[k]:
			im.warnf("Unsupported extension %s at the document root. Ignoring.", k)
		case k == extEndpointConfig && im.v3:
			im.warnf("In OpenAPI 3 documents %s belongs on servers[0], not the document root. Ignoring.", k)
		}
	}
	if _, ok := im.root["security"]; ok {
		im.warnf("Root-level security is not supported; security must be set on each operation. Ignoring.")
	}
}

// securitySchemes classifies the declared schemes. An apiKey scheme in header x-api-key makes
// a method require an API key; a scheme with authtype awsSigv4 means AWS_IAM; a scheme with
// x-amazon-apigateway-authorizer declares a Lambda or Cognito authorizer of that name.
func (im *importer) securitySchemes() {
	var defs map[string]any
	if im.v3 {
		comps, _ := getMap(im.root, "components")
		defs, _ = getMap(comps, "securitySchemes")
	} else {
		defs, _ = getMap(im.root, "securityDefinitions")
	}
	for _, name := range sortedKeys(defs) {
		s, _ := defs[name].(map[string]any)
		typ, _ := getString(s, "type")
		in, _ := getString(s, "in")
		keyName, _ := getString(s, "name")
		authType, _ := getString(s, extAuthType)
		_, hasAuthorizer := s[extAuthorizer]
		switch {
		case hasAuthorizer:
			im.schemes[name] = "authorizer"
			im.authorizer(name, s)
		case strings.EqualFold(authType, "awsSigv4"):
			im.schemes[name] = "iam"
		case typ == "apiKey" && strings.EqualFold(in, "header") && strings.EqualFold(keyName, "x-api-key"):
			im.schemes[name] = "apikey"
		default:
			im.schemes[name] = "other"
		}
	}
}

// schemaDefs returns the document's reusable schemas.
func (im *importer) schemaDefs() map[string]any {
	if im.v3 {
		comps, _ := getMap(im.root, "components")
		m, _ := getMap(comps, "schemas")
		return m
	}
	m, _ := getMap(im.root, "definitions")
	return m
}

func (im *importer) localRefPrefix() string {
	if im.v3 {
		return "#/components/schemas/"
	}
	return "#/definitions/"
}

// unvalidated lists schema keywords that AWS's draft-4 request validation does not apply.
var unvalidated = map[string]bool{
	"discriminator": true, "example": true, "readOnly": true, "writeOnly": true, "nullable": true,
	"default": true, "xml": true, "externalDocs": true, "deprecated": true,
}

func (im *importer) models() {
	defs := im.schemaDefs()
	for _, name := range sortedKeys(defs) {
		if !modelNameRe.MatchString(name) {
			im.warnf("Unable to create model '%s': Model name must be alphanumeric. Ignoring.", name)
			continue
		}
		schema, ok := defs[name].(map[string]any)
		if !ok {
			im.errorf("Unable to create model '%s': the schema must be an object", name)
			continue
		}
		im.addModel(name, schema, name)
	}
	im.addBuiltinModels()
}

// addModel stores a schema as a draft-4 model: `$schema` and `title` added, local `$ref`s
// rewritten to the model URLs API Gateway uses.
func (im *importer) addModel(name string, schema map[string]any, title string) {
	s := deepCopy(schema).(map[string]any)
	found := map[string]bool{}
	im.rewriteRefs(s, name, found, 0)
	if len(found) > 0 {
		im.warnf("Model '%s' uses keyword(s) %v that request validation ignores.", name, sortedKeys(found))
	}
	if _, ok := s["$schema"]; !ok {
		s["$schema"] = draft4
	}
	if _, ok := s["title"]; !ok {
		s["title"] = title
	}
	b, err := json.Marshal(s)
	if err != nil {
		im.errorf("Unable to create model '%s': %v", name, err)
		return
	}
	im.doc.Models[name] = &model.Model{Id: model.NewID(6), Name: name, Schema: string(b), ContentType: jsonType}
}

// rewriteRefs rewrites `$ref`s in place and collects keywords validation ignores. Properties
// named like keywords are names, not keywords, so the walk knows which maps hold schemas.
func (im *importer) rewriteRefs(v any, modelName string, found map[string]bool, depth int) {
	if depth > maxDepth {
		return
	}
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if k == "$ref" {
				if ref, ok := e.(string); ok {
					t[k] = im.modelRef(ref, modelName)
				}
				continue
			}
			if unvalidated[k] {
				found[k] = true
			}
			switch k {
			case "properties", "patternProperties", "definitions":
				if props, ok := e.(map[string]any); ok {
					for _, p := range props {
						im.rewriteRefs(p, modelName, found, depth+1)
					}
				}
				continue
			case "enum", "example", "default", "required":
				continue
			}
			im.rewriteRefs(e, modelName, found, depth+1)
		}
	case []any:
		for _, e := range t {
			im.rewriteRefs(e, modelName, found, depth+1)
		}
	}
}

// modelRef turns a local schema reference into a model URL; other references are kept and
// listed as warnings, since API Gateway resolves only its own models.
func (im *importer) modelRef(ref, modelName string) string {
	if name, ok := strings.CutPrefix(ref, im.localRefPrefix()); ok && name != "" {
		if _, exists := im.schemaDefs()[name]; !exists {
			im.warnf("Model '%s' references undefined schema '%s'.", modelName, ref)
		}
		return modelURLPrefix + im.apiID + "/models/" + name
	}
	if strings.HasPrefix(ref, modelURLPrefix) {
		return ref
	}
	im.warnf("Model '%s' has an unsupported reference '%s'. Only local references to schemas are resolved.", modelName, ref)
	return ref
}

// Built-in models every new API has.
const (
	emptySchema = `{"$schema":"http://json-schema.org/draft-04/schema#","title":"Empty Schema","type":"object"}`
	errorSchema = `{"$schema":"http://json-schema.org/draft-04/schema#","title":"Error Schema","type":"object","properties":{"message":{"type":"string"}}}`
)

func (im *importer) addBuiltinModels() {
	// A document that carries the built-ins (every export does) keeps their descriptions.
	for name, m := range im.doc.Models {
		switch {
		case name == "Empty" && sameJSON(m.Schema, emptySchema):
			m.Description = "This is a default empty schema model"
		case name == "Error" && sameJSON(m.Schema, errorSchema):
			m.Description = "This is a default error schema model"
		}
	}
	if _, ok := im.doc.Models["Empty"]; !ok {
		im.doc.Models["Empty"] = &model.Model{Id: model.NewID(6), Name: "Empty",
			Description: "This is a default empty schema model", Schema: emptySchema, ContentType: jsonType}
	}
	if _, ok := im.doc.Models["Error"]; !ok {
		im.doc.Models["Error"] = &model.Model{Id: model.NewID(6), Name: "Error",
			Description: "This is a default error schema model", Schema: errorSchema, ContentType: jsonType}
	}
}

func (im *importer) requestValidators() {
	v, ok := im.root[extValidators]
	if !ok {
		return
	}
	defs, ok := v.(map[string]any)
	if !ok {
		im.errorf("Invalid %s: expected a map of validator names to settings", extValidators)
		return
	}
	for _, name := range sortedKeys(defs) {
		if strings.TrimSpace(name) == "" {
			im.errorf("Request Validator name cannot be blank")
			continue
		}
		d, _ := defs[name].(map[string]any)
		body, _ := getBool(d, "validateRequestBody")
		params, _ := getBool(d, "validateRequestParameters")
		id := model.NewID(6)
		im.validators[name] = id
		im.doc.RequestValidators[id] = &model.RequestValidator{Id: id, Name: name,
			ValidateRequestBody: body, ValidateRequestParameters: params}
	}
	if name, ok := im.root[extValidator]; ok {
		s, _ := name.(string)
		if _, known := im.validators[s]; !known {
			im.errorf("Invalid request validator '%v' at the document root: not declared in %s", name, extValidators)
		}
	}
}

func (im *importer) gatewayResponses() {
	v, ok := im.root[extGatewayResponses]
	if !ok {
		return
	}
	defs, ok := v.(map[string]any)
	if !ok {
		im.errorf("Invalid %s: expected a map of response types", extGatewayResponses)
		return
	}
	for _, typ := range sortedKeys(defs) {
		if _, known := model.DefaultGatewayResponse(typ); !known {
			im.errorf("Invalid gateway response type '%s'", typ)
			continue
		}
		d, _ := defs[typ].(map[string]any)
		gr := &model.GatewayResponse{ResponseType: typ, ResponseParameters: map[string]string{},
			ResponseTemplates: map[string]string{}}
		if v, ok := d["statusCode"]; ok {
			gr.StatusCode = scalarText(v)
			if !statusCodeRe.MatchString(gr.StatusCode) {
				im.errorf("Invalid status code '%s' for gateway response %s: must match [1-5]\\d\\d", gr.StatusCode, typ)
			}
		}
		if v, ok := d["responseParameters"]; ok {
			m, bad, ok := stringMap(v)
			if !ok {
				im.errorf("Invalid responseParameters for gateway response %s: value of '%s' must be a string", typ, bad)
			}
			for k, val := range m {
				if !strings.HasPrefix(k, "gatewayresponse.") {
					im.errorf("Invalid mapping expression specified: %s", k)
				}
				gr.ResponseParameters[k] = val
			}
		}
		if v, ok := d["responseTemplates"]; ok {
			m, bad, ok := stringMap(v)
			if !ok {
				im.errorf("Invalid responseTemplates for gateway response %s: template for '%s' must be a string", typ, bad)
			}
			for k, val := range m {
				gr.ResponseTemplates[k] = val
			}
		}
		im.doc.GatewayResponses[typ] = gr
	}
}

// basePath returns the path prefix the import puts before every path, per ImportOptions.BasePath.
func (im *importer) basePath() []string {
	mode := strings.ToLower(strings.TrimSpace(im.opts.BasePath))
	switch mode {
	case "", "ignore":
		return nil
	case "prepend", "split":
	default:
		im.errorf("Invalid basepath option '%s'. Valid values are ignore, prepend, split", im.opts.BasePath)
		return nil
	}
	var base string
	if im.v3 {
		base = im.serverBasePath()
	} else {
		base, _ = getString(im.root, "basePath")
	}
	var segs []string
	for _, s := range strings.Split(base, "/") {
		if s != "" {
			segs = append(segs, s)
		}
	}
	if mode == "split" && len(segs) > 0 {
		segs = segs[1:]
	}
	return segs
}

// serverBasePath reads the OpenAPI 3 base path: the first server's basePath variable if it has
// one, else the path of its URL with variables replaced by their defaults.
func (im *importer) serverBasePath() string {
	servers, _ := getList(im.root, "servers")
	if len(servers) == 0 {
		return ""
	}
	s, _ := servers[0].(map[string]any)
	vars, _ := getMap(s, "variables")
	if bp, ok := getMap(vars, "basePath"); ok {
		d, _ := getString(bp, "default")
		return d
	}
	raw, _ := getString(s, "url")
	for _, name := range sortedKeys(vars) {
		vm, _ := vars[name].(map[string]any)
		d, _ := getString(vm, "default")
		raw = strings.ReplaceAll(raw, "{"+name+"}", d)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Path
}

// hashName names a generated model after its schema, so equal inline schemas share one model and
// re-importing the same document gives the same names.
func hashName(schema any) string {
	b, _ := json.Marshal(schema)
	sum := sha256.Sum256(b)
	return "Model" + hex.EncodeToString(sum[:])[:10]
}

func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}
