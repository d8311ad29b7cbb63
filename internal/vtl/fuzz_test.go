package vtl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzParseRender: no template makes Parse or Render panic, and rendering stays bounded in
// time and output under small limits.
func FuzzParseRender(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.txt")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, chunk := range strings.Split(string(data), "\n####\n") {
			if tpl, _, ok := strings.Cut(chunk, "\n----\n"); ok {
				if _, after, ok := strings.Cut(tpl, "\n====\n"); ok {
					tpl = after
				} else if _, after, ok := strings.Cut(tpl, "render"); ok {
					_, tpl, _ = strings.Cut(after, "\n")
				}
				f.Add(tpl)
			}
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		tpl, err := Parse("fuzz", src)
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("Parse returned %T", err)
			}
			return
		}
		s := NewScope()
		s.Set("host", &testHost{overrides: NewMap(0)})
		s.Set("l", &List{Items: []any{int64(1), "a", NewMap(0)}, JSON: true})
		s.Limits = Limits{MaxLoopIterations: 50, MaxTotalIterations: 2000, MaxDepth: 20, MaxOutputBytes: 1 << 16, MaxCollectionSize: 1000}
		start := time.Now()
		out, err := tpl.RenderString(s)
		if err != nil {
			if _, ok := err.(*RenderError); !ok {
				t.Fatalf("Render returned %T: %v", err, err)
			}
		}
		if len(out) > 1<<16 {
			t.Fatalf("output of %d bytes passed the limit", len(out))
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("render took %v", d)
		}
	})
}
