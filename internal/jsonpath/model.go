package jsonpath

// Model is how decoded JSON is represented, so that Decode and Eval work directly on the values
// of whoever uses them (the template engine's maps and lists) without a conversion pass.
// Scalars are always nil, bool, int64, float64 and string.
//
// The slices passed to NewArray and NewObject belong to the caller and are only valid during the
// call: a Model copies what it keeps.
type Model interface {
	// Elems returns v's elements and true when v is an array.
	Elems(v any) ([]any, bool)
	// Members returns v's keys and values, in document order, and true when v is an object.
	Members(v any) (keys []string, vals []any, ok bool)
	// Member returns the value of key in v; isObject is false when v is not an object.
	Member(v any, key string) (val any, found, isObject bool)
	// NewArray builds an array: a decoded array, or the matches of an indefinite path.
	NewArray(items []any) any
	// NewObject builds an object. A key that repeats keeps its first position and its last value.
	NewObject(keys []string, vals []any) any
}

// Object is the JSON object of the Plain model: members in document order.
type Object struct {
	Keys []string
	Vals []any
}

// Get returns the value of key and whether it is present.
func (o *Object) Get(key string) (any, bool) {
	for i, k := range o.Keys {
		if k == key {
			return o.Vals[i], true
		}
	}
	return nil, false
}

// Plain is the Model that stands alone: arrays are []any and objects *Object.
var Plain Model = plain{}

type plain struct{}

func (plain) Elems(v any) ([]any, bool) {
	a, ok := v.([]any)
	return a, ok
}

func (plain) Members(v any) ([]string, []any, bool) {
	if o, ok := v.(*Object); ok {
		return o.Keys, o.Vals, true
	}
	return nil, nil, false
}

func (plain) Member(v any, key string) (any, bool, bool) {
	o, ok := v.(*Object)
	if !ok {
		return nil, false, false
	}
	val, found := o.Get(key)
	return val, found, true
}

func (plain) NewArray(items []any) any {
	return append(make([]any, 0, len(items)), items...)
}

func (plain) NewObject(keys []string, vals []any) any {
	o := &Object{Keys: make([]string, 0, len(keys)), Vals: make([]any, 0, len(vals))}
	for i, k := range keys {
		if j := index(o.Keys, k); j >= 0 {
			o.Vals[j] = vals[i]
			continue
		}
		o.Keys = append(o.Keys, k)
		o.Vals = append(o.Vals, vals[i])
	}
	return o
}

func index(keys []string, k string) int {
	for i, kk := range keys {
		if kk == k {
			return i
		}
	}
	return -1
}
