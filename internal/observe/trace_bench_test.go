package observe

import (
	"testing"
	"time"
)

// BenchmarkEncodeTrace is the exporter goroutine's work per traced request: a request span
// and an integration span with the gateway's attributes, encoded as OTLP/JSON.
func BenchmarkEncodeTrace(b *testing.B) {
	t := &Tracer{}
	t.pool.New = func() any { return &Trace{tracer: t} }
	parent, _ := ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	start := time.Now()
	tr := t.Start(start, parent, true)
	in := tr.Add("backend.local", KindClient, tr.Root, start)
	in.End = start.Add(time.Millisecond)
	in.SetString("aws.api_gateway.integration_type", "HTTP_PROXY")
	in.SetInt("http.response.status_code", 200)
	root := tr.AddRoot("shop/prod", start)
	root.End = start.Add(2 * time.Millisecond)
	for _, kv := range [][2]string{{"aws.api_gateway.rest_api_id", "a1b2c3d4e5"}, {"aws.api_gateway.stage", "prod"},
		{"aws.api_gateway.request_id", "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"}, {"http.request.method", "GET"},
		{"url.path", "/prod/pets/1"}, {"aws.api_gateway.resource_path", "/pets/{id}"}, {"http.route", "/pets/{id}"},
		{"client.address", "127.0.0.1"}} {
		root.SetString(kv[0], kv[1])
	}
	root.SetInt("http.response.status_code", 200)
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf = buf[:0]
		for j := range tr.spans[:tr.n] {
			buf = appendSpan(buf, tr, &tr.spans[j])
		}
	}
	b.SetBytes(int64(len(buf)))
}
