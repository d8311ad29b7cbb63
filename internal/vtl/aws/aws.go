// Package aws binds Amazon API Gateway's template variables — $input, $util, $context and
// $stageVariables — for the template engine in internal/vtl, so a mapping template renders as
// API Gateway renders it. The gateway fills a Request, renders with Render (or builds a Scope
// with NewBindings for its own use) and reads back the overrides the template set.
//
// What a template sees (reference mapping-templates.md §3–§7, §10, §12):
//   - $input.body is the payload as a string; an empty payload reads as "{}".
//   - $input.path(p) is the JSONPath p over the payload as template values: objects are ordered
//     maps that print Java-style ({a=1, b=x}), arrays are lists that print as compact JSON, as
//     API Gateway's do. $input.json(p) is the same value as JSON text. Both decode the payload
//     once per render and share it, so #set($b = $input.path('$')) #set($b.x = 1) is seen by a
//     later $input.json('$'), as on AWS.
//   - $input.params() is {path={..}, querystring={..}, header={..}}; $input.params(n) searches
//     path, then querystring, then header, and yields "" when absent.
//   - $util: escapeJavaScript, parseJson, urlEncode, urlDecode, base64Encode, base64Decode.
//   - $context: every REST variable of §6; requestOverride.{header,querystring,path} and
//     responseOverride.{status,header} are writable and read back with Bindings.Overrides.
//   - $stageVariables: the stage's variables.
//
// Choices where AWS documents nothing:
//   - An empty payload is the JSON document {} for $input.path and $input.json, as the body-json
//     of AWS's "method request passthrough" template shows for a GET.
//   - A payload that is not JSON reads as one string (json-smart's permissive reading, which is
//     why $input.path('$').split('&') works on a form post), unless it starts like a JSON object
//     or array ({ or [): then $input.path and $input.json fail with ErrBody, which the gateway
//     answers with AWS's 400 "Could not parse request body into json".
//   - $input.json of a path that matches nothing is null (JSON text "null").
//   - escapeJavaScript is Apache Commons Lang's escapeJavaScript, which API Gateway's `'` → `\'`
//     betrays: it also writes `/` as `\/` and every character outside printable ASCII as \uXXXX.
//   - Names in $input.params(n) match exactly, except that a header name falls back to a
//     case-insensitive match, since HTTP header names have no case.
//   - Parameter maps and $stageVariables iterate in name order: Go's maps keep none, and a
//     fixed order makes output reproducible.
//   - Setting the same override key twice in one render fails the render, as AWS answers 5XX.
//   - Compiled JSONPaths are cached process-wide by their text (up to maxCachedPaths), so a
//     literal path in a template compiles once.
//
// Speed: the payload decodes straight into the engine's maps and lists, cut from chunks sized
// from the payload, once per render and only when a template asks for it; $context's members are
// read from the Request on demand; compiled paths are cached by their text.
// BenchmarkResponseTemplate renders the typical template (30 lines, #foreach over 100
// items from $input.path, building JSON), decoding its 7 KB payload in every render: 432
// allocations and ~110 µs of CPU per render on this project's shared 2-core machine under a load
// average of 6–12, where encoding/json needs ~122 µs just to decode the same payload
// (BenchmarkDecodeBodyStdlib; ~50 µs on an idle current machine). About half of the render is
// the decoding (BenchmarkDecodeBody, 407 allocations: one per string or double value boxed into
// an interface, the rest chunks). A small request template over a small payload costs ~2.3 µs
// and 24 allocations (BenchmarkSmallRequest). A cached path costs ~15 ns against ~0.8 µs to
// compile (BenchmarkPathCache).
//
// aws imports the engine and internal/jsonpath; it must never import the gateway, the compiler
// or the model: it is the same for the data plane and for `portico vtl render`.
package aws

import (
	"errors"
	"io"

	"github.com/portico/portico/internal/vtl"
)

// ErrBody is wrapped by the error of $input.path or $input.json on a payload that starts like
// JSON but does not parse; the render error unwraps to it.
var ErrBody = errors.New("Could not parse request body into json")

// Render renders t for req with body as the payload ($input.body, $input.path, $input.json): the
// method request body for a request template, the integration response body for a response
// template. It returns the output and the overrides the template set.
func Render(w io.Writer, t *vtl.Template, req *Request, body []byte) (*Overrides, error) {
	r := NewBindings(req, body)
	if err := t.Render(w, r.Scope()); err != nil {
		return nil, err
	}
	return r.Overrides(), nil
}
