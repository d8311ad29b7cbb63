package vtl

import (
	"errors"
	"io"
)

// Template is a parsed template. It is immutable and safe for concurrent renders.
type Template struct {
	name string
}

var errNotBuilt = errors.New("vtl: engine not built yet")

// Parse parses src. name appears in error messages. Errors are *ParseError.
func Parse(name, src string) (*Template, error) {
	return nil, &ParseError{Name: name, Line: 1, Col: 1, Msg: errNotBuilt.Error()}
}

// Name returns the name given to Parse.
func (t *Template) Name() string { return t.name }

// Render evaluates the template with scope's variables and writes the output to w in one
// Write; on error nothing is written. Errors are *RenderError, or w's error.
func (t *Template) Render(w io.Writer, scope *Scope) error { return errNotBuilt }

// RenderString renders to a string.
func (t *Template) RenderString(scope *Scope) (string, error) { return "", errNotBuilt }

// ToString returns a value's printed form as a template prints it ($v); null prints empty.
func ToString(v any) string { return "" }

// AppendJSON appends v as compact JSON: *Map as an object, *List as an array, strings quoted.
func AppendJSON(dst []byte, v any) []byte { return dst }
