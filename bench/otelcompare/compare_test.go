// Package otelcompare measures what recording a request's spans costs on the request's path
// with the OpenTelemetry Go SDK (batch span processor, OTLP/HTTP exporter) against Portico's
// own recorder (internal/observe), both exporting to a loopback collector. It is a module of
// its own so the gateway's binary does not carry the SDK and its gRPC dependencies.
package otelcompare

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/portico/portico/internal/observe"
)

const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func collector(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// Each benchmark op is one traced request: the caller's traceparent read, a SERVER span and a
// CLIENT span with the attributes the gateway sets, traceparent written for the backend.

func BenchmarkOTelSDK(b *testing.B) {
	srv := collector(b)
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpoint(strings.TrimPrefix(srv.URL, "http://")),
		otlptracehttp.WithInsecure())
	if err != nil {
		b.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())),
		sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(10*time.Millisecond), sdktrace.WithMaxQueueSize(1<<16)))
	defer tp.Shutdown(context.Background())
	tracer := tp.Tracer("portico")
	prop := propagation.TraceContext{}
	in := http.Header{"Traceparent": {traceparent}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ctx := prop.Extract(context.Background(), propagation.HeaderCarrier(in))
		ctx, root := tracer.Start(ctx, "shop/prod", trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(time.Now()))
		_, client := tracer.Start(ctx, "backend.local", trace.WithSpanKind(trace.SpanKindClient))
		out := http.Header{}
		prop.Inject(trace.ContextWithSpan(ctx, client), propagation.HeaderCarrier(out))
		client.SetAttributes(attribute.String("aws.api_gateway.integration_type", "HTTP_PROXY"),
			attribute.Int("http.response.status_code", 200))
		client.End()
		root.SetAttributes(attribute.String("aws.api_gateway.rest_api_id", "a1b2c3d4e5"),
			attribute.String("aws.api_gateway.stage", "prod"),
			attribute.String("aws.api_gateway.request_id", "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"),
			attribute.String("http.request.method", "GET"),
			attribute.String("url.path", "/prod/pets/1"),
			attribute.String("aws.api_gateway.resource_path", "/pets/{id}"),
			attribute.String("http.route", "/pets/{id}"),
			attribute.String("client.address", "127.0.0.1"),
			attribute.Int("http.response.status_code", 200))
		root.SetStatus(codes.Unset, "")
		root.End()
	}
}

func BenchmarkPorticoRecorder(b *testing.B) {
	srv := collector(b)
	t := observe.NewTracer(observe.TracerOptions{Endpoint: srv.URL + "/v1/traces", QueueTraces: 1 << 16,
		BatchInterval: 10 * time.Millisecond})
	defer t.Close()
	in := http.Header{"Traceparent": {traceparent}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		sc, ok := observe.FromHeaders(in["Traceparent"], in["Tracestate"], in["X-Amzn-Trace-Id"])
		tr := t.Start(start, sc, ok)
		client := tr.Add("backend.local", observe.KindClient, tr.Root, time.Now())
		out := http.Header{}
		out["Traceparent"] = []string{string(observe.AppendTraceparent(make([]byte, 0, 55), tr.ID, client.ID, tr.Sampled))}
		out["X-Amzn-Trace-Id"] = []string{string(observe.AppendXRay(make([]byte, 0, 80), tr.ID, client.ID, tr.Sampled))}
		client.End = time.Now()
		client.SetString("aws.api_gateway.integration_type", "HTTP_PROXY")
		client.SetInt("http.response.status_code", 200)
		root := tr.AddRoot("shop/prod", start)
		root.End = time.Now()
		root.SetString("aws.api_gateway.rest_api_id", "a1b2c3d4e5")
		root.SetString("aws.api_gateway.stage", "prod")
		root.SetString("aws.api_gateway.request_id", "c6af9ac6-7b61-11e6-9a41-93e8deadbeef")
		root.SetString("http.request.method", "GET")
		root.SetString("url.path", "/prod/pets/1")
		root.SetString("aws.api_gateway.resource_path", "/pets/{id}")
		root.SetString("http.route", "/pets/{id}")
		root.SetString("client.address", "127.0.0.1")
		root.SetInt("http.response.status_code", 200)
		tr.End()
	}
	b.StopTimer()
	t.Close()
	b.ReportMetric(float64(t.Dropped())/float64(b.N), "dropped/op")
}
