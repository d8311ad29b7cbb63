package runtime

import (
	"sync"
	"sync/atomic"
)

// Key identifies one stage of one API.
type Key struct{ APIID, Stage string }

// Table maps (apiId, stage) to its compiled API. Lookups read one atomic pointer to an immutable
// map and take no lock; writers copy the map, change the copy and swap it in, so a request in
// flight keeps the API it loaded.
type Table struct {
	m  atomic.Pointer[map[Key]*API]
	mu sync.Mutex // serialises writers only
}

// NewTable returns an empty table.
func NewTable() *Table {
	t := &Table{}
	m := map[Key]*API{}
	t.m.Store(&m)
	return t
}

// Lookup returns the API serving (apiID, stage), or nil.
func (t *Table) Lookup(apiID, stage string) *API {
	return (*t.m.Load())[Key{apiID, stage}]
}

// Len returns the number of stages served.
func (t *Table) Len() int { return len(*t.m.Load()) }

// Set serves api for its (ID, Stage), replacing what was there.
func (t *Table) Set(api *API) {
	t.update(func(m map[Key]*API) { m[Key{api.ID, api.Stage}] = api })
}

// Delete stops serving (apiID, stage).
func (t *Table) Delete(apiID, stage string) {
	t.update(func(m map[Key]*API) { delete(m, Key{apiID, stage}) })
}

// DeleteAPI stops serving every stage of apiID.
func (t *Table) DeleteAPI(apiID string) {
	t.update(func(m map[Key]*API) {
		for k := range m {
			if k.APIID == apiID {
				delete(m, k)
			}
		}
	})
}

// ReplaceAPI serves exactly the given stages of apiID, dropping its other stages.
func (t *Table) ReplaceAPI(apiID string, apis []*API) {
	t.update(func(m map[Key]*API) {
		for k := range m {
			if k.APIID == apiID {
				delete(m, k)
			}
		}
		for _, a := range apis {
			m[Key{a.ID, a.Stage}] = a
		}
	})
}

// ReplaceAll serves exactly the given APIs.
func (t *Table) ReplaceAll(apis []*API) {
	m := make(map[Key]*API, len(apis))
	for _, a := range apis {
		m[Key{a.ID, a.Stage}] = a
	}
	t.mu.Lock()
	t.m.Store(&m)
	t.mu.Unlock()
}

func (t *Table) update(fn func(map[Key]*API)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := *t.m.Load()
	m := make(map[Key]*API, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	fn(m)
	t.m.Store(&m)
}
