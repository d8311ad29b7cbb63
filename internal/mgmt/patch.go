package mgmt

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// patchOperation is one entry of an update's patchOperations; values are always strings.
type patchOperation struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value string `json:"value"`
	From  string `json:"from"`
}

var patchOps = []string{"add", "remove", "replace", "move", "copy", "test"}

// patchRule says which operations a path of an object accepts and how to apply them. A path
// ending in "/*" matches one more JSON Pointer segment (unescaped and given as key); a rule with
// its own match function decides for itself.
type patchRule struct {
	path  string
	ops   []string
	match func(path string) (key string, ok bool)
	apply func(p patch) error
}

// patch is one operation resolved against a rule.
type patch struct {
	op, path, key, value, from string
}

func (r *patchRule) matches(path string) (string, bool) {
	if r.match != nil {
		return r.match(path)
	}
	if prefix, ok := strings.CutSuffix(r.path, "/*"); ok {
		rest, ok := strings.CutPrefix(path, prefix+"/")
		if !ok || rest == "" || strings.Contains(rest, "/") {
			return "", false
		}
		return unescapePointer(rest), true
	}
	return "", path == r.path
}

// unescapePointer decodes a JSON Pointer segment: ~1 is '/', ~0 is '~'.
func unescapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

type patchInput struct {
	PatchOperations []patchOperation `json:"patchOperations"`
}

// applyPatch decodes the body's patchOperations and applies them in order with rules. input
// names the operation's input shape in validation messages (e.g. "updateRestApiInput"). The
// caller works on a document read in the current transaction, so an error part-way leaves the
// store untouched.
func applyPatch(c *call, input string, rules []patchRule) error {
	var in patchInput
	if err := c.decode(&in); err != nil {
		return err
	}
	for i, po := range in.PatchOperations {
		if !contains(patchOps, po.Op) {
			return enumError(po.Op, fmt.Sprintf("%s.patchOperations.%d.member.op", input, i+1), []string{"add", "remove", "move", "test", "replace", "copy"})
		}
		var rule *patchRule
		var key string
		for j := range rules {
			if k, ok := rules[j].matches(po.Path); ok && contains(rules[j].ops, po.Op) {
				rule, key = &rules[j], k
				break
			}
		}
		if rule == nil {
			var paths []string
			var anyOps []string
			for _, r := range rules {
				if contains(r.ops, po.Op) {
					paths = append(paths, r.path)
				}
				for _, o := range r.ops {
					if !contains(anyOps, o) {
						anyOps = append(anyOps, o)
					}
				}
			}
			if len(paths) == 0 {
				sort.Strings(anyOps)
				return badRequest("Invalid patch operation specified. Must be one of: [%s]", strings.Join(anyOps, ", "))
			}
			return badRequest("Invalid patch path  '%s' specified for op '%s'. Must be one of: [%s]", po.Path, po.Op, strings.Join(paths, ", "))
		}
		// A missing value reads as empty: it clears a string field and fails a typed one.
		p := patch{op: po.Op, path: po.Path, key: key, value: po.Value, from: po.From}
		if err := rule.apply(p); err != nil {
			return err
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Typed value parsers for patch values, which arrive as strings.

func patchBool(p patch) (bool, error) {
	switch strings.ToLower(p.value) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, badRequest("Invalid value '%s' for %s: must be 'true' or 'false'", p.value, p.path)
}

func patchInt(p patch) (int64, error) {
	n, err := strconv.ParseInt(p.value, 10, 64)
	if err != nil {
		return 0, badRequest("Invalid value '%s' for %s: must be an integer", p.value, p.path)
	}
	return n, nil
}

func patchFloat(p patch) (float64, error) {
	f, err := strconv.ParseFloat(p.value, 64)
	if err != nil {
		return 0, badRequest("Invalid value '%s' for %s: must be a number", p.value, p.path)
	}
	return f, nil
}

// Rule builders for the common shapes.

var replaceOnly = []string{"replace"}
var mapOps = []string{"add", "replace", "remove"}

func replaceString(path string, dst *string) patchRule {
	return patchRule{path: path, ops: replaceOnly, apply: func(p patch) error { *dst = p.value; return nil }}
}

func replaceBool(path string, dst *bool) patchRule {
	return patchRule{path: path, ops: replaceOnly, apply: func(p patch) error {
		b, err := patchBool(p)
		*dst = b
		return err
	}}
}

// mapEntry edits one entry of a map at path+"/{key}": add and replace set it to the parsed
// value, remove deletes it.
func mapEntry[V any](path string, m *map[string]V, parse func(patch) (V, error)) patchRule {
	return patchRule{path: path + "/*", ops: mapOps, apply: func(p patch) error {
		if p.op == "remove" {
			if _, ok := (*m)[p.key]; !ok {
				return badRequest("Invalid patch path %s: no such key", p.path)
			}
			delete(*m, p.key)
			return nil
		}
		v, err := parse(p)
		if err != nil {
			return err
		}
		if *m == nil {
			*m = map[string]V{}
		}
		(*m)[p.key] = v
		return nil
	}}
}

// stringMap edits one entry of a map[string]string.
func stringMap(path string, m *map[string]string) patchRule {
	return mapEntry(path, m, func(p patch) (string, error) { return p.value, nil })
}

// boolMap edits one entry of a map[string]bool; an empty value means false.
func boolMap(path string, m *map[string]bool) patchRule {
	return mapEntry(path, m, func(p patch) (bool, error) {
		if p.value == "" {
			return false, nil
		}
		return patchBool(p)
	})
}

// stringSet adds or removes one element of a list at path+"/{element}".
func stringSet(path string, l *[]string) patchRule {
	return patchRule{path: path + "/*", ops: []string{"add", "remove"}, apply: func(p patch) error {
		i := indexOf(*l, p.key)
		if p.op == "add" {
			if i < 0 {
				*l = append(*l, p.key)
			}
			return nil
		}
		if i < 0 {
			return badRequest("Invalid patch path %s: no such element", p.path)
		}
		*l = append((*l)[:i], (*l)[i+1:]...)
		return nil
	}}
}

func indexOf(l []string, s string) int {
	for i, x := range l {
		if x == s {
			return i
		}
	}
	return -1
}
