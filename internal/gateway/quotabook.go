package gateway

import (
	"encoding/json"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/state/mem"
	"github.com/portico/portico/internal/store"
)

// quotaBook makes the in-process quota counts durable, so that a quota is exact across a
// restart: no request over the quota is ever served.
//
// Counting goes through memory (mem.Quota), exactly. Before a key counts requests, the book
// reserves room for them in the key's usage document (Reserved; about two seconds of the key's
// recent traffic, at least 64 requests, at most what the quota leaves), written and synced
// before any of them is served; a busy key reserves its next room in the background once half
// of the last is used, so its requests seldom wait for the disk. The counts themselves are written every flush interval, and at
// Close, which also gives back unused room. A started gateway begins from the stored counts;
// after a crash it takes the reserved counts as used, which may refuse up to one reservation of
// requests the quota would have allowed, but never serves one it would not. Writing through the
// store on every request would cost a disk sync per request; this costs one per reservation.
//
// The management API's UpdateUsage sets a count in the store and raises the document's Rev; the
// book adopts such a count (keeping what it counted since on top) when the change feed reports
// it, or at its next flush or reservation, whichever comes first.
type quotaBook struct {
	st  store.Store
	q   *mem.Quota
	now func() time.Time

	mu       sync.Mutex // one flush, reservation or adoption at a time
	revs     map[string]int64
	reserved map[string]bool // keys whose document may hold room not used yet
}

func newQuotaBook(st store.Store) *quotaBook {
	b := &quotaBook{st: st, now: time.Now, revs: map[string]int64{}, reserved: map[string]bool{}}
	b.q = mem.NewQuota(b.reserve)
	return b
}

// load sets every counter from its usage document. Room reserved and not given back (the last
// gateway stopped without Close) is counted as used, in the document too.
func (b *quotaBook) load() error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.st.Update(func(tx store.Tx) error {
		fixed := map[string]*model.UsageRecord{}
		err := tx.List(store.KindUsage, "", func(key string, raw []byte) error {
			var rec model.UsageRecord
			if err := json.Unmarshal(raw, &rec); err != nil {
				return err
			}
			if rec.Reserved > rec.Used {
				rec.Used = rec.Reserved
				fixed[key] = &rec
			}
			rec.Reserved = rec.Used
			b.q.Set(key, rec.PeriodStart.Unix(), rec.Used, rec.Used)
			b.revs[key] = rec.Rev
			return nil
		})
		if err != nil {
			return err
		}
		for key, rec := range fixed {
			if err := tx.Put(store.KindUsage, key, rec); err != nil {
				return err
			}
		}
		return nil
	})
}

// errEnoughRoom ends a reservation's transaction without a write: the document already holds
// the room asked for. errNotInPlan says the key has left the plan.
var (
	errEnoughRoom = errors.New("gateway: enough room reserved")
	errNotInPlan  = errors.New("gateway: the API key is no longer in the usage plan")
)

// reserve is the mem.Reserver: it records that key may count want more than used in period.
func (b *quotaBook) reserve(key string, period, used, want int64) (int64, int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var ceiling, persisted int64
	err := b.st.Update(func(tx store.Tx) error {
		var member model.UsagePlanKey
		if err := tx.Get(store.KindUsagePlanKey, key, &member); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return errNotInPlan
			}
			return err
		}
		rec := &model.UsageRecord{}
		if err := tx.Get(store.KindUsage, key, rec); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		switch ps := rec.PeriodStart.Unix(); {
		case rec.PeriodStart.IsZero() || period > ps:
			rec.PeriodStart, rec.Used, rec.Reserved = model.Epoch{Time: time.Unix(period, 0).UTC()}, 0, 0
		case period < ps:
			return errors.New("gateway: a usage document is ahead of this clock's quota period")
		}
		persisted = rec.Used
		if rec.Reserved >= used+want {
			ceiling = rec.Reserved
			return errEnoughRoom
		}
		rec.Reserved = max(used, rec.Used) + want
		ceiling = rec.Reserved
		return tx.Put(store.KindUsage, key, rec)
	})
	if err != nil && !errors.Is(err, errEnoughRoom) {
		return 0, 0, err
	}
	b.reserved[key] = true
	return ceiling, persisted, nil
}

// flush writes the counts made since the last flush; release (at Close) also gives back the
// room reserved and not used. Counts of a plan key that is gone are dropped with it.
func (b *quotaBook) flush(release bool) error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	ds := b.q.Drain()
	if len(ds) == 0 && !release {
		return nil
	}
	sort.Slice(ds, func(i, j int) bool {
		return ds[i].Key < ds[j].Key || ds[i].Key == ds[j].Key && ds[i].Period < ds[j].Period
	})
	now := b.now()
	today := model.DayKey(now)
	oldest := model.DayKey(now.AddDate(0, 0, -model.UsageDays))
	written := map[string]*model.UsageRecord{}
	err := b.st.Update(func(tx store.Tx) error {
		read := func(key string) (*model.UsageRecord, error) {
			if rec := written[key]; rec != nil {
				return rec, nil
			}
			var member model.UsagePlanKey
			if err := tx.Get(store.KindUsagePlanKey, key, &member); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return nil, nil
				}
				return nil, err
			}
			rec := &model.UsageRecord{}
			if err := tx.Get(store.KindUsage, key, rec); err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, err
			}
			written[key] = rec
			return rec, nil
		}
		for _, d := range ds {
			rec, err := read(d.Key)
			if rec == nil || err != nil {
				if err != nil {
					return err
				}
				continue
			}
			switch ps := rec.PeriodStart.Unix(); {
			case rec.PeriodStart.IsZero() || d.Period > ps:
				rec.PeriodStart, rec.Used, rec.Reserved = model.Epoch{Time: time.Unix(d.Period, 0).UTC()}, d.N, d.N
			case d.Period == ps:
				rec.Used += d.N
			}
			if rec.Days == nil {
				rec.Days = map[string]int64{}
			}
			rec.Days[today] += d.N
			for day := range rec.Days {
				if day < oldest {
					delete(rec.Days, day)
				}
			}
		}
		if release {
			for key := range b.reserved {
				if _, err := read(key); err != nil {
					return err
				}
			}
			for _, rec := range written {
				rec.Reserved = rec.Used
			}
		}
		for key, rec := range written {
			if err := tx.Put(store.KindUsage, key, rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.q.Restore(ds)
		return err
	}
	for key, rec := range written {
		b.q.Set(key, rec.PeriodStart.Unix(), rec.Used, rec.Reserved)
		b.revs[key] = rec.Rev
	}
	if release {
		clear(b.reserved)
	}
	return nil
}

// adopt takes a count the management API set in key's usage document.
func (b *quotaBook) adopt(key string) error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var rec model.UsageRecord
	err := b.st.View(func(tx store.Tx) error { return tx.Get(store.KindUsage, key, &rec) })
	switch {
	case errors.Is(err, store.ErrNotFound):
		delete(b.revs, key)
		return nil
	case err != nil:
		return err
	}
	if rec.Rev != b.revs[key] {
		b.q.Set(key, rec.PeriodStart.Unix(), rec.Used, rec.Reserved)
		b.revs[key] = rec.Rev
	}
	return nil
}

// forget drops the counters of plan keys that are gone.
func (b *quotaBook) forget(keep map[string]bool) {
	if b == nil {
		return
	}
	b.q.Forget(func(k string) bool { return keep[k] })
}

// run flushes every interval until stop is closed, then once more.
func (b *quotaBook) run(interval time.Duration, stop <-chan struct{}, done chan<- struct{}, logErr func(error)) {
	defer close(done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := b.flush(false); err != nil {
				logErr(err)
			}
		case <-stop:
			if err := b.flush(true); err != nil {
				logErr(err)
			}
			return
		}
	}
}
