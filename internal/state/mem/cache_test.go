package mem

import (
	"strconv"
	"sync"
	"testing"
	"time"
)

func TestCacheTTL(t *testing.T) {
	c := NewCache(1 << 20)
	c.Set("k", []byte("v"), 10*time.Second, t0)
	for _, tc := range []struct {
		at   time.Duration
		want bool
	}{{0, true}, {9*time.Second + 999*time.Millisecond, true}, {10 * time.Second, false}, {11 * time.Second, false}} {
		_, ok := c.Get("k", t0.Add(tc.at))
		if ok != tc.want {
			t.Fatalf("Get at +%v: held %v, want %v", tc.at, ok, tc.want)
		}
	}
	if n, b := c.Len(); n != 0 || b != 0 {
		t.Fatalf("an expired entry read is dropped: %d entries, %d bytes", n, b)
	}
}

func TestCacheLRUWithinBound(t *testing.T) {
	value := make([]byte, 100)
	per := int64(len("k0")+len(value)) + entryOverhead
	c := NewCache(3 * per)
	for i := 0; i < 3; i++ {
		c.Set("k"+strconv.Itoa(i), value, time.Minute, t0)
	}
	c.Get("k0", t0) // k0 becomes the most recently used; k1 is now the least
	c.Set("k3", value, time.Minute, t0)
	for key, want := range map[string]bool{"k0": true, "k1": false, "k2": true, "k3": true} {
		if _, ok := c.Get(key, t0); ok != want {
			t.Errorf("%s held %v, want %v", key, ok, want)
		}
	}
	if n, b := c.Len(); n != 3 || b > 3*per {
		t.Fatalf("%d entries in %d bytes, want 3 within %d", n, b, 3*per)
	}
}

func TestCacheReplaceDeleteFlushOversize(t *testing.T) {
	c := NewCache(1000)
	c.Set("k", []byte("one"), time.Minute, t0)
	c.Set("k", []byte("two"), time.Minute, t0)
	if v, _ := c.Get("k", t0); string(v) != "two" {
		t.Fatalf("replaced value %q", v)
	}
	if n, b := c.Len(); n != 1 || b != int64(len("k")+3)+entryOverhead {
		t.Fatalf("after a replacement: %d entries, %d bytes", n, b)
	}
	c.Set("big", make([]byte, 1000), time.Minute, t0)
	if _, ok := c.Get("big", t0); ok {
		t.Fatal("a value over the bound was held")
	}
	if _, ok := c.Get("k", t0); !ok {
		t.Fatal("an oversized value evicted what fits")
	}
	c.Set("k", []byte("x"), 0, t0)
	if _, ok := c.Get("k", t0); ok {
		t.Fatal("a zero TTL holds nothing (and drops what was held)")
	}
	c.Set("a", []byte("1"), time.Minute, t0)
	c.Set("b", []byte("2"), time.Minute, t0)
	c.Delete("a")
	if _, ok := c.Get("a", t0); ok {
		t.Fatal("deleted key still held")
	}
	c.Flush()
	if n, b := c.Len(); n != 0 || b != 0 {
		t.Fatalf("after Flush: %d entries, %d bytes", n, b)
	}
	c.Set("c", []byte("3"), time.Minute, t0)
	if _, ok := c.Get("c", t0); !ok {
		t.Fatal("a flushed cache takes new entries")
	}
}

func TestCacheConcurrent(t *testing.T) {
	c := NewCache(64 * (entryOverhead + 16))
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				k := strconv.Itoa((g*31 + i) % 200)
				if i%3 == 0 {
					c.Set(k, []byte(k), time.Minute, t0)
				} else if v, ok := c.Get(k, t0); ok && string(v) != k {
					t.Errorf("key %s holds %q", k, v)
					return
				}
			}
		}()
	}
	wg.Wait()
	if _, b := c.Len(); b > c.maxBytes {
		t.Fatalf("%d bytes held over the bound %d", b, c.maxBytes)
	}
}

func BenchmarkCacheGet(b *testing.B) {
	c := NewCache(1 << 20)
	c.Set("GET\x00/pets\x00a", make([]byte, 200), time.Hour, t0)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Get("GET\x00/pets\x00a", t0)
		}
	})
}
