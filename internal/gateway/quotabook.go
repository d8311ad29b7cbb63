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

// quotaBook makes the in-process quota counts durable. Counting goes through memory, exactly
// (mem.Quota); the counts made since the last flush are written to the store's usage documents
// every flush interval and when the gateway closes, and read back when it starts. So a quota is
// exact across a restart: a stopped gateway has written every count it made, and a started one
// begins from them. Writing through the store on every request would cost a disk sync per
// request; a crash (no Close) loses at most one interval of counts.
//
// The management API's UpdateUsage sets a count in the store and raises the document's Rev; the
// book adopts such a count (keeping what it counted since on top) when the change feed reports
// it, or at its next flush, whichever comes first.
type quotaBook struct {
	st  store.Store
	q   *mem.Quota
	now func() time.Time

	mu   sync.Mutex // one flush or adoption at a time
	revs map[string]int64
}

func newQuotaBook(st store.Store, q *mem.Quota) *quotaBook {
	return &quotaBook{st: st, q: q, now: time.Now, revs: map[string]int64{}}
}

// load sets every counter from its usage document.
func (b *quotaBook) load() error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.st.View(func(tx store.Tx) error {
		return tx.List(store.KindUsage, "", func(key string, raw []byte) error {
			var rec model.UsageRecord
			if err := json.Unmarshal(raw, &rec); err != nil {
				return err
			}
			b.q.Set(key, rec.PeriodStart.Unix(), rec.Used)
			b.revs[key] = rec.Rev
			return nil
		})
	})
}

// flush writes the counts made since the last flush. Counts of a plan key that is gone are
// dropped with it.
func (b *quotaBook) flush() error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	ds := b.q.Drain()
	if len(ds) == 0 {
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
		for _, d := range ds {
			rec := written[d.Key]
			if rec == nil {
				var member model.UsagePlanKey
				if err := tx.Get(store.KindUsagePlanKey, d.Key, &member); err != nil {
					if errors.Is(err, store.ErrNotFound) {
						continue
					}
					return err
				}
				rec = &model.UsageRecord{}
				if err := tx.Get(store.KindUsage, d.Key, rec); err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
				written[d.Key] = rec
			}
			switch ps := rec.PeriodStart.Unix(); {
			case rec.PeriodStart.IsZero() || d.Period > ps:
				rec.PeriodStart, rec.Used = model.Epoch{Time: time.Unix(d.Period, 0).UTC()}, d.N
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
		b.q.Set(key, rec.PeriodStart.Unix(), rec.Used)
		b.revs[key] = rec.Rev
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
		b.q.Set(key, rec.PeriodStart.Unix(), rec.Used)
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
			if err := b.flush(); err != nil {
				logErr(err)
			}
		case <-stop:
			if err := b.flush(); err != nil {
				logErr(err)
			}
			return
		}
	}
}
