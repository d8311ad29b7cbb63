package aws

import (
	"errors"
	"io"
	"testing"

	"github.com/portico/portico/internal/vtl"
)

// FuzzBindings renders a template that drives every binding with fuzzed payloads, paths and
// strings: a render either succeeds or fails with a *vtl.RenderError, never a panic.
func FuzzBindings(f *testing.F) {
	const src = `#set($r = $input.path($p))$r $input.json($p) $input.body $input.params($s)
$util.escapeJavaScript($s) $util.urlEncode($s) $util.base64Encode($s)
#set($d = $util.urlDecode($s))#set($b = $util.base64Decode($s))#set($j = $util.parseJson($s))$j
#foreach($x in $input.path('$..*'))$x#end $context $context.identity $context.authorizer.claims.sub
#set($context.responseOverride.status = $s)#set($context.requestOverride.header[$s] = $s)`
	tpl, err := vtl.Parse("fuzz", src)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{"a":[1,{"b":"x"}]}`), `$.a[*].b`, `a=1&b=%20`)
	f.Add([]byte(`[1,2`), `$..a`, `{"k":"v"}`)
	f.Add([]byte(``), `$`, `aGk=`)
	f.Add([]byte(`plain text`), `$[?(@.a > 1)]`, `'"\/`)
	req := &Request{
		PathParams: map[string]string{"a": "1"},
		Query:      map[string][]string{"q": {"x"}},
		Header:     map[string][]string{"H": {"v"}},
		Context:    Context{Authorizer: Authorizer{Claims: map[string]string{"sub": "s"}}},
	}
	f.Fuzz(func(t *testing.T, body []byte, path, s string) {
		b := NewBindings(req, body)
		b.Scope().Set("p", path)
		b.Scope().Set("s", s)
		err := tpl.Render(io.Discard, b.Scope())
		var re *vtl.RenderError
		if err != nil && !errors.As(err, &re) {
			t.Fatalf("render error %T: %v", err, err)
		}
		b.Overrides()
	})
}
