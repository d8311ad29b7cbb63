package vtl

import (
	"errors"
	"math"
	"strconv"
)

func (r *renderer) eval(e expr) (any, error) {
	switch e := e.(type) {
	case *litExpr:
		return e.v, nil
	case *refExpr:
		return r.evalRef(e)
	case *strExpr:
		return r.renderString(e.parts)
	case *binExpr:
		return r.binary(e)
	case *unExpr:
		x, err := r.eval(e.x)
		if err != nil {
			return nil, err
		}
		if e.op == opNot {
			return !truthy(x), nil
		}
		switch n := x.(type) {
		case int64:
			return -n, nil
		case float64:
			return -n, nil
		case int:
			return -int64(n), nil
		}
		return nil, nil
	case *listExpr:
		l := &List{Items: make([]any, len(e.elems))}
		for i, el := range e.elems {
			v, err := r.eval(el)
			if err != nil {
				return nil, err
			}
			l.Items[i] = v
		}
		return l, nil
	case *mapExpr:
		m := NewMap(len(e.keys))
		for i := range e.keys {
			k, err := r.eval(e.keys[i])
			if err != nil {
				return nil, err
			}
			v, err := r.eval(e.vals[i])
			if err != nil {
				return nil, err
			}
			m.Put(ToString(k), v)
		}
		return m, nil
	case *rangeExpr:
		return r.rng(e)
	}
	return nil, nil
}

func (r *renderer) renderString(parts []node) (any, error) {
	start := len(r.out)
	err := r.block(parts)
	s := string(r.out[start:])
	r.out = r.out[:start]
	return s, err
}

func (r *renderer) rng(e *rangeExpr) (any, error) {
	fv, err := r.eval(e.from)
	if err != nil {
		return nil, err
	}
	tv, err := r.eval(e.to)
	if err != nil {
		return nil, err
	}
	from, ok1 := rangeBound(fv)
	to, ok2 := rangeBound(tv)
	if !ok1 || !ok2 {
		return nil, nil
	}
	// Computed in floating point first so that extreme bounds cannot overflow.
	if span := math.Abs(float64(to) - float64(from)); span >= float64(r.lim.MaxTotalIterations) {
		return nil, r.errorf(e.pos, "range of %.0f items exceeds the limit of %d", span+1, r.lim.MaxTotalIterations)
	}
	n := to - from
	step := int64(1)
	if n < 0 {
		n, step = -n, -1
	}
	l := &List{Items: make([]any, 0, n+1)}
	for i, v := int64(0), from; i <= n; i, v = i+1, v+step {
		l.Items = append(l.Items, v)
	}
	return l, nil
}

// rangeBound accepts an integer, or a string holding one, as Velocity 1.7 does.
func rangeBound(v any) (int64, bool) {
	if i, ok := toInt(v); ok {
		return i, true
	}
	if s, ok := v.(string); ok {
		i, err := strconv.ParseInt(s, 10, 64)
		return i, err == nil
	}
	return 0, false
}

func (r *renderer) evalRef(e *refExpr) (any, error) {
	return r.walk(e, e.chain)
}

// root returns a reference's variable; inside a #foreach, $velocityCount and $velocityHasNext
// come from the loop.
func (r *renderer) root(e *refExpr) any {
	if e.slot == slotVelocityCount || e.slot == slotVelocityHasNext {
		if fs, ok := r.vals[slotForeach].(*foreachState); ok {
			if e.slot == slotVelocityCount {
				return int64(fs.index + 1)
			}
			return fs.index < fs.n-1
		}
	}
	return r.vals[e.slot]
}

// walk evaluates the reference's root and the given accessors. A null anywhere makes the
// whole reference null.
func (r *renderer) walk(e *refExpr, chain []accessor) (any, error) {
	v := r.root(e)
	for i := range chain {
		if v == nil {
			return nil, nil
		}
		a := &chain[i]
		if d, ok := v.(*defined); ok {
			// A #define block has only toString(), as Velocity's Block.Reference.
			if a.kind != accMethod || a.name != "toString" || len(a.args) != 0 {
				return nil, nil
			}
			s, err := r.definedString(d)
			if err != nil {
				return nil, err
			}
			v = s
			continue
		}
		switch a.kind {
		case accProp:
			v = property(v, a.name)
		case accIndex:
			k, err := r.eval(a.args[0])
			if err != nil {
				return nil, err
			}
			if v, err = index(v, k); err != nil {
				return nil, r.errorf(a.pos, "%s", err.Error())
			}
		case accMethod:
			// Arguments live on the renderer's stack, reused across calls: Object.Call must
			// not keep the slice.
			base := len(r.args)
			for _, ae := range a.args {
				x, err := r.eval(ae)
				if err != nil {
					r.args = r.args[:base]
					return nil, err
				}
				if d, ok := x.(*defined); ok {
					if x, err = r.definedString(d); err != nil {
						r.args = r.args[:base]
						return nil, err
					}
				}
				r.args = append(r.args, x)
			}
			args := r.args[base:len(r.args):len(r.args)]
			var err error
			v, err = r.call(a, v, args)
			clear(r.args[base:])
			r.args = r.args[:base]
			if err != nil {
				return nil, err
			}
		}
	}
	return v, nil
}

func (r *renderer) definedString(d *defined) (string, error) {
	start := len(r.out)
	err := r.nested(d.pos, d.body)
	if err == errBreak {
		err = nil
	}
	s := string(r.out[start:])
	r.out = r.out[:start]
	return s, err
}

func (r *renderer) call(a *accessor, v any, args []any) (any, error) {
	res, err := callMethod(v, a.name, args, &r.lim)
	if err != nil {
		if errors.Is(err, ErrNoMethod) {
			return nil, nil
		}
		var je *javaError
		if errors.As(err, &je) {
			return nil, r.errorf(a.pos, "%s: %s", a.name, je.msg)
		}
		return nil, &RenderError{Name: r.t.name, Line: a.line, Col: a.col, Msg: a.name + ": " + err.Error(), Err: err}
	}
	if s, ok := res.(string); ok && len(s) > r.lim.MaxOutputBytes {
		return nil, r.errorf(a.pos, "%s: string longer than %d bytes", a.name, r.lim.MaxOutputBytes)
	}
	return res, nil
}

// truthy is Velocity 1.7's #if: null and false are false, everything else is true.
func truthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	}
	return true
}

func (r *renderer) binary(e *binExpr) (any, error) {
	l, err := r.eval(e.l)
	if err != nil {
		return nil, err
	}
	switch e.op {
	case opAnd:
		if !truthy(l) {
			return false, nil
		}
		rv, err := r.eval(e.r)
		return truthy(rv), err
	case opOr:
		if truthy(l) {
			return true, nil
		}
		rv, err := r.eval(e.r)
		return truthy(rv), err
	}
	rv, err := r.eval(e.r)
	if err != nil {
		return nil, err
	}
	switch e.op {
	case opEq:
		return valuesEqual(l, rv), nil
	case opNe:
		return !valuesEqual(l, rv), nil
	case opLt, opGt, opLe, opGe:
		c, ok := compareNumbers(l, rv)
		if !ok {
			return false, nil
		}
		switch e.op {
		case opLt:
			return c < 0, nil
		case opGt:
			return c > 0, nil
		case opLe:
			return c <= 0, nil
		}
		return c >= 0, nil
	case opAdd:
		_, ls := l.(string)
		_, rs := rv.(string)
		if ls || rs {
			// Velocity concatenates, printing a null operand as its source text.
			a, b := l, rv
			if a == nil {
				a = exprSource(e.l)
			}
			if b == nil {
				b = exprSource(e.r)
			}
			s := ToString(a) + ToString(b)
			if len(s) > r.lim.MaxOutputBytes {
				return nil, r.errorf(e.pos, "string longer than %d bytes", r.lim.MaxOutputBytes)
			}
			return s, nil
		}
	}
	return arith(e.op, l, rv), nil
}

func exprSource(e expr) string {
	if ref, ok := e.(*refExpr); ok {
		return ref.src
	}
	return ""
}

// number splits a numeric value into its integer or double form.
func number(v any) (i int64, f float64, isInt, ok bool) {
	switch n := v.(type) {
	case int64:
		return n, 0, true, true
	case int:
		return int64(n), 0, true, true
	case int32:
		return int64(n), 0, true, true
	case float64:
		return 0, n, false, true
	case float32:
		return 0, float64(n), false, true
	}
	return 0, 0, false, false
}

func toInt(v any) (int64, bool) {
	i, _, isInt, ok := number(v)
	return i, ok && isInt
}

// arith is Velocity's arithmetic: integers stay integers (division truncates), a double
// operand makes a double, a zero divisor or a non-number gives null.
func arith(op int, a, b any) any {
	ai, af, aInt, ok1 := number(a)
	bi, bf, bInt, ok2 := number(b)
	if !ok1 || !ok2 {
		return nil
	}
	if aInt && bInt {
		switch op {
		case opAdd:
			return ai + bi
		case opSub:
			return ai - bi
		case opMul:
			return ai * bi
		case opDiv:
			if bi == 0 || (ai == math.MinInt64 && bi == -1) {
				return nil
			}
			return ai / bi
		case opMod:
			if bi == 0 || bi == -1 {
				if bi == -1 {
					return int64(0)
				}
				return nil
			}
			return ai % bi
		}
		return nil
	}
	if aInt {
		af = float64(ai)
	}
	if bInt {
		bf = float64(bi)
	}
	switch op {
	case opAdd:
		return af + bf
	case opSub:
		return af - bf
	case opMul:
		return af * bf
	case opDiv:
		if bf == 0 {
			return nil
		}
		return af / bf
	case opMod:
		if bf == 0 {
			return nil
		}
		return math.Mod(af, bf)
	}
	return nil
}

func compareNumbers(a, b any) (int, bool) {
	ai, af, aInt, ok1 := number(a)
	bi, bf, bInt, ok2 := number(b)
	if !ok1 || !ok2 {
		return 0, false
	}
	if aInt && bInt {
		switch {
		case ai < bi:
			return -1, true
		case ai > bi:
			return 1, true
		}
		return 0, true
	}
	if aInt {
		af = float64(ai)
	}
	if bInt {
		bf = float64(bi)
	}
	switch {
	case af < bf:
		return -1, true
	case af > bf:
		return 1, true
	case af == bf:
		return 0, true
	}
	return 0, false
}

// valuesEqual is Velocity 1.7's ==: numbers by value, values of one kind by Java's equals,
// values of different kinds by their string forms; null equals only null.
func valuesEqual(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if c, ok := compareNumbers(a, b); ok {
		return c == 0
	}
	if kind(a) == kind(b) && kind(a) != kindOther {
		return javaEquals(a, b)
	}
	return ToString(a) == ToString(b)
}

const (
	kindOther = iota
	kindInt
	kindFloat
	kindString
	kindBool
	kindList
	kindMap
	kindEntry
)

func kind(v any) int {
	switch v.(type) {
	case int64, int, int32:
		return kindInt
	case float64, float32:
		return kindFloat
	case string:
		return kindString
	case bool:
		return kindBool
	case *List, []any:
		return kindList
	case *Map:
		return kindMap
	case *entry:
		return kindEntry
	}
	return kindOther
}

// javaEquals is Java's equals, which collections use (contains, indexOf, remove, and == on
// two lists or maps): kinds must match, so 1 does not equal 1.0 or "1".
func javaEquals(a, b any) bool {
	budget := equalBudget
	return equalsDepth(a, b, &budget, 0)
}

// equalBudget bounds the work of comparing (possibly self-referencing) collections.
const equalBudget = 100_000

func items(v any) []any {
	if l, ok := v.(*List); ok {
		return l.Items
	}
	return v.([]any)
}

func equalsDepth(a, b any, budget *int, depth int) bool {
	*budget--
	if *budget < 0 || depth > 64 {
		return false
	}
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	ka := kind(a)
	if ka != kind(b) {
		return false
	}
	switch ka {
	case kindInt, kindFloat:
		c, ok := compareNumbers(a, b)
		return ok && c == 0
	case kindString:
		return a.(string) == b.(string)
	case kindBool:
		return a.(bool) == b.(bool)
	case kindList:
		x, y := items(a), items(b)
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalsDepth(x[i], y[i], budget, depth+1) {
				return false
			}
		}
		return true
	case kindMap:
		x, y := a.(*Map), b.(*Map)
		if x == y {
			return true
		}
		if x.Len() != y.Len() {
			return false
		}
		for i, k := range x.keys {
			v, ok := y.Get(k)
			if !ok || !equalsDepth(x.vals[i], v, budget, depth+1) {
				return false
			}
		}
		return true
	case kindEntry:
		x, y := a.(*entry), b.(*entry)
		return x.key == y.key && equalsDepth(x.val, y.val, budget, depth+1)
	}
	return ToString(a) == ToString(b)
}
