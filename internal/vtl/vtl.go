// Package vtl is Portico's Velocity Template Language engine: the dialect of Apache Velocity 1.7
// that Amazon API Gateway runs for mapping templates. A template is parsed once (at deploy) into
// an immutable *Template and rendered many times, concurrently, each render with its own *Scope.
//
// vtl imports only the standard library. It must never import anything of Portico's: the AWS
// bindings ($input, $util, $context) live in internal/vtl/aws and reach the engine through the
// Object, Setter and fmt.Stringer interfaces below.
//
// # Values
//
// Templates see Java-like values, held as these Go types:
//
//	nil            Java null
//	bool           Boolean
//	int64          Integer / Long (integer literals, sizes, indexes, integer arithmetic)
//	float64        Double (decimal literals, arithmetic with a double operand)
//	string         String
//	*List          ArrayList (list literals, ranges, split results); prints [a, b] or, with
//	               JSON set, as compact JSON (how AWS prints an array from $input.path)
//	*Map           LinkedHashMap (map literals); prints {a=1, b=x}
//	Object         a host value: properties and methods supplied by the host
//
// A host value may implement fmt.Stringer to choose how it prints; otherwise an Object prints
// empty. Other Go types are not produced by the engine and print with fmt's %v.
//
// # Choices where AWS and stock Velocity differ
//
//   - A reference whose value is null or undefined renders as the empty string, as API Gateway
//     does (reference mapping-templates.md §10). Stock Velocity would print the reference's
//     source text ($foo). $!foo also renders empty.
//   - Whitespace follows Velocity 1.7: spaces and tabs before a #set at the start of a line are
//     dropped; spaces, tabs and one newline right after the closing parenthesis of a directive
//     (#set, #if, #elseif, #foreach, #macro, #define, a macro call) and after #else, #end are
//     dropped; a ## comment runs through its newline. Indentation before other directives is
//     kept, as AWS's output shows.
//   - #set with a null right-hand side leaves the target unchanged (Velocity 1.7's default,
//     directive.set.null.allowed=false).
//   - #if treats null and false as false and every other value as true (Velocity 1.7: empty
//     strings and empty collections are true).
//   - Integer division truncates; division or modulo by zero yields null, as in Velocity 1.7.
//   - == compares numbers by value, and values of different kinds by their string forms.
//   - An index out of range ($list[9]) and a method a value lacks yield null; a Java method that
//     would throw (substring out of range, a bad regex) is a *RenderError.
//   - Macro arguments are passed by value (Velocity 1.7 passes them by name); a #set inside a
//     macro writes to the caller's variables, as with Velocity 1.7's default global scope.
package vtl

import (
	"errors"
	"fmt"
)

// Object is a host value with properties and methods, such as $input or $context. The engine
// calls Property for $obj.name (and for bean-style getters: $obj.name also tries name as a
// property only), and Call for $obj.name(args). Implementations must be safe for the render
// that owns them; the engine never shares a Scope between goroutines.
type Object interface {
	// Property returns the named property and whether it exists. A missing property renders
	// as the empty string.
	Property(name string) (any, bool)
	// Call invokes a method. It returns ErrNoMethod (possibly wrapped) when the object has no
	// such method, which the engine treats like any undefined reference; any other error aborts
	// the render with a *RenderError.
	Call(method string, args []any) (any, error)
}

// Setter is implemented by host objects that accept #set into a property, such as
// $context.requestOverride.header. #set($a.b.c = v) resolves $a.b and calls SetProperty("c", v).
type Setter interface {
	SetProperty(name string, v any) error
}

// ErrNoMethod is returned by Object.Call for a method the object does not have.
var ErrNoMethod = errors.New("no such method")

// Limits bound the work one render may do. A zero field takes its default.
type Limits struct {
	// MaxLoopIterations caps the items a single #foreach visits; more is an error. API Gateway
	// allows 1000.
	MaxLoopIterations int
	// MaxTotalIterations caps #foreach iterations across the whole render.
	MaxTotalIterations int
	// MaxDepth caps nesting while rendering: blocks, macro calls (including recursion) and
	// #define expansion. Parsing caps nesting at the same default.
	MaxDepth int
	// MaxOutputBytes caps the rendered output, and also the length of any string or the
	// element count of any list or map the template builds.
	MaxOutputBytes int
}

// DefaultLimits are the limits used for zero fields of a Scope's Limits.
var DefaultLimits = Limits{
	MaxLoopIterations:  1000,
	MaxTotalIterations: 100_000,
	MaxDepth:           64,
	MaxOutputBytes:     10 << 20,
}

// TraceEvent describes one directive as it is evaluated, for `portico vtl render --trace`.
type TraceEvent struct {
	Line, Col int
	// Kind is the directive: "set", "if", "elseif", "else", "foreach", "break", "stop",
	// "macro" (a macro call) or "define".
	Kind string
	// Text is the directive's source, such as `#if($a > 1)`.
	Text string
	// Value is the condition's value for if/elseif, the item for each foreach iteration (Index
	// is its 0-based position), the assigned value for set, the arguments for a macro call.
	Value any
	Index int
}

// Scope holds the variables of one render. Set the root variables, optionally Limits and
// Tracer, then pass it to Template.Render. #set writes back into the Scope, so Get reads what
// a template assigned. A Scope is used by one render at a time.
type Scope struct {
	vars map[string]any
	// Limits bounds the render; zero fields take DefaultLimits.
	Limits Limits
	// Tracer, when set, receives each directive as it is evaluated.
	Tracer func(TraceEvent)
}

// NewScope returns an empty Scope with default limits.
func NewScope() *Scope { return &Scope{vars: make(map[string]any, 8)} }

// Set binds a root variable: Set("input", obj) makes $input available.
func (s *Scope) Set(name string, v any) {
	if s.vars == nil {
		s.vars = make(map[string]any, 8)
	}
	s.vars[name] = v
}

// Get returns a root variable and whether it is bound.
func (s *Scope) Get(name string) (any, bool) {
	v, ok := s.vars[name]
	return v, ok
}

// ParseError is a template that does not parse. Its message is "name:line:col: msg".
type ParseError struct {
	Name      string
	Line, Col int
	Msg       string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.Name, e.Line, e.Col, e.Msg)
}

// RenderError is a failure while rendering: a limit exceeded, a method that threw, an error
// from a host object (Err). Its message is "name:line:col: msg".
type RenderError struct {
	Name      string
	Line, Col int
	Msg       string
	Err       error
}

func (e *RenderError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.Name, e.Line, e.Col, e.Msg)
}

func (e *RenderError) Unwrap() error { return e.Err }
