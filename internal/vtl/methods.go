package vtl

import (
	"fmt"
	"strings"
	"unicode/utf16"
)

// javaError is what a Java method would throw; it aborts the render.
type javaError struct{ msg string }

func (e *javaError) Error() string { return e.msg }

func throw(format string, args ...any) error {
	return &javaError{msg: fmt.Sprintf(format, args...)}
}

// property resolves $v.name: a map key, a bean getter, or a host object's property.
func property(v any, name string) any {
	switch x := v.(type) {
	case *Map:
		r, _ := x.Get(name)
		return r
	case Object:
		r, _ := x.Property(name)
		return r
	case *entry:
		switch name {
		case "key":
			return x.key
		case "value":
			return x.val
		}
	case *List:
		if name == "empty" {
			return len(x.Items) == 0
		}
	case string:
		if name == "empty" {
			return x == ""
		}
		if name == "blank" {
			return strings.TrimSpace(x) == ""
		}
	}
	return nil
}

// index resolves $v[k]: a list element (a negative index counts from the end; out of range
// throws, as in Velocity 1.7), a map entry, or a host property.
func index(v any, k any) (any, error) {
	var items []any
	switch x := v.(type) {
	case *List:
		items = x.Items
	case []any:
		items = x
	case *Map:
		s, ok := k.(string)
		if !ok {
			// Java: a map with string keys has no entry for an Integer.
			return nil, nil
		}
		r, _ := x.Get(s)
		return r, nil
	case Object:
		r, _ := x.Property(ToString(k))
		return r, nil
	default:
		return nil, nil
	}
	i, ok := toInt(k)
	if !ok {
		return nil, nil
	}
	if i < 0 {
		i += int64(len(items))
	}
	if i < 0 || i >= int64(len(items)) {
		return nil, throw("index %s out of bounds for length %d", ToString(k), len(items))
	}
	return items[i], nil
}

func argString(args []any, i int) (string, bool) {
	s, ok := args[i].(string)
	return s, ok
}

// callMethod calls a Java-like method on v. A method v lacks, or arguments of the wrong kind
// (no Java overload would match), return ErrNoMethod; lim bounds the size of what it builds.
func callMethod(v any, name string, args []any, lim *Limits) (any, error) {
	limit := lim.MaxCollectionSize
	switch x := v.(type) {
	case string:
		return stringMethod(x, name, args, lim)
	case *List:
		return listMethod(x, name, args, limit)
	case *Map:
		return mapMethod(x, name, args, limit)
	case Object:
		return x.Call(name, args)
	case int64, int, int32, float64, float32:
		return numberMethod(x, name, args)
	case bool:
		switch {
		case name == "booleanValue" && len(args) == 0:
			return x, nil
		}
	case *entry:
		switch {
		case name == "getKey" && len(args) == 0:
			return x.key, nil
		case name == "getValue" && len(args) == 0:
			return x.val, nil
		case name == "setValue" && len(args) == 1:
			old := x.val
			x.val = args[0]
			return old, nil
		}
	case []any:
		return listMethod(&List{Items: x}, name, args, limit)
	}
	switch {
	case name == "toString" && len(args) == 0:
		return ToString(v), nil
	case name == "equals" && len(args) == 1:
		return javaEquals(v, args[0]), nil
	}
	return nil, ErrNoMethod
}

func numberMethod(x any, name string, args []any) (any, error) {
	i, f, isInt, _ := number(x)
	if len(args) == 0 {
		switch name {
		case "intValue", "longValue", "shortValue", "byteValue":
			if isInt {
				return i, nil
			}
			return int64(f), nil
		case "doubleValue", "floatValue":
			if isInt {
				return float64(i), nil
			}
			return f, nil
		case "toString":
			return ToString(x), nil
		}
	}
	if len(args) == 1 {
		switch name {
		case "equals":
			return javaEquals(x, args[0]), nil
		case "compareTo":
			c, ok := compareNumbers(x, args[0])
			if !ok {
				return nil, ErrNoMethod
			}
			return int64(c), nil
		}
	}
	return nil, ErrNoMethod
}

func listMethod(l *List, name string, args []any, limit int) (any, error) {
	switch len(args) {
	case 0:
		switch name {
		case "size":
			return int64(len(l.Items)), nil
		case "isEmpty":
			return len(l.Items) == 0, nil
		case "clear":
			l.Items = l.Items[:0]
			return nil, nil
		case "toString":
			return ToString(l), nil
		}
	case 1:
		a := args[0]
		switch name {
		case "get":
			i, ok := toInt(a)
			if !ok {
				return nil, ErrNoMethod
			}
			if i < 0 || i >= int64(len(l.Items)) {
				return nil, throw("index %d out of bounds for length %d", i, len(l.Items))
			}
			return l.Items[i], nil
		case "add":
			if len(l.Items) >= limit {
				return nil, throw("list grows past %d elements", limit)
			}
			l.Items = append(l.Items, a)
			return true, nil
		case "addAll":
			o, ok := a.(*List)
			if !ok {
				return nil, ErrNoMethod
			}
			if len(l.Items)+len(o.Items) > limit {
				return nil, throw("list grows past %d elements", limit)
			}
			l.Items = append(l.Items, o.Items...)
			return len(o.Items) > 0, nil
		case "contains":
			return indexOf(l.Items, a) >= 0, nil
		case "indexOf":
			return int64(indexOf(l.Items, a)), nil
		case "lastIndexOf":
			for i := len(l.Items) - 1; i >= 0; i-- {
				if javaEquals(l.Items[i], a) {
					return int64(i), nil
				}
			}
			return int64(-1), nil
		case "remove":
			if i, ok := toInt(a); ok {
				if i < 0 || i >= int64(len(l.Items)) {
					return nil, throw("index %d out of bounds for length %d", i, len(l.Items))
				}
				old := l.Items[i]
				l.Items = append(l.Items[:i], l.Items[i+1:]...)
				return old, nil
			}
			if i := indexOf(l.Items, a); i >= 0 {
				l.Items = append(l.Items[:i], l.Items[i+1:]...)
				return true, nil
			}
			return false, nil
		case "equals":
			return javaEquals(l, a), nil
		}
	case 2:
		switch name {
		case "set", "add":
			i, ok := toInt(args[0])
			if !ok {
				return nil, ErrNoMethod
			}
			n := int64(len(l.Items))
			if name == "set" {
				if i < 0 || i >= n {
					return nil, throw("index %d out of bounds for length %d", i, n)
				}
				old := l.Items[i]
				l.Items[i] = args[1]
				return old, nil
			}
			if i < 0 || i > n {
				return nil, throw("index %d out of bounds for length %d", i, n)
			}
			if len(l.Items) >= limit {
				return nil, throw("list grows past %d elements", limit)
			}
			l.Items = append(l.Items, nil)
			copy(l.Items[i+1:], l.Items[i:])
			l.Items[i] = args[1]
			return nil, nil
		case "subList":
			a, ok1 := toInt(args[0])
			b, ok2 := toInt(args[1])
			if !ok1 || !ok2 {
				return nil, ErrNoMethod
			}
			if a < 0 || b > int64(len(l.Items)) || a > b {
				return nil, throw("subList(%d, %d) out of bounds for length %d", a, b, len(l.Items))
			}
			return &List{Items: append([]any(nil), l.Items[a:b]...), JSON: l.JSON}, nil
		}
	}
	return nil, ErrNoMethod
}

func indexOf(items []any, v any) int {
	for i, e := range items {
		if javaEquals(e, v) {
			return i
		}
	}
	return -1
}

func mapMethod(m *Map, name string, args []any, limit int) (any, error) {
	switch len(args) {
	case 0:
		switch name {
		case "size":
			return int64(m.Len()), nil
		case "isEmpty":
			return m.Len() == 0, nil
		case "keySet":
			l := &List{Items: make([]any, len(m.keys))}
			for i, k := range m.keys {
				l.Items[i] = k
			}
			return l, nil
		case "values":
			return &List{Items: append([]any(nil), m.vals...)}, nil
		case "entrySet":
			l := &List{Items: make([]any, len(m.keys))}
			for i, k := range m.keys {
				l.Items[i] = &entry{key: k, val: m.vals[i]}
			}
			return l, nil
		case "clear":
			m.keys, m.vals, m.idx = m.keys[:0], m.vals[:0], nil
			return nil, nil
		case "toString":
			return ToString(m), nil
		}
	case 1:
		a := args[0]
		switch name {
		case "get":
			k, _ := a.(string)
			v, _ := m.Get(k)
			return v, nil
		case "containsKey":
			k, isString := a.(string)
			_, ok := m.Get(k)
			return ok && isString, nil
		case "containsValue":
			return indexOf(m.vals, a) >= 0, nil
		case "remove":
			k, ok := a.(string)
			if !ok {
				return nil, nil
			}
			return m.Remove(k), nil
		case "putAll":
			o, ok := a.(*Map)
			if !ok {
				return nil, ErrNoMethod
			}
			for i, k := range o.keys {
				m.Put(k, o.vals[i])
				if m.Len() > limit {
					return nil, throw("map grows past %d entries", limit)
				}
			}
			return nil, nil
		case "equals":
			return javaEquals(m, a), nil
		}
	case 2:
		switch name {
		case "put":
			old := m.Put(ToString(args[0]), args[1])
			if m.Len() > limit {
				return nil, throw("map grows past %d entries", limit)
			}
			return old, nil
		case "getOrDefault":
			if v, ok := m.Get(ToString(args[0])); ok {
				return v, nil
			}
			return args[1], nil
		case "putIfAbsent":
			k := ToString(args[0])
			if v, ok := m.Get(k); ok && v != nil {
				return v, nil
			}
			m.Put(k, args[1])
			if m.Len() > limit {
				return nil, throw("map grows past %d entries", limit)
			}
			return nil, nil
		}
	}
	return nil, ErrNoMethod
}

// Java strings index UTF-16 code units; these helpers keep ASCII strings on the fast path.

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

type jstring struct {
	s     string
	ascii bool
	u     []uint16
}

func newJString(s string) jstring {
	if isASCII(s) {
		return jstring{s: s, ascii: true}
	}
	return jstring{s: s, u: utf16.Encode([]rune(s))}
}

func (j jstring) length() int {
	if j.ascii {
		return len(j.s)
	}
	return len(j.u)
}

func (j jstring) slice(a, b int) string {
	if j.ascii {
		return j.s[a:b]
	}
	return string(utf16.Decode(j.u[a:b]))
}

// unitIndex converts a byte offset in s to a UTF-16 index.
func (j jstring) unitIndex(byteOff int) int {
	if j.ascii || byteOff < 0 {
		return byteOff
	}
	return len(utf16.Encode([]rune(j.s[:byteOff])))
}

// byteOffset converts a UTF-16 index to a byte offset in s.
func (j jstring) byteOffset(unit int) int {
	if j.ascii {
		return unit
	}
	return len(string(utf16.Decode(j.u[:unit])))
}

func javaTrim(s string) string {
	a, b := 0, len(s)
	for a < b && s[a] <= ' ' {
		a++
	}
	for b > a && s[b-1] <= ' ' {
		b--
	}
	return s[a:b]
}

func stringMethod(s string, name string, args []any, lim *Limits) (any, error) {
	switch len(args) {
	case 0:
		switch name {
		case "length":
			return int64(newJString(s).length()), nil
		case "isEmpty":
			return s == "", nil
		case "isBlank":
			return strings.TrimSpace(s) == "", nil
		case "trim":
			return javaTrim(s), nil
		case "strip":
			return strings.TrimSpace(s), nil
		case "toLowerCase":
			return strings.ToLower(s), nil
		case "toUpperCase":
			return strings.ToUpper(s), nil
		case "toString", "intern":
			return s, nil
		case "hashCode":
			var h int32
			for _, c := range utf16.Encode([]rune(s)) {
				h = 31*h + int32(c)
			}
			return int64(h), nil
		}
	case 1:
		if name == "equals" {
			o, ok := args[0].(string)
			return ok && o == s, nil
		}
		if name == "charAt" || name == "substring" {
			i, ok := toInt(args[0])
			if !ok {
				return nil, ErrNoMethod
			}
			j := newJString(s)
			n := int64(j.length())
			if name == "charAt" {
				if i < 0 || i >= n {
					return nil, throw("index %d out of bounds for length %d", i, n)
				}
				return j.slice(int(i), int(i)+1), nil
			}
			if i < 0 || i > n {
				return nil, throw("begin %d, end %d, length %d", i, n, n)
			}
			return j.slice(int(i), int(n)), nil
		}
		a, ok := argString(args, 0)
		if !ok {
			return nil, ErrNoMethod
		}
		switch name {
		case "equalsIgnoreCase":
			return strings.EqualFold(s, a), nil
		case "contains":
			return strings.Contains(s, a), nil
		case "startsWith":
			return strings.HasPrefix(s, a), nil
		case "endsWith":
			return strings.HasSuffix(s, a), nil
		case "indexOf":
			return int64(newJString(s).unitIndex(strings.Index(s, a))), nil
		case "lastIndexOf":
			return int64(newJString(s).unitIndex(strings.LastIndex(s, a))), nil
		case "concat":
			return s + a, nil
		case "matches":
			re, err := javaRegexp(a, true)
			if err != nil {
				return nil, err
			}
			return re.MatchString(s), nil
		case "split":
			return javaSplit(s, a, 0, lim.MaxCollectionSize)
		case "compareTo":
			return int64(strings.Compare(s, a)), nil
		}
	case 2:
		switch name {
		case "substring":
			a, ok1 := toInt(args[0])
			b, ok2 := toInt(args[1])
			if !ok1 || !ok2 {
				return nil, ErrNoMethod
			}
			j := newJString(s)
			n := int64(j.length())
			if a < 0 || b > n || a > b {
				return nil, throw("begin %d, end %d, length %d", a, b, n)
			}
			return j.slice(int(a), int(b)), nil
		case "indexOf", "lastIndexOf":
			a, ok1 := argString(args, 0)
			from, ok2 := toInt(args[1])
			if !ok1 || !ok2 {
				return nil, ErrNoMethod
			}
			j := newJString(s)
			n := int64(j.length())
			if name == "indexOf" {
				if from < 0 {
					from = 0
				}
				if from > n {
					return int64(-1), nil
				}
				off := j.byteOffset(int(from))
				i := strings.Index(s[off:], a)
				if i < 0 {
					return int64(-1), nil
				}
				return int64(j.unitIndex(off + i)), nil
			}
			if from < 0 {
				return int64(-1), nil
			}
			if from > n {
				from = n
			}
			end := j.byteOffset(int(from)) + len(a)
			if end > len(s) {
				end = len(s)
			}
			return int64(j.unitIndex(strings.LastIndex(s[:end], a))), nil
		case "split":
			re, ok1 := argString(args, 0)
			n, ok2 := toInt(args[1])
			if !ok1 || !ok2 {
				return nil, ErrNoMethod
			}
			return javaSplit(s, re, n, lim.MaxCollectionSize)
		case "startsWith":
			a, ok1 := argString(args, 0)
			off, ok2 := toInt(args[1])
			if !ok1 || !ok2 {
				return nil, ErrNoMethod
			}
			j := newJString(s)
			if off < 0 || off > int64(j.length()) {
				return false, nil
			}
			return strings.HasPrefix(s[j.byteOffset(int(off)):], a), nil
		}
		a, ok1 := argString(args, 0)
		b, ok2 := argString(args, 1)
		if !ok1 || !ok2 {
			return nil, ErrNoMethod
		}
		switch name {
		case "replace":
			// Checked before building: replace("", big) multiplies the length.
			n := strings.Count(s, a)
			if grown := len(s) + n*(len(b)-len(a)); grown > lim.MaxOutputBytes {
				return nil, throw("result longer than %d bytes", lim.MaxOutputBytes)
			}
			return strings.ReplaceAll(s, a, b), nil
		case "replaceAll", "replaceFirst":
			re, err := javaRegexp(a, false)
			if err != nil {
				return nil, err
			}
			return javaReplace(re, s, b, name == "replaceFirst", lim.MaxOutputBytes)
		}
	}
	return nil, ErrNoMethod
}
