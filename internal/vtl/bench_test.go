package vtl

import (
	"bytes"
	"fmt"
	"syscall"
	"testing"
)

// benchTemplate is a typical response template: a #foreach over the items of a backend's
// answer building JSON with $foreach.hasNext.
const benchTemplate = `#set($inputRoot = $body)
#set($count = $inputRoot.items.size())
{
  "count": $count,
  "page": "$inputRoot.page",
  "items": [
#foreach($elem in $inputRoot.items)
    {
      "id": "$elem.id",
      "type": "$elem.type.toLowerCase()",
      "price": $elem.price,
      "description": "Item $elem.id is a $elem.type.",
#if($elem.tags.size() > 0)
      "tags": "$elem.tags",
#end
#if($elem.price > 100)
      "expensive": true,
#else
      "expensive": false,
#end
      "position": $foreach.count
    }#if($foreach.hasNext),#end

#end
  ],
  "first": "$inputRoot.items[0].id",
  "generated": "$util",
  "done": true
}
`

func benchScope() *Scope {
	items := &List{JSON: true}
	for i := 0; i < 100; i++ {
		m := NewMap(4)
		m.Put("id", fmt.Sprintf("id-%d", i))
		m.Put("type", []string{"Dog", "Cat", "Fish"}[i%3])
		m.Put("price", 50.5+float64(i))
		m.Put("tags", &List{Items: []any{"a", "b"}, JSON: true})
		items.Items = append(items.Items, m)
	}
	body := NewMap(2)
	body.Put("items", items)
	body.Put("page", "1")
	s := NewScope()
	s.Set("body", body)
	return s
}

func BenchmarkRender(b *testing.B) {
	tpl := mustParse(b, benchTemplate)
	s := benchScope()
	var buf bytes.Buffer
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		buf.Reset()
		if err := tpl.Render(&buf, s); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}

// reportCPU adds cpu-ns/op, the process's CPU time (GC included) per render: on a shared
// machine it is steadier than wall time.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() { b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op") }
}

func cpuTime() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("bench", benchTemplate); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderPetStore renders AWS's pet-store response example over 100 items.
func BenchmarkRenderPetStore(b *testing.B) {
	tpl := mustParse(b, `#set($inputRoot = $body.items)
[
#foreach($elem in $inputRoot)
  {
    "description" : "Item $elem.id is a $elem.type.",
    "askingPrice" : $elem.price
  }#if($foreach.hasNext),#end

#end
]
`)
	s := benchScope()
	var buf bytes.Buffer
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		buf.Reset()
		if err := tpl.Render(&buf, s); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}
