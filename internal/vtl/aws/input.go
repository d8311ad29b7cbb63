package aws

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/portico/portico/internal/jsonpath"
	"github.com/portico/portico/internal/vtl"
)

// model decodes JSON straight into the engine's values: objects are *vtl.Map, arrays *vtl.List
// printing as JSON (as API Gateway prints an array from $input.path).
type model struct{}

func (model) Elems(v any) ([]any, bool) {
	if l, ok := v.(*vtl.List); ok {
		return l.Items, true
	}
	return nil, false
}

func (model) Members(v any) ([]string, []any, bool) {
	if m, ok := v.(*vtl.Map); ok {
		return m.Keys(), m.Values(), true
	}
	return nil, nil, false
}

func (model) Member(v any, key string) (any, bool, bool) {
	m, ok := v.(*vtl.Map)
	if !ok {
		return nil, false, false
	}
	val, found := m.Get(key)
	return val, found, true
}

func (model) NewArray(items []any) any {
	return &vtl.List{Items: append(make([]any, 0, len(items)), items...), JSON: true}
}

func (model) NewObject(keys []string, vals []any) any {
	m := vtl.NewMap(len(keys))
	for i, k := range keys {
		m.Put(k, vals[i])
	}
	return m
}

// slabModel is the model for decoding one payload: lists, maps and their contents are cut from
// chunks shared by the whole document, so an array or an object costs no allocation of its own.
// Each one's capacity ends at its length, so a template's add() or put() reallocates rather
// than overwriting a neighbour.
type slabModel struct {
	model
	hint  int // payload size, which sizes the first chunks
	items []any
	lists []vtl.List
	keys  []string
	maps  []vtl.Map
}

// slabObjectMax is the largest object cut from chunks; a larger one is rare and gets a map of
// its own, which also indexes its keys.
const slabObjectMax = 12

func (s *slabModel) NewObject(keys []string, vals []any) any {
	n := len(keys)
	if n > slabObjectMax || hasDuplicate(keys) {
		return s.model.NewObject(keys, vals)
	}
	if len(s.maps) == cap(s.maps) {
		s.maps = make([]vtl.Map, 0, s.grow(cap(s.maps), 64, 256))
	}
	s.maps = append(s.maps, vtl.Map{})
	m := &s.maps[len(s.maps)-1]
	if n > cap(s.keys)-len(s.keys) {
		s.keys = make([]string, 0, max(s.grow(cap(s.keys), 12, 4096), n))
	}
	ks := len(s.keys)
	s.keys = append(s.keys, keys...)
	m.Init(s.keys[ks:len(s.keys)], s.cut(vals))
	return m
}

// grow sizes the next chunk: the first from the payload (one element per perByte bytes, an
// upper estimate for JSON), later ones doubling, never more than most; so a small payload
// allocates little and a large one few chunks.
func (s *slabModel) grow(prev, perByte, most int) int {
	if prev == 0 {
		return min(max(s.hint/perByte, 4), most)
	}
	return min(2*prev, most)
}

func hasDuplicate(keys []string) bool {
	for i := 1; i < len(keys); i++ {
		for _, k := range keys[:i] {
			if k == keys[i] {
				return true
			}
		}
	}
	return false
}

// cut copies items into the shared chunk and returns their place in it.
func (s *slabModel) cut(items []any) []any {
	if len(items) > cap(s.items)-len(s.items) {
		s.items = make([]any, 0, max(s.grow(cap(s.items), 8, 4096), len(items)))
	}
	start := len(s.items)
	s.items = append(s.items, items...)
	return s.items[start:len(s.items):len(s.items)]
}

func (s *slabModel) NewArray(items []any) any {
	if len(s.lists) == cap(s.lists) {
		s.lists = make([]vtl.List, 0, s.grow(cap(s.lists), 128, 256))
	}
	s.lists = append(s.lists, vtl.List{JSON: true, Items: s.cut(items)})
	return &s.lists[len(s.lists)-1]
}

// maxCachedPaths bounds the process-wide cache of compiled paths, so templates that build path
// strings at render time cannot grow it without end.
const maxCachedPaths = 4096

var (
	pathCache  sync.Map // string → *jsonpath.Path
	pathCached atomic.Int32
)

// compilePath returns the compiled form of a JSONPath, compiling each distinct text once.
func compilePath(src string) (*jsonpath.Path, error) {
	if p, ok := pathCache.Load(src); ok {
		return p.(*jsonpath.Path), nil
	}
	p, err := jsonpath.Compile(src)
	if err != nil {
		return nil, err
	}
	if pathCached.Load() < maxCachedPaths {
		if _, loaded := pathCache.LoadOrStore(src, p); !loaded {
			pathCached.Add(1)
		}
	}
	return p, nil
}

// input is $input.
type input struct {
	r       *Bindings
	body    []byte
	bodyStr string
	hasStr  bool
	decoded bool
	doc     any
	docErr  error
	params  *vtl.Map
	jsonBuf []byte // reused by every $input.json of the render
}

func (in *input) Property(name string) (any, bool) {
	if name == "body" {
		return in.bodyString(), true
	}
	return nil, false
}

func (in *input) bodyString() string {
	if !in.hasStr {
		in.hasStr = true
		if len(in.body) == 0 {
			in.bodyStr = "{}"
		} else {
			in.bodyStr = string(in.body)
		}
	}
	return in.bodyStr
}

func (in *input) Call(method string, args []any) (any, error) {
	switch method {
	case "path", "json":
		src := "$"
		if len(args) > 1 {
			return nil, vtl.ErrNoMethod
		}
		if len(args) == 1 {
			s, ok := args[0].(string)
			if !ok {
				return nil, vtl.ErrNoMethod
			}
			src = s
		}
		v, err := in.path(src)
		if err != nil {
			return nil, err
		}
		if method == "path" {
			return v, nil
		}
		in.jsonBuf = vtl.AppendJSON(in.jsonBuf[:0], v)
		return string(in.jsonBuf), nil
	case "params":
		switch len(args) {
		case 0:
			return in.allParams(), nil
		case 1:
			return in.param(vtl.ToString(args[0])), nil
		}
	}
	return nil, vtl.ErrNoMethod
}

// document decodes the payload once per render.
func (in *input) document() (any, error) {
	if in.decoded {
		return in.doc, in.docErr
	}
	in.decoded = true
	// A byte order mark is not part of the document, as Java's JSON readers agree.
	b := bytes.TrimPrefix(in.body, []byte("\xef\xbb\xbf"))
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	if i == len(b) {
		in.doc = vtl.NewMap(0)
		return in.doc, nil
	}
	doc, err := jsonpath.Decode(b, &slabModel{hint: len(b)})
	switch {
	case err == nil:
		in.doc = doc
	case b[i] == '{' || b[i] == '[':
		in.docErr = fmt.Errorf("%w: %v", ErrBody, err)
	default:
		in.doc = string(b)
	}
	return in.doc, in.docErr
}

func (in *input) path(src string) (any, error) {
	p, err := compilePath(src)
	if err != nil {
		return nil, err
	}
	doc, err := in.document()
	if err != nil {
		return nil, err
	}
	v, _ := p.Eval(doc, model{})
	return v, nil
}

// allParams is $input.params(): built once per render, shared by every call, so a template
// that changes it sees its change, as with AWS's Java map.
func (in *input) allParams() *vtl.Map {
	if in.params != nil {
		return in.params
	}
	req := in.r.req
	m := vtl.NewMap(3)
	path := vtl.NewMap(len(req.PathParams))
	for _, k := range sortedKeys(req.PathParams) {
		path.Put(k, req.PathParams[k])
	}
	m.Put("path", path)
	m.Put("querystring", lastValues(req.Query))
	m.Put("header", lastValues(req.Header))
	in.params = m
	return m
}

// param is $input.params(name): path, then querystring, then header; "" when absent.
func (in *input) param(name string) string {
	req := in.r.req
	if v, ok := req.PathParams[name]; ok {
		return v
	}
	if vs := req.Query[name]; len(vs) > 0 {
		return vs[len(vs)-1]
	}
	if vs := req.Header[name]; len(vs) > 0 {
		return vs[len(vs)-1]
	}
	for k, vs := range req.Header {
		if len(vs) > 0 && strings.EqualFold(k, name) {
			return vs[len(vs)-1]
		}
	}
	return ""
}

func lastValues(m map[string][]string) *vtl.Map {
	out := vtl.NewMap(len(m))
	for _, k := range sortedKeys(m) {
		if vs := m[k]; len(vs) > 0 {
			out.Put(k, vs[len(vs)-1])
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
