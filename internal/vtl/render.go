package vtl

import (
	"errors"
	"fmt"
	"io"
	"sync"
)

// Template is a parsed template. It is immutable and safe for concurrent renders.
type Template struct {
	name     string
	nodes    []node
	names    []string // variable names by slot
	setSlots []int    // root variables the template assigns, written back to the Scope
}

// Name returns the name given to Parse.
func (t *Template) Name() string { return t.name }

// Slots 0..2 are fixed by Parse.
const (
	slotForeach = iota
	slotVelocityCount
	slotVelocityHasNext
)

var (
	errStop  = errors.New("#stop")
	errBreak = errors.New("#break")
)

type renderer struct {
	t      *Template
	vals   []any
	out    []byte
	lim    Limits
	tracer func(TraceEvent)
	depth  int
	iters  int
	args   []any // method arguments being evaluated, a stack
	loops  []foreachState
}

var rendererPool = sync.Pool{New: func() any { return &renderer{out: make([]byte, 0, 4096)} }}

// maxPooledOutput keeps one huge render from pinning its buffer in the pool.
const maxPooledOutput = 1 << 20

func (l Limits) withDefaults() Limits {
	if l.MaxLoopIterations <= 0 {
		l.MaxLoopIterations = DefaultLimits.MaxLoopIterations
	}
	if l.MaxTotalIterations <= 0 {
		l.MaxTotalIterations = DefaultLimits.MaxTotalIterations
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultLimits.MaxDepth
	}
	if l.MaxOutputBytes <= 0 {
		l.MaxOutputBytes = DefaultLimits.MaxOutputBytes
	}
	if l.MaxCollectionSize <= 0 {
		l.MaxCollectionSize = DefaultLimits.MaxCollectionSize
	}
	return l
}

// Render evaluates the template with scope's variables and writes the output to w in one
// Write; on error nothing is written. Errors are *RenderError, or w's error. A nil scope is an
// empty one.
func (t *Template) Render(w io.Writer, scope *Scope) error {
	r, err := t.render(scope)
	if err == nil {
		_, err = w.Write(r.out)
	}
	r.release()
	return err
}

// RenderString renders to a string.
func (t *Template) RenderString(scope *Scope) (string, error) {
	r, err := t.render(scope)
	s := ""
	if err == nil {
		s = string(r.out)
	}
	r.release()
	return s, err
}

func (t *Template) render(scope *Scope) (*renderer, error) {
	if scope == nil {
		scope = NewScope()
	}
	r := rendererPool.Get().(*renderer)
	r.t = t
	r.lim = scope.Limits.withDefaults()
	r.tracer = scope.Tracer
	r.depth, r.iters, r.args = 0, 0, r.args[:0]
	if cap(r.vals) < len(t.names) {
		r.vals = make([]any, len(t.names))
	}
	r.vals = r.vals[:len(t.names)]
	for i, n := range t.names {
		r.vals[i] = scope.vars[n]
	}
	err := r.block(t.nodes)
	if err == errStop || err == errBreak {
		err = nil
	}
	if err == nil {
		for _, s := range t.setSlots {
			if v := r.vals[s]; v != nil {
				scope.Set(t.names[s], v)
			}
		}
	}
	return r, err
}

func (r *renderer) release() {
	clear(r.vals)
	r.t, r.tracer, r.loops = nil, nil, nil
	if cap(r.out) > maxPooledOutput {
		return
	}
	r.out = r.out[:0]
	rendererPool.Put(r)
}

func (r *renderer) errorf(p pos, format string, args ...any) error {
	return &RenderError{Name: r.t.name, Line: p.line, Col: p.col, Msg: fmt.Sprintf(format, args...)}
}

func (r *renderer) trace(p pos, kind, text string, v any, index int) {
	r.tracer(TraceEvent{Line: p.line, Col: p.col, Kind: kind, Text: text, Value: v, Index: index})
}

func (r *renderer) checkOutput(p pos) error {
	if len(r.out) > r.lim.MaxOutputBytes {
		return r.errorf(p, "output exceeds the limit of %d bytes", r.lim.MaxOutputBytes)
	}
	return nil
}

func (r *renderer) enter(p pos) error {
	r.depth++
	if r.depth > r.lim.MaxDepth {
		return r.errorf(p, "nesting deeper than %d levels (recursive macro?)", r.lim.MaxDepth)
	}
	return nil
}

func (r *renderer) nested(p pos, body []node) error {
	if err := r.enter(p); err != nil {
		return err
	}
	err := r.block(body)
	r.depth--
	return err
}

func (r *renderer) block(nodes []node) error {
	for _, n := range nodes {
		var err error
		switch n := n.(type) {
		case *textNode:
			r.out = append(r.out, n.s...)
			err = r.checkOutput(n.pos)
		case *refNode:
			err = r.printRef(n)
		case *setNode:
			err = r.set(n)
		case *ifNode:
			err = r.ifs(n)
		case *foreachNode:
			err = r.foreach(n)
		case *macroCallNode:
			err = r.callMacro(n)
		case *defineNode:
			if r.tracer != nil {
				r.trace(n.pos, "define", n.src, nil, 0)
			}
			r.vals[n.slot] = &defined{body: n.body, pos: n.pos}
		case *breakNode:
			if r.tracer != nil {
				r.trace(n.pos, "break", "#break", nil, 0)
			}
			return errBreak
		case *stopNode:
			if r.tracer != nil {
				r.trace(n.pos, "stop", "#stop", nil, 0)
			}
			return errStop
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// defined is the value #define binds: its body, rendered where it is referenced.
type defined struct {
	body []node
	pos  pos
}

func (r *renderer) printRef(n *refNode) error {
	v, err := r.evalRef(n.ref)
	if err != nil {
		return err
	}
	if n.escapes > 0 {
		if v == nil {
			// Velocity prints an escaped reference to nothing exactly as written.
			for i := 0; i < n.escapes; i++ {
				r.out = append(r.out, '\\')
			}
			if n.escapes%2 == 1 {
				r.out = append(r.out, n.src...)
			}
			return r.checkOutput(n.ref.pos)
		}
		for i := 0; i < n.escapes/2; i++ {
			r.out = append(r.out, '\\')
		}
		if n.escapes%2 == 1 {
			r.out = append(r.out, n.src...)
			return r.checkOutput(n.ref.pos)
		}
	}
	switch x := v.(type) {
	case string:
		r.out = append(r.out, x...)
	case *defined:
		if err := r.nested(n.ref.pos, x.body); err != errBreak {
			return err
		}
		return nil
	default:
		r.out = appendValue(r.out, v, r.lim.MaxOutputBytes)
	}
	return r.checkOutput(n.ref.pos)
}

func (r *renderer) set(n *setNode) error {
	v, err := r.eval(n.val)
	if err != nil {
		return err
	}
	if r.tracer != nil {
		r.trace(n.pos, "set", n.src, v, 0)
	}
	if v == nil {
		// Velocity 1.7 (directive.set.null.allowed=false) leaves the target as it was.
		return nil
	}
	t := n.target
	if len(t.chain) == 0 {
		r.vals[t.slot] = v
		return nil
	}
	base, err := r.walk(t, t.chain[:len(t.chain)-1])
	if err != nil || base == nil {
		return err
	}
	last := t.chain[len(t.chain)-1]
	switch last.kind {
	case accProp:
		switch b := base.(type) {
		case *Map:
			return r.putMap(last.pos, b, last.name, v)
		case Setter:
			if err := b.SetProperty(last.name, v); err != nil {
				return &RenderError{Name: r.t.name, Line: last.line, Col: last.col, Msg: err.Error(), Err: err}
			}
		}
		return nil
	case accIndex:
		k, err := r.eval(last.args[0])
		if err != nil {
			return err
		}
		switch b := base.(type) {
		case *Map:
			return r.putMap(last.pos, b, ToString(k), v)
		case *List:
			i, ok := toInt(k)
			if ok && i < 0 {
				i += int64(len(b.Items))
			}
			if !ok || i < 0 || i >= int64(len(b.Items)) {
				return r.errorf(last.pos, "index %s out of range for a list of size %d", ToString(k), len(b.Items))
			}
			b.Items[i] = v
		case Setter:
			if err := b.SetProperty(ToString(k), v); err != nil {
				return &RenderError{Name: r.t.name, Line: last.line, Col: last.col, Msg: err.Error(), Err: err}
			}
		}
	}
	return nil
}

func (r *renderer) putMap(p pos, m *Map, k string, v any) error {
	m.Put(k, v)
	if m.Len() > r.lim.MaxCollectionSize {
		return r.errorf(p, "map grows past %d entries", r.lim.MaxCollectionSize)
	}
	return nil
}

func (r *renderer) ifs(n *ifNode) error {
	for i := range n.branches {
		b := &n.branches[i]
		if b.cond != nil {
			v, err := r.eval(b.cond)
			if err != nil {
				return err
			}
			t := truthy(v)
			if r.tracer != nil {
				kind := "if"
				if i > 0 {
					kind = "elseif"
				}
				r.trace(b.pos, kind, b.src, t, 0)
			}
			if !t {
				continue
			}
		} else if r.tracer != nil {
			r.trace(b.pos, "else", b.src, nil, 0)
		}
		return r.nested(b.pos, b.body)
	}
	return nil
}

// foreachState is $foreach inside a loop; $velocityCount and $velocityHasNext read it too.
type foreachState struct {
	index, n int
	parent   any
}

func (f *foreachState) Property(name string) (any, bool) {
	switch name {
	case "hasNext":
		return f.index < f.n-1, true
	case "index":
		return int64(f.index), true
	case "count":
		return int64(f.index + 1), true
	case "first":
		return f.index == 0, true
	case "last":
		return f.index == f.n-1, true
	case "parent":
		return f.parent, true
	}
	return nil, false
}

func (f *foreachState) Call(method string, args []any) (any, error) {
	if len(args) == 0 {
		prop := ""
		switch method {
		case "hasNext":
			prop = "hasNext"
		case "getIndex":
			prop = "index"
		case "getCount":
			prop = "count"
		case "isFirst":
			prop = "first"
		case "isLast":
			prop = "last"
		case "getParent":
			prop = "parent"
		}
		if v, ok := f.Property(prop); ok {
			return v, nil
		}
	}
	return nil, ErrNoMethod
}

func (r *renderer) foreach(n *foreachNode) error {
	v, err := r.eval(n.iter)
	if err != nil {
		return err
	}
	var items []any
	switch c := v.(type) {
	case *List:
		items = c.Items
	case *Map:
		items = c.vals
	case []any:
		items = c
	case Iterable:
		items = c.Items()
	}
	if r.tracer != nil {
		r.trace(n.pos, "foreach", n.src, v, len(items))
	}
	if len(items) == 0 {
		return nil
	}
	if err := r.enter(n.pos); err != nil {
		return err
	}
	saved, savedFE := r.vals[n.slot], r.vals[slotForeach]
	fs := r.newForeachState()
	fs.n, fs.parent = len(items), savedFE
	r.vals[slotForeach] = fs
	err = r.loop(n, items, fs)
	r.vals[n.slot], r.vals[slotForeach] = saved, savedFE
	r.depth--
	if err == errBreak {
		return nil
	}
	return err
}

func (r *renderer) loop(n *foreachNode, items []any, fs *foreachState) error {
	for i, it := range items {
		if i >= r.lim.MaxLoopIterations {
			return r.errorf(n.pos, "#foreach iterates more than %d times", r.lim.MaxLoopIterations)
		}
		r.iters++
		if r.iters > r.lim.MaxTotalIterations {
			return r.errorf(n.pos, "#foreach loops iterate more than %d times in all", r.lim.MaxTotalIterations)
		}
		fs.index = i
		r.vals[n.slot] = it
		if r.tracer != nil {
			r.trace(n.pos, "item", n.src, it, i)
		}
		if err := r.block(n.body); err != nil {
			return err
		}
	}
	return nil
}

// newForeachState hands out loop states from chunks, one allocation per 8 loops. A chunk
// belongs to one render: a template that keeps $foreach in a variable keeps a live value.
func (r *renderer) newForeachState() *foreachState {
	if len(r.loops) == 0 {
		r.loops = make([]foreachState, 8)
	}
	fs := &r.loops[0]
	r.loops = r.loops[1:]
	return fs
}

func (r *renderer) callMacro(n *macroCallNode) error {
	if n.m == nil {
		r.out = append(r.out, n.literal...)
		return r.checkOutput(n.pos)
	}
	args := make([]any, len(n.args))
	for i, a := range n.args {
		v, err := r.eval(a)
		if err != nil {
			return err
		}
		args[i] = v
	}
	if r.tracer != nil {
		r.trace(n.pos, "macro", n.src, args, 0)
	}
	m := n.m
	saved := make([]any, len(m.params))
	for i, s := range m.params {
		saved[i] = r.vals[s]
		if i < len(args) {
			r.vals[s] = args[i]
		} else {
			r.vals[s] = nil
		}
	}
	err := r.nested(n.pos, m.body)
	for i, s := range m.params {
		r.vals[s] = saved[i]
	}
	if err == errBreak {
		// #break leaves the innermost scope, here the macro, as in Velocity 1.7.
		err = nil
	}
	return err
}
