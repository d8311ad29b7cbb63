package validate

import (
	"bytes"
	"cmp"
	"encoding/json"
	"math"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/portico/portico/internal/jsonesc"
)

// maxDepth is the deepest nesting of arrays and objects a body may have, as encoding/json
// allows.
const maxDepth = 10000

// A tape is a parsed body, flat: one token per value and per object key, in the order they
// are written, a container followed by its contents. Validation reads values in place, so a
// body is checked without building a tree of Go values; tapes are pooled, so a valid body
// costs no allocation at all.
type tape struct {
	data []byte  // the body
	toks []token // toks[0] is the body's value
	// unescaped holds the strings that cannot be read from the body as written: those with
	// escapes or invalid UTF-8, unescaped as encoding/json does.
	unescaped []byte
	// keys holds, for each object, the token indexes of its keys, sorted by key and with a
	// repeated key kept only at its last occurrence: the keys of the map encoding/json would
	// decode. Objects are thus compared, looked up and reported in key order without sorting
	// at validation time.
	keys []uint32
	// open holds the key token indexes of the objects being parsed.
	open []uint32
}

// token is one value or object key. kind is its JSON type, as a t* bit: a number written
// without fraction or exponent is tInteger, others tNumber.
//
// For a string or number, a and b delimit its text: in tape.unescaped when esc is set, else
// in the body. A boolean's a is 1 for true. An array's a is its number of items, an object's
// a its number of distinct keys and c where they start in tape.keys; for either, b is the
// index of the token just past the container. An object's members are a key token followed
// by the value's.
type token struct {
	kind    uint8
	esc     bool
	a, b, c uint32
}

// Tapes kept for reuse are bounded: one huge body must not pin its tape.
const (
	maxPooledTokens    = 1 << 16
	maxPooledUnescaped = 1 << 20
)

var tapes = sync.Pool{New: func() any { return new(tape) }}

// getTape returns a tape holding body parsed, or ok false when body is not JSON. A tape is
// returned to the pool with putTape.
func getTape(body []byte) (tp *tape, ok bool) {
	tp = tapes.Get().(*tape)
	return tp, tp.parse(body)
}

func putTape(tp *tape) {
	if cap(tp.toks) > maxPooledTokens || cap(tp.unescaped) > maxPooledUnescaped {
		return
	}
	tp.data = nil
	tapes.Put(tp)
}

// parse reads data into the tape. It accepts exactly what encoding/json accepts, reading
// invalid UTF-8 in strings as U+FFFD, except a body of 4 GiB or more, which token offsets
// cannot address.
func (tp *tape) parse(data []byte) bool {
	*tp = tape{data: data, toks: tp.toks[:0], unescaped: tp.unescaped[:0], keys: tp.keys[:0], open: tp.open[:0]}
	if uint64(len(data)) > math.MaxUint32 {
		return false
	}
	p := parser{tape: tp}
	p.space()
	if !p.value(0) {
		return false
	}
	p.space()
	return p.pos == len(data)
}

type parser struct {
	*tape
	pos int
}

func (p *parser) space() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) bool {
	if p.pos >= len(p.data) {
		return false
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return depth < maxDepth && p.object(depth+1)
	case c == '[':
		return depth < maxDepth && p.array(depth+1)
	case c == '"':
		return p.quoted()
	case c == 't':
		p.toks = append(p.toks, token{kind: tBoolean, a: 1})
		return p.word("true")
	case c == 'f':
		p.toks = append(p.toks, token{kind: tBoolean})
		return p.word("false")
	case c == 'n':
		p.toks = append(p.toks, token{kind: tNull})
		return p.word("null")
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	return false
}

func (p *parser) word(w string) bool {
	if len(p.data)-p.pos < len(w) || string(p.data[p.pos:p.pos+len(w)]) != w {
		return false
	}
	p.pos += len(w)
	return true
}

func (p *parser) object(depth int) bool {
	p.pos++ // {
	at, mark := len(p.toks), len(p.open)
	p.toks = append(p.toks, token{kind: tObject})
	for more := !p.skip('}'); more; {
		p.space()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return false
		}
		p.open = append(p.open, uint32(len(p.toks)))
		if !p.quoted() || !p.skip(':') {
			return false
		}
		p.space()
		if !p.value(depth) {
			return false
		}
		var ok bool
		if more, ok = p.separator('}'); !ok {
			return false
		}
	}
	p.closeObject(at, mark)
	return true
}

// skip reads c, after space, if it comes next.
func (p *parser) skip(c byte) bool {
	p.space()
	if p.pos < len(p.data) && p.data[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

// separator reads what follows a member or item: a comma (more follow) or end.
func (p *parser) separator(end byte) (more, ok bool) {
	p.space()
	if p.pos >= len(p.data) {
		return false, false
	}
	switch p.data[p.pos] {
	case ',':
		p.pos++
		return true, true
	case end:
		p.pos++
		return false, true
	}
	return false, false
}

// closeObject files the keys of the object at token at, open[mark:], in tape.keys: sorted,
// a repeated key only at its last occurrence, as in the map encoding/json decodes.
func (p *parser) closeObject(at, mark int) {
	open := p.open[mark:]
	slices.SortFunc(open, func(x, y uint32) int {
		if c := bytes.Compare(p.text(int(x)), p.text(int(y))); c != 0 {
			return c
		}
		return cmp.Compare(x, y)
	})
	start := len(p.keys)
	for i, k := range open {
		if i+1 < len(open) && bytes.Equal(p.text(int(k)), p.text(int(open[i+1]))) {
			continue
		}
		p.keys = append(p.keys, k)
	}
	p.open = p.open[:mark]
	t := &p.toks[at]
	t.a, t.b, t.c = uint32(len(p.keys)-start), uint32(len(p.toks)), uint32(start)
}

func (p *parser) array(depth int) bool {
	p.pos++ // [
	at := len(p.toks)
	p.toks = append(p.toks, token{kind: tArray})
	n := 0
	for more := !p.skip(']'); more; n++ {
		p.space()
		if !p.value(depth) {
			return false
		}
		var ok bool
		if more, ok = p.separator(']'); !ok {
			return false
		}
	}
	p.toks[at].a, p.toks[at].b = uint32(n), uint32(len(p.toks))
	return true
}

// number reads a number in JSON's grammar and keeps its text.
func (p *parser) number() bool {
	start := p.pos
	i := p.pos
	data := p.data
	kind := tInteger
	if data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && data[i] >= '1' && data[i] <= '9':
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(data) && data[i] == '.' {
		kind = tNumber
		i++
		if i >= len(data) || data[i] < '0' || data[i] > '9' {
			return false
		}
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		kind = tNumber
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i >= len(data) || data[i] < '0' || data[i] > '9' {
			return false
		}
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
	}
	p.pos = i
	p.toks = append(p.toks, token{kind: kind, a: uint32(start), b: uint32(i)})
	return true
}

// quoted reads a string literal. One without escapes or invalid UTF-8 is read where it is
// written; others are unescaped into tape.unescaped as encoding/json does.
func (p *parser) quoted() bool {
	p.pos++ // "
	start := p.pos
	data := p.data
	for i := start; i < len(data); {
		c := data[i]
		switch {
		case c == '"':
			p.pos = i + 1
			p.toks = append(p.toks, token{kind: tString, a: uint32(start), b: uint32(i)})
			return true
		case c == '\\':
			return p.slowQuoted(start, i)
		case c < 0x20:
			return false
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				return p.slowQuoted(start, i)
			}
			i += size
		}
	}
	return false
}

// slowQuoted finishes a string that has escapes or invalid UTF-8, from i on.
func (p *parser) slowQuoted(start, i int) bool {
	data := p.data
	from := len(p.unescaped)
	b := append(p.unescaped, data[start:i]...)
	for i < len(data) {
		c := data[i]
		switch {
		case c == '"':
			p.pos = i + 1
			p.unescaped = b
			p.toks = append(p.toks, token{kind: tString, esc: true, a: uint32(from), b: uint32(len(b))})
			return true
		case c < 0x20:
			return false
		case c == '\\':
			var ok bool
			if b, i, ok = jsonesc.Append(b, data, i+1); !ok {
				return false
			}
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				b = utf8.AppendRune(b, utf8.RuneError)
			} else {
				b = append(b, data[i:i+size]...)
			}
			i += size
		}
	}
	return false
}

// text is the text of the string or number at token i.
func (tp *tape) text(i int) []byte {
	t := &tp.toks[i]
	if t.esc {
		return tp.unescaped[t.a:t.b]
	}
	return tp.data[t.a:t.b]
}

// next is the index of the token just past the value at i.
func (tp *tape) next(i int) int {
	if t := &tp.toks[i]; t.kind == tArray || t.kind == tObject {
		return int(t.b)
	}
	return i + 1
}

// members are the key token indexes of the object at i, sorted by key, each key once; the
// value of key k is token k+1.
func (tp *tape) members(i int) []uint32 {
	t := &tp.toks[i]
	return tp.keys[t.c : t.c+t.a]
}

// member is the index of the value of key in the object at i, or -1.
func (tp *tape) member(i int, key string) int {
	keys := tp.members(i)
	j, found := slices.BinarySearchFunc(keys, key, func(k uint32, key string) int {
		switch s := tp.text(int(k)); {
		case string(s) < key:
			return -1
		case string(s) > key:
			return 1
		}
		return 0
	})
	if !found {
		return -1
	}
	return int(keys[j]) + 1
}

// decode is the value at i as encoding/json decodes it with UseNumber: map[string]any, []any,
// json.Number, string, bool or nil. Validation decodes a value only to quote it in a message.
func (tp *tape) decode(i int) any {
	t := &tp.toks[i]
	switch t.kind {
	case tObject:
		obj := make(map[string]any, t.a)
		for _, k := range tp.members(i) {
			obj[string(tp.text(int(k)))] = tp.decode(int(k) + 1)
		}
		return obj
	case tArray:
		arr := make([]any, 0, t.a)
		for j := i + 1; j < int(t.b); j = tp.next(j) {
			arr = append(arr, tp.decode(j))
		}
		return arr
	case tString:
		return string(tp.text(i))
	case tInteger, tNumber:
		return json.Number(tp.text(i))
	case tBoolean:
		return t.a == 1
	}
	return nil
}
