package jsonpath

import "testing"

// FuzzCompile: any string either compiles or gives an *Error; a compiled path evaluates
// without panicking on a document with every kind of value.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		`$`, `$.a.b`, `$['a']`, `$.a[0]`, `$.a[-1]`, `$.a[*]`, `$..a`, `$.a[0,1]`, `$.a[1:3]`,
		`$[?(@.price < 10 && @.x || !(@.y == 'z'))]`, `$..book.length()`, `$[?(@.a =~ /x.*/i)]`,
		`$['a','b']`, `$[?(@.a in [1,'2',null])]`, `$..[?(@.t size 2)].u`, `$.a.keys()`,
	} {
		f.Add(s)
	}
	doc, err := Decode([]byte(`{"a":[1,{"b":"x","price":3,"t":[1,2],"u":null}],"price":20,"b":{"c":[[],{}]}}`), Plain)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Compile(s)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Compile(%q) error %T", s, err)
			}
			return
		}
		p.Eval(doc, Plain)
		p.describe()
	})
}

// FuzzEval: any bytes either decode or give a *SyntaxError; decoded documents evaluate under
// paths of every kind without panicking.
func FuzzEval(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `{"a":[1,2,{"b":null}]}`, `"x"`, `1.5e3`, `[[[[]]]]`, `{"a":{"a":{"a":1}}}`} {
		f.Add([]byte(s))
	}
	paths := []*Path{
		MustCompile(`$`), MustCompile(`$..*`), MustCompile(`$..a`), MustCompile(`$.a[-1:]`),
		MustCompile(`$..[?(@.a)]`), MustCompile(`$..a.length()`), MustCompile(`$.a[*].b.sum()`),
		MustCompile(`$..[?(@ == 1 || @.a != 'x')]`), MustCompile(`$['a','b']`),
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Decode(data, Plain)
		if err != nil {
			if _, ok := err.(*SyntaxError); !ok {
				t.Fatalf("Decode error %T", err)
			}
			return
		}
		for _, p := range paths {
			p.Eval(v, Plain)
		}
	})
}
