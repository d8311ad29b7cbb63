package validate

import (
	"encoding/json"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth is the deepest nesting of arrays and objects a body may have, as encoding/json
// allows.
const maxDepth = 10000

// decode parses a request body into the values validation reads: map[string]any, []any,
// json.Number, string, bool and nil; a repeated key keeps its last value. It accepts exactly
// what encoding/json accepts and yields the same values (invalid UTF-8 in strings reads as
// U+FFFD), without encoding/json's reflection: the body is decoded once per request on the hot
// path.
func decode(data []byte) (any, bool) {
	// Strings and numbers are cut from one copy of the body: one allocation for all of them.
	d := decoder{data: data, s: string(data)}
	d.space()
	v, ok := d.value(0)
	if !ok {
		return nil, false
	}
	d.space()
	return v, d.pos == len(d.data)
}

type decoder struct {
	data []byte
	s    string // data, as a string
	pos  int
	buf  []byte // unescaped string scratch
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

func (d *decoder) value(depth int) (any, bool) {
	if d.pos >= len(d.data) {
		return nil, false
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		if depth >= maxDepth {
			return nil, false
		}
		return d.object(depth + 1)
	case c == '[':
		if depth >= maxDepth {
			return nil, false
		}
		return d.array(depth + 1)
	case c == '"':
		s, ok := d.str()
		return s, ok
	case c == 't':
		return true, d.word("true")
	case c == 'f':
		return false, d.word("false")
	case c == 'n':
		return nil, d.word("null")
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	}
	return nil, false
}

func (d *decoder) word(w string) bool {
	if len(d.data)-d.pos < len(w) || string(d.data[d.pos:d.pos+len(w)]) != w {
		return false
	}
	d.pos += len(w)
	return true
}

func (d *decoder) object(depth int) (any, bool) {
	d.pos++ // {
	obj := map[string]any{}
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return obj, true
	}
	for {
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, false
		}
		key, ok := d.str()
		if !ok {
			return nil, false
		}
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, false
		}
		d.pos++
		d.space()
		v, ok := d.value(depth)
		if !ok {
			return nil, false
		}
		obj[key] = v
		d.space()
		if d.pos >= len(d.data) {
			return nil, false
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return obj, true
		default:
			return nil, false
		}
	}
}

func (d *decoder) array(depth int) (any, bool) {
	d.pos++ // [
	arr := []any{}
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return arr, true
	}
	for {
		d.space()
		v, ok := d.value(depth)
		if !ok {
			return nil, false
		}
		arr = append(arr, v)
		d.space()
		if d.pos >= len(d.data) {
			return nil, false
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			return arr, true
		default:
			return nil, false
		}
	}
}

// number reads a number in JSON's grammar and keeps its text, as json.Number.
func (d *decoder) number() (any, bool) {
	start := d.pos
	p := d.pos
	data := d.data
	if data[p] == '-' {
		p++
	}
	switch {
	case p < len(data) && data[p] == '0':
		p++
	case p < len(data) && data[p] >= '1' && data[p] <= '9':
		for p < len(data) && data[p] >= '0' && data[p] <= '9' {
			p++
		}
	default:
		return nil, false
	}
	if p < len(data) && data[p] == '.' {
		p++
		if p >= len(data) || data[p] < '0' || data[p] > '9' {
			return nil, false
		}
		for p < len(data) && data[p] >= '0' && data[p] <= '9' {
			p++
		}
	}
	if p < len(data) && (data[p] == 'e' || data[p] == 'E') {
		p++
		if p < len(data) && (data[p] == '+' || data[p] == '-') {
			p++
		}
		if p >= len(data) || data[p] < '0' || data[p] > '9' {
			return nil, false
		}
		for p < len(data) && data[p] >= '0' && data[p] <= '9' {
			p++
		}
	}
	d.pos = p
	return json.Number(d.s[start:p]), true
}

// str reads a string literal. One without escapes or invalid UTF-8 is copied once; others are
// unescaped as encoding/json does.
func (d *decoder) str() (string, bool) {
	d.pos++ // "
	start := d.pos
	data := d.data
	for p := start; p < len(data); p++ {
		c := data[p]
		switch {
		case c == '"':
			d.pos = p + 1
			return d.s[start:p], true
		case c == '\\' || c >= utf8.RuneSelf:
			return d.slowStr(start, p)
		case c < 0x20:
			return "", false
		}
	}
	return "", false
}

// slowStr finishes a string that has escapes or non-ASCII bytes, from p on.
func (d *decoder) slowStr(start, p int) (string, bool) {
	data := d.data
	b := append(d.buf[:0], data[start:p]...)
	for p < len(data) {
		c := data[p]
		switch {
		case c == '"':
			d.pos = p + 1
			d.buf = b
			return string(b), true
		case c < 0x20:
			return "", false
		case c == '\\':
			p++
			if p >= len(data) {
				return "", false
			}
			switch data[p] {
			case '"', '\\', '/':
				b = append(b, data[p])
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, ok := hex4(data, p+1)
				if !ok {
					return "", false
				}
				p += 4
				if utf16.IsSurrogate(r) {
					// A valid pair makes one rune; a lone half reads as U+FFFD.
					if r2, ok := lowSurrogate(data, p+1); ok {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							r = dec
							p += 6
						} else {
							r = utf8.RuneError
						}
					} else {
						r = utf8.RuneError
					}
				}
				b = utf8.AppendRune(b, r)
			default:
				return "", false
			}
			p++
		case c < utf8.RuneSelf:
			b = append(b, c)
			p++
		default:
			r, size := utf8.DecodeRune(data[p:])
			if r == utf8.RuneError && size == 1 {
				b = utf8.AppendRune(b, utf8.RuneError)
			} else {
				b = append(b, data[p:p+size]...)
			}
			p += size
		}
	}
	return "", false
}

// lowSurrogate reads a `\uXXXX` escape at p.
func lowSurrogate(data []byte, p int) (rune, bool) {
	if p+1 >= len(data) || data[p] != '\\' || data[p+1] != 'u' {
		return 0, false
	}
	return hex4(data, p+2)
}

func hex4(data []byte, p int) (rune, bool) {
	if p+4 > len(data) {
		return 0, false
	}
	var r rune
	for _, c := range data[p : p+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
