// Package jsonpath is JSONPath as Amazon API Gateway evaluates it in $input.path, $input.json and
// the `method.request.body.X` / `integration.response.body.X` parameter mappings: the Jayway
// "JsonPath for Java" dialect. A path is compiled once (Compile) and evaluated many times against
// decoded JSON (Decode, which keeps object keys in document order, as the Java maps AWS prints do).
//
// The dialect: `$` root, `.name` and `['name']` (also `["name"]`), `['a','b']`, `.*` and `[*]`,
// `..` deep scan, `[n]` with negative n counting from the end, `[n,m]`, slices `[from:to]` (either
// side optional, negative counts from the end, no step), filters `[?(expr)]` and a trailing
// function `.length()`, `.size()`, `.min()`, `.max()`, `.avg()`, `.sum()`, `.stddev()`, `.keys()`. Filter expressions compare `@`/`$` paths and literals with `== != < <= >
// >=`, `=~ /regex/i`, `in`, `nin`, `contains`, `size`, `empty`, combine with `&& || !` and
// parentheses, and test existence with a bare path (`[?(@.isbn)]`).
//
// Choices where AWS documents nothing:
//   - Definite paths (only names and single indexes, then optionally a multi-name or a function)
//     yield one value or nothing; any other path yields a list of every match, possibly empty —
//     Jayway's rule. A function applies to each match, except after a leading deep scan, where
//     Jayway folds all matches into one value ($..price.sum()).
//   - A name applied to a non-object, or an index to a non-array, matches nothing; no implicit
//     flattening (Jayway raises PathNotFound, which AWS renders as null).
//   - Comparisons follow Jayway: numbers compare numerically, a string that reads as a number
//     equals that number, ordering between a string and a number is false, and a path that
//     matches nothing makes every comparison false except `!=`.
//   - The functions are Jayway 2.x's; AWS does not say which Jayway release it runs.
//   - Integers that do not fit an int64 decode as float64 (Java would keep a BigInteger).
//   - Work is bounded: a path is at most 4096 bytes with filters nested at most 32 deep, a
//     document at most MaxDepth deep, and one evaluation visits at most MaxVisits nodes (past
//     that it matches nothing), so neither a hostile payload nor a careless path can hold a
//     request.
//
// jsonpath imports only the standard library and nothing of Portico's: it is shared by the
// template bindings and the parameter mappings and must never import the gateway.
package jsonpath

import (
	"fmt"
)

// Path is a compiled JSONPath. It is immutable and safe for concurrent use.
type Path struct {
	src      string
	segs     []segment
	fn       fnKind
	definite bool
}

// String returns the source text of the path.
func (p *Path) String() string { return p.src }

// Definite reports whether the path names at most one value (Jayway's definite path): Eval on a
// definite path yields that value or nothing, any other path yields a list.
func (p *Path) Definite() bool { return p.definite }

type segKind uint8

const (
	segName     segKind = iota // .name, ['name']
	segNames                   // ['a','b']
	segWildcard                // .*, [*]
	segIndex                   // [n]
	segIndexes                 // [n,m]
	segSlice                   // [from:to]
	segFilter                  // [?(expr)]
)

type segment struct {
	kind     segKind
	deep     bool // preceded by ..
	name     string
	names    []string
	index    int
	indexes  []int
	from, to int
	hasFrom  bool
	hasTo    bool
	filter   expr
}

// Error is a path that does not compile; Pos is the byte offset where reading stopped.
type Error struct {
	Path string
	Pos  int
	Msg  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("invalid JSONPath %q at %d: %s", e.Path, e.Pos, e.Msg)
}

// maxPathLen bounds the work one compile may do; templates are at most 300 KB, paths are short.
const maxPathLen = 4096

// maxFilterDepth bounds nested parentheses and nested filters in one path.
const maxFilterDepth = 32

// Compile parses a JSONPath that starts with `$`.
func Compile(path string) (*Path, error) {
	if len(path) > maxPathLen {
		return nil, &Error{Path: path, Pos: maxPathLen, Msg: "path too long"}
	}
	p := &parser{src: path}
	p.skipSpace()
	if p.pos >= len(path) || path[p.pos] != '$' {
		return nil, p.errf("a path must start with $")
	}
	p.pos++
	out, err := p.parsePath(false)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(path) {
		return nil, p.errf("unexpected %q", path[p.pos])
	}
	out.src = path
	return out, nil
}

// MustCompile is Compile for paths known at build time; it panics on a bad path.
func MustCompile(path string) *Path {
	p, err := Compile(path)
	if err != nil {
		panic(err)
	}
	return p
}

type parser struct {
	src   string
	pos   int
	depth int
}

func (p *parser) errf(format string, args ...any) *Error {
	return &Error{Path: p.src, Pos: p.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t' || p.src[p.pos] == '\n' || p.src[p.pos] == '\r') {
		p.pos++
	}
}

func (p *parser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

// parsePath reads segments after the root symbol. In a filter the path ends at the first
// character that cannot continue it (an operator, a space, a parenthesis).
func (p *parser) parsePath(inFilter bool) (*Path, error) {
	out := &Path{definite: true}
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch c {
		case '.':
			deep := false
			p.pos++
			if p.peek() == '.' {
				deep = true
				p.pos++
			}
			if p.peek() == '[' {
				if !deep {
					return nil, p.errf("'.' must be followed by a name")
				}
				p.pos++
				s, err := p.parseBracket()
				if err != nil {
					return nil, err
				}
				s.deep = true
				out.segs = append(out.segs, s)
				continue
			}
			if p.peek() == '*' {
				p.pos++
				out.segs = append(out.segs, segment{kind: segWildcard, deep: deep})
				continue
			}
			start := p.pos
			for p.pos < len(p.src) && !nameStop(p.src[p.pos], inFilter) {
				p.pos++
			}
			name := p.src[start:p.pos]
			if name == "" {
				return nil, p.errf("empty property name")
			}
			if p.peek() == '(' {
				if deep {
					return nil, p.errf("a function cannot follow ..")
				}
				fn, ok := fnByName[name]
				if !ok {
					return nil, &Error{Path: p.src, Pos: start, Msg: fmt.Sprintf("unknown function %s()", name)}
				}
				p.pos++
				p.skipSpace()
				if p.peek() != ')' {
					return nil, p.errf("function %s() takes no arguments", name)
				}
				p.pos++
				out.fn = fn
				return p.finish(out, inFilter)
			}
			out.segs = append(out.segs, segment{kind: segName, name: name, deep: deep})
		case '[':
			p.pos++
			s, err := p.parseBracket()
			if err != nil {
				return nil, err
			}
			out.segs = append(out.segs, s)
		default:
			if inFilter {
				return p.finish(out, inFilter)
			}
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				return p.finish(out, inFilter)
			}
			return nil, p.errf("unexpected %q", c)
		}
	}
	return p.finish(out, inFilter)
}

func (p *parser) finish(out *Path, inFilter bool) (*Path, error) {
	for i, s := range out.segs {
		last := i == len(out.segs)-1 && out.fn == fnNone
		switch {
		case s.deep, s.kind == segWildcard, s.kind == segIndexes, s.kind == segSlice, s.kind == segFilter:
			out.definite = false
		case s.kind == segNames && !last:
			out.definite = false
		}
	}
	if out.fn != fnNone && len(out.segs) > 0 && out.segs[0].deep {
		// Jayway folds every match of $..x into one value: $..x.fn() is fn($..x).
		out.definite = true
	}
	if !inFilter && p.pos < len(p.src) && out.fn != fnNone {
		p.skipSpace()
		if p.pos < len(p.src) {
			return nil, p.errf("a function must end the path")
		}
	}
	return out, nil
}

func nameStop(c byte, inFilter bool) bool {
	switch c {
	case '.', '[', '(', ' ', '\t', '\n', '\r':
		return true
	}
	if inFilter {
		switch c {
		case ')', '=', '!', '<', '>', '&', '|', ',', ']', '~':
			return true
		}
	}
	return false
}

// parseBracket reads what follows '[' up to and including ']'.
func (p *parser) parseBracket() (segment, error) {
	p.skipSpace()
	switch c := p.peek(); {
	case c == '\'' || c == '"':
		var names []string
		for {
			p.skipSpace()
			q := p.peek()
			if q != '\'' && q != '"' {
				return segment{}, p.errf("expected a quoted name")
			}
			s, err := p.quoted()
			if err != nil {
				return segment{}, err
			}
			names = append(names, s)
			p.skipSpace()
			if p.peek() == ',' {
				p.pos++
				continue
			}
			break
		}
		if err := p.expect(']'); err != nil {
			return segment{}, err
		}
		if len(names) == 1 {
			return segment{kind: segName, name: names[0]}, nil
		}
		return segment{kind: segNames, names: names}, nil
	case c == '*':
		p.pos++
		if err := p.expect(']'); err != nil {
			return segment{}, err
		}
		return segment{kind: segWildcard}, nil
	case c == '?':
		p.pos++
		p.skipSpace()
		if err := p.expect('('); err != nil {
			return segment{}, err
		}
		p.depth++
		if p.depth > maxFilterDepth {
			return segment{}, p.errf("filters nested too deeply")
		}
		e, err := p.parseOr()
		if err != nil {
			return segment{}, err
		}
		p.depth--
		p.skipSpace()
		if err := p.expect(')'); err != nil {
			return segment{}, err
		}
		p.skipSpace()
		if err := p.expect(']'); err != nil {
			return segment{}, err
		}
		return segment{kind: segFilter, filter: e}, nil
	case c == '-' || c == ':' || (c >= '0' && c <= '9'):
		return p.parseIndexes()
	default:
		if p.pos >= len(p.src) {
			return segment{}, p.errf("unexpected end after [")
		}
		return segment{}, p.errf("unexpected %q after [", c)
	}
}

func (p *parser) expect(c byte) error {
	if p.peek() != c {
		if p.pos >= len(p.src) {
			return p.errf("expected %q, found the end", c)
		}
		return p.errf("expected %q, found %q", c, p.src[p.pos])
	}
	p.pos++
	return nil
}

// quoted reads a single- or double-quoted string; a backslash takes the next character literally.
func (p *parser) quoted() (string, error) {
	q := p.src[p.pos]
	p.pos++
	start := p.pos
	var b []byte
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch c {
		case q:
			p.pos++
			if b == nil {
				return p.src[start : p.pos-1], nil
			}
			return string(b), nil
		case '\\':
			if b == nil {
				b = append([]byte(nil), p.src[start:p.pos]...)
			}
			p.pos++
			if p.pos >= len(p.src) {
				return "", p.errf("unterminated string")
			}
			b = append(b, p.src[p.pos])
			p.pos++
		default:
			if b != nil {
				b = append(b, c)
			}
			p.pos++
		}
	}
	return "", p.errf("unterminated string")
}

func (p *parser) integer() (int, bool) {
	start := p.pos
	if p.peek() == '-' {
		p.pos++
	}
	digits := p.pos
	n := 0
	for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
		if n > 1<<30 {
			return 0, false
		}
		n = n*10 + int(p.src[p.pos]-'0')
		p.pos++
	}
	if p.pos == digits {
		p.pos = start
		return 0, false
	}
	if p.src[start] == '-' {
		n = -n
	}
	return n, true
}

func (p *parser) parseIndexes() (segment, error) {
	p.skipSpace()
	if p.peek() == ':' {
		p.pos++
		p.skipSpace()
		s := segment{kind: segSlice}
		if p.peek() != ']' {
			to, ok := p.integer()
			if !ok {
				return segment{}, p.errf("expected an index")
			}
			s.to, s.hasTo = to, true
		}
		p.skipSpace()
		return s, p.expect(']')
	}
	first, ok := p.integer()
	if !ok {
		return segment{}, p.errf("expected an index")
	}
	p.skipSpace()
	switch p.peek() {
	case ':':
		p.pos++
		p.skipSpace()
		s := segment{kind: segSlice, from: first, hasFrom: true}
		if p.peek() != ']' {
			to, ok := p.integer()
			if !ok {
				return segment{}, p.errf("expected an index")
			}
			s.to, s.hasTo = to, true
		}
		p.skipSpace()
		return s, p.expect(']')
	case ',':
		idx := []int{first}
		for p.peek() == ',' {
			p.pos++
			p.skipSpace()
			n, ok := p.integer()
			if !ok {
				return segment{}, p.errf("expected an index")
			}
			idx = append(idx, n)
			p.skipSpace()
		}
		return segment{kind: segIndexes, indexes: idx}, p.expect(']')
	}
	return segment{kind: segIndex, index: first}, p.expect(']')
}
