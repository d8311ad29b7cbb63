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
