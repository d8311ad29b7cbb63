package aws

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Request is what a template sees of one API call. The gateway fills it; a render never changes
// it, so one Request serves the request template, the response template and a gateway response.
type Request struct {
	// PathParams are the method request's path parameters ($input.params().path).
	PathParams map[string]string
	// Query and Header hold every value of each name; templates see the last one, as AWS's
	// $input.params() does.
	Query  map[string][]string
	Header map[string][]string
	// StageVariables are $stageVariables.
	StageVariables map[string]string
	Context        Context
}

// Context is $context for REST APIs (reference mapping-templates.md §6). An empty string reads
// as null in a template, which renders empty.
type Context struct {
	AccountID            string `json:"accountId"`
	APIID                string `json:"apiId"`
	AWSEndpointRequestID string `json:"awsEndpointRequestId"`
	DeploymentID         string `json:"deploymentId"`
	DomainName           string `json:"domainName"`
	DomainPrefix         string `json:"domainPrefix"`
	ExtendedRequestID    string `json:"extendedRequestId"`
	HTTPMethod           string `json:"httpMethod"`
	IsCanaryRequest      bool   `json:"isCanaryRequest"`
	// Path is the request path including the stage: /{stage}/pets/1.
	Path     string `json:"path"`
	Protocol string `json:"protocol"`
	// RequestID is also returned as x-amzn-RequestId.
	RequestID string `json:"requestId"`
	// RequestTime is in CLF form, 04/Mar/2020:19:15:17 +0000; RequestTimeEpoch in milliseconds.
	RequestTime      string `json:"requestTime"`
	RequestTimeEpoch int64  `json:"requestTimeEpoch"`
	ResourceID       string `json:"resourceId"`
	// ResourcePath is the resource's template path without the stage: /pets/{petId}.
	ResourcePath    string     `json:"resourcePath"`
	Stage           string     `json:"stage"`
	WAFResponseCode string     `json:"wafResponseCode"`
	WebACLArn       string     `json:"webaclArn"`
	Identity        Identity   `json:"identity"`
	Authorizer      Authorizer `json:"authorizer"`
	// Error is set for gateway responses.
	Error ErrorInfo `json:"error"`
	// BasePathMatched is $context.customDomain.basePathMatched: the base path mapping of the
	// custom domain the request came through ("(none)" for the root mapping; "" otherwise).
	BasePathMatched string `json:"basePathMatched,omitempty"`
}

// Identity is $context.identity.
type Identity struct {
	AccountID                     string      `json:"accountId"`
	APIKey                        string      `json:"apiKey"`
	APIKeyID                      string      `json:"apiKeyId"`
	AccessKey                     string      `json:"accessKey"`
	Caller                        string      `json:"caller"`
	CognitoAuthenticationProvider string      `json:"cognitoAuthenticationProvider"`
	CognitoAuthenticationType     string      `json:"cognitoAuthenticationType"`
	CognitoIdentityID             string      `json:"cognitoIdentityId"`
	CognitoIdentityPoolID         string      `json:"cognitoIdentityPoolId"`
	PrincipalOrgID                string      `json:"principalOrgId"`
	SourceIP                      string      `json:"sourceIp"`
	User                          string      `json:"user"`
	UserAgent                     string      `json:"userAgent"`
	UserArn                       string      `json:"userArn"`
	VpcID                         string      `json:"vpcId"`
	VpceID                        string      `json:"vpceId"`
	ClientCert                    *ClientCert `json:"clientCert"`
}

// ClientCert is $context.identity.clientCert (mutual TLS).
type ClientCert struct {
	ClientCertPem string `json:"clientCertPem"`
	SubjectDN     string `json:"subjectDN"`
	IssuerDN      string `json:"issuerDN"`
	SerialNumber  string `json:"serialNumber"`
	NotBefore     string `json:"notBefore"`
	NotAfter      string `json:"notAfter"`
}

// Authorizer is $context.authorizer: principalId, Cognito claims, and a Lambda authorizer's
// context values, already stringified as REST APIs show them. In JSON it is spelled as
// templates see it: {"principalId": "u", "claims": {"sub": "x"}, "key": "value", "numKey": 1}.
type Authorizer struct {
	PrincipalID string
	Claims      map[string]string
	Values      map[string]string
}

// UnmarshalJSON reads the template's spelling; context values that are not strings are
// stringified, as REST APIs do (1 → "1", true → "true").
func (a *Authorizer) UnmarshalJSON(data []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	*a = Authorizer{}
	for k, raw := range m {
		switch k {
		case "principalId":
			if err := json.Unmarshal(raw, &a.PrincipalID); err != nil {
				return fmt.Errorf("authorizer.principalId: %v", err)
			}
		case "claims":
			if err := json.Unmarshal(raw, &a.Claims); err != nil {
				return fmt.Errorf("authorizer.claims: %v", err)
			}
		default:
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				s = string(bytes.TrimSpace(raw))
			}
			if a.Values == nil {
				a.Values = map[string]string{}
			}
			a.Values[k] = s
		}
	}
	return nil
}

// ErrorInfo is $context.error. MessageString, the message JSON-quoted, is derived.
type ErrorInfo struct {
	Message               string `json:"message"`
	ResponseType          string `json:"responseType"`
	ValidationErrorString string `json:"validationErrorString"`
}

// Overrides are what a template wrote into $context.requestOverride and
// $context.responseOverride. Each map holds the keys in the order they were set; a value is a
// string or, for a header set to a list, several strings.
type Overrides struct {
	Header      []Param
	Querystring []Param
	Path        []Param
	// Status is responseOverride.status, 0 when unset. A value that is not an integer in
	// 100..599 is ignored, as AWS ignores it.
	Status         int
	ResponseHeader []Param
}

// Param is one overridden name with its values.
type Param struct {
	Name   string
	Values []string
}
