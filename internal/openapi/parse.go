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
	trimmed := bytes.TrimLeft(body, " \t\r\n\ufeff")
	trimmed = bytes.TrimPrefix(trimmed, []byte("\xef\xbb\xbf"))
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
		var y any
		if err := yaml.Unmarshal(trimmed, &y); err != nil {
			return nil, &InputError{Message: msgInvalidInput}
		}
		var err error
		if v, err = plain(y, 0); err != nil {
			return nil, &InputError{Message: msgInvalidInput}
		}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &InputError{Message: msgInvalidInput}
	}
	return m, nil
}

// maxDepth bounds the nesting of a YAML document, so a hostile document cannot exhaust the stack.
const maxDepth = 512

// plain turns yaml.v3's generic values into the JSON-shaped values encoding/json produces.
func plain(v any, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("document nested deeper than %d levels", maxDepth)
	}
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			p, err := plain(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = p
		}
		return out, nil
	case map[any]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			p, err := plain(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[scalarText(k)] = p
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			p, err := plain(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = p
		}
		return out, nil
	case int:
		return json.Number(strconv.Itoa(t)), nil
	case int64:
		return json.Number(strconv.FormatInt(t, 10)), nil
	case uint64:
		return json.Number(strconv.FormatUint(t, 10)), nil
	case float64:
		if math.IsInf(t, 0) || math.IsNaN(t) {
			return nil, fmt.Errorf("number %v has no JSON form", t)
		}
		return json.Number(strconv.FormatFloat(t, 'g', -1, 64)), nil
	case string, bool, nil:
		return t, nil
	default:
		// Timestamps and binary scalars keep their text.
		return scalarText(t), nil
	}
}

func scalarText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if v == nil {
		return "null"
	}
	return fmt.Sprint(v)
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
