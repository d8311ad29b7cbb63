package mgmt

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// call is one verified request on its way through a handler.
type call struct {
	w    http.ResponseWriter
	r    *http.Request
	body []byte
	q    url.Values
	p    map[string]string // path placeholders
}

// handler serves one operation and returns the status and the value to write as JSON (nil for
// an empty body, *rawOutput for a document).
type handler func(s *server, c *call) (int, any, error)

type route struct {
	method  string
	pattern []string // literal segments, or {name} placeholders
	mode    string   // required value of ?mode= ("" matches only when absent), "*" for any
	h       handler
}

func op(method, pattern string, h handler) route {
	return route{method: method, pattern: strings.Split(strings.Trim(pattern, "/"), "/"), mode: "*", h: h}
}

func rMode(method, pattern, mode string, h handler) route {
	rt := op(method, pattern, h)
	rt.mode = mode
	return rt
}

// routes is the whole surface served, AWS's apigateway v1 operations by verb and path.
var routes = []route{
	op("GET", "/account", (*server).getAccount),
	op("PATCH", "/account", (*server).updateAccount),

	rMode("POST", "/apikeys", "import", (*server).importApiKeys),
	rMode("POST", "/apikeys", "", (*server).createApiKey),
	op("GET", "/apikeys", (*server).getApiKeys),
	op("GET", "/apikeys/{key}", (*server).getApiKey),
	op("PATCH", "/apikeys/{key}", (*server).updateApiKey),
	op("DELETE", "/apikeys/{key}", (*server).deleteApiKey),

	op("POST", "/usageplans", (*server).createUsagePlan),
	op("GET", "/usageplans", (*server).getUsagePlans),
	op("GET", "/usageplans/{plan}", (*server).getUsagePlan),
	op("PATCH", "/usageplans/{plan}", (*server).updateUsagePlan),
	op("DELETE", "/usageplans/{plan}", (*server).deleteUsagePlan),
	op("POST", "/usageplans/{plan}/keys", (*server).createUsagePlanKey),
	op("GET", "/usageplans/{plan}/keys", (*server).getUsagePlanKeys),
	op("GET", "/usageplans/{plan}/keys/{key}", (*server).getUsagePlanKey),
	op("DELETE", "/usageplans/{plan}/keys/{key}", (*server).deleteUsagePlanKey),
	op("GET", "/usageplans/{plan}/usage", (*server).getUsage),
	op("PATCH", "/usageplans/{plan}/keys/{key}/usage", (*server).updateUsage),

	op("POST", "/domainnames", (*server).createDomainName),
	op("GET", "/domainnames", (*server).getDomainNames),
	op("GET", "/domainnames/{domain}", (*server).getDomainName),
	op("PATCH", "/domainnames/{domain}", (*server).updateDomainName),
	op("DELETE", "/domainnames/{domain}", (*server).deleteDomainName),
	op("POST", "/domainnames/{domain}/basepathmappings", (*server).createBasePathMapping),
	op("GET", "/domainnames/{domain}/basepathmappings", (*server).getBasePathMappings),
	op("GET", "/domainnames/{domain}/basepathmappings/{basepath}", (*server).getBasePathMapping),
	op("PATCH", "/domainnames/{domain}/basepathmappings/{basepath}", (*server).updateBasePathMapping),
	op("DELETE", "/domainnames/{domain}/basepathmappings/{basepath}", (*server).deleteBasePathMapping),

	op("POST", "/clientcertificates", (*server).generateClientCertificate),
	op("GET", "/clientcertificates", (*server).getClientCertificates),
	op("GET", "/clientcertificates/{cert}", (*server).getClientCertificate),
	op("PATCH", "/clientcertificates/{cert}", (*server).updateClientCertificate),
	op("DELETE", "/clientcertificates/{cert}", (*server).deleteClientCertificate),

	op("GET", "/tags/{arn}", (*server).getTags),
	op("PUT", "/tags/{arn}", (*server).tagResource),
	op("DELETE", "/tags/{arn}", (*server).untagResource),

	rMode("POST", "/restapis", "import", (*server).importRestApi),
	rMode("POST", "/restapis", "", (*server).createRestApi),
	op("GET", "/restapis", (*server).getRestApis),
	op("GET", "/restapis/{api}", (*server).getRestApi),
	op("PATCH", "/restapis/{api}", (*server).updateRestApi),
	op("PUT", "/restapis/{api}", (*server).putRestApi),
	op("DELETE", "/restapis/{api}", (*server).deleteRestApi),

	op("GET", "/restapis/{api}/resources", (*server).getResources),
	op("POST", "/restapis/{api}/resources/{parent}", (*server).createResource),
	op("GET", "/restapis/{api}/resources/{res}", (*server).getResource),
	op("PATCH", "/restapis/{api}/resources/{res}", (*server).updateResource),
	op("DELETE", "/restapis/{api}/resources/{res}", (*server).deleteResource),

	op("PUT", "/restapis/{api}/resources/{res}/methods/{verb}", (*server).putMethod),
	op("GET", "/restapis/{api}/resources/{res}/methods/{verb}", (*server).getMethod),
	op("PATCH", "/restapis/{api}/resources/{res}/methods/{verb}", (*server).updateMethod),
	op("DELETE", "/restapis/{api}/resources/{res}/methods/{verb}", (*server).deleteMethod),
	op("POST", "/restapis/{api}/resources/{res}/methods/{verb}", (*server).testInvokeMethod),

	op("PUT", "/restapis/{api}/resources/{res}/methods/{verb}/responses/{status}", (*server).putMethodResponse),
	op("GET", "/restapis/{api}/resources/{res}/methods/{verb}/responses/{status}", (*server).getMethodResponse),
	op("PATCH", "/restapis/{api}/resources/{res}/methods/{verb}/responses/{status}", (*server).updateMethodResponse),
	op("DELETE", "/restapis/{api}/resources/{res}/methods/{verb}/responses/{status}", (*server).deleteMethodResponse),

	op("PUT", "/restapis/{api}/resources/{res}/methods/{verb}/integration", (*server).putIntegration),
	op("GET", "/restapis/{api}/resources/{res}/methods/{verb}/integration", (*server).getIntegration),
	op("PATCH", "/restapis/{api}/resources/{res}/methods/{verb}/integration", (*server).updateIntegration),
	op("DELETE", "/restapis/{api}/resources/{res}/methods/{verb}/integration", (*server).deleteIntegration),

	op("PUT", "/restapis/{api}/resources/{res}/methods/{verb}/integration/responses/{status}", (*server).putIntegrationResponse),
	op("GET", "/restapis/{api}/resources/{res}/methods/{verb}/integration/responses/{status}", (*server).getIntegrationResponse),
	op("PATCH", "/restapis/{api}/resources/{res}/methods/{verb}/integration/responses/{status}", (*server).updateIntegrationResponse),
	op("DELETE", "/restapis/{api}/resources/{res}/methods/{verb}/integration/responses/{status}", (*server).deleteIntegrationResponse),

	op("POST", "/restapis/{api}/deployments", (*server).createDeployment),
	op("GET", "/restapis/{api}/deployments", (*server).getDeployments),
	op("GET", "/restapis/{api}/deployments/{dep}", (*server).getDeployment),
	op("PATCH", "/restapis/{api}/deployments/{dep}", (*server).updateDeployment),
	op("DELETE", "/restapis/{api}/deployments/{dep}", (*server).deleteDeployment),

	op("POST", "/restapis/{api}/stages", (*server).createStage),
	op("GET", "/restapis/{api}/stages", (*server).getStages),
	op("GET", "/restapis/{api}/stages/{stage}", (*server).getStage),
	op("PATCH", "/restapis/{api}/stages/{stage}", (*server).updateStage),
	op("DELETE", "/restapis/{api}/stages/{stage}", (*server).deleteStage),
	op("DELETE", "/restapis/{api}/stages/{stage}/cache/data", (*server).flushStageCache),
	op("DELETE", "/restapis/{api}/stages/{stage}/cache/authorizers", (*server).flushStageAuthorizersCache),
	op("GET", "/restapis/{api}/stages/{stage}/exports/{type}", (*server).getExport),

	op("POST", "/restapis/{api}/models", (*server).createModel),
	op("GET", "/restapis/{api}/models", (*server).getModels),
	op("GET", "/restapis/{api}/models/{model}", (*server).getModel),
	op("PATCH", "/restapis/{api}/models/{model}", (*server).updateModel),
	op("DELETE", "/restapis/{api}/models/{model}", (*server).deleteModel),

	op("POST", "/restapis/{api}/requestvalidators", (*server).createRequestValidator),
	op("GET", "/restapis/{api}/requestvalidators", (*server).getRequestValidators),
	op("GET", "/restapis/{api}/requestvalidators/{validator}", (*server).getRequestValidator),
	op("PATCH", "/restapis/{api}/requestvalidators/{validator}", (*server).updateRequestValidator),
	op("DELETE", "/restapis/{api}/requestvalidators/{validator}", (*server).deleteRequestValidator),

	op("POST", "/restapis/{api}/authorizers", (*server).createAuthorizer),
	op("GET", "/restapis/{api}/authorizers", (*server).getAuthorizers),
	op("GET", "/restapis/{api}/authorizers/{authorizer}", (*server).getAuthorizer),
	op("PATCH", "/restapis/{api}/authorizers/{authorizer}", (*server).updateAuthorizer),
	op("DELETE", "/restapis/{api}/authorizers/{authorizer}", (*server).deleteAuthorizer),
	op("POST", "/restapis/{api}/authorizers/{authorizer}", (*server).testInvokeAuthorizer),

	op("GET", "/restapis/{api}/gatewayresponses", (*server).getGatewayResponses),
	op("PUT", "/restapis/{api}/gatewayresponses/{type}", (*server).putGatewayResponse),
	op("GET", "/restapis/{api}/gatewayresponses/{type}", (*server).getGatewayResponse),
	op("PATCH", "/restapis/{api}/gatewayresponses/{type}", (*server).updateGatewayResponse),
	op("DELETE", "/restapis/{api}/gatewayresponses/{type}", (*server).deleteGatewayResponse),
}

// route finds the operation for the request and runs it.
func (s *server) route(c *call) (int, any, error) {
	rt, params := findRoute(c.r, c.q.Get("mode"))
	if rt == nil {
		return 0, nil, unknownOperation()
	}
	c.p = params
	return rt.h(s, c)
}

// findRoute returns the route serving r and its path placeholders; nil when none does.
func findRoute(r *http.Request, mode string) (*route, map[string]string) {
	raw := strings.Trim(r.URL.EscapedPath(), "/")
	segs := strings.Split(raw, "/")
	for i, seg := range segs {
		u, err := url.PathUnescape(seg)
		if err != nil {
			return nil, nil
		}
		segs[i] = u
	}
	for i := range routes {
		rt := &routes[i]
		if rt.method != r.Method || len(rt.pattern) != len(segs) {
			continue
		}
		if rt.mode != "*" && rt.mode != mode {
			continue
		}
		if params, ok := match(rt.pattern, segs); ok {
			return rt, params
		}
	}
	return nil, nil
}

func match(pattern, segs []string) (map[string]string, bool) {
	var params map[string]string
	for i, p := range pattern {
		if strings.HasPrefix(p, "{") {
			if segs[i] == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[p[1:len(p)-1]] = segs[i]
			continue
		}
		if p != segs[i] {
			return nil, false
		}
	}
	return params, true
}

// decode reads the JSON body into v. An empty body is an empty object. Malformed JSON and values
// of the wrong type are refused, never silently zeroed; unknown fields are ignored as AWS does.
func (c *call) decode(v any) error {
	b := bytes.TrimSpace(c.body)
	if len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			if te.Field == "" {
				return serialization("Expected a JSON object as the request body, got %s", te.Value)
			}
			return serialization("Value of type %s can not be converted to %s at '%s'", te.Value, jsonTypeName(te.Type.String()), te.Field)
		}
		return serialization("Unable to parse the request body as JSON: %s", err.Error())
	}
	return nil
}

func jsonTypeName(goType string) string {
	switch {
	case strings.HasSuffix(goType, "string"):
		return "a String"
	case strings.HasSuffix(goType, "bool"):
		return "a Boolean"
	case strings.Contains(goType, "int"), strings.Contains(goType, "float"):
		return "a Number"
	case strings.Contains(goType, "map"), strings.Contains(goType, "struct"):
		return "an Object"
	case strings.Contains(goType, "[]"):
		return "a List"
	}
	return goType
}

// list is AWS's v1 collection shape.
type list struct {
	Position string `json:"position,omitempty"`
	Item     any    `json:"item"`
}

// paginate cuts one page out of items (sorted by key) using ?position and ?limit. A position
// names the first key of the next page, so it survives inserts and deletes.
func paginate[T any](c *call, items []T, key func(T) string) (*list, error) {
	limit := 25
	if l := c.q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			return nil, badRequest("Invalid limit specified: %s", l)
		}
		if n < 1 || n > 500 {
			return nil, &apiError{http.StatusBadRequest, "ValidationException", fmt.Sprintf(
				"1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 500", n)}
		}
		limit = n
	}
	start := 0
	if p := c.q.Get("position"); p != "" {
		k, err := base64.RawURLEncoding.DecodeString(p)
		if err != nil {
			return nil, badRequest("Invalid position specified: %s", p)
		}
		start = len(items)
		for i, it := range items {
			if key(it) >= string(k) {
				start = i
				break
			}
		}
	}
	end := min(start+limit, len(items))
	page := items[start:end]
	if page == nil {
		page = []T{} // an empty list is "item": [], never null
	}
	out := &list{Item: page}
	if end < len(items) {
		out.Position = base64.RawURLEncoding.EncodeToString([]byte(key(items[end])))
	}
	return out, nil
}
