package gateway

// checkAccess is the authorization phase (rest-api-model.md §16): it dispatches on the
// method's authorizationType. API keys are checked later, by checkTraffic.
func (g *Gateway) checkAccess(rc *request) *gatewayError {
	switch rc.method.AuthorizationType {
	case "", "NONE":
		return nil
	case "AWS_IAM":
		return g.authorizeIAM(rc)
	case "CUSTOM":
		return g.authorizeLambda(rc)
	default:
		// COGNITO_USER_POOLS: refused as a token that does not verify.
		return errUnauthorized
	}
}

// authorizeLambda runs the method's Lambda authorizer.
func (g *Gateway) authorizeLambda(rc *request) *gatewayError {
	return errUnauthorized
}
