package gateway

import "strings"

// Value is $context.authorizer.{name} of the access log (observe.AuthorizerValues): principalId,
// claims.{claim} of a COGNITO_USER_POOLS token, or a Lambda authorizer's context value; "" when
// the authorizer left none.
func (a *authorization) Value(name string) string {
	if name == "principalId" {
		return a.principalID
	}
	if claim, ok := strings.CutPrefix(name, "claims."); ok && a.claims != nil {
		return a.claims.Values[claim]
	}
	for _, kv := range a.context {
		if kv.name == name {
			return kv.value
		}
	}
	return ""
}
