package jsonpath

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// expr is a filter expression, evaluated once per candidate node.
type expr interface {
	test(c *evalCtx, cur any) bool
	String() string
}

type orExpr struct{ l, r expr }
type andExpr struct{ l, r expr }
type notExpr struct{ e expr }

// existsExpr is a bare path: true when it matches something.
type existsExpr struct{ o operand }

type cmpExpr struct {
	op   string
	l, r operand
	re   *regexp.Regexp // for =~
}

func (e orExpr) test(c *evalCtx, cur any) bool  { return e.l.test(c, cur) || e.r.test(c, cur) }
func (e andExpr) test(c *evalCtx, cur any) bool { return e.l.test(c, cur) && e.r.test(c, cur) }
func (e notExpr) test(c *evalCtx, cur any) bool { return !e.e.test(c, cur) }
func (e existsExpr) test(c *evalCtx, cur any) bool {
	_, ok := e.o.value(c, cur)
	return ok
}
func (e orExpr) String() string     { return fmt.Sprintf("(%s || %s)", e.l, e.r) }
func (e andExpr) String() string    { return fmt.Sprintf("(%s && %s)", e.l, e.r) }
func (e notExpr) String() string    { return fmt.Sprintf("!%s", e.e) }
func (e existsExpr) String() string { return e.o.String() }
func (e cmpExpr) String() string    { return fmt.Sprintf("%s %s %s", e.l, e.op, e.r) }

// operand is a path relative to @ or $, or a literal.
type operand struct {
	path    *Path
	fromCur bool // @ rather than $
	lit     any
	isLit   bool
	src     string
}

func (o operand) String() string { return o.src }

// value returns the operand's value; ok is false for a path that matches nothing.
func (o operand) value(c *evalCtx, cur any) (any, bool) {
	if o.isLit {
		return o.lit, true
	}
	start := c.root
	if o.fromCur {
		start = cur
	}
	return o.path.eval(c, start)
}

func (p *parser) parseOr() (expr, error) {
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpace()
		if !strings.HasPrefix(p.src[p.pos:], "||") {
			return l, nil
		}
		p.pos += 2
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = orExpr{l, r}
	}
}

func (p *parser) parseAnd() (expr, error) {
	l, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpace()
		if !strings.HasPrefix(p.src[p.pos:], "&&") {
			return l, nil
		}
		p.pos += 2
		r, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		l = andExpr{l, r}
	}
}

func (p *parser) parseUnary() (expr, error) {
	p.skipSpace()
	switch p.peek() {
	case '!':
		if !strings.HasPrefix(p.src[p.pos:], "!=") {
			p.pos++
			p.depth++
			if p.depth > maxFilterDepth {
				return nil, p.errf("filter nested too deeply")
			}
			e, err := p.parseUnary()
			p.depth--
			if err != nil {
				return nil, err
			}
			return notExpr{e}, nil
		}
	case '(':
		p.pos++
		p.depth++
		if p.depth > maxFilterDepth {
			return nil, p.errf("filter nested too deeply")
		}
		e, err := p.parseOr()
		p.depth--
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		return e, p.expect(')')
	}
	return p.parseRelation()
}

// relational operators, longest first so that <= is not read as <.
var relOps = []string{"==", "!=", "<=", ">=", "=~", "<", ">", "nin", "in", "contains", "size", "empty"}

func (p *parser) parseRelation() (expr, error) {
	l, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	op := ""
	for _, o := range relOps {
		if strings.HasPrefix(p.src[p.pos:], o) {
			if isWordOp(o) && p.pos+len(o) < len(p.src) && isIdent(p.src[p.pos+len(o)]) {
				continue
			}
			op = o
			break
		}
	}
	if op == "" {
		if l.isLit {
			return nil, p.errf("a literal alone is not a condition")
		}
		return existsExpr{l}, nil
	}
	p.pos += len(op)
	p.skipSpace()
	e := cmpExpr{op: op, l: l}
	if op == "=~" {
		re, err := p.parseRegex()
		if err != nil {
			return nil, err
		}
		e.re = re
		e.r = operand{isLit: true, lit: re.String(), src: re.String()}
		return e, nil
	}
	r, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	e.r = r
	return e, nil
}

func isWordOp(o string) bool { return o[0] >= 'a' && o[0] <= 'z' }

func isIdent(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// parseRegex reads /pattern/flags. Jayway matches the whole string, as Java's matches() does.
func (p *parser) parseRegex() (*regexp.Regexp, error) {
	if p.peek() != '/' {
		return nil, p.errf("=~ needs a /regex/")
	}
	p.pos++
	var b strings.Builder
	for {
		if p.pos >= len(p.src) {
			return nil, p.errf("unterminated regex")
		}
		c := p.src[p.pos]
		if c == '\\' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '/' {
			b.WriteByte('/')
			p.pos += 2
			continue
		}
		p.pos++
		if c == '/' {
			break
		}
		b.WriteByte(c)
	}
	flags := ""
	for p.pos < len(p.src) && isIdent(p.src[p.pos]) {
		switch p.src[p.pos] {
		case 'i':
			flags += "i"
		case 'm':
			flags += "m"
		case 's':
			flags += "s"
		default:
			return nil, p.errf("unknown regex flag %q", p.src[p.pos])
		}
		p.pos++
	}
	pat := "^(?:" + b.String() + ")$"
	if flags != "" {
		pat = "(?" + flags + ")" + pat
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		return nil, p.errf("bad regex: %v", err)
	}
	return re, nil
}

func (p *parser) parseOperand() (operand, error) {
	p.skipSpace()
	start := p.pos
	switch c := p.peek(); {
	case c == '@' || c == '$':
		p.pos++
		p.depth++
		if p.depth > maxFilterDepth {
			return operand{}, p.errf("filter nested too deeply")
		}
		sub, err := p.parsePath(true)
		p.depth--
		if err != nil {
			return operand{}, err
		}
		sub.src = p.src[start:p.pos]
		return operand{path: sub, fromCur: c == '@', src: sub.src}, nil
	case c == '\'' || c == '"':
		s, err := p.quoted()
		if err != nil {
			return operand{}, err
		}
		return operand{isLit: true, lit: s, src: p.src[start:p.pos]}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		for p.pos < len(p.src) && strings.IndexByte("+-.eE0123456789", p.src[p.pos]) >= 0 {
			p.pos++
		}
		lit := p.src[start:p.pos]
		if n, err := strconv.ParseInt(lit, 10, 64); err == nil {
			return operand{isLit: true, lit: n, src: lit}, nil
		}
		f, err := strconv.ParseFloat(lit, 64)
		if err != nil {
			return operand{}, &Error{Path: p.src, Pos: start, Msg: fmt.Sprintf("bad number %q", lit)}
		}
		return operand{isLit: true, lit: f, src: lit}, nil
	case c == '[':
		// A JSON array literal, for in / nin / contains: its elements are literals.
		p.pos++
		var items []any
		p.skipSpace()
		if p.peek() == ']' {
			p.pos++
			return operand{isLit: true, lit: items, src: p.src[start:p.pos]}, nil
		}
		for {
			o, err := p.parseOperand()
			if err != nil {
				return operand{}, err
			}
			if !o.isLit {
				return operand{}, p.errf("an array literal holds literals only")
			}
			items = append(items, o.lit)
			p.skipSpace()
			if p.peek() == ',' {
				p.pos++
				continue
			}
			if err := p.expect(']'); err != nil {
				return operand{}, err
			}
			return operand{isLit: true, lit: items, src: p.src[start:p.pos]}, nil
		}
	}
	for _, w := range []struct {
		s string
		v any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if strings.HasPrefix(p.src[p.pos:], w.s) && (p.pos+len(w.s) == len(p.src) || !isIdent(p.src[p.pos+len(w.s)])) {
			p.pos += len(w.s)
			return operand{isLit: true, lit: w.v, src: w.s}, nil
		}
	}
	if p.pos >= len(p.src) {
		return operand{}, p.errf("expected a value, found the end")
	}
	return operand{}, p.errf("expected a value, found %q", p.src[p.pos])
}

func (e cmpExpr) test(c *evalCtx, cur any) bool {
	l, lok := e.l.value(c, cur)
	if e.op == "=~" {
		s, ok := l.(string)
		return lok && ok && e.re.MatchString(s)
	}
	r, rok := e.r.value(c, cur)
	if !lok || !rok {
		return e.op == "!="
	}
	switch e.op {
	case "==":
		return equal(c.m, l, r)
	case "!=":
		return !equal(c.m, l, r)
	case "<", "<=", ">", ">=":
		cmp, ok := compare(l, r)
		if !ok {
			return false
		}
		switch e.op {
		case "<":
			return cmp < 0
		case "<=":
			return cmp <= 0
		case ">":
			return cmp > 0
		default:
			return cmp >= 0
		}
	case "in", "nin":
		items, ok := elems(c.m, r)
		if !ok {
			return e.op == "nin"
		}
		found := false
		for _, it := range items {
			if equal(c.m, l, it) {
				found = true
				break
			}
		}
		return found == (e.op == "in")
	case "contains":
		if s, ok := l.(string); ok {
			rs, ok := r.(string)
			return ok && strings.Contains(s, rs)
		}
		items, ok := elems(c.m, l)
		if !ok {
			return false
		}
		for _, it := range items {
			if equal(c.m, it, r) {
				return true
			}
		}
		return false
	case "size":
		n, ok := toFloat(r)
		if !ok {
			return false
		}
		size, ok := length(c.m, l)
		return ok && float64(size) == n
	case "empty":
		want, ok := r.(bool)
		if !ok {
			return false
		}
		size, ok := length(c.m, l)
		return ok && (size == 0) == want
	}
	return false
}

// elems returns the items of an array value (decoded or a literal list).
func elems(m Model, v any) ([]any, bool) {
	if a, ok := v.([]any); ok {
		return a, true
	}
	return m.Elems(v)
}

// length is Jayway's length: elements of an array, members of an object, characters of a string.
func length(m Model, v any) (int, bool) {
	if s, ok := v.(string); ok {
		return len([]rune(s)), true
	}
	if a, ok := elems(m, v); ok {
		return len(a), true
	}
	if keys, _, ok := m.Members(v); ok {
		return len(keys), true
	}
	return 0, false
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case float64:
		return n, true
	case int:
		return float64(n), true
	}
	return 0, false
}

// equal follows Jayway: numbers by value (a numeric string counts as its number), strings and
// booleans by value, null equals null, arrays and objects element by element.
func equal(m Model, a, b any) bool {
	if fa, ok := toFloat(a); ok {
		if fb, ok := numeric(b); ok {
			return fa == fb
		}
		return false
	}
	if fb, ok := toFloat(b); ok {
		fa, ok := numeric(a)
		return ok && fa == fb
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	}
	if xa, ok := elems(m, a); ok {
		ya, ok := elems(m, b)
		if !ok || len(xa) != len(ya) {
			return false
		}
		for i := range xa {
			if !equal(m, xa[i], ya[i]) {
				return false
			}
		}
		return true
	}
	if xk, xv, ok := m.Members(a); ok {
		yk, yv, ok := m.Members(b)
		if !ok || len(xk) != len(yk) {
			return false
		}
		for i, k := range xk {
			j := index(yk, k)
			if j < 0 || !equal(m, xv[i], yv[j]) {
				return false
			}
		}
		return true
	}
	return false
}

// numeric reads a number, or a string holding one.
func numeric(v any) (float64, bool) {
	if f, ok := toFloat(v); ok {
		return f, true
	}
	if s, ok := v.(string); ok {
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil && !math.IsNaN(f)
	}
	return 0, false
}

// compare orders two numbers or two strings; other pairs are unordered.
func compare(a, b any) (int, bool) {
	if fa, ok := toFloat(a); ok {
		fb, ok := toFloat(b)
		if !ok {
			return 0, false
		}
		switch {
		case fa < fb:
			return -1, true
		case fa > fb:
			return 1, true
		case fa == fb:
			return 0, true
		}
		return 0, false
	}
	sa, ok := a.(string)
	if !ok {
		return 0, false
	}
	sb, ok := b.(string)
	if !ok {
		return 0, false
	}
	return strings.Compare(sa, sb), true
}
