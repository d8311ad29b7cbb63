package vtl

// List is a Java ArrayList: a mutable sequence shared by reference, so $l.add(x) is seen by
// every variable holding the list.
type List struct {
	Items []any
	// JSON makes the list print as compact JSON, elements included, the way API Gateway prints
	// an array obtained from $input.path. A list built by a template prints Java-style: [a, b].
	JSON bool
}

// NewList returns a list holding items (not copied).
func NewList(items ...any) *List { return &List{Items: items} }

// Len returns the number of elements.
func (l *List) Len() int { return len(l.Items) }

// Map is a Java LinkedHashMap with string keys: iteration and printing follow insertion order,
// and it prints as {a=1, b=x}. Keys of other kinds are converted to their string form.
type Map struct {
	keys []string
	vals []any
	// idx indexes keys once the map is large enough for a linear scan to cost more.
	idx map[string]int
}

const mapIndexAt = 12

// NewMap returns an empty map with room for n entries.
func NewMap(n int) *Map {
	return &Map{keys: make([]string, 0, n), vals: make([]any, 0, n)}
}

// MapOf returns a map holding keys and vals (of equal length, keys distinct) without copying
// them, so that a decoder can cut both from shared chunks.
func MapOf(keys []string, vals []any) *Map {
	m := &Map{}
	m.Init(keys, vals)
	return m
}

// Init makes m hold keys and vals as MapOf does, for maps allocated in bulk ([]Map). The
// slices' capacity is cut to their length, so a later Put never writes past them into a
// neighbour in a shared chunk.
func (m *Map) Init(keys []string, vals []any) {
	n := min(len(keys), len(vals))
	m.keys, m.vals, m.idx = keys[:n:n], vals[:n:n], nil
	if n > mapIndexAt {
		m.idx = make(map[string]int, n)
		for i, k := range m.keys {
			m.idx[k] = i
		}
	}
}

// Len returns the number of entries.
func (m *Map) Len() int { return len(m.keys) }

// Keys returns the keys in insertion order. The slice must not be modified.
func (m *Map) Keys() []string { return m.keys }

// Values returns the values in insertion order. The slice must not be modified.
func (m *Map) Values() []any { return m.vals }

func (m *Map) find(k string) int {
	if m.idx != nil {
		if i, ok := m.idx[k]; ok {
			return i
		}
		return -1
	}
	for i, kk := range m.keys {
		if kk == k {
			return i
		}
	}
	return -1
}

// Get returns the value for key k and whether k is present.
func (m *Map) Get(k string) (any, bool) {
	if i := m.find(k); i >= 0 {
		return m.vals[i], true
	}
	return nil, false
}

// Put sets k to v, keeping k's position if it is already present, and returns the old value.
func (m *Map) Put(k string, v any) any {
	if i := m.find(k); i >= 0 {
		old := m.vals[i]
		m.vals[i] = v
		return old
	}
	m.keys = append(m.keys, k)
	m.vals = append(m.vals, v)
	if m.idx != nil {
		m.idx[k] = len(m.keys) - 1
	} else if len(m.keys) > mapIndexAt {
		m.idx = make(map[string]int, len(m.keys)*2)
		for i, kk := range m.keys {
			m.idx[kk] = i
		}
	}
	return nil
}

// Remove deletes k and returns its value, or nil.
func (m *Map) Remove(k string) any {
	i := m.find(k)
	if i < 0 {
		return nil
	}
	old := m.vals[i]
	m.keys = append(m.keys[:i], m.keys[i+1:]...)
	m.vals = append(m.vals[:i], m.vals[i+1:]...)
	if m.idx != nil {
		delete(m.idx, k)
		for j := i; j < len(m.keys); j++ {
			m.idx[m.keys[j]] = j
		}
	}
	return old
}

// entry is a Map.Entry from entrySet(): $e.key, $e.value, $e.getKey().
type entry struct {
	key string
	val any
}
