package openapi

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/portico/portico/internal/model"
)

var (
	integrationTypes = map[string]bool{"HTTP": true, "MOCK": true, "AWS_PROXY": true, "HTTP_PROXY": true, "AWS": true}
	passthroughs     = map[string]bool{"WHEN_NO_MATCH": true, "WHEN_NO_TEMPLATES": true, "NEVER": true}
	contentHandlings = map[string]bool{"CONVERT_TO_BINARY": true, "CONVERT_TO_TEXT": true}
	connectionTypes  = map[string]bool{"INTERNET": true, "VPC_LINK": true}
	integrationVerbs = map[string]bool{"GET": true, "PUT": true, "POST": true, "DELETE": true, "PATCH": true,
		"OPTIONS": true, "HEAD": true, "ANY": true}
)

var (
	integrationTarget = regexp.MustCompile(`^integration\.request\.(path|querystring|header|multivaluequerystring|multivalueheader)\.[a-zA-Z0-9._$\-]+$`)
	methodSource      = regexp.MustCompile(`^method\.request\.(path|querystring|header|multivaluequerystring|multivalueheader)\.([a-zA-Z0-9._$\-]+)$`)
	namedSource       = regexp.MustCompile(`^(stageVariables|context)\.[a-zA-Z0-9._$\-]+$`)
)

// requestSource checks one integration request parameter source expression and returns AWS's
// complaint, or "" if it is valid. A method request parameter it names must be declared.
func requestSource(src string, declared map[string]bool) string {
	switch {
	case len(src) >= 2 && strings.HasPrefix(src, "'") && strings.HasSuffix(src, "'"):
		return ""
	case src == "method.request.body" || strings.HasPrefix(src, "method.request.body."):
		return ""
	case namedSource.MatchString(src):
		return ""
	}
	m := methodSource.FindStringSubmatch(src)
	if m == nil {
		return "Invalid mapping expression specified: " + src
	}
	loc := strings.TrimPrefix(m[1], "multivalue")
	if loc == "header" || loc == "querystring" || loc == "path" {
		if _, ok := declared["method.request."+loc+"."+m[2]]; ok {
			return ""
		}
	}
	return "Invalid mapping expression parameter specified: " + src
}

// placeholder matches the {name} and ${stageVariables.name} parts an integration URI may hold.
var placeholder = regexp.MustCompile(`\$?\{[^{}]*\}`)

// validHTTPURI reports whether an HTTP integration URI is an absolute http(s) URL once its
// placeholders are filled.
func validHTTPURI(uri string) bool {
	u, err := url.Parse(placeholder.ReplaceAllString(uri, "x"))
	if err != nil {
		return false
	}
	scheme := strings.ToLower(u.Scheme)
	return (scheme == "http" || scheme == "https") && u.Host != ""
}

// integrationKnown lists the keys of x-amazon-apigateway-integration the importer reads; the
// HTTP-API-only ones are listed as warnings.
var integrationKnown = map[string]bool{
	"type": true, "uri": true, "httpMethod": true, "credentials": true, "connectionType": true,
	"connectionId": true, "passthroughBehavior": true, "contentHandling": true, "cacheKeyParameters": true,
	"cacheNamespace": true, "timeoutInMillis": true, "requestParameters": true, "requestTemplates": true,
	"responses": true, "tlsConfig": true,
}

// integration reads x-amazon-apigateway-integration.
// declared is the method's requestParameters, which mapping expressions and cache keys must name.
func (im *importer) integration(res *model.Resource, declared map[string]bool, v any, where string) *model.Integration {
	d, ok := v.(map[string]any)
	if !ok {
		im.errorf("Unable to put integration on '%s': %s must be a map", where, extIntegration)
		return nil
	}
	fail := func(format string, args ...any) {
		im.errorf("Unable to put integration on '"+where+"': "+format, args...)
	}
	for _, k := range sortedKeys(d) {
		if !integrationKnown[k] {
			im.warnf("Unsupported integration field '%s' on method '%s'. Ignoring.", k, where)
		}
	}
	in := &model.Integration{CacheKeyParameters: []string{}, TimeoutInMillis: defaultTimeout,
		PassthroughBehavior: "WHEN_NO_MATCH", CacheNamespace: res.Id}
	t, _ := getString(d, "type")
	in.Type = strings.ToUpper(t)
	if !integrationTypes[in.Type] {
		fail("1 validation error detected: Value '%s' at 'putIntegrationInput.type' failed to satisfy constraint: Member must satisfy enum value set: [HTTP, MOCK, AWS_PROXY, HTTP_PROXY, AWS]", t)
		return nil
	}
	in.Uri, _ = getString(d, "uri")
	if hm, ok := getString(d, "httpMethod"); ok {
		in.HttpMethod = strings.ToUpper(hm)
		if !integrationVerbs[in.HttpMethod] {
			fail("Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY")
		}
	}
	switch in.Type {
	case "HTTP", "HTTP_PROXY":
		if !validHTTPURI(in.Uri) {
			fail("Invalid HTTP endpoint specified for URI")
		}
		if in.HttpMethod == "" {
			fail("Enumeration value for HttpMethod must be non-empty")
		}
	case "AWS", "AWS_PROXY":
		if !strings.HasPrefix(in.Uri, "arn:") {
			fail("Invalid ARN specified in the request")
		} else if !strings.Contains(in.Uri, ":path/") && !strings.Contains(in.Uri, ":action/") {
			fail("AWS ARN for integration must contain path or action")
		}
		if in.HttpMethod == "" {
			fail("Enumeration value for HttpMethod must be non-empty")
		}
	}
	if s, ok := getString(d, "connectionType"); ok {
		in.ConnectionType = strings.ToUpper(s)
		if !connectionTypes[in.ConnectionType] {
			fail("Invalid connection type '%s'. Valid values are INTERNET, VPC_LINK", s)
		}
	}
	in.ConnectionId, _ = getString(d, "connectionId")
	in.Credentials, _ = getString(d, "credentials")
	if s, ok := getString(d, "passthroughBehavior"); ok {
		in.PassthroughBehavior = strings.ToUpper(s)
		if !passthroughs[in.PassthroughBehavior] {
			fail("Invalid passthrough behavior '%s'. Valid values are WHEN_NO_MATCH, WHEN_NO_TEMPLATES, NEVER", s)
		}
	}
	if s, ok := getString(d, "contentHandling"); ok {
		in.ContentHandling = strings.ToUpper(s)
		if !contentHandlings[in.ContentHandling] {
			fail("Invalid content handling strategy '%s'. Valid values are CONVERT_TO_BINARY, CONVERT_TO_TEXT", s)
		}
	}
	if _, ok := d["timeoutInMillis"]; ok {
		n, ok := getInt(d, "timeoutInMillis")
		if max := im.opts.maxTimeout(); !ok || n < 50 || n > max {
			fail("Timeout should be between 50 ms and %d ms", max)
		}
		in.TimeoutInMillis = n
	}
	if s, ok := getString(d, "cacheNamespace"); ok && s != "" {
		in.CacheNamespace = s
	}
	if v, ok := d["cacheKeyParameters"]; ok {
		l, ok := stringList(v)
		if !ok {
			fail("cacheKeyParameters must be a list of strings")
		}
		for _, k := range l {
			if _, ok := declared[k]; !ok {
				fail("Invalid cache key parameter specified: %s is not a declared method request parameter", k)
			}
		}
		in.CacheKeyParameters = append(in.CacheKeyParameters, l...)
	}
	if v, ok := d["requestParameters"]; ok {
		m, bad, ok := stringMap(v)
		if !ok {
			fail("Invalid mapping expression specified: the value of '%s' must be a string", bad)
		}
		for _, k := range sortedKeys(m) {
			if !integrationTarget.MatchString(k) {
				fail("Invalid mapping expression specified: %s", k)
			}
			if msg := requestSource(m[k], declared); msg != "" {
				fail("%s", msg)
			}
		}
		if len(m) > 0 {
			in.RequestParameters = m
		}
	}
	if v, ok := d["requestTemplates"]; ok {
		m, bad, ok := stringMap(v)
		if !ok {
			fail("the request template for '%s' must be a string", bad)
		}
		if len(m) > 0 {
			in.RequestTemplates = m
		}
	}
	if v, ok := d["tlsConfig"]; ok {
		tm, _ := v.(map[string]any)
		skip, _ := getBool(tm, "insecureSkipVerification")
		in.TlsConfig = &model.TlsConfig{InsecureSkipVerification: skip}
	}
	if v, ok := d["responses"]; ok {
		im.integrationResponses(in, v, fail, where)
	}
	return in
}

// integrationResponses reads the responses map: key = selection pattern ("default": none).
func (im *importer) integrationResponses(in *model.Integration, v any, fail func(string, ...any), where string) {
	rs, ok := v.(map[string]any)
	if !ok {
		fail("responses must be a map of selection patterns")
		return
	}
	for _, pattern := range sortedKeys(rs) {
		d, ok := rs[pattern].(map[string]any)
		if !ok {
			fail("the response for '%s' must be a map", pattern)
			continue
		}
		sc, ok := d["statusCode"]
		code := scalarText(sc)
		if !ok || !statusCodeRe.MatchString(code) {
			fail("Invalid status code '%s' for response '%s': must match [1-5]\\d\\d", code, pattern)
			continue
		}
		ir := &model.IntegrationResponse{StatusCode: code}
		if pattern != "default" {
			ir.SelectionPattern = pattern
		}
		if v, ok := d["responseParameters"]; ok {
			m, bad, ok := stringMap(v)
			if !ok {
				fail("Invalid mapping expression specified: the value of '%s' must be a string", bad)
			}
			if len(m) > 0 {
				ir.ResponseParameters = m
			}
		}
		if v, ok := d["responseTemplates"]; ok {
			m, bad, ok := stringMap(v)
			if !ok {
				fail("the response template for '%s' must be a string", bad)
			}
			if len(m) > 0 {
				ir.ResponseTemplates = m
			}
		}
		if s, ok := getString(d, "contentHandling"); ok {
			ir.ContentHandling = strings.ToUpper(s)
			if !contentHandlings[ir.ContentHandling] {
				fail("Invalid content handling strategy '%s'. Valid values are CONVERT_TO_BINARY, CONVERT_TO_TEXT", s)
			}
		}
		if in.IntegrationResponses == nil {
			in.IntegrationResponses = map[string]*model.IntegrationResponse{}
		}
		if prev, dup := in.IntegrationResponses[code]; dup {
			im.warnf("Integration responses '%s' and '%s' on method '%s' both map to status %s; keeping '%s'.",
				patternKey(prev.SelectionPattern), pattern, where, code, patternKey(prev.SelectionPattern))
			continue
		}
		in.IntegrationResponses[code] = ir
	}
}

func patternKey(p string) string {
	if p == "" {
		return "default"
	}
	return p
}
