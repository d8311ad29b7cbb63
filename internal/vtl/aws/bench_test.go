package aws

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"

	"github.com/portico/portico/internal/jsonpath"
	"github.com/portico/portico/internal/vtl"
)

// benchTemplate is the typical response template: 30 lines, a #foreach over a
// 100-element array from $input.path, building JSON with $foreach.hasNext.
const benchTemplate = `#set($inputRoot = $input.path('$'))
#set($count = $inputRoot.items.size())
{
  "requestId": "$context.requestId",
  "stage": "$context.stage",
  "count": $count,
  "items": [
#foreach($item in $inputRoot.items)
    {
      "id": $item.id,
      "name": "$util.escapeJavaScript($item.name)",
      "price": $item.price,
      "inStock": $item.ok,
#if($item.price > 50)
      "tier": "premium",
#else
      "tier": "standard",
#end
      "tags": [#foreach($t in $item.tags)"$t"#if($foreach.hasNext),#end#end],
      "position": $foreach.count
    }#if($foreach.hasNext),#end

#end
  ],
  "source": "$input.params('source')",
  "total": $inputRoot.total,
  "page": {
    "next": "$stageVariables.base/items?page=2"
  }
}
`

func benchBody(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"items":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"name":"item %d","price":%d.5,"tags":["a","b"],"ok":true}`, i, i, i)
	}
	b.WriteString(`],"total":100}`)
	return []byte(b.String())
}

var benchReq = &Request{
	Query:          map[string][]string{"source": {"bench"}},
	StageVariables: map[string]string{"base": "https://example.com"},
	Context:        Context{RequestID: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", Stage: "prod"},
}

// BenchmarkResponseTemplate renders the typical template, decoding the 100-item payload in each
// render as the gateway does (the figure: at most 50 µs).
func BenchmarkResponseTemplate(b *testing.B) {
	tpl, err := vtl.Parse("bench", benchTemplate)
	if err != nil {
		b.Fatal(err)
	}
	body := benchBody(100)
	var w bytes.Buffer
	if _, err := Render(&w, tpl, benchReq, body); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(w.Len()))
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := Render(io.Discard, tpl, benchReq, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeBody is the share of the payload decoding in the figure above.
func BenchmarkDecodeBody(b *testing.B) {
	body := benchBody(100)
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := jsonpath.Decode(body, &slabModel{hint: len(body)}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPathCache compares a cached compiled path with compiling it on each call.
func BenchmarkPathCache(b *testing.B) {
	const src = `$.items[?(@.price < 10)].name`
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := compilePath(src); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("compile", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := jsonpath.Compile(src); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// reportCPU adds cpu-ns/op, the process's CPU time (GC included) per operation: on a shared
// machine wall time also counts other processes' turns.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() { b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op") }
}

func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkDecodeBodyStdlib decodes the same payload with encoding/json into interface{}: a
// yardstick for the machine the figures come from.
func BenchmarkDecodeBodyStdlib(b *testing.B) {
	body := benchBody(100)
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSmallRequest is the common request template over a small payload: the fixed cost of
// the bindings per request.
func BenchmarkSmallRequest(b *testing.B) {
	tpl, err := vtl.Parse("small", `{"name": "$input.params('name')", "id": $input.json('$.id'), "body": $input.json('$'), "stage": "$context.stage"}`)
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"id": 7, "name": "x", "tags": ["a"]}`)
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := Render(io.Discard, tpl, benchReq, body); err != nil {
			b.Fatal(err)
		}
	}
}
