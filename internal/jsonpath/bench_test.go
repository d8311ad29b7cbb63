package jsonpath

import (
	"fmt"
	"strings"
	"testing"
)

func benchDoc(n int) []byte {
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

func BenchmarkDecode100(b *testing.B) {
	data := benchDoc(100)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(data, Plain); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(`$.items[?(@.price < 10 && @.ok == true)].name`); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEval(b *testing.B) {
	doc, err := Decode(benchDoc(100), Plain)
	if err != nil {
		b.Fatal(err)
	}
	for _, src := range []string{`$`, `$.total`, `$.items[50].name`, `$.items[*].id`, `$..name`, `$.items[?(@.price < 10)].name`} {
		p := MustCompile(src)
		b.Run(src, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.Eval(doc, Plain)
			}
		})
	}
}
