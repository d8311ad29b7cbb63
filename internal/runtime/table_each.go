package runtime

// Each calls fn for every API served at the moment of the call, in no particular order.
func (t *Table) Each(fn func(*API)) {
	for _, api := range *t.m.Load() {
		fn(api)
	}
}
