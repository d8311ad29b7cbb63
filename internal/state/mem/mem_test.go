package mem

import (
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/state"
)

var t0 = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)

func TestLimiterTokenBucket(t *testing.T) {
	cases := []struct {
		name  string
		lim   state.Limit
		calls []time.Duration // offsets from t0
		want  string          // one character per call: + allowed, - refused
	}{
		{"burst then refuse", state.Limit{Rate: 1, Burst: 3}, []time.Duration{0, 0, 0, 0}, "+++-"},
		{"refill at rate", state.Limit{Rate: 2, Burst: 1}, []time.Duration{0, 0, 499 * time.Millisecond, 500 * time.Millisecond, 600 * time.Millisecond, time.Second}, "+--+-+"},
		{"never above burst", state.Limit{Rate: 100, Burst: 2}, []time.Duration{0, time.Hour, time.Hour, time.Hour}, "+++-"},
		{"zero burst refuses all", state.Limit{Rate: 100, Burst: 0}, []time.Duration{0, time.Second}, "--"},
		{"zero rate never refills", state.Limit{Rate: 0, Burst: 1}, []time.Duration{0, time.Hour}, "+-"},
		{"clock going back takes nothing", state.Limit{Rate: 1, Burst: 1}, []time.Duration{time.Second, 0, 2 * time.Second}, "+-+"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := NewLimiter()
			got := ""
			for _, off := range c.calls {
				if l.Allow("k", c.lim, t0.Add(off)) {
					got += "+"
				} else {
					got += "-"
				}
			}
			if got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
		})
	}
}

func TestLimiterKeysAreIndependentAndLimitChangesApply(t *testing.T) {
	l := NewLimiter()
	lim := state.Limit{Rate: 1, Burst: 1}
	if !l.Allow("a", lim, t0) || !l.Allow("b", lim, t0) || l.Allow("a", lim, t0) {
		t.Fatal("keys share a bucket")
	}
	// A lowered burst clamps the tokens a bucket holds.
	l2 := NewLimiter()
	l2.Allow("k", state.Limit{Rate: 1, Burst: 10}, t0)
	if !l2.Allow("k", state.Limit{Rate: 1, Burst: 1}, t0) || l2.Allow("k", state.Limit{Rate: 1, Burst: 1}, t0) {
		t.Fatal("a lowered burst did not apply")
	}
}

func TestLimiterSweepsIdleBuckets(t *testing.T) {
	l := NewLimiter()
	lim := state.Limit{Rate: 10, Burst: 5}
	for i := range 10000 {
		l.Allow("key-"+strconv.Itoa(i), lim, t0)
	}
	if n := l.Len(); n != 10000 {
		t.Fatalf("holds %d buckets, want 10000", n)
	}
	// An hour later every bucket has refilled; calls on one hot key sweep the shards lazily.
	later := t0.Add(time.Hour)
	for i := range 20000 {
		l.Allow("key-"+strconv.Itoa(i%64+20000), lim, later.Add(time.Duration(i)*time.Millisecond))
	}
	if n := l.Len(); n > 200 {
		t.Fatalf("holds %d buckets after the idle ones refilled, want them swept", n)
	}
	// A bucket that is not full is kept.
	l2 := NewLimiter()
	l2.Allow("busy", state.Limit{Rate: 0.001, Burst: 1}, t0)
	for i := range 5000 {
		l2.Allow("other"+strconv.Itoa(i), lim, t0.Add(2*time.Second+time.Duration(i)*time.Millisecond))
	}
	if l2.Allow("busy", state.Limit{Rate: 0.001, Burst: 1}, t0.Add(10*time.Second)) {
		t.Fatal("a bucket that had not refilled was swept and came back full")
	}
}

func TestLimiterConcurrentExact(t *testing.T) {
	l := NewLimiter()
	var ok atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				if l.Allow("shared", state.Limit{Rate: 0, Burst: 777}, t0) {
					ok.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 777 {
		t.Fatalf("allowed %d, want exactly the burst 777", ok.Load())
	}
}

func TestQuotaExactUnderConcurrency(t *testing.T) {
	q := NewQuota(nil)
	var ok atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 500 {
				if took, _ := q.Take("plan/key", 100, 1234); took {
					ok.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1234 || q.Used("plan/key", 100) != 1234 {
		t.Fatalf("allowed %d (used %d), want 1234", ok.Load(), q.Used("plan/key", 100))
	}
}

func TestQuotaPeriodsDrainRestoreSet(t *testing.T) {
	q := NewQuota(nil)
	for range 3 {
		q.Take("k", 100, 5)
	}
	ds := q.Drain()
	if len(ds) != 1 || ds[0] != (Delta{"k", 100, 3}) {
		t.Fatalf("drain %v", ds)
	}
	if len(q.Drain()) != 0 {
		t.Fatal("a second drain returned counts again")
	}
	q.Take("k", 100, 5)
	ds = q.Drain()
	q.Restore(ds) // the write failed: the count is pending again
	if got := q.Drain(); len(got) != 1 || got[0].N != 1 {
		t.Fatalf("after restore, drain %v", got)
	}
	if q.Used("k", 100) != 4 {
		t.Fatalf("used %d, want 4", q.Used("k", 100))
	}
	// Set adopts a count from elsewhere, keeping what was counted since the last drain.
	q.Take("k", 100, 5)
	q.Set("k", 100, 1, 0)
	if q.Used("k", 100) != 2 {
		t.Fatalf("used %d after set, want 2", q.Used("k", 100))
	}
	// A new period starts from zero; the old period's undrained counts are still drained.
	if ok, _ := q.Take("k", 200, 1); !ok {
		t.Fatal("new period did not start from zero")
	}
	if ok, _ := q.Take("k", 200, 1); ok {
		t.Fatal("counted over the limit")
	}
	got := q.Drain()
	if len(got) != 2 {
		t.Fatalf("drain across a period turn: %v", got)
	}
	// Forget drops the key.
	q.Forget(func(string) bool { return false })
	if q.Used("k", 200) != 0 {
		t.Fatal("forget kept the counter")
	}
}

func BenchmarkLimiterAllow(b *testing.B) {
	l := NewLimiter()
	lim := state.Limit{Rate: 1e9, Burst: 1e9}
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = "plan/abcdef/key" + strconv.Itoa(i)
	}
	now := time.Now()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			l.Allow(keys[i&1023], lim, now)
			i++
		}
	})
}

func BenchmarkLimiterAllowOneKey(b *testing.B) {
	l := NewLimiter()
	lim := state.Limit{Rate: 1e9, Burst: 1e9}
	now := time.Now()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Allow("account", lim, now)
		}
	})
}

func BenchmarkQuotaTake(b *testing.B) {
	q := NewQuota(nil)
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = "abcdef/key" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			q.Take(keys[i&1023], 100, 1<<62)
			i++
		}
	})
}

// TestQuotaReserves checks that with a Reserver nothing is counted beyond the room it recorded,
// that a busy key asks for room seldom, and that a failing Reserver refuses.
func TestQuotaReserves(t *testing.T) {
	var mu sync.Mutex
	var reserved int64
	calls := 0
	fail := false
	q := NewQuota(func(key string, period, used, want int64) (int64, int64, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if fail {
			return 0, 0, errors.New("disk full")
		}
		if used+want <= used {
			t.Errorf("asked for no room: used %d want %d", used, want)
		}
		reserved = max(reserved, used+want)
		return reserved, 0, nil
	})
	var ok atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 2000 {
				if took, err := q.Take("k", 100, 10000); took && err == nil {
					ok.Add(1)
				}
				used := q.Used("k", 100)
				mu.Lock()
				r := reserved
				mu.Unlock()
				if used > r {
					t.Errorf("counted %d with %d reserved", used, r)
					return
				}
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 10000 {
		t.Fatalf("allowed %d, want the limit 10000", ok.Load())
	}
	if calls > 10000/minReservation {
		t.Errorf("%d reservations for 10000 requests", calls)
	}
	if reserved > 10000 {
		t.Errorf("reserved %d, beyond the limit", reserved)
	}
	mu.Lock()
	fail = true
	mu.Unlock()
	if ok, err := q.Take("other", 100, 10); ok || err == nil {
		t.Fatalf("counted without room: %v %v", ok, err)
	}

	// A counter behind the persisted count adopts it.
	q2 := NewQuota(func(key string, period, used, want int64) (int64, int64, error) { return used + want, 9, nil })
	first, _ := q2.Take("k", 100, 10)
	second, _ := q2.Take("k", 100, 10)
	if !first || second {
		t.Fatalf("a counter behind a persisted count of 9 of 10 did not adopt it: used %d", q2.Used("k", 100))
	}
}
