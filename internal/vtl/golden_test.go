package vtl

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the golden files in testdata/ with the current output")

// The golden files hold cases of this form:
//
//	render [vars] [jsonarrays] [trace] [loop=N] [total=N] [depth=N] [output=N] [collection=N]
//	{"json": "variables"}          (only with vars)
//	====                           (only with vars)
//	template text
//	----
//	expected output, or "parse error: ..." / "render error: ..."
//	####
//
// Lines starting with # between cases are comments. The template and the output are exact:
// the newline before ---- and before #### belongs to the format, not to the text.
type goldenCase struct {
	comment  string
	args     []string
	vars     string
	template string
	want     string
}

func parseGolden(t *testing.T, data string) []goldenCase {
	t.Helper()
	var cases []goldenCase
	var comment strings.Builder
	for len(data) > 0 {
		line, rest, _ := strings.Cut(data, "\n")
		if line == "" || strings.HasPrefix(line, "#") {
			comment.WriteString(line + "\n")
			data = rest
			continue
		}
		fields := strings.Fields(line)
		if fields[0] != "render" {
			t.Fatalf("unknown directive %q", line)
		}
		c := goldenCase{comment: comment.String(), args: fields[1:]}
		comment.Reset()
		data = rest
		if c.has("vars") {
			v, r, ok := strings.Cut(data, "\n====\n")
			if !ok {
				t.Fatalf("case %q: vars without ====", line)
			}
			c.vars, data = v, r
		}
		tpl, r, ok := strings.Cut(data, "\n----\n")
		if !ok {
			t.Fatalf("case %q: no ----", line)
		}
		out, r2, ok := strings.Cut(r, "\n####\n")
		if !ok {
			t.Fatalf("case %q: no ####", line)
		}
		c.template, c.want, data = tpl, out, r2
		cases = append(cases, c)
	}
	return cases
}

func (c *goldenCase) has(arg string) bool {
	for _, a := range c.args {
		if a == arg {
			return true
		}
	}
	return false
}

func (c *goldenCase) intArg(name string) int {
	for _, a := range c.args {
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return 0
}

func (c *goldenCase) run(t *testing.T) string {
	tpl, err := Parse("t", c.template)
	if err != nil {
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("Parse returned %T, want *ParseError", err)
		}
		return "parse error: " + err.Error()
	}
	s := NewScope()
	if c.vars != "" {
		vars, err := decodeJSON(c.vars, c.has("jsonarrays"))
		if err != nil {
			t.Fatalf("vars: %v", err)
		}
		m, ok := vars.(*Map)
		if !ok {
			t.Fatalf("vars must be a JSON object")
		}
		for i, k := range m.Keys() {
			s.Set(k, m.Values()[i])
		}
	}
	s.Set("host", &testHost{overrides: NewMap(0)})
	s.Limits = Limits{
		MaxLoopIterations:  c.intArg("loop"),
		MaxTotalIterations: c.intArg("total"),
		MaxDepth:           c.intArg("depth"),
		MaxOutputBytes:     c.intArg("output"),
		MaxCollectionSize:  c.intArg("collection"),
	}
	var trace strings.Builder
	if c.has("trace") {
		s.Tracer = func(e TraceEvent) {
			fmt.Fprintf(&trace, "%d:%d %s %s => %s", e.Line, e.Col, e.Kind, e.Text, ToString(e.Value))
			if e.Kind == "item" || e.Kind == "foreach" {
				fmt.Fprintf(&trace, " [%d]", e.Index)
			}
			trace.WriteString("\n")
		}
	}
	var buf bytes.Buffer
	if err := tpl.Render(&buf, s); err != nil {
		var re *RenderError
		if !errors.As(err, &re) {
			t.Fatalf("Render returned %T, want *RenderError", err)
		}
		if buf.Len() != 0 {
			t.Fatalf("Render wrote output before failing")
		}
		return "render error: " + err.Error()
	}
	out := buf.String()
	if c.has("trace") {
		out += "\n--trace--\n" + trace.String()
	}
	return out
}

func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cases := parseGolden(t, string(data))
		var out strings.Builder
		for i := range cases {
			c := &cases[i]
			got := c.run(t)
			if !*rewrite && got != c.want {
				t.Errorf("%s case %d (%s):\n--- template ---\n%s\n--- got ---\n%s\n--- want ---\n%s", f, i+1, strings.TrimSpace(c.comment), c.template, got, c.want)
			}
			out.WriteString(c.comment)
			out.WriteString(strings.Join(append([]string{"render"}, c.args...), " ") + "\n")
			if c.vars != "" {
				out.WriteString(c.vars + "\n====\n")
			}
			out.WriteString(c.template + "\n----\n" + got + "\n####\n")
		}
		if *rewrite {
			if err := os.WriteFile(f, []byte(out.String()), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// decodeJSON turns JSON into template values: objects into *Map (keeping their order),
// arrays into *List, integral numbers into int64 and others into float64.
func decodeJSON(s string, jsonArrays bool) (any, error) {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	v, err := decodeValue(d, jsonArrays)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data after JSON value")
	}
	return v, nil
}

func decodeValue(d *json.Decoder, jsonArrays bool) (any, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch tok := tok.(type) {
	case json.Delim:
		switch tok {
		case '{':
			m := NewMap(4)
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeValue(d, jsonArrays)
				if err != nil {
					return nil, err
				}
				m.Put(kt.(string), v)
			}
			_, err := d.Token()
			return m, err
		case '[':
			l := &List{JSON: jsonArrays}
			for d.More() {
				v, err := decodeValue(d, jsonArrays)
				if err != nil {
					return nil, err
				}
				l.Items = append(l.Items, v)
			}
			_, err := d.Token()
			return l, err
		}
	case json.Number:
		if i, err := tok.Int64(); err == nil {
			return i, nil
		}
		f, err := tok.Float64()
		return f, err
	}
	return tok, nil
}

// testHost is a host Object: $host.name, $host.greet(x), $host.fail(), a Stringer, and
// $host.override, a Setter like $context.responseOverride.
type testHost struct {
	overrides *Map
}

func (h *testHost) String() string { return "<host>" }

// Items makes the host iterable, as a map-like host object is.
func (h *testHost) Items() []any { return []any{"h1", "h2"} }

func (h *testHost) Property(name string) (any, bool) {
	switch name {
	case "name":
		return "host", true
	case "override":
		return &testSetter{m: h.overrides}, true
	case "overrides":
		return h.overrides, true
	}
	return nil, false
}

func (h *testHost) Call(method string, args []any) (any, error) {
	switch method {
	case "greet":
		if len(args) == 1 {
			return "hello " + ToString(args[0]), nil
		}
	case "fail":
		return nil, errors.New("host failure")
	case "getName":
		return "host", nil
	}
	return nil, ErrNoMethod
}

type testSetter struct{ m *Map }

func (s *testSetter) Property(name string) (any, bool) {
	if name == "header" {
		return &testSetter{m: s.sub("header")}, true
	}
	return s.m.Get(name)
}

func (s *testSetter) sub(name string) *Map {
	if v, ok := s.m.Get(name); ok {
		return v.(*Map)
	}
	m := NewMap(0)
	s.m.Put(name, m)
	return m
}

func (s *testSetter) Call(string, []any) (any, error) { return nil, ErrNoMethod }

func (s *testSetter) SetProperty(name string, v any) error {
	if name == "status" {
		if _, ok := v.(int64); !ok {
			return fmt.Errorf("status must be an integer, not %q", ToString(v))
		}
	}
	if _, dup := s.m.Get(name); dup {
		return fmt.Errorf("override %s set twice", name)
	}
	s.m.Put(name, v)
	return nil
}
