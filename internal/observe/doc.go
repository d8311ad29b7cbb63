// Package observe is what Portico tells operators about the requests it serves: stage access
// logs in the stage's own accessLogSettings.format, written to a sink that never blocks a
// request, and Prometheus metrics under AWS's CloudWatch names. The audit log of management
// calls lives in observe/audit.
//
// observe imports the standard library and the Prometheus client only; it must never import
// the store, the compiler, the runtime or the gateway. The gateway fills a Record at the end of
// each request and hands it to the values it attached to the stage at load.
//
// Access logs. A format is compiled once, when a stage is loaded, into literal text and
// $context references; rendering a line appends fields of the Record, with no parsing or map
// lookups. A value that is absent renders as "-", as on AWS, and so does any $context variable
// Portico does not fill (WAF and Cognito identity fields, which no request carries). The
// authorizer's values ($context.authorizer.principalId, .claims.x, .x) come from the
// Record's Authorizer; a claim whose name holds a character other than letters, digits, "_"
// and "." (cognito:username) cannot be named in a format. Where AWS writes values raw,
// Portico escapes them for the format they sit in, so a line always parses: a format that
// starts with "{" has its values escaped as JSON string content, one that starts with "<" as
// XML text; other formats (CLF, CSV) get control characters replaced by spaces, so a value
// cannot split a line.
//
// Destinations. destinationArn names a Portico sink: "file://PATH" appends to PATH, rotated by
// size (PATH.1 keeps the previous file); an http:// or https:// URL gets the lines POSTed as
// application/x-ndjson, gathered for up to a second (or 1 MiB) per request, not retried;
// anything else, a CloudWatch or Firehose ARN included, goes to the server's default sink
// (standard output unless configured). Each sink has a bounded queue drained by one goroutine;
// when the queue is full the line is dropped, and so are lines the destination fails to take
// (a write error, a POST that fails or answers other than 2xx);
// portico_access_log_dropped_total counts both, so a slow or stuck destination never slows a
// request and its losses are visible.
//
// Execution logs. ExecLog keeps every stage's execution log lines in one append-only file of
// JSON lines (time, apiId, stage, requestId, message), rotated by size, written by one
// goroutine: a request hands its lines over in one non-blocking send, and when the bounded
// queue is full they are dropped and counted (portico_execution_log_dropped_total). Readers
// select by API, stage, request id and time; a follower reads what is stored, then gets each
// line once it is written, and is cut off (ErrFollowerBehind) rather than slow the writer.
// The gateway decides what a request logs; observe only keeps it.
//
// Metrics (namespace portico_apigateway), how they map to AWS/ApiGateway:
//
//	Count               portico_apigateway_count_total                      counter
//	4XXError            portico_apigateway_4xx_errors_total                 counter
//	5XXError            portico_apigateway_5xx_errors_total                 counter
//	Latency             portico_apigateway_latency_seconds                  histogram
//	IntegrationLatency  portico_apigateway_integration_latency_seconds      histogram
//
// Labels: api_id, api_name, stage, resource, method. AWS's dimension sets (ApiName; ApiName and
// Stage; ApiName, Method, Resource and Stage with metricsEnabled) become one series set:
// resource and method are filled only for methods whose methodSettings (or "*/*") turn
// metricsEnabled on and are empty otherwise, so sum by (api_name, stage) gives AWS's stage
// figures either way. Latencies are in seconds, as Prometheus names them; AWS reports
// milliseconds. A request that matches no method of a known stage counts on the stage's series;
// one that reaches no stage is counted nowhere, as on AWS. IntegrationLatency is observed only
// for requests that called a backend (not MOCK). A series is resolved once per label set and
// kept across reloads of its stage, so counts go on; the series of a deleted stage, a renamed
// API or a method whose metricsEnabled was turned off stop being exported (counters start
// again from zero if they come back, which Prometheus reads as a reset). The Go runtime and
// process collectors are registered with the same registry.
//
// Function metrics (label function_name, Lambda's FunctionName dimension), how they map to
// AWS/Lambda; the functions runtime reports to them through its Meter:
//
//	Invocations           portico_lambda_invocations_total        counter
//	Errors                portico_lambda_errors_total             counter
//	Duration              portico_lambda_duration_seconds         histogram
//	Throttles             portico_lambda_throttles_total          counter
//	ConcurrentExecutions  portico_lambda_concurrent_executions    gauge
//	(a Portico addition)  portico_lambda_cold_starts_total        counter
//
// A deleted function's series stay exported with their last counts.
//
// Traces. A Tracer records a request's spans in a pooled Trace (a fixed array of spans with
// their attributes in place, so recording allocates nothing) and queues it without waiting;
// one goroutine encodes batches in OTLP's JSON encoding and POSTs them to the collector,
// dropping and counting what a full queue or a failed export cannot take. The OpenTelemetry
// SDK is not used: per traced request it allocates about 18 times as often
// (bench/otelcompare), and its OTLP exporter brings gRPC into the binary. tracecontext.go
// reads and writes W3C traceparent and X-Amzn-Trace-Id, mapping X-Ray's Root to a W3C trace
// id as the OpenTelemetry X-Ray propagator does. otlptest is a receiver for tests.
package observe
