package jsonpath

import (
	"fmt"
	"math"
	"strconv"
	"sync"

	"github.com/portico/portico/internal/jsonesc"
)

// MaxDepth is the deepest nesting of arrays and objects Decode accepts.
const MaxDepth = 1000

// SyntaxError is a document that is not JSON; Offset is the byte where reading stopped.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at offset %d: %s", e.Offset, e.Msg)
}

// Decode parses one JSON document (RFC 8259, surrounded by optional whitespace) into m's
// values. Numbers without a fraction or exponent that fit an int64 become int64, all others
// float64, as Java's Integer/Long and Double.
func Decode(data []byte, m Model) (any, error) {
	// Strings are cut from one copy of the document, so an unescaped string costs no allocation.
	sc := scratchPool.Get().(*scratch)
	d := decoder{data: data, s: string(data), m: m, keys: sc.keys[:0], vals: sc.vals[:0], buf: sc.buf[:0]}
	v, err := d.document()
	sc.put(d.keys, d.vals, d.buf)
	return v, err
}

func (d *decoder) document() (any, error) {
	d.space()
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.space()
	if d.pos < len(d.data) {
		return nil, d.errf("unexpected %q after the document", d.data[d.pos])
	}
	return v, nil
}

// scratch is a decoder's working stacks, reused across documents.
type scratch struct {
	keys []string
	vals []any
	buf  []byte
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// maxPooledScratch keeps one huge document from pinning its stacks in the pool.
const maxPooledScratch = 4096

func (sc *scratch) put(keys []string, vals []any, buf []byte) {
	if cap(keys) > maxPooledScratch || cap(vals) > maxPooledScratch || cap(buf) > 64<<10 {
		return
	}
	// Drop the references to decoded values so the pool does not keep them alive.
	clear(keys[:cap(keys)])
	clear(vals[:cap(vals)])
	sc.keys, sc.vals, sc.buf = keys, vals, buf
	scratchPool.Put(sc)
}

type decoder struct {
	data []byte
	s    string
	pos  int
	m    Model
	// keys and vals are scratch stacks shared by every nested object and array, so decoding
	// allocates only the values it returns.
	keys []string
	vals []any
	buf  []byte
}

func (d *decoder) errf(format string, args ...any) error {
	return &SyntaxError{Offset: d.pos, Msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) space() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *decoder) value(depth int) (any, error) {
	if d.pos >= len(d.data) {
		return nil, d.errf("unexpected end of input")
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		if depth >= MaxDepth {
			return nil, d.errf("nesting deeper than %d", MaxDepth)
		}
		return d.object(depth + 1)
	case c == '[':
		if depth >= MaxDepth {
			return nil, d.errf("nesting deeper than %d", MaxDepth)
		}
		return d.array(depth + 1)
	case c == '"':
		return d.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	case c == 't':
		return true, d.word("true")
	case c == 'f':
		return false, d.word("false")
	case c == 'n':
		return nil, d.word("null")
	default:
		return nil, d.errf("unexpected %q", c)
	}
}

func (d *decoder) word(w string) error {
	if len(d.data)-d.pos < len(w) || string(d.data[d.pos:d.pos+len(w)]) != w {
		return d.errf("unexpected %q", d.data[d.pos])
	}
	d.pos += len(w)
	return nil
}

func (d *decoder) object(depth int) (any, error) {
	d.pos++ // {
	kb, vb := len(d.keys), len(d.vals)
	defer func() { d.keys, d.vals = d.keys[:kb], d.vals[:vb] }()
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return d.m.NewObject(nil, nil), nil
	}
	for {
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, d.expected("a string key")
		}
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, d.expected("':'")
		}
		d.pos++
		d.space()
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		d.keys = append(d.keys, k)
		d.vals = append(d.vals, v)
		d.space()
		if d.pos >= len(d.data) {
			return nil, d.expected("',' or '}'")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return d.m.NewObject(d.keys[kb:], d.vals[vb:]), nil
		default:
			return nil, d.expected("',' or '}'")
		}
	}
}

func (d *decoder) array(depth int) (any, error) {
	d.pos++ // [
	base := len(d.vals)
	defer func() { d.vals = d.vals[:base] }()
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return d.m.NewArray(nil), nil
	}
	for {
		d.space()
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		d.vals = append(d.vals, v)
		d.space()
		if d.pos >= len(d.data) {
			return nil, d.expected("',' or ']'")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			return d.m.NewArray(d.vals[base:]), nil
		default:
			return nil, d.expected("',' or ']'")
		}
	}
}

func (d *decoder) expected(what string) error {
	if d.pos >= len(d.data) {
		return d.errf("expected %s, found the end", what)
	}
	return d.errf("expected %s, found %q", what, d.data[d.pos])
}

func (d *decoder) str() (string, error) {
	d.pos++ // "
	start := d.pos
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if c == '"' {
			s := d.s[start:d.pos]
			d.pos++
			return s, nil
		}
		if c == '\\' {
			return d.escapedStr(start)
		}
		if c < 0x20 {
			return "", d.errf("control character in string")
		}
		d.pos++
	}
	return "", d.errf("unterminated string")
}

func (d *decoder) escapedStr(start int) (string, error) {
	b := append(d.buf[:0], d.data[start:d.pos]...)
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			d.buf = b
			return string(b), nil
		case c < 0x20:
			return "", d.errf("control character in string")
		case c != '\\':
			b = append(b, c)
			d.pos++
			continue
		}
		d.pos++
		if d.pos >= len(d.data) {
			break
		}
		var ok bool
		if b, d.pos, ok = jsonesc.Append(b, d.data, d.pos); !ok {
			if d.data[d.pos] == 'u' {
				d.pos++
				return "", d.errf("bad \\u escape")
			}
			return "", d.errf("bad escape \\%c", d.data[d.pos])
		}
	}
	return "", d.errf("unterminated string")
}

func (d *decoder) number() (any, error) {
	start := d.pos
	if d.data[d.pos] == '-' {
		d.pos++
	}
	intStart := d.pos
	for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
		d.pos++
	}
	if d.pos == intStart {
		return nil, d.errf("expected a digit")
	}
	if d.data[intStart] == '0' && d.pos-intStart > 1 {
		return nil, &SyntaxError{Offset: intStart, Msg: "leading zero in number"}
	}
	isInt := true
	if d.pos < len(d.data) && d.data[d.pos] == '.' {
		isInt = false
		d.pos++
		fs := d.pos
		for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
			d.pos++
		}
		if d.pos == fs {
			return nil, d.errf("expected a digit after '.'")
		}
	}
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		isInt = false
		d.pos++
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			d.pos++
		}
		es := d.pos
		for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
			d.pos++
		}
		if d.pos == es {
			return nil, d.errf("expected a digit in the exponent")
		}
	}
	lit := d.data[start:d.pos]
	if isInt && len(lit) <= 19 {
		var n int64
		neg := lit[0] == '-'
		digits := lit
		if neg {
			digits = lit[1:]
		}
		ok := true
		for _, c := range digits {
			if n > (math.MaxInt64-int64(c-'0'))/10 {
				ok = false
				break
			}
			n = n*10 + int64(c-'0')
		}
		if ok {
			if neg {
				n = -n
			}
			return n, nil
		}
	}
	f, err := strconv.ParseFloat(d.s[start:d.pos], 64)
	if err != nil && !isRangeErr(err) {
		return nil, &SyntaxError{Offset: start, Msg: "bad number"}
	}
	return f, nil
}

// isRangeErr accepts numbers too large for a float64: they decode as ±Inf, as Java's
// Double.parseDouble does.
func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}
