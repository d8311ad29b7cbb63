package mgmt

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

var httpMethods = []string{"GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD", "ANY"}
var authorizationTypes = []string{"NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS"}

var (
	statusCodeRe   = regexp.MustCompile(`^[1-5]\d\d$`)
	methodParamRe  = regexp.MustCompile(`^method\.request\.(querystring|path|header|multivaluequerystring|multivalueheader)\.([a-zA-Z0-9._$-]+)$`)
	responseHdrRe  = regexp.MustCompile(`^method\.response\.header\.[a-zA-Z0-9._$-]+$`)
	statusPatternS = `[1-5]\d\d`
)

func checkVerb(verb string) error {
	if !contains(httpMethods, verb) {
		return badRequest("Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY")
	}
	return nil
}

func checkStatus(status, input string) error {
	if !statusCodeRe.MatchString(status) {
		return patternError(status, input+".statusCode", statusPatternS)
	}
	return nil
}

type putMethodInput struct {
	AuthorizationType   *string           `json:"authorizationType"`
	AuthorizerId        string            `json:"authorizerId"`
	ApiKeyRequired      bool              `json:"apiKeyRequired"`
	OperationName       string            `json:"operationName"`
	RequestParameters   map[string]bool   `json:"requestParameters"`
	RequestModels       map[string]string `json:"requestModels"`
	RequestValidatorId  string            `json:"requestValidatorId"`
	AuthorizationScopes []string          `json:"authorizationScopes"`
}

// validateMethod checks a method against its API: enums, authorizer, validator, models and
// parameter names.
func validateMethod(d *model.APIDoc, m *model.Method, input string) error {
	if !contains(authorizationTypes, m.AuthorizationType) {
		return enumError(m.AuthorizationType, input+".authorizationType", authorizationTypes)
	}
	if err := checkMethodAuthorizer(d, m); err != nil {
		return err
	}
	if m.RequestValidatorId != "" {
		if _, ok := d.RequestValidators[m.RequestValidatorId]; !ok {
			return badRequest("Invalid Request Validator identifier specified")
		}
	}
	for _, name := range m.RequestModels {
		if _, ok := d.Models[name]; !ok {
			return badRequest("Invalid model identifier specified: %s", name)
		}
	}
	where := map[string]string{} // parameter name → location
	for p := range m.RequestParameters {
		g := methodParamRe.FindStringSubmatch(p)
		if g == nil {
			return badRequest("Invalid method request parameter specified: %s", p)
		}
		loc := strings.TrimPrefix(g[1], "multivalue")
		if prev, ok := where[g[2]]; ok && prev != loc {
			return badRequest("Parameter names must be unique across querystring, header and path")
		}
		where[g[2]] = loc
	}
	return nil
}

func (s *server) putMethod(c *call) (int, any, error) {
	verb := c.p["verb"]
	if err := checkVerb(verb); err != nil {
		return 0, nil, err
	}
	var in putMethodInput
	if err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	if in.AuthorizationType == nil {
		return 0, nil, &apiError{http.StatusBadRequest, "ValidationException", "1 validation error detected: Value null at 'putMethodInput.authorizationType' failed to satisfy constraint: Member must not be null"}
	}
	m := &model.Method{
		HttpMethod:          verb,
		AuthorizationType:   *in.AuthorizationType,
		AuthorizerId:        in.AuthorizerId,
		ApiKeyRequired:      in.ApiKeyRequired,
		OperationName:       in.OperationName,
		RequestParameters:   in.RequestParameters,
		RequestModels:       in.RequestModels,
		RequestValidatorId:  in.RequestValidatorId,
		AuthorizationScopes: in.AuthorizationScopes,
	}
	err := s.updateDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		r, err := findResource(d, c.p["res"])
		if err != nil {
			return err
		}
		if _, ok := r.ResourceMethods[verb]; ok {
			return conflict("Method already exists for this resource")
		}
		if err := validateMethod(d, m, "putMethodInput"); err != nil {
			return err
		}
		if r.ResourceMethods == nil {
			r.ResourceMethods = map[string]*model.Method{}
		}
		r.ResourceMethods[verb] = m
		return nil
	})
	return http.StatusCreated, m, err
}

func (s *server) getMethod(c *call) (int, any, error) {
	var out *model.Method
	err := s.viewDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		_, m, err := findMethod(d, c.p["res"], c.p["verb"])
		out = m
		return err
	})
	return http.StatusOK, out, err
}

func methodRules(m *model.Method) []patchRule {
	return []patchRule{
		replaceString("/authorizationType", &m.AuthorizationType),
		replaceString("/authorizerId", &m.AuthorizerId),
		replaceBool("/apiKeyRequired", &m.ApiKeyRequired),
		replaceString("/requestValidatorId", &m.RequestValidatorId),
		replaceString("/operationName", &m.OperationName),
		boolMap("/requestParameters", &m.RequestParameters),
		stringMap("/requestModels", &m.RequestModels),
		stringSet("/authorizationScopes", &m.AuthorizationScopes),
	}
}

func (s *server) updateMethod(c *call) (int, any, error) {
	var out *model.Method
	err := s.updateDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		_, m, err := findMethod(d, c.p["res"], c.p["verb"])
		if err != nil {
			return err
		}
		if err := applyPatch(c, "updateMethodInput", methodRules(m)); err != nil {
			return err
		}
		out = m
		return validateMethod(d, m, "updateMethodInput")
	})
	return http.StatusOK, out, err
}

func (s *server) deleteMethod(c *call) (int, any, error) {
	err := s.updateDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		r, _, err := findMethod(d, c.p["res"], c.p["verb"])
		if err != nil {
			return err
		}
		delete(r.ResourceMethods, c.p["verb"])
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// Method responses.

type putMethodResponseInput struct {
	ResponseParameters map[string]bool   `json:"responseParameters"`
	ResponseModels     map[string]string `json:"responseModels"`
}

func validateMethodResponse(d *model.APIDoc, mr *model.MethodResponse) error {
	for p := range mr.ResponseParameters {
		if !responseHdrRe.MatchString(p) {
			return badRequest("Invalid response parameter specified: %s", p)
		}
	}
	for _, name := range mr.ResponseModels {
		if _, ok := d.Models[name]; !ok {
			return badRequest("Invalid model identifier specified: %s", name)
		}
	}
	return nil
}

func findMethodResponse(d *model.APIDoc, c *call) (*model.Method, *model.MethodResponse, error) {
	_, m, err := findMethod(d, c.p["res"], c.p["verb"])
	if err != nil {
		return nil, nil, err
	}
	mr, ok := m.MethodResponses[c.p["status"]]
	if !ok {
		return nil, nil, notFound("Invalid Response status code specified")
	}
	return m, mr, nil
}

func (s *server) putMethodResponse(c *call) (int, any, error) {
	if err := checkStatus(c.p["status"], "putMethodResponseInput"); err != nil {
		return 0, nil, err
	}
	var in putMethodResponseInput
	if err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	mr := &model.MethodResponse{StatusCode: c.p["status"], ResponseParameters: in.ResponseParameters, ResponseModels: in.ResponseModels}
	err := s.updateDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		_, m, err := findMethod(d, c.p["res"], c.p["verb"])
		if err != nil {
			return err
		}
		if err := validateMethodResponse(d, mr); err != nil {
			return err
		}
		if m.MethodResponses == nil {
			m.MethodResponses = map[string]*model.MethodResponse{}
		}
		m.MethodResponses[mr.StatusCode] = mr
		return nil
	})
	return http.StatusCreated, mr, err
}

func (s *server) getMethodResponse(c *call) (int, any, error) {
	var out *model.MethodResponse
	err := s.viewDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		_, mr, err := findMethodResponse(d, c)
		out = mr
		return err
	})
	return http.StatusOK, out, err
}

func (s *server) updateMethodResponse(c *call) (int, any, error) {
	var out *model.MethodResponse
	err := s.updateDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		_, mr, err := findMethodResponse(d, c)
		if err != nil {
			return err
		}
		rules := []patchRule{
			boolMap("/responseParameters", &mr.ResponseParameters),
			stringMap("/responseModels", &mr.ResponseModels),
		}
		if err := applyPatch(c, "updateMethodResponseInput", rules); err != nil {
			return err
		}
		out = mr
		return validateMethodResponse(d, mr)
	})
	// AWS answers UpdateMethodResponse with 201.
	return http.StatusCreated, out, err
}

func (s *server) deleteMethodResponse(c *call) (int, any, error) {
	err := s.updateDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		m, _, err := findMethodResponse(d, c)
		if err != nil {
			return err
		}
		delete(m.MethodResponses, c.p["status"])
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
