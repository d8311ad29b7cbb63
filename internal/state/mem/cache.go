package mem

import (
	"sync"
	"time"

	"github.com/portico/portico/internal/state"
)

// entryOverhead is what an entry costs beyond its key and value (the map slot, the list links,
// the expiry), counted against the bound so that many tiny entries cannot exceed it.
const entryOverhead = 96

// Cache is an in-process state.Cache: a map and a least-recently-used list behind one mutex,
// holding at most maxBytes of keys, values and per-entry overhead. An expired entry is dropped
// when it is next read or when eviction reaches it.
type Cache struct {
	mu       sync.Mutex
	entries  map[string]*cacheEntry
	head     cacheEntry // sentinel: head.next is the most recently used, head.prev the least
	used     int64
	maxBytes int64
}

type cacheEntry struct {
	key        string
	value      []byte
	expires    int64 // Unix nanoseconds
	prev, next *cacheEntry
}

var _ state.Cache = (*Cache)(nil)

// NewCache returns an empty Cache bounded by maxBytes.
func NewCache(maxBytes int64) *Cache {
	c := &Cache{entries: map[string]*cacheEntry{}, maxBytes: maxBytes}
	c.head.prev, c.head.next = &c.head, &c.head
	return c
}

func (e *cacheEntry) size() int64 { return int64(len(e.key)+len(e.value)) + entryOverhead }

// Get implements state.Cache.
func (c *Cache) Get(key string, now time.Time) ([]byte, bool) {
	c.mu.Lock()
	e := c.entries[key]
	if e == nil {
		c.mu.Unlock()
		return nil, false
	}
	if now.UnixNano() >= e.expires {
		c.remove(e)
		c.mu.Unlock()
		return nil, false
	}
	if c.head.next != e {
		c.unlink(e)
		c.pushFront(e)
	}
	v := e.value
	c.mu.Unlock()
	return v, true
}

// Set implements state.Cache.
func (c *Cache) Set(key string, value []byte, ttl time.Duration, now time.Time) {
	e := &cacheEntry{key: key, value: value, expires: now.Add(ttl).UnixNano()}
	if ttl <= 0 || e.size() > c.maxBytes {
		c.Delete(key)
		return
	}
	c.mu.Lock()
	if old := c.entries[key]; old != nil {
		c.remove(old)
	}
	c.entries[key] = e
	c.pushFront(e)
	c.used += e.size()
	for c.used > c.maxBytes {
		c.remove(c.head.prev)
	}
	c.mu.Unlock()
}

// Delete implements state.Cache.
func (c *Cache) Delete(key string) {
	c.mu.Lock()
	if e := c.entries[key]; e != nil {
		c.remove(e)
	}
	c.mu.Unlock()
}

// Flush implements state.Cache.
func (c *Cache) Flush() {
	c.mu.Lock()
	clear(c.entries)
	c.head.prev, c.head.next = &c.head, &c.head
	c.used = 0
	c.mu.Unlock()
}

// Len returns the number of entries held and the bytes they count for (for tests and metrics).
func (c *Cache) Len() (entries int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries), c.used
}

// remove drops e; the cache is locked.
func (c *Cache) remove(e *cacheEntry) {
	c.unlink(e)
	delete(c.entries, e.key)
	c.used -= e.size()
}

func (c *Cache) unlink(e *cacheEntry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (c *Cache) pushFront(e *cacheEntry) {
	e.prev, e.next = &c.head, c.head.next
	c.head.next.prev = e
	c.head.next = e
}
