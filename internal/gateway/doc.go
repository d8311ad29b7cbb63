// Package gateway is Portico's data plane for REST APIs: an http.Handler that finds the API and
// stage a request addresses, matches its route, runs the request phases in AWS's order and
// renders every failure as the API's gateway response. It serves compiled runtime.API values
// from a runtime.Table that it keeps current by following the store's change feed; a request
// never reads the store and takes no lock.
//
// Behaviour where AWS leaves a choice, and what was chosen:
//
//   - Addresses: host style {apiId}.execute-api.{Domain}[:port]/{stage}/{path} and path style
//     /restapis/{apiId}/{stage}/_user_request_/{path} on any host. An unknown API or stage, a URL
//     in neither form, or an API with disableExecuteApiEndpoint answers 403 {"message":"Forbidden"}
//     (ForbiddenException); a URL that stops at the stage (no "/" after it) reaches no resource:
//     403 Missing Authentication Token.
//   - Custom domains (domains.go, package domain): a Host that is no execute-api host but names a
//     domain (exactly, or a "*." wildcard one label deep) is routed by its base path mappings,
//     never as a path-style URL: the longest base path that is a whole-segment prefix of the
//     path, else "(none)"; a mapping without a stage takes it from the next segment. No
//     mapping answers 403 Forbidden; disableExecuteApiEndpoint does not apply. A domain that
//     requires mutual TLS answers 403 Forbidden to a request without a certificate chaining to
//     its truststore (a handshake without any certificate already failed); $context.path stays
//     /{stage}/{path}, without the base path. A stage's clientCertificateId picks the upstream
//     client that presents it to HTTPS backends (the shared one when the id is unknown).
//   - Matching (runtime.Tree): literal beats {param} beats {greedy+}, backtracking when a branch
//     reaches no resource with methods; "//" collapses and a trailing "/" is ignored (AWS serves
//     /prod//orders as /prod/orders); path parameters keep the client's percent-encoding; ".."
//     is an ordinary segment (nothing is cleaned). A matched resource without the verb (nor ANY)
//     answers Missing Authentication Token; matching does not move on to another resource.
//   - Payload: a declared Content-Length over MaxPayloadBytes answers 413 before anything is
//     read; a body of unknown length is cut when it passes the limit and answered 413 if the
//     response has not started. A MOCK reads (and discards) the body too, so the limit holds.
//   - Lambda authorizers (authorize.go), CUSTOM methods: identity sources are read first; a
//     missing or empty one, or a TOKEN failing identityValidationExpression (anchored, RE2),
//     answers 401 Unauthorized without a call. The function gets AWS's TOKEN or REQUEST event
//     (the proxy event without its body) and has 10 s. Its policy is evaluated against the
//     method ARN (wildcards, lists, explicit Deny wins): a Deny answers 403 {"Message":"User is
//     not authorized to access this resource with an explicit deny"}, no Allow 403 {"Message":
//     "User is not authorized to access this resource"} unless the resource policy explicitly
//     allows the call. A function error whose errorMessage is "Unauthorized" answers 401; any
//     other error, a timeout, an unknown function or an output that is not {principalId,
//     policyDocument, context of scalars} answers 500 AUTHORIZER_CONFIGURATION_ERROR
//     {"message":null}; a functions runtime that cannot take the call (throttled, none
//     configured) 500 AUTHORIZER_FAILURE. Policies (not 401s or errors) are cached per
//     authorizer and identity values for the TTL, in memory, at most 65,536 (a full shard drops
//     what expired, then arbitrary entries); a redeploy starts afresh. Context values are
//     stringified ("7", "true") for $context.authorizer.x and the proxy event's
//     requestContext.authorizer, which also has integrationLatency (ms; 0 from the cache).
//   - COGNITO_USER_POOLS (authorize_cognito.go; internal/auth/oidc checks the token): the token
//     is the identity source header's value, raw or after "Bearer " (either case). Every refusal
//     answers 401 Unauthorized, a token without any of the method's authorizationScopes
//     included (AWS's answer there is not pinned down; 403 is also reported);
//     identityValidationExpression is matched against the token's aud (client_id for access
//     tokens), after the signature. Signing keys that cannot be fetched answer 500
//     AUTHORIZER_FAILURE, providers naming no issuer 500 AUTHORIZER_CONFIGURATION_ERROR. The
//     claims reach templates as $context.authorizer.claims and proxy events as
//     requestContext.authorizer {"claims": {...}, "scopes": [...] or null}.
//   - AWS_IAM (authorize_iam.go; internal/auth/sigv4 verifies, internal/auth/iam holds the
//     identities): SigV4 for execute-api in the server's region, header or presigned URL, 5
//     minutes of skew, UNSIGNED-PAYLOAD accepted; the body is read whole to be hashed and then
//     given to the integration. The resource policy is not pre-checked as for anonymous
//     callers: it is evaluated with the caller (IAM principals, aws:PrincipalArn and friends)
//     and combined with the identity policies, an explicit Deny in either refusing, an Allow in
//     either sufficing for a caller of the server's account (both for another account). No
//     signature: 403 Missing Authentication Token; malformed: INVALID_SIGNATURE with
//     IncompleteSignatureException; unknown or inactive key, wrong session token: ACCESS_DENIED
//     "The security token included in the request is invalid."; expired session: EXPIRED_TOKEN;
//     mismatch (with AWS's canonical string and string to sign) and time out of bounds:
//     INVALID_SIGNATURE; not allowed: ACCESS_DENIED {"Message":"User: ARN is not authorized to
//     perform: execute-api:Invoke on resource: ARN[ with an explicit deny]"}. The caller fills
//     $context.identity accessKey, accountId, caller, user and userArn.
//   - API keys and throttling (traffic.go), after authorization, in AWS's order: a method with
//     apiKeyRequired takes the key from x-api-key; a missing, unknown or disabled key, or one in
//     no usage plan of this API stage, answers 403 Forbidden (INVALID_API_KEY). With
//     apiKeySource AUTHORIZER the key is the Lambda authorizer's usageIdentifierKey (a method
//     without one, or an answer without it, is refused alike). Then token buckets: the plan's throttle of the method (keyed
//     "{resourcePath}/{VERB}"; an ANY method by the request's verb, else by "ANY") and the
//     plan's throttle, both per key; the stage's methodSettings for the method, else its "*/*"
//     (a bucket per method either way); the account's (server setting, AWS's 10,000 rps and
//     5,000 burst by default). Any of them empty answers 429 "Too Many Requests" (THROTTLED).
//     Last the key's quota, counted per plan and key per period (UTC days, weeks from Monday,
//     months), the plan's offset taken off the initial period: 429 "Limit Exceeded"
//     (QUOTA_EXCEEDED). A throttled request uses no quota; a request refused at a later bucket
//     has used a token of the earlier ones. A usage plan throttle with both limits 0 is unset
//     (what the CLI leaves); a rate without a burst gets a one-token bucket. Stage settings
//     apply as given: 0 and 0 refuse every call. Keys and plans are account-level and change
//     without a redeploy: the gateway rebuilds its key index from the change feed and swaps it
//     in atomically.
//   - Resource policy (checks.go): after the route is matched, before authorization. An
//     explicit Deny answers 403 ACCESS_DENIED; a method without authorization also needs an
//     explicit Allow. The built-in body is AWS's {"Message":"User: anonymous is not authorized
//     to perform: execute-api:Invoke on resource: arn:... [with an explicit deny]"}; a
//     customised ACCESS_DENIED or DEFAULT_4XX template renders it instead. The caller's
//     address is the connection's: X-Forwarded-For is not trusted.
//   - Request validation (checks.go): after throttling, parameters then body, answering 400
//     BAD_REQUEST_PARAMETERS "Missing required request parameters: [a, b]" or
//     BAD_REQUEST_BODY "Invalid request body"; $context.error.validationErrorString carries
//     the detail (for parameters, the message itself). A validator whose model does not compile
//     answers 500 and is logged at load.
//   - Response cache (cache.go), after request validation, for a method the stage caches: the
//     stage's cacheClusterEnabled, then the method's own methodSettings block (any verb), else
//     `*/*` (GET, and an ANY method's GET requests, only), with cacheTtlInSeconds above 0. Keys:
//     cacheNamespace, verb, then each cacheKeyParameters value (a query parameter's first value;
//     absent and empty differ). Only 2xx answers of up to 1,048,576 bytes are kept (users report
//     AWS keeping a backend's 4xx too; an error pinned for the TTL is worse than a call); HEAD
//     requests are not cached. Concurrent misses on a key share one integration call: the
//     waiters get its answer, or its gateway error, or call the integration themselves when the
//     answer could not be held. Cache-Control: max-age=0 (a directive of its own, any case)
//     refreshes the entry when the method does not require authorization for it, or when the
//     request is SigV4-signed by an identity whose policies allow execute-api:InvalidateCache on
//     the method's ARN (iamAllows, whatever the method's authorizationType); otherwise the
//     strategy applies: FAIL_WITH_403 answers ACCESS_DENIED 403 {"message":"Unauthorized"},
//     SUCCEED_WITH_RESPONSE_HEADER adds Warning: 199 Cache-control headers were ignored because
//     the caller was unauthorized. cacheClusterSize (GB) is the bound in GiB; a new size starts
//     an empty cache. A miss that waited on another's call counts as CacheHitCount.
//   - Non-proxy request (HTTP, MOCK): the request template is chosen by Content-Type's media
//     type (application/json when absent; parameters such as charset ignored). With no matching
//     template the passthrough behaviour decides: NEVER, or WHEN_NO_TEMPLATES when templates
//     exist, answers 415 UNSUPPORTED_MEDIA_TYPE; otherwise the body passes unchanged. An empty
//     template passes the body too. A MOCK reads its statusCode from the template's output, or
//     from the passed-through body, leniently as AWS does ({statusCode: 200} works); none
//     answers 500 (AWS logs "Unable to parse statusCode").
//   - HTTP (non-proxy): the backend gets only what the integration maps: the uri with its
//     {placeholders} from integration.request.path.*, the uri's own query then the mapped
//     querystring parameters (a multivaluequerystring source repeats the key per value), the
//     mapped headers (a multivalueheader source joins its values with ","), plus what API
//     Gateway itself sends: User-Agent AmazonAPIGateway_{apiId}, Accept: application/json,
//     X-Amzn-Apigateway-Api-Id and X-Amzn-Trace-Id; the client's Content-Type goes with a body.
//     The client's own query string and headers are not forwarded. A mapping whose source is
//     absent sets nothing; method.request.body.X and integration.response.body.X map a string
//     as its characters and anything else as compact JSON, and nothing when the body is not
//     JSON. timeoutInMillis bounds the whole exchange, the answer's body included (504 "Endpoint
//     request timed out"); the body is read whole, up to the payload limit (more answers 500).
//     None of the answer's headers reach the client unless a responseParameters mapping names
//     them.
//   - Non-proxy response: the method response carries only mapped headers; a mapped header AWS
//     reserves (Connection, Content-Length, Date, Server, Authorization, Content-MD5, Expect,
//     Host, Max-Forwards, Proxy-Authenticate, Trailer, Upgrade, User-Agent, WWW-Authenticate) is
//     sent as x-amzn-Remapped-<name>. The response template is chosen by the first Accept type,
//     then application/json, then the first; without one the body passes through (a MOCK has
//     none). Content-Type is a mapped one, else the chosen template's media type, else
//     application/json. contentHandling follows the table of rest-api-model.md §5 for bodies
//     passed through; a template's output is sent as it renders.
//   - Templates (internal/vtl with the internal/vtl/aws bindings) are parsed at deploy: one that
//     does not parse makes its method answer 500 and is logged at load and per call; the rest
//     of the stage serves. A render that fails (a limit, a method that throws, one override set
//     twice) answers AWS's 500 Internal server error and logs API, stage, resource, method,
//     template and error. A request template that reads a body starting like JSON that does
//     not parse answers 400 "Could not parse request body into json: ..." (BAD_REQUEST_BODY).
//     Overrides are applied after each template: requestOverride header/querystring/path replace
//     the mapped values (a query or header override not mapped is added), responseOverride
//     status (ignored unless an integer 100..599) and headers replace the method response's. A
//     MOCK's response template reads an empty integration body ($input.body is {}), AWS having
//     no integration answer to give it; $input.params() is the method request's, as everywhere.
//   - Gateway response templates are not VTL, as AWS documents: $context and $stageVariables
//     references are substituted (each $context reference reads what a mapping template reads,
//     $context.error.message, messageString, responseType and validationErrorString included;
//     null renders empty) and directives stay text; a context.X header mapping, here or in an
//     integration, reads the same values (null maps nothing). A customised type falls back to the
//     customised DEFAULT_4XX/DEFAULT_5XX of its class, then to the built-in, whose bodies are
//     pre-rendered.
//   - Integration response selection: whole-string match; among matching patterns the response
//     whose status code equals the selection string wins, else the first by status code; then
//     the default (no pattern). No match, or a selected status without a method response,
//     answers 500 (API_CONFIGURATION_ERROR).
//   - HTTP_PROXY: the integration's verb, or the client's for ANY; uri placeholders from
//     integration.request.path mappings or, when there is none, the route's parameter of that
//     name; the uri's query, then the client's raw query, then mapped querystring parameters.
//     Hop-by-hop headers and those AWS never forwards are dropped, as is a SigV4 Authorization;
//     X-Forwarded-For is appended to, X-Forwarded-Proto/-Port set, X-Amzn-Trace-Id kept or
//     started. The answer's Connection, Content-Length, Date and Server come back as
//     x-amzn-Remapped-*; Transfer-Encoding is dropped. Timeout answers 504 "Endpoint request
//     timed out" (INTEGRATION_TIMEOUT); an upstream that cannot be reached answers 500 "Internal
//     server error" as API_CONFIGURATION_ERROR, AWS's classification ("Execution failed due to
//     configuration error: Invalid endpoint address"). The response body is streamed as it
//     arrives and is not held to the 10 MB limit.
//   - Every answer carries x-amzn-RequestId (a random UUID) and x-amz-apigw-id; errors add
//     x-amzn-ErrorType. An integration Portico cannot run answers 500 and logs why, at load and
//     per call.
//   - AWS_PROXY (lambda.go): the function named by the uri (stage variables resolved at
//     deploy) gets the REST proxy event, payload format 1.0, keys in AWS's order: headers as
//     the client sent them less the hop-by-hop ones, plus Host, X-Forwarded-For/-Port/-Proto
//     and X-Amzn-Trace-Id, in name order (Go's server canonicalises names, so the client's
//     casing is not kept); "headers" holds a name's last value; query values decoded; path and
//     pathParameters as the client encoded them; null for every empty map and for no body; a
//     body whose Content-Type is in binaryMediaTypes goes as base64. requestContext carries no
//     authorizer (none runs yet) and no clientCert. The answer is checked as AWS checks it:
//     a JSON object with only statusCode (an integer, or a string holding one; 200 when
//     absent), headers (string, number or boolean values), multiValueHeaders (arrays of
//     them; a name in both takes these), body (string or null) and isBase64Encoded; the body
//     is base64-decoded when isBase64Encoded and the first Accept type is a binary media type,
//     else sent as the text it is. Anything else, a function error or a Lambda service error
//     (not found, throttled: the reference gives 502 for both) answers 502 "Internal server
//     error" (INTEGRATION_FAILURE, sent as 502 whatever its configured status); the timeout
//     504. Connection, Content-Length, Date and Server come back as x-amzn-Remapped-*.
//   - AWS with a lambda:path uri: the request template's output (or the body passed through;
//     {} when empty, as Lambda's Invoke gives) is the event. X-Amz-Invocation-Type,
//     X-Amz-Log-Type and X-Amz-Client-Context mapped as integration.request.header values
//     reach Lambda ('Event' answers an empty integration body at once). Integration responses
//     are selected by the errorMessage of a function error, "" on success; the answer's
//     headers are X-Amz-Executed-Version and X-Amz-Function-Error. A function that does not
//     exist answers 500 (AWS's "Invalid function" configuration error), other Lambda service
//     errors 502.
//   - AWS service integrations (awsservice.go): built like a non-proxy HTTP request on the
//     service's endpoint from the server's configuration (per service, else a default, else
//     AWS's own https://{service}.{region}.amazonaws.com). An action-style uri adds
//     Action={action} and the uri's own parameters to the query (query protocol; sent by POST,
//     the query becomes a form body, to which a form the template built is appended, while a
//     body of another type is not sent), except for
//     JSON-protocol services (DynamoDB, Kinesis, Firehose, Step Functions, EventBridge, Logs,
//     Secrets Manager, SSM, KMS), which get X-Amz-Target {prefix}.{action} and their JSON
//     content type unless the integration maps them. The request is signed with SigV4 for the
//     uri's service and region with the configured credentials (unsigned without them); the
//     integration's credentials role is not assumed. The answer is selected by status.
//   - Access logs and metrics (observe.go): at load each stage gets its compiled access log
//     format and sink and its resolved metric series (per method where methodSettings turn
//     metricsEnabled on), kept in runtime.API.Observe; at the end of ServeHTTP the request is
//     logged and counted with them, never waiting on the sink. $context.status and
//     responseLength are what was written to the client; IntegrationLatency runs from sending
//     the backend request to its status line and headers (a MOCK has none). A client's
//     x-amzn-RequestId that is not a UUID is logged as {generated id}_REPLACED_INVALID_REQUEST_ID
//     (AWS's suffix, after the id the client was answered with). A request that reaches no stage
//     is neither logged nor counted, as on AWS.
//   - Tracing (trace.go): a stage with tracingEnabled, on a server with an OTLP endpoint,
//     records OpenTelemetry spans named as X-Ray names API Gateway's: "{apiName}/{stage}" for
//     the request (from the stage lookup on; a request that reaches no stage is not traced),
//     "Authorizer" for the authorization phase of a method with an authorization type, and
//     "Lambda", the backend host or the AWS service for the integration call (a MOCK has
//     none), ending at the backend's status line. The caller's traceparent is continued, else
//     its X-Amzn-Trace-Id (Root read as a W3C trace id, Parent as the parent span), else a new
//     trace starts; the caller's sampling decision is kept and every other request is
//     recorded (no X-Ray sampling rules). HTTP, HTTP_PROXY and AWS service backends get
//     traceparent, the caller's tracestate and X-Amzn-Trace-Id naming the integration span,
//     replacing the caller's; a function gets that X-Amzn-Trace-Id as
//     Lambda-Runtime-Trace-Id and in its proxy event. Answers of HTTP, Lambda and AWS service
//     integrations carry X-Amzn-Trace-Id Root=…;Sampled=1 (errors after the call started
//     included); MOCK and HTTP_PROXY answers none; untraced stages answer none either.
//     $context.xrayTraceId is the request span's X-Ray header. Spans are queued at the end of
//     ServeHTTP and exported off the request's path; a stage without tracing pays a nil check.
//   - Canary releases (canary.go): a stage whose canarySettings.percentTraffic is above 0
//     loads the canary's deployment (the stage's own when it names none) with the stage's
//     variables overlaid by stageVariableOverrides, as a second runtime.API behind the stage's;
//     each request draws from math/rand/v2's per-thread generator and goes to the canary with
//     probability percentTraffic, so no client is pinned to either side. A canary request has
//     $context.isCanaryRequest true, is written to the stage's access log and counted in
//     metric series whose stage is "{stage}/Canary" (the name CloudWatch's canary log group
//     takes; AWS's metric dimension is not documented). With useStageCache the canary shares
//     the stage's response cache, else it caches nothing. A canary that does not load is logged
//     and the stage serves alone. The Lambda proxy event's requestContext carries no
//     isCanaryRequest, as AWS's does not document one.
//   - Stage variables are substituted at load in integration uris, credentials ARNs and
//     authorizer uris (compile.ResolveStageVariables); a uri naming a variable the stage does
//     not define leaves its method answering 500 Internal server error (logged at load and
//     per call), where AWS, which leaves it empty, fails on the host or function it no longer
//     has. In mappings and templates an undefined one is empty.
//   - Compression (compression.go), when the API sets minimumCompressionSize: the answer is
//     compressed when its body (Content-Length, or the first bytes of a streamed HTTP_PROXY
//     answer, held until they reach the size) is at least that size and Accept-Encoding's
//     highest q among gzip, deflate (zlib) and identity ("*" for those not named; ties: gzip,
//     deflate, identity) is not identity. It then carries Content-Encoding and Vary:
//     Accept-Encoding, and no Content-Length. HEAD, 1xx, 204 and 304 answers and those already
//     encoded are left alone; gateway responses are compressed like any answer. A request body
//     with Content-Encoding gzip, x-gzip or deflate (zlib or raw) is decoded before mapping for
//     every integration but HTTP_PROXY, which streams it as it came; decoded bytes count
//     against the payload limit (413 past it: a decompression bomb is cut), and a body that does
//     not decode answers 400 BAD_REQUEST_BODY "Invalid request body". A body validator checks
//     the decoded body, for HTTP_PROXY too, which still gets the body as it came. Other codings
//     pass as they came. Without minimumCompressionSize none of this runs (one nil check).
//   - Execution logs (execlog.go): methodSettings loggingLevel and dataTraceEnabled, the
//     method's block else "*/*" else OFF, resolved at load; a stage where every one is OFF
//     starts no trace (rc.exec stays nil). Lines use AWS's wording ("Method request headers:
//     {Name=value, ...}", "Endpoint request URI: ...", "Method completed with status: 200", ...);
//     the trace starts once the stage is known ("Extended Request Id"), so a request that
//     matches no method is logged under "*/*". INFO keeps every request; ERROR keeps a request
//     only when it failed (a gateway error, or a 5XX answer), whole. Without dataTrace,
//     parameters, headers and bodies are not logged. Bodies are cut at 1,024 bytes, followed by
//     " [TRUNCATED]"; headers are listed by name, several values joined with ","; Authorization
//     and x-api-key values (and the API key in the usage plan lines) show only their last 6
//     characters, the rest as "*". With dataTrace the method request body is read whole before
//     the integration, to log it (an HTTP_PROXY body is then sent from memory). An HTTP_PROXY
//     answer streams: its first 1,024 bytes are logged as both the endpoint response body and
//     the method response body. Latency in "Received response" is IntegrationLatency's.
//   - TestInvokeMethod (testinvoke.go): the API's current document is compiled for the pseudo
//     stage "test-invoke-stage" (deployment id "test-invoke-deployment-id") with the request's
//     stage variables, and the request runs through the payload limit, request validation and
//     the integration, with execution logging forced to INFO with data. As the console's test,
//     it skips the resource policy, authorizers, API keys and throttling, and is not counted in
//     metrics or access logs. The host is "testPrefix.testDomainName" and the caller address
//     "test-invoke-source-ip", AWS's values. Path parameters come from pathWithQueryString when
//     it matches the resource's path (else none); with no pathWithQueryString the resource's
//     path is used as written. An ANY method is run as GET. Log lines are prefixed with the time
//     as Java's Date prints it ("Sun Nov 22 02:00:00 UTC 2026 : ").
//
// gateway imports the model, store, runtime, compile, functions (the Invoker contract) and
// integration packages, observe (access log and metric values), the template engine (vtl, vtl/aws) and aws-sdk-go-v2's SigV4 signer,
// and the auth packages (sigv4, iam, policy, oidc) that check callers;
// it must never import the management API, OpenAPI or the command line.
package gateway
