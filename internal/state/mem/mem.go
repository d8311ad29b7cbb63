// Package mem holds the in-process implementations of the state interfaces: a sharded token
// bucket Limiter, a sharded exact QuotaCounter and a byte-bounded LRU response Cache (cache.go). Each shard is a small map behind its own
// mutex, so concurrent requests for different keys rarely meet; nothing allocates once a key's
// bucket or counter exists.
//
// Memory stays bounded: a bucket that has refilled completely is the same as no bucket, so idle
// buckets are dropped by a sweep that a shard runs on itself, lazily, once it has served as many
// calls as it holds buckets (and at most once a second); each such sweep also sweeps one
// other shard, in turn, so that shards no call reaches any more are swept too. Quota counters are one per key the
// caller counts (a usage plan and an API key); the caller drops the keys it no longer uses with
// Forget. The counter keeps what it counted since the last Drain apart from what was persisted,
// so a caller can persist counts in batches and adopt a count set elsewhere (Set) without losing
// requests counted in between. Given a Reserver, a counter counts only within room the Reserver
// recorded beforehand (asking for about two seconds of the key's traffic at a time), so a caller
// that persists reservations never under-counts, even when it stops without persisting counts.
//
// mem imports only the standard library and state.
package mem

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/portico/portico/internal/state"
)

const shardCount = 64

// shardOf picks a shard by the FNV-1a hash of key.
func shardOf(key string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(key); i++ {
		h ^= uint32(key[i])
		h *= 16777619
	}
	return h % shardCount
}

// Limiter is an in-process state.Limiter.
type Limiter struct {
	shards [shardCount]limiterShard
	cursor atomic.Uint32 // the shard the next passed-on sweep visits
}

type limiterShard struct {
	mu        sync.Mutex
	buckets   map[string]*bucket
	calls     int
	lastSweep int64
	_         [24]byte // keeps neighbouring shards' locks off one cache line
}

type bucket struct {
	tokens float64
	last   int64 // Unix nanoseconds of the last refill
	fullAt int64 // when the bucket will be full again (never, for a zero rate: max int64)
}

var _ state.Limiter = (*Limiter)(nil)

// NewLimiter returns an empty Limiter.
func NewLimiter() *Limiter {
	l := &Limiter{}
	for i := range l.shards {
		l.shards[i].buckets = map[string]*bucket{}
	}
	return l
}

// Allow implements state.Limiter.
func (l *Limiter) Allow(key string, lim state.Limit, now time.Time) bool {
	burst := float64(lim.Burst)
	if burst < 1 {
		return false
	}
	t := now.UnixNano()
	sh := &l.shards[shardOf(key)]
	sh.mu.Lock()
	b := sh.buckets[key]
	if b == nil {
		b = &bucket{tokens: burst, last: t}
		sh.buckets[key] = b
	}
	if dt := t - b.last; dt > 0 {
		b.tokens += lim.Rate * float64(dt) / 1e9
		b.last = t
	}
	if b.tokens > burst {
		b.tokens = burst
	}
	ok := b.tokens >= 1
	if ok {
		b.tokens--
	}
	switch {
	case b.tokens >= burst:
		b.fullAt = t
	case lim.Rate > 0:
		b.fullAt = t + int64((burst-b.tokens)/lim.Rate*1e9)
	default:
		b.fullAt = 1<<63 - 1
	}
	sh.calls++
	swept := sh.calls >= len(sh.buckets) && t-sh.lastSweep >= int64(time.Second)
	if swept {
		sh.sweep(t)
	}
	sh.mu.Unlock()
	if swept {
		// Sweep one more shard, in turn, so that shards no call reaches any more are swept too.
		next := &l.shards[l.cursor.Add(1)%shardCount]
		if next.mu.TryLock() {
			if t-next.lastSweep >= int64(time.Second) {
				next.sweep(t)
			}
			next.mu.Unlock()
		}
	}
	return ok
}

// sweep drops the buckets that are full by now: a new bucket would be the same.
func (sh *limiterShard) sweep(now int64) {
	for k, b := range sh.buckets {
		if b.fullAt <= now {
			delete(sh.buckets, k)
		}
	}
	sh.calls = 0
	sh.lastSweep = now
}

// Len returns the number of buckets held (for tests and metrics).
func (l *Limiter) Len() int {
	n := 0
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		n += len(sh.buckets)
		sh.mu.Unlock()
	}
	return n
}

// Quota is an in-process, exact state.QuotaCounter.
type Quota struct {
	shards  [shardCount]quotaShard
	reserve Reserver
}

// Reserver makes counts durable before they are made: it records, where it survives a crash,
// that key may count at least want more requests in period than used, and returns the ceiling
// up to which Take may now count without asking again (at least used+want on success) and the
// count persisted so far, which the counter adopts when it is ahead of what it knew.
type Reserver func(key string, period, used, want int64) (ceiling, persisted int64, err error)

// minReservation is the smallest reservation asked for; a busy key asks for two seconds of its
// recent rate.
const (
	minReservation  = 64
	reservationSpan = 2 * time.Second
)

type quotaShard struct {
	mu       sync.Mutex
	counters map[string]*counter
	_        [48]byte
}

// counter is one key's count: base was persisted (or adopted), pending was counted since the
// last Drain. prevPending holds a finished period's counts not yet drained. With a Reserver,
// ceiling is how far the count may go before more is reserved; reservedAt and taken (since
// then) give the key's recent rate.
type counter struct {
	period, base, pending   int64
	prevPeriod, prevPending int64
	ceiling                 int64
	reservedAt, taken       int64
	want                    int64 // the size of the last reservation asked for
	topping                 bool  // a reservation runs in the background
	waiting                 bool  // a Take waits for a reservation it sized
}

// nextWant sizes the next reservation from the key's rate since the last one: two seconds of
// it, at least minReservation, at most left.
func (c *counter) nextWant(left int64) int64 {
	now := time.Now().UnixNano()
	want := int64(minReservation)
	if elapsed := now - c.reservedAt; c.reservedAt != 0 && elapsed > 0 {
		want = max(want, c.taken*int64(reservationSpan)/elapsed)
	}
	c.reservedAt, c.taken = now, 0
	c.want = min(want, left)
	return c.want
}

var _ state.QuotaCounter = (*Quota)(nil)

// NewQuota returns an empty Quota. With a Reserver, a count is never made before the Reserver
// has recorded room for it, so counts persisted elsewhere survive a crash without ever being
// under-counted; nil counts in memory alone.
func NewQuota(reserve Reserver) *Quota {
	q := &Quota{reserve: reserve}
	for i := range q.shards {
		q.shards[i].counters = map[string]*counter{}
	}
	return q
}

// at returns key's counter rolled to period; the shard is locked by the caller.
func (sh *quotaShard) at(key string, period int64) *counter {
	c := sh.counters[key]
	if c == nil {
		c = &counter{period: period}
		sh.counters[key] = c
	}
	if period > c.period {
		if c.pending > 0 {
			c.prevPeriod, c.prevPending = c.period, c.pending
		}
		c.period, c.base, c.pending, c.ceiling = period, 0, 0, 0
	}
	return c
}

// Take implements state.QuotaCounter. A period older than the key's current one (the clock went
// back) counts in the current one. Once half of the key's reservation is used, Take asks the
// Reserver for more in the background; when it is all used, Take asks and waits, without
// holding the shard; if that fails the request is not counted and Take returns the error.
func (q *Quota) Take(key string, period, limit int64) (bool, error) {
	sh := &q.shards[shardOf(key)]
	sh.mu.Lock()
	c := sh.at(key, period)
	period = c.period
	for {
		used := c.base + c.pending
		if used >= limit {
			sh.mu.Unlock()
			return false, nil
		}
		if q.reserve == nil || used < c.ceiling {
			c.pending++
			c.taken++
			used++
			if q.reserve != nil && !c.topping && used < limit && c.ceiling-used <= c.want/2 {
				c.topping = true
				go q.topUp(key, period, used, c.nextWant(limit-used))
			}
			sh.mu.Unlock()
			return true, nil
		}
		// The first Take to wait sizes the reservation; those that wait with it ask for the same.
		want, sized := min(c.want, limit-used), !c.waiting
		if sized {
			want, c.waiting = c.nextWant(limit-used), true
		}
		sh.mu.Unlock()
		ceiling, persisted, err := q.reserve(key, period, used, max(want, 1))
		sh.mu.Lock()
		c = sh.at(key, period)
		if sized {
			c.waiting = false
		}
		if err != nil {
			sh.mu.Unlock()
			return false, err
		}
		if c.period != period {
			sh.mu.Unlock()
			return false, nil
		}
		c.ceiling = max(c.ceiling, ceiling)
		c.base = max(c.base, persisted)
	}
}

// topUp reserves more room for key in the background.
func (q *Quota) topUp(key string, period, used, want int64) {
	ceiling, persisted, err := q.reserve(key, period, used, want)
	sh := &q.shards[shardOf(key)]
	sh.mu.Lock()
	if c := sh.counters[key]; c != nil {
		c.topping = false
		if err == nil && c.period == period {
			c.ceiling = max(c.ceiling, ceiling)
			c.base = max(c.base, persisted)
		}
	}
	sh.mu.Unlock()
}

// Used implements state.QuotaCounter.
func (q *Quota) Used(key string, period int64) int64 {
	sh := &q.shards[shardOf(key)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	c := sh.counters[key]
	if c == nil || c.period != period {
		return 0
	}
	return c.base + c.pending
}

// Set makes used the persisted count of key in period and ceiling its reservation, keeping what
// was counted since the last Drain on top of it when the period is the same.
func (q *Quota) Set(key string, period, used, ceiling int64) {
	sh := &q.shards[shardOf(key)]
	sh.mu.Lock()
	c := sh.at(key, period)
	if c.period == period {
		c.base, c.ceiling = used, ceiling
	}
	sh.mu.Unlock()
}

// Delta is a count not yet persisted.
type Delta struct {
	Key    string
	Period int64
	N      int64
}

// Drain returns the counts made since the last Drain and counts them as persisted. A caller
// that fails to persist them gives them back with Restore.
func (q *Quota) Drain() []Delta {
	var out []Delta
	for i := range q.shards {
		sh := &q.shards[i]
		sh.mu.Lock()
		for k, c := range sh.counters {
			if c.prevPending > 0 {
				out = append(out, Delta{k, c.prevPeriod, c.prevPending})
				c.prevPending = 0
			}
			if c.pending > 0 {
				out = append(out, Delta{k, c.period, c.pending})
				c.base += c.pending
				c.pending = 0
			}
		}
		sh.mu.Unlock()
	}
	return out
}

// Restore gives back counts that Drain returned and that could not be persisted.
func (q *Quota) Restore(ds []Delta) {
	for _, d := range ds {
		sh := &q.shards[shardOf(d.Key)]
		sh.mu.Lock()
		c := sh.counters[d.Key]
		switch {
		case c == nil:
		case c.period == d.Period:
			c.base -= d.N
			c.pending += d.N
		case c.prevPending == 0 || c.prevPeriod == d.Period:
			c.prevPeriod = d.Period
			c.prevPending += d.N
		}
		sh.mu.Unlock()
	}
}

// Forget drops the counters of the keys keep rejects.
func (q *Quota) Forget(keep func(key string) bool) {
	for i := range q.shards {
		sh := &q.shards[i]
		sh.mu.Lock()
		for k := range sh.counters {
			if !keep(k) {
				delete(sh.counters, k)
			}
		}
		sh.mu.Unlock()
	}
}
