package vtl

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// maxParseDepth bounds block and expression nesting while parsing, so a hostile template
// cannot exhaust the stack.
var maxParseDepth = DefaultLimits.MaxDepth

// builder is the state shared by a template's parser and the sub-parsers of its
// interpolated strings.
type builder struct {
	calls    []*macroCallNode
	name     string
	slots    map[string]int
	names    []string
	macros   map[string]*macroDef
	setSlots map[int]bool
	depth    int
}

func (b *builder) slot(name string) int {
	if s, ok := b.slots[name]; ok {
		return s
	}
	s := len(b.names)
	b.slots[name] = s
	b.names = append(b.names, name)
	return s
}

type parser struct {
	b     *builder
	src   string
	i     int
	end   int
	lines []int // offsets where lines start
	// fixed, when set, is the position reported for everything this parser sees (a string
	// literal whose text was unescaped before parsing).
	fixed *pos
	// top is the template's own parser, not an interpolated string's.
	top bool
}

func lineStarts(src string) []int {
	ls := []int{0}
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			ls = append(ls, i+1)
		}
	}
	return ls
}

func (p *parser) posAt(off int) pos {
	if p.fixed != nil {
		return *p.fixed
	}
	l := sort.Search(len(p.lines), func(k int) bool { return p.lines[k] > off }) - 1
	return pos{line: l + 1, col: off - p.lines[l] + 1}
}

func (p *parser) errAt(off int, format string, args ...any) error {
	ps := p.posAt(off)
	return &ParseError{Name: p.b.name, Line: ps.line, Col: ps.col, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) enter(off int) error {
	p.b.depth++
	if p.b.depth > maxParseDepth {
		return p.errAt(off, "nesting deeper than %d levels", maxParseDepth)
	}
	return nil
}

func (p *parser) leave() { p.b.depth-- }

// Parse parses src. name appears in error messages. Errors are *ParseError.
func Parse(name, src string) (*Template, error) {
	b := &builder{name: name, slots: map[string]int{}, macros: map[string]*macroDef{}, setSlots: map[int]bool{}}
	for _, n := range []string{"foreach", "velocityCount", "velocityHasNext"} {
		b.slot(n)
	}
	p := &parser{b: b, src: src, end: len(src), lines: lineStarts(src), top: true}
	nodes, term, termOff, err := p.parseNodes()
	if err != nil {
		return nil, err
	}
	if term != "" {
		return nil, p.errAt(termOff, "#%s without a matching #if or #foreach", term)
	}
	for _, c := range b.calls {
		c.m = b.macros[c.name]
	}
	t := &Template{name: name, nodes: nodes, names: b.names}
	for s := range b.setSlots {
		t.setSlots = append(t.setSlots, s)
	}
	sort.Ints(t.setSlots)
	return t, nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool {
	return isLetter(c) || c == '_'
}
func isIdentChar(c byte) bool { return isLetter(c) || isDigit(c) || c == '_' || c == '-' }

func (p *parser) at(off int) byte {
	if off < p.end {
		return p.src[off]
	}
	return 0
}

// ident reads a Velocity 1.7 identifier ([a-zA-Z_][a-zA-Z0-9_-]*) at off.
func (p *parser) ident(off int) (string, int) {
	if !isIdentStart(p.at(off)) {
		return "", off
	}
	e := off + 1
	for e < p.end && isIdentChar(p.src[e]) {
		e++
	}
	return p.src[off:e], e
}

// gobbleNewline drops spaces, tabs and one newline at p.i, if a newline follows the blanks.
func (p *parser) gobbleNewline() {
	j := p.i
	for j < p.end && (p.src[j] == ' ' || p.src[j] == '\t') {
		j++
	}
	switch {
	case j < p.end && p.src[j] == '\n':
		p.i = j + 1
	case j+1 < p.end && p.src[j] == '\r' && p.src[j+1] == '\n':
		p.i = j + 2
	case j < p.end && p.src[j] == '\r':
		p.i = j + 1
	}
}

func isBlanks(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

type textBuf struct {
	nodes []node
	txt   []byte
	pos   pos // where the pending text started
	// seg is where the last run of plain text (Velocity's TEXT token: no $, # or \) starts
	// in txt, when that run ends txt; -1 otherwise.
	seg int
	// more is where a lone '$' or '#' stands in txt when only blanks follow it; -1 otherwise.
	// Velocity's lexer prefixes it to the next token, so a #set that follows swallows it.
	more int
}

func (t *textBuf) flush() {
	t.seg, t.more = -1, -1
	if len(t.txt) > 0 {
		t.nodes = append(t.nodes, &textNode{pos: t.pos, s: string(t.txt)})
		t.txt = t.txt[:0]
	}
}

func (t *textBuf) add(n node) {
	t.flush()
	t.nodes = append(t.nodes, n)
}

// parseNodes parses template text up to the end or to an #end, #else or #elseif, which it
// returns as term (with the offset of its '#'). For #elseif, p.i is left at its '('.
func (p *parser) parseNodes() (nodes []node, term string, termOff int, err error) {
	tb := textBuf{seg: -1, more: -1}
	for p.i < p.end {
		if len(tb.txt) == 0 {
			tb.pos = p.posAt(p.i)
		}
		more := tb.more
		c := p.src[p.i]
		switch c {
		case '\\':
			j := p.i
			for j < p.end && p.src[j] == '\\' {
				j++
			}
			n := j - p.i
			switch p.at(j) {
			case '$':
				start := p.i
				p.i = j
				ref, ok, err := p.parseRef(true)
				if err != nil {
					return nil, "", 0, err
				}
				if !ok {
					tb.txt = append(tb.txt, p.src[start:j+1]...)
					p.i = j + 1
					continue
				}
				tb.add(&refNode{ref: ref, escapes: n, src: p.src[j:p.i]})
			case '#':
				if p.directiveAt(j) {
					tb.txt = append(tb.txt, strings.Repeat(`\`, n/2)...)
					if n%2 == 1 {
						// The escaped directive's name is text, a token of its own.
						_, e := p.directiveWord(j)
						tb.txt = append(tb.txt, p.src[j:e]...)
						p.i = e
					} else {
						p.i = j
					}
					continue
				}
				tb.txt = append(tb.txt, p.src[p.i:j+1]...)
				p.i = j + 1
			default:
				tb.txt = append(tb.txt, p.src[p.i:j]...)
				p.i = j
			}
		case '$':
			ref, ok, err := p.parseRefNode()
			if err != nil {
				return nil, "", 0, err
			}
			if !ok {
				if err := p.loneAtEnd(p.i); err != nil {
					return nil, "", 0, err
				}
				tb.txt = append(tb.txt, '$')
				p.i++
				// Velocity drops the '!' of a "$!" that starts no reference.
				if p.at(p.i) == '!' && p.at(p.i+1) != '{' {
					if err := p.loneAtEnd(p.i); err != nil {
						return nil, "", 0, err
					}
					p.i++
				}
				tb.seg, tb.more = -1, len(tb.txt)-1
				continue
			}
			tb.add(ref)
		case '#':
			start := p.i
			n, term, err := p.parseHash(&tb)
			if err != nil {
				return nil, "", 0, err
			}
			if term != "" {
				tb.flush()
				return tb.nodes, term, start, nil
			}
			if n != nil {
				tb.add(n)
			}
		default:
			j := p.i + 1
			for j < p.end && p.src[j] != '$' && p.src[j] != '#' && p.src[j] != '\\' {
				j++
			}
			tb.seg = len(tb.txt)
			tb.txt = append(tb.txt, p.src[p.i:j]...)
			if !isBlanks(tb.txt[tb.seg:]) {
				tb.more = -1
			}
			p.i = j
			continue
		}
		tb.seg = -1
		if tb.more == more {
			tb.more = -1
		}
	}
	tb.flush()
	return tb.nodes, "", 0, nil
}

// loneAtEnd rejects a '$' or '#' (or the '!' of "$!") that is the template's last character,
// which Velocity 1.7 cannot parse; inside a string it is text.
func (p *parser) loneAtEnd(off int) error {
	if p.top && off == p.end-1 {
		return p.errAt(off, "%q at the end of the template", p.src[off])
	}
	return nil
}

func (p *parser) parseRefNode() (node, bool, error) {
	start := p.i
	ref, ok, err := p.parseRef(true)
	if err != nil || !ok {
		return nil, ok, err
	}
	return &refNode{ref: ref, src: p.src[start:p.i]}, true, nil
}

// directiveAt reports whether a directive, or a call of a macro defined so far, starts at off
// (a '#'): what a backslash before it escapes.
func (p *parser) directiveAt(off int) bool {
	w, _ := p.directiveWord(off)
	switch w {
	case "":
		return false
	case "set", "if", "elseif", "else", "end", "foreach", "break", "stop", "define", "macro":
		return true
	}
	_, ok := p.b.macros[w]
	return ok
}

// directiveWord reads #word or #{word} at off (a '#'); it returns "" if there is none.
// Directive names are [a-zA-Z_@][a-zA-Z0-9_@]*, so "#end-" is #end followed by "-".
func (p *parser) directiveWord(off int) (string, int) {
	j := off + 1
	braced := p.at(j) == '{'
	if braced {
		j++
	}
	c := p.at(j)
	if !isLetter(c) && c != '_' && (c != '@' || braced) {
		return "", 0
	}
	e := j + 1
	for e < p.end && (isLetter(p.src[e]) || isDigit(p.src[e]) || p.src[e] == '_' || p.src[e] == '@') {
		e++
	}
	w := p.src[j:e]
	if braced {
		if p.at(e) != '}' {
			return "", 0
		}
		e++
	}
	return w, e
}

// parseHash handles a '#' at p.i: a comment, an unparsed block, a directive, a macro call, or
// a literal '#'. It returns the node to add (nil if none) or the block terminator met.
func (p *parser) parseHash(tb *textBuf) (node, string, error) {
	start := p.i
	switch p.at(p.i + 1) {
	case '#':
		e := strings.IndexByte(p.src[p.i:p.end], '\n')
		if e < 0 {
			p.i = p.end
		} else {
			p.i += e + 1
		}
		return nil, "", nil
	case '*':
		// An unterminated comment runs to the end, as in Velocity.
		e := strings.Index(p.src[p.i+2:p.end], "*#")
		if e < 0 {
			p.i = p.end
			return nil, "", nil
		}
		p.i += 2 + e + 2
		return nil, "", nil
	case '[':
		if p.at(p.i+2) == '[' {
			e := strings.Index(p.src[p.i+3:p.end], "]]#")
			if e < 0 {
				return nil, "", p.errAt(start, "unterminated #[[ block")
			}
			tb.txt = append(tb.txt, p.src[p.i+3:p.i+3+e]...)
			p.i += 3 + e + 3
			return nil, "", nil
		}
	}
	w, e := p.directiveWord(p.i)
	switch w {
	case "":
		if err := p.loneAtEnd(p.i); err != nil {
			return nil, "", err
		}
		tb.txt = append(tb.txt, '#')
		tb.more = len(tb.txt) - 1
		p.i++
		return nil, "", nil
	case "end", "else":
		p.i = e
		p.gobbleNewline()
		return nil, w, nil
	case "elseif":
		p.i = e
		return nil, w, nil
	case "set":
		// Velocity 1.7's #set token swallows the blanks before it, unless they belong to a
		// run of text that started earlier (such as "{\n  "): at the start of a template, or
		// after a directive that ate its newline, an indented #set leaves nothing.
		if tb.seg >= 0 && isBlanks(tb.txt[tb.seg:]) {
			tb.txt = tb.txt[:tb.seg]
		}
		if tb.more >= 0 && tb.more == len(tb.txt)-1 {
			tb.txt = tb.txt[:tb.more]
		}
		p.i = e
		n, err := p.parseSet(start)
		return n, "", err
	case "if":
		p.i = e
		n, err := p.parseIf(start)
		return n, "", err
	case "foreach":
		p.i = e
		n, err := p.parseForeach(start)
		return n, "", err
	case "break", "stop":
		p.i = e
		// An optional scope argument, #break($foreach), names the loop left; the innermost
		// loop is the only one Portico supports leaving.
		if p.at(p.i) == '(' {
			j := strings.IndexByte(p.src[p.i:p.end], ')')
			if j < 0 {
				return nil, "", p.errAt(start, "#%s( without a closing )", w)
			}
			p.i += j + 1
		}
		if w == "break" {
			return &breakNode{pos: p.posAt(start)}, "", nil
		}
		return &stopNode{pos: p.posAt(start)}, "", nil
	case "define":
		p.i = e
		n, err := p.parseDefine(start)
		return n, "", err
	case "macro":
		p.i = e
		return nil, "", p.parseMacro(start)
	}
	j := e
	for j < p.end && (p.src[j] == ' ' || p.src[j] == '\t') {
		j++
	}
	if p.at(j) == '(' {
		// A macro call, possibly to a macro defined further down. Arguments that do not
		// parse make the whole thing text.
		save := p.i
		p.i = j + 1
		args, err := p.parseArgs(')', true)
		if err == nil {
			src := p.src[start:p.i]
			p.gobbleNewline()
			call := &macroCallNode{pos: p.posAt(start), name: w, args: args, src: src, literal: p.src[start:p.i]}
			p.b.calls = append(p.b.calls, call)
			return call, "", nil
		}
		p.i = save
	}
	// Not a directive: the '#' and the word are text, a token of their own.
	tb.txt = append(tb.txt, p.src[start:e]...)
	p.i = e
	return nil, "", nil
}

func (p *parser) skipSpace() {
	for p.i < p.end {
		switch p.src[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) expect(c byte, what string) error {
	p.skipSpace()
	if p.at(p.i) != c {
		if p.i >= p.end {
			return p.errAt(p.i, "expected %q %s, found end of template", c, what)
		}
		return p.errAt(p.i, "expected %q %s, found %q", c, what, p.src[p.i])
	}
	p.i++
	return nil
}

// closeDirective reads the ')' ending a directive's arguments and drops a newline after it.
func (p *parser) closeDirective(what string) error {
	if err := p.expect(')', what); err != nil {
		return err
	}
	p.gobbleNewline()
	return nil
}

func (p *parser) parseSet(start int) (node, error) {
	if err := p.expect('(', "after #set"); err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.at(p.i) != '$' {
		return nil, p.errAt(p.i, "#set must assign to a reference such as $name")
	}
	target, ok, err := p.parseRef(false)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, p.errAt(p.i, "#set must assign to a reference such as $name")
	}
	if len(target.chain) > 0 && target.chain[len(target.chain)-1].kind == accMethod {
		return nil, p.errAt(p.i, "#set cannot assign to a method call")
	}
	if err := p.expect('=', "in #set"); err != nil {
		return nil, err
	}
	val, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if err := p.expect(')', "closing #set"); err != nil {
		return nil, err
	}
	src := p.src[start:p.i]
	p.gobbleNewline()
	if len(target.chain) == 0 {
		p.b.setSlots[target.slot] = true
	}
	return &setNode{pos: p.posAt(start), target: target, val: val, src: src}, nil
}

// parseBody parses a block's body up to its terminator, with the nesting bound.
func (p *parser) parseBody(start int) ([]node, string, int, error) {
	if err := p.enter(start); err != nil {
		return nil, "", 0, err
	}
	defer p.leave()
	return p.parseNodes()
}

func (p *parser) parseIf(start int) (node, error) {
	n := &ifNode{}
	kind, off := "if", start
	for {
		if err := p.expect('(', "after #"+kind); err != nil {
			return nil, err
		}
		cond, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		if err := p.expect(')', "closing #"+kind); err != nil {
			return nil, err
		}
		src := p.src[off:p.i]
		p.gobbleNewline()
		body, term, termOff, err := p.parseBody(start)
		if err != nil {
			return nil, err
		}
		n.branches = append(n.branches, ifBranch{pos: p.posAt(off), cond: cond, body: body, src: src})
		switch term {
		case "end":
			return n, nil
		case "elseif":
			kind, off = "elseif", termOff
			continue
		case "else":
			body, term2, termOff2, err := p.parseBody(start)
			if err != nil {
				return nil, err
			}
			if term2 != "end" {
				if term2 == "" {
					return nil, p.errAt(start, "#if without a matching #end")
				}
				return nil, p.errAt(termOff2, "#%s after #else", term2)
			}
			n.branches = append(n.branches, ifBranch{pos: p.posAt(termOff), body: body, src: "#else"})
			return n, nil
		default:
			return nil, p.errAt(start, "#if without a matching #end")
		}
	}
}

// endBlock checks that a block body ended with #end.
func (p *parser) endBlock(what string, start int, term string, termOff int) error {
	switch term {
	case "end":
		return nil
	case "":
		return p.errAt(start, "#%s without a matching #end", what)
	}
	return p.errAt(termOff, "#%s inside #%s without #if", term, what)
}

func (p *parser) loopVar(what string) (int, string, error) {
	p.skipSpace()
	off := p.i
	if p.at(p.i) != '$' {
		return 0, "", p.errAt(p.i, "%s needs a variable such as $item", what)
	}
	p.i++
	if p.at(p.i) == '!' {
		p.i++
	}
	braced := p.at(p.i) == '{'
	if braced {
		p.i++
	}
	name, e := p.ident(p.i)
	if name == "" {
		return 0, "", p.errAt(off, "%s needs a variable such as $item", what)
	}
	p.i = e
	if braced {
		if p.at(p.i) != '}' {
			return 0, "", p.errAt(p.i, "expected '}' closing ${%s", name)
		}
		p.i++
	}
	return p.b.slot(name), name, nil
}

func (p *parser) parseForeach(start int) (node, error) {
	if err := p.expect('(', "after #foreach"); err != nil {
		return nil, err
	}
	slot, _, err := p.loopVar("#foreach")
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if w, e := p.ident(p.i); w != "in" {
		return nil, p.errAt(p.i, "expected 'in' in #foreach")
	} else {
		p.i = e
	}
	iter, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if err := p.expect(')', "closing #foreach"); err != nil {
		return nil, err
	}
	src := p.src[start:p.i]
	p.gobbleNewline()
	body, term, termOff, err := p.parseBody(start)
	if err != nil {
		return nil, err
	}
	if err := p.endBlock("foreach", start, term, termOff); err != nil {
		return nil, err
	}
	return &foreachNode{pos: p.posAt(start), slot: slot, iter: iter, body: body, src: src}, nil
}

func (p *parser) parseDefine(start int) (node, error) {
	if err := p.expect('(', "after #define"); err != nil {
		return nil, err
	}
	slot, _, err := p.loopVar("#define")
	if err != nil {
		return nil, err
	}
	if err := p.expect(')', "closing #define"); err != nil {
		return nil, err
	}
	src := p.src[start:p.i]
	p.gobbleNewline()
	body, term, termOff, err := p.parseBody(start)
	if err != nil {
		return nil, err
	}
	if err := p.endBlock("define", start, term, termOff); err != nil {
		return nil, err
	}
	p.b.setSlots[slot] = true
	return &defineNode{pos: p.posAt(start), slot: slot, body: body, src: src}, nil
}

func (p *parser) parseMacro(start int) error {
	if err := p.expect('(', "after #macro"); err != nil {
		return err
	}
	p.skipSpace()
	name, e := p.ident(p.i)
	if name == "" {
		return p.errAt(p.i, "#macro needs a name")
	}
	switch name {
	case "set", "if", "elseif", "else", "end", "foreach", "break", "stop", "define", "macro":
		return p.errAt(p.i, "#macro cannot be named %q", name)
	}
	p.i = e
	m := &macroDef{name: name}
	for {
		p.skipSpace()
		if p.at(p.i) == ',' {
			p.i++
			p.skipSpace()
		}
		if p.at(p.i) == ')' {
			break
		}
		slot, _, err := p.loopVar("#macro parameter")
		if err != nil {
			return err
		}
		m.params = append(m.params, slot)
	}
	if err := p.closeDirective("closing #macro"); err != nil {
		return err
	}
	// Registered before its body is parsed, so a macro may call itself.
	p.b.macros[name] = m
	body, term, termOff, err := p.parseBody(start)
	if err != nil {
		return err
	}
	if err := p.endBlock("macro", start, term, termOff); err != nil {
		return err
	}
	m.body = body
	return nil
}

// parseRef parses a reference at p.i (a '$'). In text mode a '$' that starts no reference,
// and a trailing '.' or '[' that starts no accessor, are left as text (ok false / chain ends).
func (p *parser) parseRef(text bool) (*refExpr, bool, error) {
	start := p.i
	j := p.i + 1
	quiet := p.at(j) == '!'
	if quiet {
		j++
	}
	braced := p.at(j) == '{'
	if braced {
		j++
	}
	name, e := p.ident(j)
	if name == "" {
		if text {
			return nil, false, nil
		}
		return nil, false, p.errAt(start, "expected a reference name after '$'")
	}
	ref := &refExpr{pos: p.posAt(start), slot: p.b.slot(name), name: name, quiet: quiet}
	p.i = e
	for {
		c := p.at(p.i)
		if c == '.' && isIdentStart(p.at(p.i+1)) {
			off := p.i
			name, e := p.ident(p.i + 1)
			p.i = e
			if p.at(p.i) == '(' {
				p.i++
				args, err := p.parseArgs(')', false)
				if err != nil {
					return nil, false, err
				}
				ref.chain = append(ref.chain, accessor{pos: p.posAt(off), kind: accMethod, name: name, args: args})
			} else {
				ref.chain = append(ref.chain, accessor{pos: p.posAt(off), kind: accProp, name: name})
			}
			continue
		}
		if c == '[' {
			off := p.i
			p.i++
			idx, err := p.parseExpr()
			if err == nil {
				err = p.expect(']', "closing the index")
			}
			if err != nil {
				if text {
					p.i = off
					break
				}
				return nil, false, err
			}
			ref.chain = append(ref.chain, accessor{pos: p.posAt(off), kind: accIndex, args: []expr{idx}})
			continue
		}
		break
	}
	if braced {
		if p.at(p.i) != '}' {
			if text {
				p.i = start
				return nil, false, nil
			}
			return nil, false, p.errAt(p.i, "expected '}' closing ${%s", name)
		}
		p.i++
	}
	ref.src = p.src[start:p.i]
	return ref, true, nil
}

// parseArgs parses expressions up to close. Macro calls may separate them with spaces only.
func (p *parser) parseArgs(close byte, spaceSep bool) ([]expr, error) {
	var args []expr
	for {
		p.skipSpace()
		if p.at(p.i) == close {
			p.i++
			return args, nil
		}
		if len(args) > 0 {
			if p.at(p.i) == ',' {
				p.i++
			} else if !spaceSep {
				if p.i >= p.end {
					return nil, p.errAt(p.i, "expected ',' or %q, found end of template", close)
				}
				return nil, p.errAt(p.i, "expected ',' or %q, found %q", close, p.src[p.i])
			}
		}
		a, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
	}
}

// word reports whether the word operator w stands at p.i (after blanks), and consumes it.
func (p *parser) word(w string) bool {
	if !strings.HasPrefix(p.src[p.i:p.end], w) || isIdentChar(p.at(p.i+len(w))) {
		return false
	}
	p.i += len(w)
	return true
}

func (p *parser) op2(sym, w string) bool {
	p.skipSpace()
	if strings.HasPrefix(p.src[p.i:p.end], sym) {
		p.i += len(sym)
		return true
	}
	return w != "" && p.word(w)
}

func (p *parser) parseExpr() (expr, error) {
	if err := p.enter(p.i); err != nil {
		return nil, err
	}
	defer p.leave()
	return p.parseOr()
}

func (p *parser) parseOr() (expr, error) {
	l, err := p.parseAnd()
	for err == nil {
		off := p.i
		if !p.op2("||", "or") {
			return l, nil
		}
		var r expr
		r, err = p.parseAnd()
		l = &binExpr{pos: p.posAt(off), op: opOr, l: l, r: r}
	}
	return nil, err
}

func (p *parser) parseAnd() (expr, error) {
	l, err := p.parseEq()
	for err == nil {
		off := p.i
		if !p.op2("&&", "and") {
			return l, nil
		}
		var r expr
		r, err = p.parseEq()
		l = &binExpr{pos: p.posAt(off), op: opAnd, l: l, r: r}
	}
	return nil, err
}

func (p *parser) parseEq() (expr, error) {
	l, err := p.parseRel()
	for err == nil {
		off := p.i
		var op int
		switch {
		case p.op2("==", "eq"):
			op = opEq
		case p.op2("!=", "ne"):
			op = opNe
		default:
			return l, nil
		}
		var r expr
		r, err = p.parseRel()
		l = &binExpr{pos: p.posAt(off), op: op, l: l, r: r}
	}
	return nil, err
}

func (p *parser) parseRel() (expr, error) {
	l, err := p.parseAdd()
	for err == nil {
		off := p.i
		var op int
		switch {
		case p.op2("<=", "le"):
			op = opLe
		case p.op2(">=", "ge"):
			op = opGe
		case p.op2("<", "lt"):
			op = opLt
		case p.op2(">", "gt"):
			op = opGt
		default:
			return l, nil
		}
		var r expr
		r, err = p.parseAdd()
		l = &binExpr{pos: p.posAt(off), op: op, l: l, r: r}
	}
	return nil, err
}

func (p *parser) parseAdd() (expr, error) {
	l, err := p.parseMul()
	for err == nil {
		p.skipSpace()
		off := p.i
		var op int
		switch p.at(p.i) {
		case '+':
			op = opAdd
		case '-':
			op = opSub
		default:
			return l, nil
		}
		p.i++
		var r expr
		r, err = p.parseMul()
		l = &binExpr{pos: p.posAt(off), op: op, l: l, r: r}
	}
	return nil, err
}

func (p *parser) parseMul() (expr, error) {
	l, err := p.parseUnary()
	for err == nil {
		p.skipSpace()
		off := p.i
		var op int
		switch p.at(p.i) {
		case '*':
			op = opMul
		case '/':
			op = opDiv
		case '%':
			op = opMod
		default:
			return l, nil
		}
		p.i++
		var r expr
		r, err = p.parseUnary()
		l = &binExpr{pos: p.posAt(off), op: op, l: l, r: r}
	}
	return nil, err
}

func (p *parser) parseUnary() (expr, error) {
	p.skipSpace()
	off := p.i
	var op int
	switch {
	case p.at(p.i) == '!' && p.at(p.i+1) != '=':
		p.i++
		op = opNot
	case p.word("not"):
		op = opNot
	case p.at(p.i) == '-':
		p.i++
		op = opNeg
	default:
		return p.parsePrimary()
	}
	if err := p.enter(off); err != nil {
		return nil, err
	}
	defer p.leave()
	x, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	if op == opNeg {
		if l, ok := x.(*litExpr); ok {
			switch v := l.v.(type) {
			case int64:
				return &litExpr{v: -v}, nil
			case float64:
				return &litExpr{v: -v}, nil
			}
		}
	}
	return &unExpr{op: op, x: x}, nil
}

func (p *parser) parsePrimary() (expr, error) {
	p.skipSpace()
	off := p.i
	if p.i >= p.end {
		return nil, p.errAt(off, "expected a value, found end of template")
	}
	c := p.src[p.i]
	switch {
	case c == '$':
		ref, _, err := p.parseRef(false)
		if err != nil {
			return nil, err
		}
		return ref, nil
	case c == '"' || c == '\'':
		return p.parseString()
	case isDigit(c):
		return p.parseNumber()
	case c == '(':
		p.i++
		x, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		if err := p.expect(')', "closing '('"); err != nil {
			return nil, err
		}
		return x, nil
	case c == '[':
		return p.parseList()
	case c == '{':
		return p.parseMap()
	}
	if p.word("true") {
		return &litExpr{v: true}, nil
	}
	if p.word("false") {
		return &litExpr{v: false}, nil
	}
	return nil, p.errAt(off, "unexpected %q in expression", c)
}

func (p *parser) parseNumber() (expr, error) {
	off := p.i
	for p.i < p.end && isDigit(p.src[p.i]) {
		p.i++
	}
	isFloat := false
	if p.at(p.i) == '.' && p.at(p.i+1) != '.' && !isIdentStart(p.at(p.i+1)) {
		isFloat = true
		p.i++
		for p.i < p.end && isDigit(p.src[p.i]) {
			p.i++
		}
	}
	if c := p.at(p.i); c == 'e' || c == 'E' {
		j := p.i + 1
		if p.at(j) == '+' || p.at(j) == '-' {
			j++
		}
		if isDigit(p.at(j)) {
			for j < p.end && isDigit(p.src[j]) {
				j++
			}
			isFloat = true
			p.i = j
		}
	}
	if isFloat {
		f, err := strconv.ParseFloat(p.src[off:p.i], 64)
		if err != nil {
			return nil, p.errAt(off, "number %s out of range", p.src[off:p.i])
		}
		return &litExpr{v: f}, nil
	}
	n, err := strconv.ParseInt(p.src[off:p.i], 10, 64)
	if err != nil {
		return nil, p.errAt(off, "number %s out of range", p.src[off:p.i])
	}
	return &litExpr{v: n}, nil
}

// parseString parses a quoted string as Velocity 1.7 does: a doubled quote stands for one
// quote; backslashes are kept as written ("\\'" is the regex \\' ) and cannot escape the
// quote; only \uXXXX is unescaped, in double-quoted strings, which also interpolate
// references and directives.
func (p *parser) parseString() (expr, error) {
	off := p.i
	q := p.src[p.i]
	j := p.i + 1
	doubled := false
	for {
		if j >= p.end {
			return nil, p.errAt(off, "unterminated string")
		}
		if p.src[j] == q {
			if p.at(j+1) == q {
				doubled = true
				j += 2
				continue
			}
			break
		}
		j++
	}
	body := p.src[off+1 : j]
	p.i = j + 1
	if doubled {
		body = strings.ReplaceAll(body, string([]byte{q, q}), string(q))
	}
	if q == '"' && strings.Contains(body, `\u`) {
		body, doubled = unescapeUnicode(body), true
	}
	if q == '\'' || !strings.ContainsAny(body, "$#") {
		return &litExpr{v: body}, nil
	}
	var sub *parser
	if doubled {
		ps := p.posAt(off)
		sub = &parser{b: p.b, src: body, end: len(body), lines: lineStarts(body), fixed: &ps}
	} else {
		sub = &parser{b: p.b, src: p.src, i: off + 1, end: j, lines: p.lines, fixed: p.fixed}
	}
	nodes, term, termOff, err := sub.parseNodes()
	if err != nil {
		return nil, err
	}
	if term != "" {
		return nil, sub.errAt(termOff, "#%s without a matching #if or #foreach", term)
	}
	if len(nodes) == 1 {
		if t, ok := nodes[0].(*textNode); ok {
			return &litExpr{v: t.s}, nil
		}
	}
	return &strExpr{parts: nodes}, nil
}

// unescapeUnicode replaces \uXXXX escapes with the character.
func unescapeUnicode(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, `\u`)
		if i < 0 || i+6 > len(s) {
			b.WriteString(s)
			return b.String()
		}
		n, err := strconv.ParseUint(s[i+2:i+6], 16, 16)
		if err != nil {
			b.WriteString(s[:i+2])
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		b.WriteRune(rune(n))
		s = s[i+6:]
	}
}

func (p *parser) parseList() (expr, error) {
	off := p.i
	p.i++
	p.skipSpace()
	if p.at(p.i) == ']' {
		p.i++
		return &listExpr{}, nil
	}
	first, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if strings.HasPrefix(p.src[p.i:p.end], "..") {
		p.i += 2
		to, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		if err := p.expect(']', "closing the range"); err != nil {
			return nil, err
		}
		return &rangeExpr{pos: p.posAt(off), from: first, to: to}, nil
	}
	elems := []expr{first}
	for {
		p.skipSpace()
		switch p.at(p.i) {
		case ']':
			p.i++
			return &listExpr{elems: elems}, nil
		case ',':
			p.i++
			e, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			elems = append(elems, e)
		default:
			if p.i >= p.end {
				return nil, p.errAt(off, "unterminated list")
			}
			return nil, p.errAt(p.i, "expected ',' or ']' in list, found %q", p.src[p.i])
		}
	}
}

func (p *parser) parseMap() (expr, error) {
	off := p.i
	p.i++
	m := &mapExpr{}
	for {
		p.skipSpace()
		if p.at(p.i) == '}' {
			p.i++
			return m, nil
		}
		if len(m.keys) > 0 {
			if p.at(p.i) != ',' {
				if p.i >= p.end {
					return nil, p.errAt(off, "unterminated map")
				}
				return nil, p.errAt(p.i, "expected ',' or '}' in map, found %q", p.src[p.i])
			}
			p.i++
		}
		k, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		if err := p.expect(':', "after a map key"); err != nil {
			return nil, err
		}
		v, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		m.keys = append(m.keys, k)
		m.vals = append(m.vals, v)
	}
}
