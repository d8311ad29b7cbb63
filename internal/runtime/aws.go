package runtime

// LambdaTarget is the function a Lambda integration invokes.
type LambdaTarget struct {
	// Function is the function named by the uri, stage variables substituted: a name, a
	// partial or a full ARN, with an optional qualifier, as Lambda's Invoke accepts it.
	Function string
	// Headers are the integration.request.header mappings of a non-proxy Lambda integration;
	// X-Amz-Invocation-Type, X-Amz-Client-Context and X-Amz-Log-Type are the ones Lambda reads.
	Headers []HeaderParam
}

// AWSTarget is the service call of an AWS integration that does not invoke Lambda. The request
// line comes from Integration.HTTP (Method, Path, Query, QueryParams, Headers); the endpoint is
// chosen per service from the server's configuration when the call is made.
type AWSTarget struct {
	// Service is the uri's service (its subdomain.service form reduced to the service), the
	// SigV4 signing name; Region the uri's region, the signing region.
	Service, Region string
	// Action is an action-style uri's action ("" for path style).
	Action string
	// JSONTarget, when set, is the X-Amz-Target prefix of a JSON-protocol service
	// ("DynamoDB_20120810"): an action is then sent as X-Amz-Target: {JSONTarget}.{Action}
	// with JSONContentType, instead of the query protocol's Action parameter.
	JSONTarget, JSONContentType string
	// Role is the integration's credentials (an IAM role ARN). Portico does not assume it:
	// calls are signed with the server's credentials, and the gateway says so at load.
	Role string
}
