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
// A host value may implement fmt.Stringer to choose how it prints (otherwise an Object prints
// empty), Setter to accept #set into its properties, and Iterable to be walked by #foreach.
// Other Go types are not produced by the engine and print with fmt's %v.
//
// # Velocity 1.7 as API Gateway runs it
//
// The lexical rules follow Velocity 1.7's grammar, because they decide the output byte for byte:
//
//   - Whitespace: a directive's closing parenthesis (#set, #if, #elseif, #foreach, #define,
//     #macro, a macro call) swallows the spaces, tabs and one newline after it, when a newline
//     follows; so do #else and #end. A ## comment runs through its newline. Blanks before a
//     #set are swallowed too, unless they continue a run of text that began earlier: after
//     "{\n" an indented #set keeps its indentation, after a directive that ate its newline it
//     does not. Indentation before #if, #foreach, #end... is always kept, as AWS's output of
//     indented templates shows.
//   - Identifiers are [a-zA-Z_][a-zA-Z0-9_-]*: "$name-id" is one reference (write "${name}-id").
//     Directive names are [a-zA-Z_@][a-zA-Z0-9_@]*: "#end-x" is #end then "-x"; "#endif" is
//     text. #{else} and #{end} separate a directive from following letters.
//   - Strings: a doubled quote stands for one quote; backslashes are kept as written and do not
//     escape the quote ("\\'" is the regex \\' of AWS's documentation); "\uXXXX" is unescaped
//     in double-quoted strings, which also interpolate references and directives.
//   - There is no null literal: $null is simply an undefined reference.
//   - #set with a null right-hand side leaves the target unchanged (directive.set.null.allowed
//     is false by default).
//   - #if treats null and false as false and every other value as true (empty strings and empty
//     collections are true).
//   - Integer arithmetic stays integral (division truncates); a double operand makes a double;
//     division or modulo by zero, or a non-number, gives null. + with a string operand
//     concatenates, printing a null operand as its source text ("x" + $nothing is "x$nothing").
//   - == compares numbers by value, values of one kind with Java's equals, values of different
//     kinds by their string forms; null equals only null. < > <= >= compare numbers only.
//     Collections (contains, indexOf, remove, containsValue, equals) use Java's equals, where
//     1, 1.0 and "1" all differ.
//   - #break leaves the innermost #foreach, macro call or #define block; outside them it stops
//     the template, like #stop.
//   - A macro may be called before its definition; a call to a macro the template never defines
//     prints its source text. A #define block has only toString().
//   - Java strings count UTF-16 units: length(), substring() and indexOf() do too. Regular
//     expressions (matches, replaceAll, replaceFirst, split) run on Go's RE2: the common Java
//     syntax works; lookaround and backreferences are a *RenderError, as a Java exception is.
//
// Compared with Velocity 1.7 itself on random templates, Portico differs only on rare
// adjacencies its lexer treats oddly: "$#", "$\", a '{' right after a reference ("$a{$b", an
// error there), "##" right after a property or method call (text there, a comment here), and
// what follows a #set written right after a reference ("$a#set($b = 1)[x]"): Velocity's lexer
// stays in reference mode there, so '[' opens an index (a parse error) and "##" is text.
//
// Where Portico chooses:
//
//   - A reference whose value is null or undefined renders as the empty string, as API Gateway
//     does (reference mapping-templates.md §10); stock Velocity prints the reference's source
//     text. An escaped reference (\$a) keeps Velocity's rule: $a if defined, \$a otherwise.
//   - A #foreach of more than Limits.MaxLoopIterations (1000, API Gateway's quota) items is a
//     *RenderError rather than a silently shortened loop, so the overrun is visible.
//   - A method a value lacks yields null; a Java method that would throw (substring or
//     list.get out of range) is a *RenderError, and so is an index out of range ($list[9]),
//     as in Velocity 1.7, where a negative index counts from the end ($list[-1]).
//   - Maps have string keys: a key of another kind finds nothing ($m[1], $m.get(1)), as in
//     Java for a map read from JSON; put() stores other keys by their string form.
//   - Macro arguments are passed by value (Velocity 1.7 passes them by name); a #set inside a
//     macro writes to the caller's variables, as with Velocity 1.7's default global scope.
//   - split() returns a list, which prints as [a, b]; Java returns an array, which would print
//     as [Ljava.lang.String;@1b6d3586.
//   - Velocity 1.7 accepts only literals and references as method and index arguments; Portico
//     accepts any expression there, and unary minus on any number.
//   - Hostile templates are bounded (Limits): iterations per loop and in all, nesting of blocks
//     and macro calls, output size, and the size of strings, lists and maps a template builds.
//     A range literal longer than MaxTotalIterations is refused before it is built.
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

// Iterable is implemented by host values that #foreach can walk, such as a host object that
// behaves like a Java Map (Velocity iterates a map's values). The slice must not be modified.
type Iterable interface {
	Items() []any
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
	// MaxOutputBytes caps the rendered output, and the length of any string the template
	// builds.
	MaxOutputBytes int
	// MaxCollectionSize caps the elements a template adds to a list or map (add, addAll, put,
	// putAll, #set into an entry). Collections handed in by the host may be larger.
	MaxCollectionSize int
}

// DefaultLimits are the limits used for zero fields of a Scope's Limits.
var DefaultLimits = Limits{
	MaxLoopIterations:  1000,
	MaxTotalIterations: 100_000,
	MaxDepth:           64,
	MaxOutputBytes:     10 << 20,
	MaxCollectionSize:  100_000,
}

// TraceEvent describes one directive as it is evaluated, for `portico vtl render --trace`.
type TraceEvent struct {
	Line, Col int
	// Kind is the directive: "set", "if", "elseif", "else", "foreach", "item" (one
	// iteration), "break", "stop", "macro" (a macro call) or "define".
	Kind string
	// Text is the directive's source, such as `#if($a > 1)`.
	Text string
	// Value is the condition's value for if/elseif, the collection for foreach (Index is its
	// item count), the item for each "item" event (Index is its 0-based position), the
	// assigned value for set, the arguments for a macro call.
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
