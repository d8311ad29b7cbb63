package vtl

import (
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// maxPrintDepth bounds how deep nested collections print; a list holding itself would
// otherwise recurse forever (Java prints "(this Collection)" for the direct case only).
const maxPrintDepth = 64

// ToString returns a value's printed form as a template prints it ($v); null prints empty.
func ToString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return ""
	}
	return string(appendValue(nil, v, DefaultLimits.MaxOutputBytes))
}

// appendValue appends v's printed form, stopping early once dst is longer than limit.
func appendValue(dst []byte, v any, limit int) []byte {
	if v == nil {
		return dst
	}
	return appendJava(dst, v, limit, 0)
}

// appendJava prints v as Java's toString would; inside collections null prints "null".
func appendJava(dst []byte, v any, limit, depth int) []byte {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...)
	case string:
		return append(dst, v...)
	case int64:
		return strconv.AppendInt(dst, v, 10)
	case int:
		return strconv.AppendInt(dst, int64(v), 10)
	case int32:
		return strconv.AppendInt(dst, int64(v), 10)
	case float64:
		return appendDouble(dst, v)
	case float32:
		return appendDouble(dst, float64(v))
	case bool:
		return strconv.AppendBool(dst, v)
	case *List:
		if v.JSON {
			return appendJSON(dst, v, limit, depth)
		}
		if depth >= maxPrintDepth {
			return append(dst, "[...]"...)
		}
		dst = append(dst, '[')
		for i, e := range v.Items {
			if len(dst) > limit {
				return dst
			}
			if i > 0 {
				dst = append(dst, ", "...)
			}
			if e == any(v) {
				dst = append(dst, "(this Collection)"...)
				continue
			}
			dst = appendJava(dst, e, limit, depth+1)
		}
		return append(dst, ']')
	case *Map:
		if depth >= maxPrintDepth {
			return append(dst, "{...}"...)
		}
		dst = append(dst, '{')
		for i, k := range v.keys {
			if len(dst) > limit {
				return dst
			}
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = append(dst, k...)
			dst = append(dst, '=')
			if e := v.vals[i]; e == any(v) {
				dst = append(dst, "(this Map)"...)
			} else {
				dst = appendJava(dst, e, limit, depth+1)
			}
		}
		return append(dst, '}')
	case *entry:
		dst = append(dst, v.key...)
		dst = append(dst, '=')
		return appendJava(dst, v.val, limit, depth+1)
	case *defined:
		return dst
	case []any:
		return appendJava(dst, &List{Items: v}, limit, depth)
	case fmt.Stringer:
		return append(dst, v.String()...)
	case Object:
		return dst
	}
	return fmt.Append(dst, v)
}

// appendDouble prints a float64 as Java's Double.toString: "1.0", "0.001", "1.0E7",
// "1.234E-5", "NaN", "Infinity".
func appendDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	}
	if abs := math.Abs(f); abs >= 1e-3 && abs < 1e7 {
		start := len(dst)
		dst = strconv.AppendFloat(dst, f, 'f', -1, 64)
		for _, c := range dst[start:] {
			if c == '.' {
				return dst
			}
		}
		return append(dst, '.', '0')
	}
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, 64) // -d.ddde±xx
	if e[0] == '-' {
		e = e[1:]
		dst = append(dst, '-')
	}
	mi := 0
	for e[mi] != 'e' {
		mi++
	}
	dst = append(dst, e[0], '.')
	if mi > 2 {
		dst = append(dst, e[2:mi]...)
	} else {
		dst = append(dst, '0')
	}
	dst = append(dst, 'E')
	exp, _ := strconv.Atoi(string(e[mi+1:]))
	return strconv.AppendInt(dst, int64(exp), 10)
}

// AppendJSON appends v as compact JSON: *Map as an object, *List as an array, strings quoted,
// null as null; a host value as its printed string.
func AppendJSON(dst []byte, v any) []byte {
	return appendJSON(dst, v, DefaultLimits.MaxOutputBytes, 0)
}

func appendJSON(dst []byte, v any, limit, depth int) []byte {
	if depth >= maxPrintDepth || len(dst) > limit {
		return append(dst, "null"...)
	}
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...)
	case string:
		return appendJSONString(dst, v)
	case int64, int, int32, bool:
		return appendJava(dst, v, limit, depth)
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return append(dst, "null"...)
		}
		return appendDouble(dst, v)
	case float32:
		return appendJSON(dst, float64(v), limit, depth)
	case *List:
		dst = append(dst, '[')
		for i, e := range v.Items {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSON(dst, e, limit, depth+1)
		}
		return append(dst, ']')
	case []any:
		return appendJSON(dst, &List{Items: v}, limit, depth)
	case *Map:
		dst = append(dst, '{')
		for i, k := range v.keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			dst = appendJSON(dst, v.vals[i], limit, depth+1)
		}
		return append(dst, '}')
	case *entry:
		dst = append(dst, '{')
		dst = appendJSONString(dst, v.key)
		dst = append(dst, ':')
		dst = appendJSON(dst, v.val, limit, depth+1)
		return append(dst, '}')
	}
	return appendJSONString(dst, ToString(v))
}

const hexDigits = "0123456789abcdef"

func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, s[start:i]...)
				dst = append(dst, `\ufffd`...)
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
