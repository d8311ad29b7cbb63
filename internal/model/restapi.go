// Package model holds the AWS-shaped documents of Portico's configuration: the REST API (API Gateway
// v1) object graph with AWS's JSON field names. The management API, the OpenAPI importer and
// exporter, the store and the compiler all read and write these structs; nothing is translated twice.
//
// model imports nothing of Portico's.
package model

// RestApi is AWS's RestApi resource.
type RestApi struct {
	Id                        string                 `json:"id"`
	Name                      string                 `json:"name"`
	Description               string                 `json:"description,omitempty"`
	CreatedDate               Epoch                  `json:"createdDate,omitzero"`
	Version                   string                 `json:"version,omitempty"`
	Warnings                  []string               `json:"warnings,omitempty"`
	BinaryMediaTypes          []string               `json:"binaryMediaTypes,omitempty"`
	MinimumCompressionSize    *int64                 `json:"minimumCompressionSize,omitempty"`
	ApiKeySource              string                 `json:"apiKeySource,omitempty"`
	EndpointConfiguration     *EndpointConfiguration `json:"endpointConfiguration,omitempty"`
	Policy                    string                 `json:"policy,omitempty"`
	Tags                      map[string]string      `json:"tags,omitempty"`
	DisableExecuteApiEndpoint bool                   `json:"disableExecuteApiEndpoint"`
	RootResourceId            string                 `json:"rootResourceId,omitempty"`
}

// EndpointConfiguration says how the API is reached (EDGE, REGIONAL or PRIVATE on AWS; all are
// served alike by Portico).
type EndpointConfiguration struct {
	Types          []string `json:"types,omitempty"`
	IpAddressType  string   `json:"ipAddressType,omitempty"`
	VpcEndpointIds []string `json:"vpcEndpointIds,omitempty"`
}

// Resource is one node of an API's resource tree.
type Resource struct {
	Id              string             `json:"id"`
	ParentId        string             `json:"parentId,omitempty"`
	PathPart        string             `json:"pathPart,omitempty"`
	Path            string             `json:"path"`
	ResourceMethods map[string]*Method `json:"resourceMethods,omitempty"`
}

// Method is a verb (or ANY) on a resource.
type Method struct {
	HttpMethod          string                     `json:"httpMethod"`
	AuthorizationType   string                     `json:"authorizationType"`
	AuthorizerId        string                     `json:"authorizerId,omitempty"`
	ApiKeyRequired      bool                       `json:"apiKeyRequired"`
	RequestValidatorId  string                     `json:"requestValidatorId,omitempty"`
	OperationName       string                     `json:"operationName,omitempty"`
	RequestParameters   map[string]bool            `json:"requestParameters,omitempty"`
	RequestModels       map[string]string          `json:"requestModels,omitempty"`
	AuthorizationScopes []string                   `json:"authorizationScopes,omitempty"`
	MethodResponses     map[string]*MethodResponse `json:"methodResponses,omitempty"`
	MethodIntegration   *Integration               `json:"methodIntegration,omitempty"`
}

// MethodResponse declares a status code the method may answer with.
type MethodResponse struct {
	StatusCode         string            `json:"statusCode"`
	ResponseParameters map[string]bool   `json:"responseParameters,omitempty"`
	ResponseModels     map[string]string `json:"responseModels,omitempty"`
}

// Integration says where a method's requests go.
type Integration struct {
	Type                 string                          `json:"type"`
	HttpMethod           string                          `json:"httpMethod,omitempty"`
	Uri                  string                          `json:"uri,omitempty"`
	ConnectionType       string                          `json:"connectionType,omitempty"`
	ConnectionId         string                          `json:"connectionId,omitempty"`
	Credentials          string                          `json:"credentials,omitempty"`
	RequestParameters    map[string]string               `json:"requestParameters,omitempty"`
	RequestTemplates     map[string]string               `json:"requestTemplates,omitempty"`
	PassthroughBehavior  string                          `json:"passthroughBehavior,omitempty"`
	ContentHandling      string                          `json:"contentHandling,omitempty"`
	TimeoutInMillis      int64                           `json:"timeoutInMillis"`
	CacheNamespace       string                          `json:"cacheNamespace,omitempty"`
	CacheKeyParameters   []string                        `json:"cacheKeyParameters"`
	IntegrationResponses map[string]*IntegrationResponse `json:"integrationResponses,omitempty"`
	TlsConfig            *TlsConfig                      `json:"tlsConfig,omitempty"`
}

// TlsConfig holds TLS settings for HTTP backends.
type TlsConfig struct {
	InsecureSkipVerification bool `json:"insecureSkipVerification"`
}

// IntegrationResponse maps a backend answer onto a method response.
type IntegrationResponse struct {
	StatusCode         string            `json:"statusCode"`
	SelectionPattern   string            `json:"selectionPattern,omitempty"`
	ResponseParameters map[string]string `json:"responseParameters,omitempty"`
	ResponseTemplates  map[string]string `json:"responseTemplates,omitempty"`
	ContentHandling    string            `json:"contentHandling,omitempty"`
}

// Model is a JSON Schema (draft 4) attached to an API.
type Model struct {
	Id          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Schema      string `json:"schema,omitempty"`
	ContentType string `json:"contentType"`
}

// RequestValidator says which parts of a request are validated.
type RequestValidator struct {
	Id                        string `json:"id"`
	Name                      string `json:"name"`
	ValidateRequestBody       bool   `json:"validateRequestBody"`
	ValidateRequestParameters bool   `json:"validateRequestParameters"`
}

// GatewayResponse customises a gateway-generated error.
type GatewayResponse struct {
	ResponseType       string            `json:"responseType"`
	StatusCode         string            `json:"statusCode,omitempty"`
	ResponseParameters map[string]string `json:"responseParameters"`
	ResponseTemplates  map[string]string `json:"responseTemplates"`
	DefaultResponse    bool              `json:"defaultResponse"`
}

// Deployment is an immutable snapshot of an API's resources and methods.
type Deployment struct {
	Id          string                                `json:"id"`
	Description string                                `json:"description,omitempty"`
	CreatedDate Epoch                                 `json:"createdDate,omitzero"`
	ApiSummary  map[string]map[string]*MethodSnapshot `json:"apiSummary,omitempty"`
}

// MethodSnapshot is the per-method summary a Deployment carries.
type MethodSnapshot struct {
	AuthorizationType string `json:"authorizationType,omitempty"`
	ApiKeyRequired    bool   `json:"apiKeyRequired"`
}

// Stage is a named pointer to a deployment, with its settings.
type Stage struct {
	StageName            string                    `json:"stageName"`
	DeploymentId         string                    `json:"deploymentId"`
	Description          string                    `json:"description,omitempty"`
	ClientCertificateId  string                    `json:"clientCertificateId,omitempty"`
	CacheClusterEnabled  bool                      `json:"cacheClusterEnabled"`
	CacheClusterSize     string                    `json:"cacheClusterSize,omitempty"`
	CacheClusterStatus   string                    `json:"cacheClusterStatus,omitempty"`
	MethodSettings       map[string]*MethodSetting `json:"methodSettings"`
	Variables            map[string]string         `json:"variables,omitempty"`
	DocumentationVersion string                    `json:"documentationVersion,omitempty"`
	AccessLogSettings    *AccessLogSettings        `json:"accessLogSettings,omitempty"`
	CanarySettings       *CanarySettings           `json:"canarySettings,omitempty"`
	TracingEnabled       bool                      `json:"tracingEnabled"`
	WebAclArn            string                    `json:"webAclArn,omitempty"`
	Tags                 map[string]string         `json:"tags,omitempty"`
	CreatedDate          Epoch                     `json:"createdDate,omitzero"`
	LastUpdatedDate      Epoch                     `json:"lastUpdatedDate,omitzero"`
}

// MethodSetting holds a stage's per-method (or `*/*`) settings.
type MethodSetting struct {
	MetricsEnabled                         bool    `json:"metricsEnabled"`
	LoggingLevel                           string  `json:"loggingLevel,omitempty"`
	DataTraceEnabled                       bool    `json:"dataTraceEnabled"`
	ThrottlingBurstLimit                   int64   `json:"throttlingBurstLimit"`
	ThrottlingRateLimit                    float64 `json:"throttlingRateLimit"`
	CachingEnabled                         bool    `json:"cachingEnabled"`
	CacheTtlInSeconds                      int64   `json:"cacheTtlInSeconds"`
	CacheDataEncrypted                     bool    `json:"cacheDataEncrypted"`
	RequireAuthorizationForCacheControl    bool    `json:"requireAuthorizationForCacheControl"`
	UnauthorizedCacheControlHeaderStrategy string  `json:"unauthorizedCacheControlHeaderStrategy"`
}

// AccessLogSettings says where and how a stage's access log is written.
type AccessLogSettings struct {
	Format         string `json:"format,omitempty"`
	DestinationArn string `json:"destinationArn,omitempty"`
}

// CanarySettings routes a share of a stage's traffic to another deployment.
type CanarySettings struct {
	PercentTraffic         float64           `json:"percentTraffic"`
	DeploymentId           string            `json:"deploymentId,omitempty"`
	StageVariableOverrides map[string]string `json:"stageVariableOverrides,omitempty"`
	UseStageCache          bool              `json:"useStageCache"`
}
