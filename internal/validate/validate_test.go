package validate

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/portico/portico/internal/model"
)

var rewrite = flag.Bool("rewrite", false, "rewrite golden files under testdata/")

const testAPI = "testapi123"

// testModels loads testdata/models/NAME.json as the models of one API.
func testModels(t testing.TB) map[string]*model.Model {
	t.Helper()
	files, err := filepath.Glob("testdata/models/*.json")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*model.Model{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		out[name] = &model.Model{Name: name, Schema: string(b), ContentType: "application/json"}
	}
	return out
}

// TestBodies runs testdata/bodies.txt: cases of the form
//
//	validate MODEL (or "validate" alone for a method without models)
//	<body, any number of lines>
//	----
//	<"ok", the detail string, or "error: ..." when the model does not compile>
//
// separated by blank lines; -rewrite regenerates the outputs.
func TestBodies(t *testing.T) {
	const path = "testdata/bodies.txt"
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	models := NewModels(testAPI, testModels(t))
	var out strings.Builder
	cases := strings.Split(strings.TrimRight(string(raw), "\n"), "\n\n")
	for _, c := range cases {
		head, rest, _ := strings.Cut(c, "\n")
		body, want, found := strings.Cut(rest, "----\n")
		if !found {
			body, want, _ = strings.Cut(rest, "----")
		}
		if !strings.HasPrefix(head, "validate") {
			t.Fatalf("bad case header %q", head)
		}
		name := strings.TrimSpace(strings.TrimPrefix(head, "validate"))
		var got string
		var b *Body
		if name == "" {
			b, err = models.Implicit()
		} else {
			b, err = models.Body(name)
		}
		switch {
		case err != nil:
			got = "error: " + err.Error()
		default:
			if detail, ok := b.Validate([]byte(body)); ok {
				got = "ok"
			} else {
				got = detail
			}
		}
		if !*rewrite && got != strings.TrimRight(want, "\n") {
			t.Errorf("%s\n%s\ngot:  %s\nwant: %s", head, body, got, strings.TrimRight(want, "\n"))
		}
		out.WriteString(head + "\n" + body + "----\n" + got + "\n\n")
	}
	if *rewrite {
		if err := os.WriteFile(path, []byte(strings.TrimRight(out.String(), "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRequiredParams(t *testing.T) {
	got, err := RequiredParams(map[string]bool{
		"method.request.querystring.q":    true,
		"method.request.path.id":          true,
		"method.request.header.X-Trace":   true,
		"method.request.header.Accept":    true,
		"method.request.querystring.page": false,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []Param{{Header, "Accept"}, {Header, "X-Trace"}, {Path, "id"}, {Query, "q"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, bad := range []string{"method.request.body.x", "method.request.header.", "integration.request.header.x", "method.request.path"} {
		if _, err := RequiredParams(map[string]bool{bad: true}); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
	if _, err := RequiredParams(map[string]bool{"garbage": false}); err != nil {
		t.Errorf("an optional parameter is not checked: %v", err)
	}
	if m := MissingMessage([]string{"a", "b"}); m != "Missing required request parameters: [a, b]" {
		t.Errorf("message %q", m)
	}
}

func TestModelsCompileOnce(t *testing.T) {
	models := NewModels(testAPI, testModels(t))
	a, err := models.Body("Pets")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := models.Body("Pets")
	if a != b {
		t.Errorf("a model compiled twice")
	}
	if _, err := models.Body("Missing"); err == nil {
		t.Errorf("an unknown model compiled")
	}
	// Without an Empty model of its own the built-in one is used.
	m := NewModels(testAPI, nil)
	b, err = m.Implicit()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := b.Validate([]byte(`[1]`)); ok {
		t.Errorf("the Empty model accepts an array")
	}
}

func FuzzValidate(f *testing.F) {
	for _, s := range []string{`{"name":"Rex"}`, `[{"name":"a"},{"name":"a"}]`, `{"value":2,"children":[{"value":3}]}`, ``, `{`, `null`, `1e400`, `"\ud800"`} {
		f.Add(s)
	}
	models := NewModels(testAPI, testModels(f))
	var bodies []*Body
	for _, name := range []string{"Pet", "Pets", "Node", "Order", "PetStoreModel"} {
		b, err := models.Body(name)
		if err != nil {
			f.Fatal(err)
		}
		bodies = append(bodies, b)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, b := range bodies {
			detail, ok := b.Validate([]byte(body))
			// An invalid body always says why: the quiet and the detailed walk agree.
			if ok != (detail == "") || detail == "[]" || (!ok && (!strings.HasPrefix(detail, "[") || !strings.HasSuffix(detail, "]"))) {
				t.Fatalf("%q: ok=%v detail=%q", body, ok, detail)
			}
		}
	})
}

func BenchmarkValidate(b *testing.B) {
	models := NewModels(testAPI, testModels(b))
	body, err := models.Body("PetStoreModel")
	if err != nil {
		b.Fatal(err)
	}
	valid := []byte(`{"id": 7, "type": "dog", "name": "Rex", "price": 249.99}`)
	invalid := []byte(`{"id": 7.5, "type": "bird", "price": 2}`)
	b.Run("valid", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, ok := body.Validate(valid); !ok {
				b.Fatal("invalid")
			}
		}
	})
	// The model and body of the gateway's checked POST benchmark.
	small, err := NewModels(testAPI, map[string]*model.Model{"Order": {Name: "Order", Schema: `{"type":"object",
	  "required":["item","quantity"],"additionalProperties":false,"properties":{
	  "item":{"type":"string","minLength":1,"maxLength":64},"quantity":{"type":"integer","minimum":1,"maximum":100},
	  "note":{"type":"string"}}}`}}).Body("Order")
	if err != nil {
		b.Fatal(err)
	}
	smallBody := []byte(`{"item":"widget","quantity":3,"note":"portico-bench"}`)
	b.Run("small", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, ok := small.Validate(smallBody); !ok {
				b.Fatal("invalid")
			}
		}
	})
	b.Run("invalid", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, ok := body.Validate(invalid); ok {
				b.Fatal("valid")
			}
		}
	})
}

// A body with a great many faults yields at most maxMessages of them.
func TestMessagesAreBounded(t *testing.T) {
	m := NewModels(testAPI, map[string]*model.Model{"S": {Name: "S", Schema: `{"type":"array","items":{"type":"string"}}`}})
	b, err := m.Body("S")
	if err != nil {
		t.Fatal(err)
	}
	detail, ok := b.Validate([]byte("[" + strings.Repeat("1,", 10000) + "1]"))
	if ok || strings.Count(detail, "instance type (integer)") != maxMessages {
		t.Errorf("ok=%v, %d messages", ok, strings.Count(detail, "instance type"))
	}
	if _, err := NewModels(testAPI, map[string]*model.Model{"D7": {Name: "D7",
		Schema: `{"$schema":"http://json-schema.org/draft-07/schema#","const":1}`}}).Body("D7"); err == nil {
		t.Errorf("a draft 7 model compiled")
	}
}

func TestCheckModel(t *testing.T) {
	models := testModels(t)
	for name, want := range map[string]error{
		"Pet": nil, "Pets": nil, "Node": nil, "Order": nil, "Empty": nil,
		"Broken": ErrNotCanonical, "UsesBroken": ErrInvalidSchema, "BadJSON": ErrInvalidSchema, "Missing": ErrInvalidSchema,
	} {
		if got := CheckModel(testAPI, models, name); got != want {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
	}
	extra := map[string]*model.Model{
		"NoTarget":      {Schema: `{"$ref":"https://apigateway.amazonaws.com/restapis/testapi123/models/Nope"}`},
		"OtherAPI":      {Schema: `{"$ref":"https://apigateway.amazonaws.com/restapis/otherapi12/models/Pet"}`},
		"EmptyRequired": {Schema: `{"type":"object","required":[]}`},
		"BadType":       {Schema: `{"type":"whatever"}`},
		"Local":         {Schema: `{"definitions":{"a":{"type":"string"}},"properties":{"x":{"$ref":"#/definitions/a"}}}`},
		"Draft7":        {Schema: `{"$schema":"http://json-schema.org/draft-07/schema#","type":"object"}`},
	}
	for k, v := range extra {
		models[k] = v
	}
	for name, want := range map[string]error{"NoTarget": ErrInvalidSchema, "OtherAPI": ErrNotCanonical,
		"EmptyRequired": ErrInvalidSchema, "BadType": ErrInvalidSchema, "Local": nil, "Draft7": ErrInvalidSchema} {
		if got := CheckModel(testAPI, models, name); got != want {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
	}
}

// Combinators nested over a deep instance are cut off by the work budget instead of taking
// exponential time.
func TestWorkIsBounded(t *testing.T) {
	const api = "budget0001"
	self := ModelURL(api, "Twice")
	m := NewModels(api, map[string]*model.Model{"Twice": {Name: "Twice", Schema: `{"oneOf":[
	  {"type":"object","properties":{"a":{"$ref":"` + self + `"}}},
	  {"type":"object","properties":{"a":{"$ref":"` + self + `"}}}]}`}})
	b, err := m.Body("Twice")
	if err != nil {
		t.Fatal(err)
	}
	deep := strings.Repeat(`{"a":`, 200) + `{}` + strings.Repeat(`}`, 200)
	detail, ok := b.Validate([]byte(deep))
	if ok || detail != "["+errBudget+"]" {
		t.Errorf("ok=%v detail=%q", ok, detail)
	}
}

// The tape reads exactly what encoding/json reads, into the same values.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5e3,-0,"x\u00e9\ud83d\ude00"],"a":true,"b":null}`, `"\ud800\u0041"`,
		"\"\xff\xfe\"", `[`, `{"a" 1}`, `01`, `1.`, `-`, `1e+`, ` [ ] `, `{}x`, `"\/\b\f\n\r\t\""`, "\"\x01\"",
		`"\ud800\udbff"`, `"\uDC00"`, `[[[[]]]]`, `tru`, `nul`, "{\"\xe9\":1,\"\u00e9\":2,\"\xff\":3,\"\ufffd\":4}",
		`{"b":{"x":1,"x":[2]},"a":[{"k":1,"j":2,"k":3}],"b":{"y":null,"y":{}}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := jsonschema.UnmarshalJSON(strings.NewReader(s))
		tp, ok := getTape([]byte(s))
		defer putTape(tp)
		if ok != (err == nil) {
			t.Fatalf("%q: tape ok=%v, encoding/json err=%v", s, ok, err)
		}
		if !ok {
			return
		}
		if got := tp.decode(0); !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: tape %#v, encoding/json %#v", s, got, want)
		}
		if tp.next(0) != len(tp.toks) {
			t.Fatalf("%q: the body's value ends at token %d of %d", s, tp.next(0), len(tp.toks))
		}
		// Each object's keys are sorted, distinct, and found by lookup.
		for i := range tp.toks {
			if tp.toks[i].kind != tObject {
				continue
			}
			keys := tp.members(i)
			for j, k := range keys {
				key := string(tp.text(int(k)))
				if j > 0 && string(tp.text(int(keys[j-1]))) >= key {
					t.Fatalf("%q: keys of object %d out of order at %q", s, i, key)
				}
				if tp.member(i, key) != int(k)+1 {
					t.Fatalf("%q: key %q of object %d not found", s, key, i)
				}
			}
		}
	})
}

// Integer bounds are checked in ints and every other number exactly, on both sides of a bound.
func TestNumberBounds(t *testing.T) {
	m := NewModels(testAPI, map[string]*model.Model{
		"I": {Name: "I", Schema: `{"type":"number","minimum":-5,"maximum":100,"multipleOf":5}`},
		"X": {Name: "X", Schema: `{"type":"number","minimum":1,"exclusiveMinimum":true,"maximum":2.5,"exclusiveMaximum":true}`},
		"B": {Name: "B", Schema: `{"type":"integer","maximum":9223372036854775807}`},
		"E": {Name: "E", Schema: `{"minimum":1,"exclusiveMinimum":true,"maximum":2}`},
	})
	for _, c := range []struct {
		model, body string
		ok          bool
	}{
		{"I", "-5", true}, {"I", "-10", false}, {"I", "100", true}, {"I", "105", false}, {"I", "7", false},
		{"I", "100.0", true}, {"I", "1e2", true}, {"I", "-5.000000000000000000001", false}, {"I", "99.5", false},
		{"I", "999999999999999995", false}, {"I", "-999999999999999999999", false},
		{"X", "1", false}, {"X", "1.0000001", true}, {"X", "2", true}, {"X", "2.5", false}, {"X", "2.4999", true},
		{"B", "9223372036854775807", true}, {"B", "9223372036854775808", false},
		{"I", "-5.5", false}, {"I", "-4.5", false}, {"I", "-0.0", true}, {"I", "100.000001", false}, {"I", "-5.0", true},
		{"X", "1.5", true}, {"X", "0.9", false}, {"X", "-0.5", false}, {"X", "2.0", true}, {"X", "2.50", false},
		{"E", "0.5", false}, {"E", "1.5", true}, {"E", "2.0", true}, {"E", "2.000001", false}, {"E", "-1.5", false}, {"E", "1", false},
	} {
		b, err := m.Body(c.model)
		if err != nil {
			t.Fatal(err)
		}
		if detail, ok := b.Validate([]byte(c.body)); ok != c.ok {
			t.Errorf("%s %s: ok=%v (%s), want %v", c.model, c.body, ok, detail, c.ok)
		}
	}
}

// raceEnabled is set under the race detector, which defeats pooling.
var raceEnabled bool

// A valid body costs no allocation: the tape is pooled and values are read in place, including
// escaped strings, repeated keys, patterns, enums and unique items.
func TestValidBodiesDoNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector defeats sync.Pool")
	}
	models := NewModels(testAPI, testModels(t))
	for _, c := range []struct{ model, body string }{
		{"PetStoreModel", `{"id": 7, "type": "d\u006fg", "name": "Rex", "price": 249.99}`},
		{"PetStoreModel", `{"type": "cat", "price": 1, "price": 30, "name": "caf\u00e9 \"Rex\""}`},
		{"Pet", `{"name": "Rex", "tag": null, "id": 3}`},
		{"Pets", `[{"name": "Rex"}, {"name": "Tom", "tag": "x"}, {"name": "Tom", "id": 1}]`},
		{"Node", `{"value": 2, "children": [{"value": 4, "children": [{"value": 6}]}, {"value": -0}]}`},
		{"Numbers", `[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, "x"]`},
	} {
		b, err := models.Body(c.model)
		if err != nil {
			t.Fatal(err)
		}
		body := []byte(c.body)
		if detail, ok := b.Validate(body); !ok {
			t.Fatalf("%s %s: %s", c.model, c.body, detail)
		}
		if n := testing.AllocsPerRun(100, func() { b.Validate(body) }); n != 0 {
			t.Errorf("%s %s: %v allocations", c.model, c.body, n)
		}
	}
}
