package runtime

import (
	"fmt"
	"strings"
)

// Tree is an API's resource tree, built once by the compiler and then only read.
//
// Matching follows AWS (rest-api-model.md §3): at each level a literal child beats the {param}
// child, which beats the {greedy+} child; if the preferred branch does not reach a resource
// with methods, the next one is tried. A trailing slash is ignored, and so are empty segments:
// AWS serves /prod//orders like /prod/orders (localstack#11253 records it), so "//" collapses for
// matching while path parameters keep the request's raw, undecoded text. A resource without any
// method takes no requests, so matching passes through it to its siblings.
type Tree struct {
	root *Resource
	// MaxParams is the largest number of path parameters any route has.
	MaxParams int
}

// Resource is one node of the tree.
type Resource struct {
	ID string
	// Path is the resource path template, e.g. /pets/{petId}.
	Path string
	// ParamNames are the path parameter names along the path, in order; a match's params line
	// up with them.
	ParamNames []string
	methods    [numVerbs]*Method
	hasMethods bool
	isGreedy   bool

	literals map[string]*Resource
	param    *Resource // the {name} child
	greedy   *Resource // the {name+} child
}

// NewTree returns a tree holding only the root resource "/".
func NewTree(rootID string) *Tree {
	return &Tree{root: &Resource{ID: rootID, Path: "/"}}
}

// Root returns the "/" resource.
func (t *Tree) Root() *Resource { return t.root }

// Add returns the resource at path (e.g. /pets/{petId}), creating it and any missing ancestor.
// id names a newly created resource or renames an existing one.
func (t *Tree) Add(path, id string) (*Resource, error) {
	if path == "" || path[0] != '/' {
		return nil, fmt.Errorf("resource path %q must start with /", path)
	}
	n := t.root
	rest := strings.TrimSuffix(path[1:], "/")
	var names []string
	for rest != "" {
		var seg string
		seg, rest, _ = strings.Cut(rest, "/")
		if seg == "" {
			return nil, fmt.Errorf("resource path %q has an empty segment", path)
		}
		if n.isGreedy {
			return nil, fmt.Errorf("resource path %q: a greedy resource cannot have children", path)
		}
		name, kind, err := parsePart(seg)
		if err != nil {
			return nil, fmt.Errorf("resource path %q: %w", path, err)
		}
		var c *Resource
		switch kind {
		case partLiteral:
			c = n.literals[seg]
			if c == nil {
				c = &Resource{Path: n.childPath(seg), ParamNames: names}
				if n.literals == nil {
					n.literals = map[string]*Resource{}
				}
				n.literals[seg] = c
			}
		case partParam, partGreedy:
			if kind == partGreedy && rest != "" {
				return nil, fmt.Errorf("resource path %q: greedy part %s must be last", path, seg)
			}
			names = append(names[:len(names):len(names)], name)
			slot, other := &n.param, n.greedy
			if kind == partGreedy {
				slot, other = &n.greedy, n.param
			}
			if other != nil || (*slot != nil && (*slot).Path != n.childPath(seg)) {
				return nil, fmt.Errorf("resource path %q: only one variable path part is allowed among siblings", path)
			}
			if *slot == nil {
				*slot = &Resource{Path: n.childPath(seg), ParamNames: names, isGreedy: kind == partGreedy}
			}
			c = *slot
		}
		n = c
		names = n.ParamNames
	}
	if len(n.ParamNames) > t.MaxParams {
		t.MaxParams = len(n.ParamNames)
	}
	if id != "" {
		n.ID = id
	}
	return n, nil
}

func (n *Resource) childPath(seg string) string {
	if n.Path == "/" {
		return "/" + seg
	}
	return n.Path + "/" + seg
}

type partKind uint8

const (
	partLiteral partKind = iota
	partParam
	partGreedy
)

func parsePart(seg string) (name string, kind partKind, err error) {
	if !strings.ContainsAny(seg, "{}") {
		return seg, partLiteral, nil
	}
	if len(seg) < 3 || seg[0] != '{' || seg[len(seg)-1] != '}' {
		return "", 0, fmt.Errorf("path part %q: a path variable must be a whole segment", seg)
	}
	name, kind = seg[1:len(seg)-1], partParam
	if strings.HasSuffix(name, "+") {
		name, kind = name[:len(name)-1], partGreedy
	}
	if name == "" || strings.ContainsAny(name, "{}+") {
		return "", 0, fmt.Errorf("path part %q: invalid path variable name", seg)
	}
	return name, kind, nil
}

// SetMethod attaches m to the resource for verb v.
func (n *Resource) SetMethod(v Verb, m *Method) {
	if v < numVerbs {
		n.methods[v] = m
		n.hasMethods = n.hasMethods || m != nil
	}
}

// Method returns the method for a request verb: the explicit verb first, then ANY. It returns
// nil for a verb the resource does not serve.
func (n *Resource) Method(httpMethod string) *Method {
	v, ok := ParseVerb(httpMethod)
	if !ok || v == VerbANY {
		return nil
	}
	if m := n.methods[v]; m != nil {
		return m
	}
	return n.methods[VerbANY]
}

// Walk calls fn for every method of the tree, parents before children.
func (t *Tree) Walk(fn func(*Resource, *Method)) { t.root.walk(fn) }

func (n *Resource) walk(fn func(*Resource, *Method)) {
	for _, m := range n.methods {
		if m != nil {
			fn(n, m)
		}
	}
	for _, c := range n.literals {
		c.walk(fn)
	}
	if n.param != nil {
		n.param.walk(fn)
	}
	if n.greedy != nil {
		n.greedy.walk(fn)
	}
}

// Match finds the resource for path, the request path after the stage segment ("/" for the
// root, "/pets/1"; the leading slash is optional). Path parameter values are appended to params
// (pass a slice with spare capacity to avoid allocating) in the order of the resource's
// ParamNames. It returns nil when no resource with methods matches.
func (t *Tree) Match(path string, params []string) (*Resource, []string) {
	base := len(params)
	r, params := t.root.match(path, params)
	if r == nil {
		return nil, params[:base]
	}
	return r, params
}

func (n *Resource) match(path string, params []string) (*Resource, []string) {
	i := 0
	for i < len(path) && path[i] == '/' {
		i++
	}
	path = path[i:]
	if path == "" {
		if n.hasMethods {
			return n, params
		}
		return nil, params
	}
	seg, rest := path, ""
	if j := strings.IndexByte(path, '/'); j >= 0 {
		seg, rest = path[:j], path[j:]
	}
	if c := n.literals[seg]; c != nil {
		if r, p := c.match(rest, params); r != nil {
			return r, p
		}
	}
	if n.param != nil {
		if r, p := n.param.match(rest, append(params, seg)); r != nil {
			return r, p
		}
	}
	if n.greedy != nil && n.greedy.hasMethods {
		end := len(path)
		for end > 0 && path[end-1] == '/' {
			end--
		}
		return n.greedy, append(params, path[:end])
	}
	return nil, params
}
