package model

// GatewayResponseDefault is AWS's built-in setting for one gateway response type.
type GatewayResponseDefault struct {
	Type string
	// StatusCode is the default status ("" for DEFAULT_4XX and DEFAULT_5XX, which have none).
	StatusCode string
}

// GatewayResponseDefaults lists every gateway response type with its default status, in the
// order AWS lists them.
var GatewayResponseDefaults = []GatewayResponseDefault{
	{"ACCESS_DENIED", "403"},
	{"API_CONFIGURATION_ERROR", "500"},
	{"AUTHORIZER_CONFIGURATION_ERROR", "500"},
	{"AUTHORIZER_FAILURE", "500"},
	{"BAD_REQUEST_BODY", "400"},
	{"BAD_REQUEST_PARAMETERS", "400"},
	{"DEFAULT_4XX", ""},
	{"DEFAULT_5XX", ""},
	{"EXPIRED_TOKEN", "403"},
	{"INTEGRATION_FAILURE", "504"},
	{"INTEGRATION_TIMEOUT", "504"},
	{"INVALID_API_KEY", "403"},
	{"INVALID_SIGNATURE", "403"},
	{"MISSING_AUTHENTICATION_TOKEN", "403"},
	{"QUOTA_EXCEEDED", "429"},
	{"REQUEST_TOO_LARGE", "413"},
	{"RESOURCE_NOT_FOUND", "404"},
	{"THROTTLED", "429"},
	{"UNAUTHORIZED", "401"},
	{"UNSUPPORTED_MEDIA_TYPE", "415"},
	{"WAF_FILTERED", "403"},
}

// DefaultGatewayResponseTemplate is the body template every built-in gateway response uses.
const DefaultGatewayResponseTemplate = `{"message":$context.error.messageString}`

// DefaultGatewayResponse returns the built-in GatewayResponse for a type, and false if the type
// is unknown.
func DefaultGatewayResponse(responseType string) (*GatewayResponse, bool) {
	for _, d := range GatewayResponseDefaults {
		if d.Type == responseType {
			return &GatewayResponse{
				ResponseType:       d.Type,
				StatusCode:         d.StatusCode,
				ResponseParameters: map[string]string{},
				ResponseTemplates:  map[string]string{"application/json": DefaultGatewayResponseTemplate},
				DefaultResponse:    true,
			}, true
		}
	}
	return nil, false
}
