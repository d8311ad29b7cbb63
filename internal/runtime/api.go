// Package runtime holds what the data plane executes: the compiled, immutable value of one
// (API, stage) — route tree, resolved gateway responses, compiled integrations — and the Table that
// maps (apiId, stage) to it behind an atomic pointer, so a request takes no lock and a redeploy is
// one pointer swap.
//
// runtime imports the standard library and the two parsers whose compiled values it holds,
// jsonpath and vtl (both import nothing of Portico's). It must never import the store, the
// compiler or the gateway: it is the value they exchange.
package runtime

import (
	"net/textproto"
	"regexp"
	"time"

	"github.com/portico/portico/internal/jsonpath"
	"github.com/portico/portico/internal/vtl"
)

// API is one stage of one REST API, compiled. Nothing in it changes after Compile returns; a new
// deployment or stage setting produces a new API.
type API struct {
	ID           string
	Stage        string
	DeploymentID string
	// StageVariables are the stage's variables (read-only).
	StageVariables   map[string]string
	BinaryMediaTypes []string
	// ExecuteAPIDisabled is the API's disableExecuteApiEndpoint: the invoke URLs refuse calls.
	ExecuteAPIDisabled bool
	Routes             *Tree
	// APIKeySource is where API keys come from: HEADER (x-api-key; also "") or AUTHORIZER.
	APIKeySource string
	// Responses holds the resolved gateway response of every type.
	Responses GatewayResponses
	// Policy is the API's resource policy (nil when it has none).
	Policy ResourcePolicy
	// Observe is what the data plane attached at load to log and count this stage's requests
	// with (access log, metric series); runtime does not look inside it.
	Observe any

	// ClientCertificateID is the stage's clientCertificateId: the certificate presented to HTTPS
	// backends ("" for none).
	ClientCertificateID string
	// ResponseCache is the stage's response cache the data plane attached at load (nil when the
	// stage's cache cluster is off); runtime does not look inside it.
	ResponseCache any

	// Canary is the stage's canary release, compiled against the canary's deployment with the
	// stage's variables overlaid by its stageVariableOverrides (nil when the stage has none
	// or sends it no traffic); CanaryPercent is the share of requests it takes (0..100).
	Canary        *API
	CanaryPercent float64
	// IsCanary marks the API of a canary release ($context.isCanaryRequest); UseStageCache is
	// its canarySettings.useStageCache (the canary may read and fill the stage's cache).
	IsCanary, UseStageCache bool
	// Compression is the API's minimumCompressionSize (nil when compression is off).
	Compression *Compression
}

// Compression says which responses are compressed: those whose body has at least MinSize
// bytes, for a client whose Accept-Encoding prefers gzip or deflate.
type Compression struct {
	MinSize int64
}

// Verb indexes a Resource's methods. ANY is the fallback slot.
type Verb uint8

// The verbs a REST method can have.
const (
	VerbGET Verb = iota
	VerbPUT
	VerbPOST
	VerbDELETE
	VerbPATCH
	VerbOPTIONS
	VerbHEAD
	VerbANY
	numVerbs
)

var verbNames = [numVerbs]string{"GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD", "ANY"}

func (v Verb) String() string {
	if v < numVerbs {
		return verbNames[v]
	}
	return "?"
}

// ParseVerb returns the Verb of an HTTP method name (exact, upper case) and false for any other.
func ParseVerb(s string) (Verb, bool) {
	for i, n := range verbNames {
		if n == s {
			return Verb(i), true
		}
	}
	return 0, false
}

// Method is one verb of a resource, compiled.
type Method struct {
	Verb     Verb
	Resource *Resource
	// AuthorizationType is NONE, AWS_IAM, CUSTOM or COGNITO_USER_POOLS ("" means NONE).
	AuthorizationType string
	// Authorizer runs for CUSTOM and COGNITO_USER_POOLS methods (nil otherwise); a method whose
	// authorizerId names no authorizer of the deployment keeps a nil one and answers 500.
	Authorizer *Authorizer
	// AuthorizationScopes are the OAuth scopes a COGNITO_USER_POOLS method requires.
	AuthorizationScopes []string
	APIKeyRequired      bool
	// Throttle is the stage's throttle of this method (nil: none set).
	Throttle *Throttle
	// Validation is the method's request validator (nil when it has none).
	Validation *Validation
	// Integration says how the method is answered.
	Integration *Integration
	// Cache says how the stage caches the method's answers (nil: it does not).
	Cache *Cache
}

// IntegrationKind says which executor runs a method.
type IntegrationKind uint8

const (
	// Unsupported integrations answer 500 Internal server error; Integration.Reason says why.
	Unsupported IntegrationKind = iota
	Mock
	HTTPProxy
	// HTTP is a non-proxy HTTP integration: mapped parameters and templates on both sides.
	HTTP
	// LambdaProxy (AWS_PROXY) and Lambda (AWS with a lambda:path uri) invoke a function
	// (Integration.Lambda); AWSService (AWS) calls an AWS-compatible service (Integration.AWS).
	LambdaProxy
	Lambda
	AWSService
)

// Integration is a method's compiled integration.
type Integration struct {
	Kind IntegrationKind
	// Reason explains an Unsupported integration (logged when it is called).
	Reason string
	// Timeout is min(timeoutInMillis, the server's cap).
	Timeout time.Duration

	// RequestTemplates are selected by request Content-Type (non-proxy integrations).
	RequestTemplates []RequestTemplate
	// Passthrough is the integration's passthroughBehavior.
	Passthrough Passthrough

	// Responses are the integration responses with a selection pattern, in selection order;
	// DefaultResponse is the one without (nil when none).
	Responses       []*IntegrationResponse
	DefaultResponse *IntegrationResponse

	// HTTP describes the upstream of HTTP_PROXY and HTTP integrations.
	HTTP *HTTPTarget
	// Lambda names the function of Lambda integrations; AWS the service call of AWSService.
	Lambda *LambdaTarget
	AWS    *AWSTarget
	// ContentHandling is the request's CONVERT_TO_TEXT / CONVERT_TO_BINARY ("" passes through).
	ContentHandling string
}

// Passthrough is an integration's passthroughBehavior.
type Passthrough uint8

const (
	WhenNoMatch Passthrough = iota
	WhenNoTemplates
	Never
)

// RequestTemplate is one request mapping template.
type RequestTemplate struct {
	ContentType string
	Text        string
	// Template is Text parsed; nil when Text holds no reference or directive and so renders as
	// itself.
	Template *vtl.Template
	// MockStatus is the status a MOCK template without references or directives names; MockErr
	// says why it names none.
	MockStatus int
	MockErr    error
}

// SelectRequestTemplate picks the template for a request Content-Type per AWS's rule: the MIME
// type without parameters, application/json when absent. found is false when none matches.
func (in *Integration) SelectRequestTemplate(contentType string) (t *RequestTemplate, found bool) {
	mt := MediaType(contentType)
	for i := range in.RequestTemplates {
		if in.RequestTemplates[i].ContentType == mt {
			return &in.RequestTemplates[i], true
		}
	}
	return nil, false
}

// MediaType returns the lower-cased MIME type of a Content-Type value without its parameters,
// and application/json for an empty value.
func MediaType(v string) string {
	for i := 0; i < len(v); i++ {
		if v[i] == ';' {
			v = v[:i]
			break
		}
	}
	v = trimSpace(v)
	if v == "" {
		return "application/json"
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c >= 'A' && c <= 'Z' {
			return toLower(v)
		}
	}
	return v
}

func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// IntegrationResponse is one compiled integration response.
type IntegrationResponse struct {
	StatusCode int
	// Status is StatusCode as written ("404").
	Status string
	// Pattern is the whole-match selection regex (nil for the default response).
	Pattern *regexp.Regexp
	// HasMethodResponse is false when the method declares no response for StatusCode; selecting
	// it is then a configuration error (500).
	HasMethodResponse bool
	Headers           []HeaderParam
	// Templates are the response templates by content type.
	Templates []ResponseTemplate
	// ContentHandling is CONVERT_TO_TEXT, CONVERT_TO_BINARY or "" (passthrough).
	ContentHandling string
}

// ResponseTemplate is one response template.
type ResponseTemplate struct {
	ContentType string
	Text        string
	// Template is Text parsed; nil when Text renders as itself.
	Template *vtl.Template
}

// SelectResponseTemplate picks a response template for the client's Accept header.
func SelectResponseTemplate(ts []ResponseTemplate, accept string) *ResponseTemplate {
	if i := SelectByAccept(len(ts), func(i int) string { return ts[i].ContentType }, accept); i >= 0 {
		return &ts[i]
	}
	return nil
}

// SelectByAccept applies AWS's response template rule to n templates whose media types
// contentType gives: the first media type of Accept exactly, else application/json, else the
// first. It returns -1 when n is 0.
func SelectByAccept(n int, contentType func(int) string, accept string) int {
	if n <= 1 {
		return n - 1
	}
	for i := 0; i < len(accept); i++ {
		if accept[i] == ',' {
			accept = accept[:i]
			break
		}
	}
	mt := MediaType(accept)
	for i := range n {
		if contentType(i) == mt {
			return i
		}
	}
	for i := range n {
		if contentType(i) == "application/json" {
			return i
		}
	}
	return 0
}

// Select returns the integration response for a selection string: among the responses whose
// pattern matches the whole string, the one whose own status code is the string (as measured on
// AWS, ministack#1756), else the first in status order; else the default; else nil.
func (in *Integration) Select(s string) *IntegrationResponse {
	var first *IntegrationResponse
	for _, r := range in.Responses {
		if r.Pattern.MatchString(s) {
			if r.Status == s {
				return r
			}
			if first == nil {
				first = r
			}
		}
	}
	if first != nil {
		return first
	}
	return in.DefaultResponse
}

// SourceKind says where a mapped value comes from.
type SourceKind uint8

const (
	// SrcLiteral is a constant: a 'quoted literal', or a stage variable resolved at compile time.
	SrcLiteral SourceKind = iota
	// SrcPath is a path parameter of the matched route (Index into its params, or by Name
	// when Index < 0).
	SrcPath
	SrcQuery
	SrcHeader
	// SrcContext is a $context variable named by Name (e.g. "requestId", "error.message").
	SrcContext
	// SrcMultiQuery and SrcMultiHeader are every value of a query parameter or header.
	SrcMultiQuery
	SrcMultiHeader
	// SrcBody is the request body; SrcBodyPath a JSONPath into it (Path).
	SrcBody
	SrcBodyPath
	// SrcRespHeader, SrcRespMultiHeader, SrcRespBody and SrcRespBodyPath read the integration's
	// response.
	SrcRespHeader
	SrcRespMultiHeader
	SrcRespBody
	SrcRespBodyPath
)

// Source is a compiled mapping expression.
type Source struct {
	Kind  SourceKind
	Name  string // literal value, or the parameter / variable name
	Index int
	// Path is the JSONPath of SrcBodyPath and SrcRespBodyPath.
	Path *jsonpath.Path
	// Ref is a SrcContext's $context reference parsed by the template engine, which resolves
	// the variables the gateway has no quick answer for.
	Ref *vtl.Template
}

// HeaderParam sets one response or request header.
type HeaderParam struct {
	// Name is in canonical form (http.CanonicalHeaderKey), so it can index an http.Header.
	Name   string
	Source Source
	// Values is []string{value} for a literal source, shared by every request (never modified).
	Values []string
}

// NewHeaderParam returns the parameter setting header name from src.
func NewHeaderParam(name string, src Source) HeaderParam {
	p := HeaderParam{Name: textproto.CanonicalMIMEHeaderKey(name), Source: src}
	if src.Kind == SrcLiteral {
		p.Values = []string{src.Name}
	}
	return p
}

// QueryParam adds one query string parameter.
type QueryParam struct {
	Name   string
	Source Source
}

// HTTPTarget is the compiled upstream of an HTTP_PROXY integration.
type HTTPTarget struct {
	// Method is the upstream verb; "" means the client's.
	Method string
	Scheme string
	Host   string
	// Path and Query are the URI's path and query, with placeholders to fill per request.
	Path  []URIPart
	Query []URIPart
	// QueryParams and Headers come from integration.request.querystring/header mappings.
	QueryParams        []QueryParam
	Headers            []HeaderParam
	InsecureSkipVerify bool
}

// URIPart is a piece of an upstream URI: literal text, or (Param=true) the placeholder Name's
// value from Source.
type URIPart struct {
	Text   string
	Param  bool
	Name   string
	Source Source
}
