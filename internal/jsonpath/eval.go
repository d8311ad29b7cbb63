package jsonpath

import (
	"math"
)

// MaxVisits bounds the nodes one evaluation may visit. Stacked deep scans ($..a..b..c) and
// filters that scan the whole document for every candidate grow faster than the document; past
// the bound the path matches nothing, rather than holding a request for seconds.
const MaxVisits = 1 << 20

type evalCtx struct {
	m      Model
	root   any
	visits int
}

// spend counts one visited node and reports whether the budget still allows work.
func (c *evalCtx) spend() bool {
	c.visits++
	return c.visits <= MaxVisits
}

// Eval evaluates the path against root, a document decoded with m. A definite path returns its
// value and whether it matched; any other path returns m's array of every match (possibly empty)
// and true. An evaluation that would visit more than MaxVisits nodes returns false.
func (p *Path) Eval(root any, m Model) (any, bool) {
	if p.definite && p.fn == fnNone {
		return p.walkDefinite(m, root)
	}
	c := evalCtx{m: m, root: root}
	v, ok := p.eval(&c, root)
	if c.visits > MaxVisits {
		return nil, false
	}
	return v, ok
}

func (p *Path) eval(c *evalCtx, start any) (any, bool) {
	if p.fn == fnNone {
		if p.definite {
			return p.walkDefinite(c.m, start)
		}
		var out []any
		p.walk(c, start, 0, &out)
		return c.m.NewArray(out), true
	}
	if p.fnOverAll() {
		// Jayway evaluates $..x.fn() as fn($..x): one value folded from every match.
		var out []any
		p.walk(c, start, 0, &out)
		return applyFn(c.m, p.fn, out, true)
	}
	if p.definite {
		v, ok := p.walkDefinite(c.m, start)
		if !ok {
			return nil, false
		}
		return applyFn(c.m, p.fn, v, false)
	}
	// Otherwise the function applies to each match in turn.
	var out []any
	p.walk(c, start, 0, &out)
	n := 0
	for _, v := range out {
		if r, ok := applyFn(c.m, p.fn, v, false); ok {
			out[n] = r
			n++
		}
	}
	return c.m.NewArray(out[:n]), true
}

// fnOverAll reports a path that starts with a deep scan and ends with a function.
func (p *Path) fnOverAll() bool {
	return p.fn != fnNone && len(p.segs) > 0 && p.segs[0].deep
}

// walkDefinite follows a definite path without allocating.
func (p *Path) walkDefinite(m Model, v any) (any, bool) {
	for i := range p.segs {
		s := &p.segs[i]
		switch s.kind {
		case segName:
			val, found, _ := m.Member(v, s.name)
			if !found {
				return nil, false
			}
			v = val
		case segIndex:
			items, ok := m.Elems(v)
			if !ok {
				return nil, false
			}
			i := s.index
			if i < 0 {
				i += len(items)
			}
			if i < 0 || i >= len(items) {
				return nil, false
			}
			v = items[i]
		case segNames:
			// Only last: Jayway merges the named members into a new object.
			return mergeNames(m, v, s.names)
		}
	}
	return v, true
}

// walk applies segments from i on to v, appending every match to out.
func (p *Path) walk(c *evalCtx, v any, i int, out *[]any) {
	if !c.spend() {
		return
	}
	if i == len(p.segs) {
		*out = append(*out, v)
		return
	}
	s := &p.segs[i]
	if s.deep {
		p.scan(c, v, i, out)
		return
	}
	p.step(c, v, s, i, out)
}

// step applies one segment (without its deep flag) to v and continues with the next.
func (p *Path) step(c *evalCtx, v any, s *segment, i int, out *[]any) {
	next := i + 1
	switch s.kind {
	case segName:
		if val, found, _ := c.m.Member(v, s.name); found {
			p.walk(c, val, next, out)
		}
	case segNames:
		if next == len(p.segs) && !s.deep {
			if obj, ok := mergeNames(c.m, v, s.names); ok {
				*out = append(*out, obj)
			}
			return
		}
		for _, n := range s.names {
			if val, found, _ := c.m.Member(v, n); found {
				p.walk(c, val, next, out)
			}
		}
	case segWildcard:
		if items, ok := c.m.Elems(v); ok {
			for _, it := range items {
				p.walk(c, it, next, out)
			}
		} else if _, vals, ok := c.m.Members(v); ok {
			for _, it := range vals {
				p.walk(c, it, next, out)
			}
		}
	case segIndex:
		items, ok := c.m.Elems(v)
		if !ok {
			return
		}
		if j := normIndex(s.index, len(items)); j >= 0 {
			p.walk(c, items[j], next, out)
		}
	case segIndexes:
		items, ok := c.m.Elems(v)
		if !ok {
			return
		}
		for _, ix := range s.indexes {
			if j := normIndex(ix, len(items)); j >= 0 {
				p.walk(c, items[j], next, out)
			}
		}
	case segSlice:
		items, ok := c.m.Elems(v)
		if !ok {
			return
		}
		from, to := sliceBounds(s, len(items))
		for j := from; j < to; j++ {
			p.walk(c, items[j], next, out)
		}
	case segFilter:
		if items, ok := c.m.Elems(v); ok {
			for _, it := range items {
				if s.filter.test(c, it) {
					p.walk(c, it, next, out)
				}
			}
		} else if _, _, ok := c.m.Members(v); ok && s.filter.test(c, v) {
			// Jayway applies a filter on an object to the object itself.
			p.walk(c, v, next, out)
		}
	}
}

// scan is the deep scan: the segment applies to v and to every array and object below it, in
// document order, parents before children (Jayway's order). A filter under a scan selects the
// objects that pass it, wherever they are.
func (p *Path) scan(c *evalCtx, v any, i int, out *[]any) {
	if !c.spend() {
		return
	}
	s := &p.segs[i]
	if s.kind == segFilter {
		if _, _, ok := c.m.Members(v); ok && s.filter.test(c, v) {
			p.walk(c, v, i+1, out)
		}
	} else {
		p.step(c, v, s, i, out)
	}
	if items, ok := c.m.Elems(v); ok {
		for _, it := range items {
			p.scan(c, it, i, out)
		}
	} else if _, vals, ok := c.m.Members(v); ok {
		for _, it := range vals {
			p.scan(c, it, i, out)
		}
	}
}

// mergeNames is Jayway's ['a','b'] at the end of a path: a new object holding the named members
// that exist.
func mergeNames(m Model, v any, names []string) (any, bool) {
	if _, _, ok := m.Members(v); !ok {
		return nil, false
	}
	keys, vals := make([]string, 0, len(names)), make([]any, 0, len(names))
	for _, n := range names {
		if val, found, _ := m.Member(v, n); found {
			keys = append(keys, n)
			vals = append(vals, val)
		}
	}
	return m.NewObject(keys, vals), true
}

func normIndex(i, n int) int {
	if i < 0 {
		i += n
	}
	if i < 0 || i >= n {
		return -1
	}
	return i
}

func sliceBounds(s *segment, n int) (int, int) {
	from, to := 0, n
	if s.hasFrom {
		from = s.from
		if from < 0 {
			from = max(n+from, 0)
		}
	}
	if s.hasTo {
		to = s.to
		if to < 0 {
			to = n + to
		}
	}
	from, to = min(from, n), min(max(to, 0), n)
	if from > to {
		return 0, 0
	}
	return from, to
}

type fnKind uint8

const (
	fnNone fnKind = iota
	fnLength
	fnSize
	fnMin
	fnMax
	fnAvg
	fnSum
	fnStddev
	fnKeys
)

var fnNames = [...]string{"", "length", "size", "min", "max", "avg", "sum", "stddev", "keys"}

var fnByName = func() map[string]fnKind {
	m := make(map[string]fnKind, len(fnNames))
	for i, n := range fnNames[1:] {
		m[n] = fnKind(i + 1)
	}
	return m
}()

// applyFn applies a function to v, or with all set to the matches v of a path that starts with a
// deep scan. Jayway's aggregates return doubles and skip what is not a number; length and size
// count elements, members or characters — over all matches, the children of every match.
func applyFn(m Model, fn fnKind, v any, all bool) (any, bool) {
	var items []any
	if all {
		items = v.([]any)
	} else if a, ok := m.Elems(v); ok {
		items = a
	}
	switch fn {
	case fnLength, fnSize:
		if !all {
			n, ok := length(m, v)
			return int64(n), ok
		}
		n := 0
		for _, it := range items {
			if a, ok := m.Elems(it); ok {
				n += len(a)
			} else if keys, _, ok := m.Members(it); ok {
				n += len(keys)
			}
		}
		return int64(n), true
	case fnKeys:
		if all {
			return nil, false
		}
		keys, _, ok := m.Members(v)
		if !ok {
			return nil, false
		}
		ks := make([]any, len(keys))
		for i, k := range keys {
			ks[i] = k
		}
		return m.NewArray(ks), true
	}
	var nums []float64
	for _, it := range items {
		if f, ok := toFloat(it); ok {
			nums = append(nums, f)
		}
	}
	if len(nums) == 0 {
		return nil, false
	}
	switch fn {
	case fnMin:
		r := nums[0]
		for _, f := range nums[1:] {
			r = math.Min(r, f)
		}
		return r, true
	case fnMax:
		r := nums[0]
		for _, f := range nums[1:] {
			r = math.Max(r, f)
		}
		return r, true
	}
	sum := 0.0
	for _, f := range nums {
		sum += f
	}
	switch fn {
	case fnSum:
		return sum, true
	case fnAvg:
		return sum / float64(len(nums)), true
	}
	mean := sum / float64(len(nums))
	sq := 0.0
	for _, f := range nums {
		sq += (f - mean) * (f - mean)
	}
	return math.Sqrt(sq / float64(len(nums))), true
}
