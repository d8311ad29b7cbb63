package runtime

import "github.com/portico/portico/internal/vtl"

// ResponseType names a gateway response type (AWS's responseType enum).
type ResponseType uint8

// The gateway response types, in the order AWS lists them.
const (
	AccessDenied ResponseType = iota
	APIConfigurationError
	AuthorizerConfigurationError
	AuthorizerFailure
	BadRequestBody
	BadRequestParameters
	Default4XX
	Default5XX
	ExpiredToken
	IntegrationFailure
	IntegrationTimeout
	InvalidAPIKey
	InvalidSignature
	MissingAuthenticationToken
	QuotaExceeded
	RequestTooLarge
	ResourceNotFound
	Throttled
	Unauthorized
	UnsupportedMediaType
	WAFFiltered
	NumResponseTypes
)

var responseTypeNames = [NumResponseTypes]string{
	"ACCESS_DENIED", "API_CONFIGURATION_ERROR", "AUTHORIZER_CONFIGURATION_ERROR", "AUTHORIZER_FAILURE",
	"BAD_REQUEST_BODY", "BAD_REQUEST_PARAMETERS", "DEFAULT_4XX", "DEFAULT_5XX", "EXPIRED_TOKEN",
	"INTEGRATION_FAILURE", "INTEGRATION_TIMEOUT", "INVALID_API_KEY", "INVALID_SIGNATURE",
	"MISSING_AUTHENTICATION_TOKEN", "QUOTA_EXCEEDED", "REQUEST_TOO_LARGE", "RESOURCE_NOT_FOUND",
	"THROTTLED", "UNAUTHORIZED", "UNSUPPORTED_MEDIA_TYPE", "WAF_FILTERED",
}

// errorTypes are the x-amzn-ErrorType values AWS sends with each type.
var errorTypes = [NumResponseTypes]string{
	"AccessDeniedException", "InternalServerErrorException", "AuthorizerConfigurationException",
	"AuthorizerConfigurationException", "BadRequestException", "BadRequestException",
	"BadRequestException", "InternalServerErrorException", "ExpiredTokenException",
	"InternalServerErrorException", "InternalServerErrorException", "ForbiddenException",
	"InvalidSignatureException", "MissingAuthenticationTokenException", "LimitExceededException",
	"RequestTooLargeException", "ResourceNotFoundException", "TooManyRequestsException",
	"UnauthorizedException", "UnsupportedMediaTypeException", "ForbiddenException",
}

func (t ResponseType) String() string {
	if t < NumResponseTypes {
		return responseTypeNames[t]
	}
	return "?"
}

// ErrorType is the x-amzn-ErrorType header AWS sends with this type.
func (t ResponseType) ErrorType() string {
	if t < NumResponseTypes {
		return errorTypes[t]
	}
	return "InternalServerErrorException"
}

// ParseResponseType returns the type named s.
func ParseResponseType(s string) (ResponseType, bool) {
	for i, n := range responseTypeNames {
		if n == s {
			return ResponseType(i), true
		}
	}
	return 0, false
}

// GatewayResponses holds one resolved response per type.
type GatewayResponses [NumResponseTypes]*GatewayResponse

// GatewayResponse is a resolved gateway response: the customised one, else the customised
// DEFAULT_4XX/5XX of its class, else the built-in.
type GatewayResponse struct {
	Type ResponseType
	// Status is the HTTP status to answer with.
	Status  int
	Headers []HeaderParam
	// Templates are the body templates by content type, chosen like response templates.
	Templates []GatewayTemplate
}

// GatewayTemplate is a gateway response body template, pre-parsed into literal and variable
// parts. Static is set when the template has no per-request part.
type GatewayTemplate struct {
	ContentType string
	Parts       []TemplatePart
	Static      []byte
}

// TemplatePart is literal text or (Var != "") a $context variable such as "error.messageString".
// Ref is the reference parsed by the template engine, which resolves the variables the gateway
// has no quick answer for; Text is what a reference that cannot be resolved leaves.
type TemplatePart struct {
	Text string
	Var  string
	Ref  *vtl.Template
}
