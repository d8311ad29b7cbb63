package mgmt

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

var (
	integrationTypes     = []string{"HTTP", "MOCK", "AWS_PROXY", "HTTP_PROXY", "AWS"}
	passthroughBehaviors = []string{"WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER"}
	contentHandlings     = []string{"CONVERT_TO_BINARY", "CONVERT_TO_TEXT"}
	connectionTypes      = []string{"INTERNET", "VPC_LINK"}
)

type putIntegrationInput struct {
	Type                *string           `json:"type"`
	HttpMethod          string            `json:"httpMethod"`
	Uri                 string            `json:"uri"`
	ConnectionType      string            `json:"connectionType"`
	ConnectionId        string            `json:"connectionId"`
	Credentials         string            `json:"credentials"`
	RequestParameters   map[string]string `json:"requestParameters"`
	RequestTemplates    map[string]string `json:"requestTemplates"`
	PassthroughBehavior string            `json:"passthroughBehavior"`
	CacheNamespace      string            `json:"cacheNamespace"`
	CacheKeyParameters  []string          `json:"cacheKeyParameters"`
	ContentHandling     string            `json:"contentHandling"`
	TimeoutInMillis     *int64            `json:"timeoutInMillis"`
	TlsConfig           *model.TlsConfig  `json:"tlsConfig"`
}

// validHTTPURI reports whether u is an absolute http(s) URL with a host, allowing the
// {param} and ${stageVariables.x} placeholders AWS allows.
func validHTTPURI(u string) bool {
	p, err := url.Parse(strings.NewReplacer("${", "", "{", "", "}", "").Replace(u))
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return false
	}
	if port := p.Port(); port != "" && !strings.Contains(u, "${") {
		n, err := strconv.Atoi(port)
		if err != nil || (n != 80 && n != 443 && n <= 1024) {
			return false
		}
	}
	return true
}

// validateIntegration checks an integration as it will be stored.
func validateIntegration(in *model.Integration, input string, maxTimeoutMillis int64) error {
	if !contains(integrationTypes, in.Type) {
		return enumError(in.Type, input+".type", integrationTypes)
	}
	if in.PassthroughBehavior != "" && !contains(passthroughBehaviors, in.PassthroughBehavior) {
		return badRequest("Invalid passthrough behavior specified: %s, valid values are: WHEN_NO_MATCH, WHEN_NO_TEMPLATES, NEVER", in.PassthroughBehavior)
	}
	if in.ContentHandling != "" && !contains(contentHandlings, in.ContentHandling) {
		return badRequest("Invalid content handling specified: %s, valid values are: CONVERT_TO_BINARY, CONVERT_TO_TEXT", in.ContentHandling)
	}
	if in.ConnectionType != "" && !contains(connectionTypes, in.ConnectionType) {
		return enumError(in.ConnectionType, input+".connectionType", connectionTypes)
	}
	if in.ConnectionType == "VPC_LINK" {
		return badRequest("Portico does not support VPC_LINK connections; use connectionType INTERNET")
	}
	if in.TimeoutInMillis < 50 || in.TimeoutInMillis > maxTimeoutMillis {
		return badRequest("Timeout should be between 50 ms and %d ms", maxTimeoutMillis)
	}
	switch in.Type {
	case "HTTP", "HTTP_PROXY":
		if in.HttpMethod == "" {
			return badRequest("Enumeration value for HttpMethod must be non-empty")
		}
		if !contains(httpMethods, in.HttpMethod) {
			return badRequest("Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY")
		}
		if !validHTTPURI(in.Uri) {
			return badRequest("Invalid HTTP endpoint specified for URI")
		}
	case "AWS", "AWS_PROXY":
		if in.HttpMethod == "" {
			return badRequest("Enumeration value for HttpMethod must be non-empty")
		}
		if !strings.HasPrefix(in.Uri, "arn:aws:apigateway:") {
			return badRequest("Invalid ARN specified in the request")
		}
		if !strings.Contains(in.Uri, ":path/") && !strings.Contains(in.Uri, ":action/") {
			return badRequest("AWS ARN for integration must contain path or action")
		}
	case "MOCK":
		if in.HttpMethod != "" && !contains(httpMethods, in.HttpMethod) {
			return badRequest("Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY")
		}
	}
	return nil
}

func (s *server) putIntegration(c *call) (int, any, error) {
	var in putIntegrationInput
	if err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	if in.Type == nil {
		return 0, nil, &apiError{http.StatusBadRequest, "ValidationException", "1 validation error detected: Value null at 'putIntegrationInput.type' failed to satisfy constraint: Member must not be null"}
	}
	ig := &model.Integration{
		Type:                *in.Type,
		HttpMethod:          in.HttpMethod,
		Uri:                 in.Uri,
		ConnectionType:      in.ConnectionType,
		ConnectionId:        in.ConnectionId,
		Credentials:         in.Credentials,
		RequestParameters:   in.RequestParameters,
		RequestTemplates:    in.RequestTemplates,
		PassthroughBehavior: in.PassthroughBehavior,
		ContentHandling:     in.ContentHandling,
		TimeoutInMillis:     29000,
		CacheNamespace:      in.CacheNamespace,
		CacheKeyParameters:  in.CacheKeyParameters,
		TlsConfig:           in.TlsConfig,
	}
	if in.TimeoutInMillis != nil {
		ig.TimeoutInMillis = *in.TimeoutInMillis
	}
	if ig.PassthroughBehavior == "" {
		ig.PassthroughBehavior = "WHEN_NO_MATCH"
	}
	if ig.CacheKeyParameters == nil {
		ig.CacheKeyParameters = []string{}
	}
	if ig.ConnectionType == "" && (ig.Type == "HTTP" || ig.Type == "HTTP_PROXY") {
		ig.ConnectionType = "INTERNET"
	}
	if err := validateIntegration(ig, "putIntegrationInput", s.maxTimeoutMillis); err != nil {
		return 0, nil, err
	}
	err := s.updateDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		r, m, err := findMethod(d, c.p["res"], c.p["verb"])
		if err != nil {
			return err
		}
		if ig.CacheNamespace == "" {
			ig.CacheNamespace = r.Id
		}
		// Replacing an integration keeps its responses, which are set up separately.
		if m.MethodIntegration != nil {
			ig.IntegrationResponses = m.MethodIntegration.IntegrationResponses
		}
		m.MethodIntegration = ig
		return nil
	})
	return http.StatusCreated, ig, err
}

func (s *server) getIntegration(c *call) (int, any, error) {
	var out *model.Integration
	err := s.viewDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		ig, err := findIntegration(d, c.p["res"], c.p["verb"])
		out = ig
		return err
	})
	return http.StatusOK, out, err
}

func integrationRules(ig *model.Integration) []patchRule {
	return []patchRule{
		replaceString("/uri", &ig.Uri),
		replaceString("/httpMethod", &ig.HttpMethod),
		replaceString("/type", &ig.Type),
		replaceString("/passthroughBehavior", &ig.PassthroughBehavior),
		{path: "/timeoutInMillis", ops: replaceOnly, apply: func(p patch) error {
			n, err := patchInt(p)
			if err != nil {
				return badRequest("Invalid timeoutInMillis specified: %s", p.value)
			}
			ig.TimeoutInMillis = n
			return nil
		}},
		replaceString("/contentHandling", &ig.ContentHandling),
		replaceString("/credentials", &ig.Credentials),
		replaceString("/cacheNamespace", &ig.CacheNamespace),
		replaceString("/connectionType", &ig.ConnectionType),
		replaceString("/connectionId", &ig.ConnectionId),
		stringMap("/requestTemplates", &ig.RequestTemplates),
		stringMap("/requestParameters", &ig.RequestParameters),
		stringSet("/cacheKeyParameters", &ig.CacheKeyParameters),
		{path: "/tlsConfig/insecureSkipVerification", ops: replaceOnly, apply: func(p patch) error {
			b, err := patchBool(p)
			if err != nil {
				return err
			}
			ig.TlsConfig = &model.TlsConfig{InsecureSkipVerification: b}
			return nil
		}},
	}
}

func (s *server) updateIntegration(c *call) (int, any, error) {
	var out *model.Integration
	err := s.updateDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		ig, err := findIntegration(d, c.p["res"], c.p["verb"])
		if err != nil {
			return err
		}
		if err := applyPatch(c, "updateIntegrationInput", integrationRules(ig)); err != nil {
			return err
		}
		out = ig
		return validateIntegration(ig, "updateIntegrationInput", s.maxTimeoutMillis)
	})
	return http.StatusOK, out, err
}

func (s *server) deleteIntegration(c *call) (int, any, error) {
	err := s.updateDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		_, m, err := findMethod(d, c.p["res"], c.p["verb"])
		if err != nil {
			return err
		}
		if m.MethodIntegration == nil {
			return notFound("Invalid Integration identifier specified")
		}
		m.MethodIntegration = nil
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// Integration responses.

type putIntegrationResponseInput struct {
	SelectionPattern   string            `json:"selectionPattern"`
	ResponseParameters map[string]string `json:"responseParameters"`
	ResponseTemplates  map[string]string `json:"responseTemplates"`
	ContentHandling    string            `json:"contentHandling"`
}

func validateIntegrationResponse(ir *model.IntegrationResponse) error {
	if ir.ContentHandling != "" && !contains(contentHandlings, ir.ContentHandling) {
		return badRequest("Invalid content handling specified: %s, valid values are: CONVERT_TO_BINARY, CONVERT_TO_TEXT", ir.ContentHandling)
	}
	for p := range ir.ResponseParameters {
		if !responseHdrRe.MatchString(p) {
			return badRequest("Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression specified: %s]", p)
		}
	}
	return nil
}

func findIntegrationResponse(d *model.APIDoc, c *call) (*model.Integration, *model.IntegrationResponse, error) {
	ig, err := findIntegration(d, c.p["res"], c.p["verb"])
	if err != nil {
		return nil, nil, err
	}
	ir, ok := ig.IntegrationResponses[c.p["status"]]
	if !ok {
		return nil, nil, notFound("Invalid Response status code specified")
	}
	return ig, ir, nil
}

func (s *server) putIntegrationResponse(c *call) (int, any, error) {
	if err := checkStatus(c.p["status"], "putIntegrationResponseInput"); err != nil {
		return 0, nil, err
	}
	var in putIntegrationResponseInput
	if err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	ir := &model.IntegrationResponse{
		StatusCode:         c.p["status"],
		SelectionPattern:   in.SelectionPattern,
		ResponseParameters: in.ResponseParameters,
		ResponseTemplates:  in.ResponseTemplates,
		ContentHandling:    in.ContentHandling,
	}
	if err := validateIntegrationResponse(ir); err != nil {
		return 0, nil, err
	}
	err := s.updateDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		ig, err := findIntegration(d, c.p["res"], c.p["verb"])
		if err != nil {
			return err
		}
		if ig.IntegrationResponses == nil {
			ig.IntegrationResponses = map[string]*model.IntegrationResponse{}
		}
		ig.IntegrationResponses[ir.StatusCode] = ir
		return nil
	})
	return http.StatusCreated, ir, err
}

func (s *server) getIntegrationResponse(c *call) (int, any, error) {
	var out *model.IntegrationResponse
	err := s.viewDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		_, ir, err := findIntegrationResponse(d, c)
		out = ir
		return err
	})
	return http.StatusOK, out, err
}

func (s *server) updateIntegrationResponse(c *call) (int, any, error) {
	var out *model.IntegrationResponse
	err := s.updateDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		_, ir, err := findIntegrationResponse(d, c)
		if err != nil {
			return err
		}
		rules := []patchRule{
			replaceString("/selectionPattern", &ir.SelectionPattern),
			replaceString("/contentHandling", &ir.ContentHandling),
			stringMap("/responseTemplates", &ir.ResponseTemplates),
			stringMap("/responseParameters", &ir.ResponseParameters),
		}
		if err := applyPatch(c, "updateIntegrationResponseInput", rules); err != nil {
			return err
		}
		out = ir
		return validateIntegrationResponse(ir)
	})
	return http.StatusOK, out, err
}

func (s *server) deleteIntegrationResponse(c *call) (int, any, error) {
	err := s.updateDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		ig, _, err := findIntegrationResponse(d, c)
		if err != nil {
			return err
		}
		delete(ig.IntegrationResponses, c.p["status"])
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
