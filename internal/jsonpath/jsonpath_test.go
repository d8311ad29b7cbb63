package jsonpath

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// encode prints a Plain value as compact JSON for golden output; floats print in Go's shortest
// form with a ".0" kept so that doubles stay visible.
func encode(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eEnI") {
			s += ".0"
		}
		b.WriteString(s)
	case string:
		b.WriteString(strconv.Quote(x))
	case []any:
		b.WriteByte('[')
		for i, it := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			encode(b, it)
		}
		b.WriteByte(']')
	case *Object:
		b.WriteByte('{')
		for i, k := range x.Keys {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Quote(k))
			b.WriteByte(':')
			encode(b, x.Vals[i])
		}
		b.WriteByte('}')
	default:
		b.WriteString("?")
	}
}

func show(v any) string {
	var b strings.Builder
	encode(&b, v)
	return b.String()
}

// TestGolden runs testdata/eval.txt: `doc name=N` blocks define documents; `eval doc=N` blocks
// hold one path per input line and print, per path, "value V", "list [..]", "none" or the
// compile error.
func TestGolden(t *testing.T) {
	const path = "testdata/eval.txt"
	blocks, _ := readBlocks(t, path)
	docs := map[string]any{}
	got := make([]string, len(blocks))
	for i, b := range blocks {
		switch b.directive {
		case "doc":
			v, err := Decode([]byte(b.input), Plain)
			if err != nil {
				t.Fatalf("%s:%d: %v", path, b.line, err)
			}
			docs[b.args["name"]] = v
			got[i] = b.output
		case "eval":
			doc, ok := docs[b.args["doc"]]
			if !ok {
				t.Fatalf("%s:%d: unknown doc %q", path, b.line, b.args["doc"])
			}
			var out []string
			for _, src := range strings.Split(b.input, "\n") {
				p, err := Compile(src)
				if err != nil {
					out = append(out, err.Error())
					continue
				}
				v, ok := p.Eval(doc, Plain)
				switch {
				case !ok:
					out = append(out, "none")
				case p.Definite():
					out = append(out, "value "+show(v))
				default:
					out = append(out, "list "+show(v))
				}
			}
			got[i] = strings.Join(out, "\n")
		default:
			t.Fatalf("%s:%d: unknown directive %q", path, b.line, b.directive)
		}
		if !*rewrite && got[i] != b.output {
			t.Errorf("%s:%d:\n%s\ngot:\n%s\nwant:\n%s", path, b.line, b.input, got[i], b.output)
		}
	}
	if *rewrite {
		writeBlocks(t, path, blocks, got)
	}
}

func TestDecode(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"b":1,"a":[true,false,null],"c":"x"}`, `{"b":1,"a":[true,false,null],"c":"x"}`},
		{` [ ] `, `[]`},
		{`{}`, `{}`},
		{`1.0`, `1.0`},
		{`-0`, `0`},
		{`1e3`, `1000.0`},
		{`9223372036854775807`, `9223372036854775807`},
		{`9223372036854775808`, `9.223372036854776e+18`},
		{`"a\u00e9\ud83d\ude00\n\"\/"`, `"aé😀\n\"/"`},
		{`"\ud800"`, "\"\ufffd\""},
		{`{"a":1,"a":2,"b":3}`, `{"a":2,"b":3}`},
		{`1e400`, `+Inf`},
	} {
		v, err := Decode([]byte(tc.in), Plain)
		if err != nil {
			t.Errorf("Decode(%s): %v", tc.in, err)
			continue
		}
		if got := show(v); got != tc.want {
			t.Errorf("Decode(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
	for _, in := range []string{``, `{`, `[1,]`, `{"a" 1}`, `{"a":1,}`, `01`, `1.`, `-`, `1e`, `"a`, "\"\x01\"", `tru`, `nul`, `[1] x`, `"\x"`, `"\u12"`, `{1:2}`, strings.Repeat("[", MaxDepth+1)} {
		_, err := Decode([]byte(in), Plain)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Decode(%q) = %v, want a *SyntaxError", in, err)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	for _, in := range []string{
		``, `a.b`, `$.`, `$..`, `$[`, `$['a'`, `$['a]`, `$[a]`, `$[1`, `$[1:2`, `$[?(@.a]`,
		`$[?(@.a == )]`, `$.a.nope()`, `$.a.length(1)`, `$.length().b`, `$[?(@.a =~ 'x')]`,
		`$[?(@.a =~ /(/)]`, `$[?(1)]`, `$ x`, `$.a[?(@.a == [1, @.b])]`, `$[?(@.a =~ /x/q)]`,
		strings.Repeat("x", maxPathLen+1),
		"$" + strings.Repeat("[?(", maxFilterDepth+1),
	} {
		_, err := Compile(in)
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("Compile(%q) = %v, want an *Error", in, err)
		}
	}
}

func TestDescribe(t *testing.T) {
	for in, want := range map[string]string{
		`$.a['b c'].*[0][-1,2][1:][:-1]..x`:       `$["a"]["b c"][*][0][-1 2][1:][:-1]..["x"]`,
		`$..[?(@.price < 10 && !(@.a || $.b))]`:   `$..[?((@.price < 10 && !(@.a || $.b)))]`,
		`$['a','b']`:                              `$["a" "b"]`,
		`$.a.length()`:                            `$["a"].length()`,
		`$[?(@.a in ['x', 1, true, null, -2.5])]`: `$[?(@.a in ['x', 1, true, null, -2.5])]`,
	} {
		p, err := Compile(in)
		if err != nil {
			t.Errorf("Compile(%q): %v", in, err)
			continue
		}
		if got := p.describe(); got != want {
			t.Errorf("describe(%q) = %s, want %s", in, got, want)
		}
		if p.String() != in {
			t.Errorf("String() = %q", p.String())
		}
	}
}

// TestConcurrent evaluates one compiled path from many goroutines (run with -race).
func TestConcurrent(t *testing.T) {
	p := MustCompile(`$..book[?(@.price < 10)].title`)
	doc, err := Decode([]byte(storeJSON), Plain)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan string)
	for range 8 {
		go func() {
			v, _ := p.Eval(doc, Plain)
			done <- show(v)
		}()
	}
	for range 8 {
		if got := <-done; got != `["Sayings of the Century","Moby Dick"]` {
			t.Errorf("got %s", got)
		}
	}
}

const storeJSON = `{"store":{"book":[
{"category":"reference","author":"Nigel Rees","title":"Sayings of the Century","price":8.95},
{"category":"fiction","author":"Evelyn Waugh","title":"Sword of Honour","price":12.99},
{"category":"fiction","author":"Herman Melville","title":"Moby Dick","isbn":"0-553-21311-3","price":8.99},
{"category":"fiction","author":"J. R. R. Tolkien","title":"The Lord of the Rings","isbn":"0-395-19395-8","price":22.99}],
"bicycle":{"color":"red","price":19.95}},"expensive":10}`

// TestVisitBudget: stacked deep scans over a deeply nested document stop at MaxVisits instead
// of running for minutes.
func TestVisitBudget(t *testing.T) {
	doc, err := Decode([]byte(strings.Repeat(`{"a":`, 900)+"1"+strings.Repeat("}", 900)), Plain)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := MustCompile(`$..a..a..a..a`).Eval(doc, Plain); ok {
		t.Fatalf("matched %d values; want the budget to stop it", len(v.([]any)))
	}
	if v, ok := MustCompile(`$..a`).Eval(doc, Plain); !ok || len(v.([]any)) != 900 {
		t.Fatalf("$..a: %v", ok)
	}
}

// describe prints the canonical form of a compiled path, to show what the parser read.
func (p *Path) describe() string {
	var b strings.Builder
	b.WriteByte('$')
	for _, s := range p.segs {
		if s.deep {
			b.WriteString("..")
		}
		switch s.kind {
		case segName:
			fmt.Fprintf(&b, "[%q]", s.name)
		case segNames:
			fmt.Fprintf(&b, "%q", s.names)
		case segWildcard:
			b.WriteString("[*]")
		case segIndex:
			fmt.Fprintf(&b, "[%d]", s.index)
		case segIndexes:
			fmt.Fprintf(&b, "%v", s.indexes)
		case segSlice:
			b.WriteByte('[')
			if s.hasFrom {
				fmt.Fprintf(&b, "%d", s.from)
			}
			b.WriteByte(':')
			if s.hasTo {
				fmt.Fprintf(&b, "%d", s.to)
			}
			b.WriteByte(']')
		case segFilter:
			fmt.Fprintf(&b, "[?(%s)]", s.filter)
		}
	}
	if p.fn != fnNone {
		fmt.Fprintf(&b, ".%s()", fnNames[p.fn])
	}
	return b.String()
}
