package model

// Authorizer is AWS's Authorizer resource: who decides whether a caller may invoke a method
// whose authorizationType is CUSTOM (a Lambda authorizer, type TOKEN or REQUEST) or
// COGNITO_USER_POOLS.
type Authorizer struct {
	Id                           string   `json:"id"`
	Name                         string   `json:"name"`
	Type                         string   `json:"type"`
	ProviderARNs                 []string `json:"providerARNs,omitempty"`
	AuthType                     string   `json:"authType,omitempty"`
	AuthorizerUri                string   `json:"authorizerUri,omitempty"`
	AuthorizerCredentials        string   `json:"authorizerCredentials,omitempty"`
	IdentitySource               string   `json:"identitySource,omitempty"`
	IdentityValidationExpression string   `json:"identityValidationExpression,omitempty"`
	// AuthorizerResultTtlInSeconds is 0..3600; nil (never set) means AWS's default, 300.
	AuthorizerResultTtlInSeconds *int64 `json:"authorizerResultTtlInSeconds,omitempty"`
}

// The authorizer types.
const (
	AuthorizerToken   = "TOKEN"
	AuthorizerRequest = "REQUEST"
	AuthorizerCognito = "COGNITO_USER_POOLS"
)

// DefaultAuthorizerTTL is the result cache TTL of an authorizer that sets none, in seconds.
const DefaultAuthorizerTTL = 300

// ResultTTL returns the authorizer's result cache TTL in seconds.
func (a *Authorizer) ResultTTL() int64 {
	if a.AuthorizerResultTtlInSeconds == nil {
		return DefaultAuthorizerTTL
	}
	return *a.AuthorizerResultTtlInSeconds
}

// TestInvokeAuthorizerRequest is the body of TestInvokeAuthorizer: the request the authorizer
// is tried with.
type TestInvokeAuthorizerRequest struct {
	Headers             map[string]string   `json:"headers,omitempty"`
	MultiValueHeaders   map[string][]string `json:"multiValueHeaders,omitempty"`
	PathWithQueryString string              `json:"pathWithQueryString,omitempty"`
	Body                string              `json:"body,omitempty"`
	StageVariables      map[string]string   `json:"stageVariables,omitempty"`
	AdditionalContext   map[string]string   `json:"additionalContext,omitempty"`
}

// TestInvokeAuthorizerResponse is what the authorizer decided: the status a client would get,
// the principal and policy it returned, and the execution log.
type TestInvokeAuthorizerResponse struct {
	ClientStatus  int                 `json:"clientStatus"`
	Log           string              `json:"log"`
	Latency       int64               `json:"latency"`
	PrincipalId   string              `json:"principalId,omitempty"`
	Policy        string              `json:"policy,omitempty"`
	Authorization map[string][]string `json:"authorization,omitempty"`
	Claims        map[string]string   `json:"claims,omitempty"`
}
