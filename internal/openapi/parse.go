package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Messages of the BadRequestException AWS answers an unreadable document with.
const (
	msgInvalidInput = "Invalid OpenAPI input."
	msgNoImporter   = "Unable to build importer with provided input."
)

// decode reads a JSON or YAML document into plain values: map[string]any, []any, string,
// json.Number, bool and nil. The first non-space byte decides: '{' is JSON, anything else YAML.
// YAML keys that are not strings (a response code written as 200) become their text.
func decode(body []byte) (map[string]any, error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n\ufeff") // whitespace and a byte-order mark
	var v any
	if len(trimmed) > 0 && trimmed[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return nil, &InputError{Message: msgInvalidInput}
		}
		if dec.More() {
			return nil, &InputError{Message: msgInvalidInput}
		}
	} else {
		var node yaml.Node
		if err := yaml.Unmarshal(trimmed, &node); err != nil {
			return nil, &InputError{Message: msgInvalidInput}
		}
		var err error
		if v, err = (&yamlConverter{}).value(&node, 0); err != nil {
			return nil, &InputError{Message: msgInvalidInput}
		}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &InputError{Message: msgInvalidInput}
	}
	return m, nil
}

// Limits on a YAML document: nesting depth, so a hostile document cannot exhaust the stack, and
// the number of values after aliases are expanded, so an alias bomb cannot exhaust memory.
const (
	maxDepth  = 512
	maxValues = 1 << 20
)

// yamlConverter turns a yaml.v3 node tree into JSON-shaped values. It works on nodes rather
// than yaml.v3's own decoding so scalars keep the author's text: `version: 1.10` stays "1.10",
// and a timestamp stays the string that was written.
type yamlConverter struct{ values int }

func (c *yamlConverter) value(n *yaml.Node, depth int) (any, error) {
	c.values++
	if depth > maxDepth {
		return nil, fmt.Errorf("document nested deeper than %d levels", maxDepth)
	}
	if c.values > maxValues {
		return nil, fmt.Errorf("document expands to more than %d values", maxValues)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.value(n.Content[0], depth+1)
	case yaml.AliasNode:
		return c.value(n.Alias, depth+1)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, e := range n.Content {
			v, err := c.value(e, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		var merged []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Tag == "!!merge" {
				merged = append(merged, v)
				continue
			}
			val, err := c.value(v, depth+1)
			if err != nil {
				return nil, err
			}
			out[k.Value] = val
		}
		// Merge keys (<<) add the keys the mapping does not set itself.
		for _, m := range merged {
			if m.Kind == yaml.AliasNode {
				m = m.Alias
			}
			sources := []*yaml.Node{m}
			if m.Kind == yaml.SequenceNode {
				sources = m.Content
			}
			for _, src := range sources {
				v, err := c.value(src, depth+1)
				if err != nil {
					return nil, err
				}
				sm, ok := v.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("merge key value is not a mapping")
				}
				for k, e := range sm {
					if _, set := out[k]; !set {
						out[k] = e
					}
				}
			}
		}
		return out, nil
	case yaml.ScalarNode:
		return c.scalar(n)
	}
	return nil, fmt.Errorf("unexpected YAML node kind %v", n.Kind)
}

func (c *yamlConverter) scalar(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, err
		}
		return b, nil
	case "!!int", "!!float":
		// Keep the written number when it is already a JSON number (1.10 stays 1.10).
		if json.Valid([]byte(n.Value)) {
			return json.Number(n.Value), nil
		}
		var f float64
		if n.ShortTag() == "!!int" {
			var i int64
			if err := n.Decode(&i); err == nil {
				return json.Number(strconv.FormatInt(i, 10)), nil
			}
		}
		if err := n.Decode(&f); err != nil {
			return nil, err
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("number %s has no JSON form", n.Value)
		}
		return json.Number(strconv.FormatFloat(f, 'g', -1, 64)), nil
	}
	// Strings, timestamps and binary keep their text.
	return n.Value, nil
}

// scalarText is the text of a scalar written where a string is expected (statusCode: 200).
// Maps and lists have no such text and give "".
func scalarText(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case json.Number:
		return t.String()
	case bool:
		return strconv.FormatBool(t)
	case nil:
		return "null"
	}
	return ""
}

// Accessors over decoded values. Each returns the zero value and false when the value is absent
// or of another type, so callers decide whether that is an error, a warning or a default.

func getMap(m map[string]any, key string) (map[string]any, bool) {
	v, ok := m[key].(map[string]any)
	return v, ok
}

func getString(m map[string]any, key string) (string, bool) {
	v, ok := m[key].(string)
	return v, ok
}

func getList(m map[string]any, key string) ([]any, bool) {
	v, ok := m[key].([]any)
	return v, ok
}

// getBool accepts a JSON boolean or the strings "true"/"false" (YAML authors quote them).
func getBool(m map[string]any, key string) (value, ok bool) {
	switch t := m[key].(type) {
	case bool:
		return t, true
	case string:
		b, err := strconv.ParseBool(t)
		return b, err == nil
	}
	return false, false
}

// getInt accepts an integral JSON number or a string holding one.
func getInt(m map[string]any, key string) (int64, bool) {
	switch t := m[key].(type) {
	case json.Number:
		n, err := strconv.ParseInt(t.String(), 10, 64)
		if err != nil {
			f, ferr := t.Float64()
			if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
				return 0, false
			}
			return int64(f), true
		}
		return n, true
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
		return n, err == nil
	}
	return 0, false
}

// stringMap reads a map of strings; a non-string value is reported by key.
func stringMap(v any) (map[string]string, string, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, "", false
	}
	out := make(map[string]string, len(m))
	for _, k := range sortedKeys(m) {
		s, ok := m[k].(string)
		if !ok {
			return nil, k, false
		}
		out[k] = s
	}
	return out, "", true
}

func stringList(v any) ([]string, bool) {
	l, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(l))
	for _, e := range l {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// deepCopy copies a decoded value so rewriting it never touches the document.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}
