package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/runtime"
	"github.com/portico/portico/internal/state"
	"github.com/portico/portico/internal/state/mem"
	"github.com/portico/portico/internal/store"
)

// Traffic control: API keys, usage plans, throttling and quotas (rest-api-model.md §9).
//
// API keys and usage plans are account-level objects that change without a redeploy, so they are
// not part of a compiled stage: the gateway keeps a keyIndex of its own, rebuilt from the store
// whenever a key, a plan or a plan's key changes and swapped in with one atomic store. A request
// reads the index it loaded; it never reads the store.

var (
	errThrottled     = &gatewayError{typ: runtime.Throttled, message: "Too Many Requests"}
	errQuotaExceeded = &gatewayError{typ: runtime.QuotaExceeded, message: "Limit Exceeded"}
)

// accountBucket names the account-level bucket in the limiter.
const accountBucket = "account"

// keyIndex is the compiled view of every enabled API key that is in a usage plan.
type keyIndex struct {
	byValue map[string]*keyEntry
	// counters holds the quota counter key of every (plan, key) pair, for forgetting the rest.
	counters map[string]bool
}

type keyEntry struct {
	id, value string
	stages    map[apiStageRef]*binding
}

type apiStageRef struct{ api, stage string }

// methodRef names a method as usage plans key their throttles: "/pets" and "GET".
type methodRef struct{ path, verb string }

// binding is one key's usage plan on one API stage: the buckets and counter its requests use.
type binding struct {
	planID       string
	methods      map[methodRef]bucketRef // the plan's per-method throttles, this key's buckets
	throttle     *bucketRef              // the plan's throttle, this key's bucket
	quota        *planQuota              // shared by the plan's keys; never nil (a plan without a quota still counts usage)
	quotaCounter string                  // "{planId}/{keyId}", also the usage document's key
	// left is set by a request that learned from the quota counter that the key has left the
	// plan, before the change feed has rebuilt the index: from then on the key is refused here.
	left atomic.Bool
}

type bucketRef struct {
	key   string
	limit state.Limit
}

// planQuota turns a request time into the plan's quota period and limit. The answer for the
// current period is cached, so a request computes calendar dates only when a period turns.
type planQuota struct {
	rec     *model.UsagePlanRecord // nil: no quota, usage is counted per day without a limit
	current atomic.Pointer[quotaPeriod]
}

type quotaPeriod struct {
	start, end int64 // Unix seconds
	limit      int64
}

func (pq *planQuota) period(now time.Time) (start, limit int64) {
	sec := now.Unix()
	if p := pq.current.Load(); p != nil && sec >= p.start && sec < p.end {
		return p.start, p.limit
	}
	q := &model.QuotaSettings{Period: "DAY"}
	if pq.rec != nil {
		q = pq.rec.Plan.Quota
	}
	s := q.PeriodStart(now)
	var e time.Time
	switch q.Period {
	case "WEEK":
		e = s.AddDate(0, 0, 7)
	case "MONTH":
		e = s.AddDate(0, 1, 0)
	default:
		e = s.AddDate(0, 0, 1)
	}
	p := &quotaPeriod{start: s.Unix(), end: e.Unix(), limit: math.MaxInt64}
	if pq.rec != nil {
		p.limit = pq.rec.QuotaLimit(s)
	}
	pq.current.Store(p)
	return p.start, p.limit
}

// planLimit converts a usage plan throttle. Both limits 0 means not set (what the CLI and the
// console leave); a rate without a burst gets a bucket of one token, a steady rate with no burst.
func planLimit(t *model.ThrottleSettings) (state.Limit, bool) {
	if t == nil || (t.RateLimit == 0 && t.BurstLimit == 0) {
		return state.Limit{}, false
	}
	l := state.Limit{Rate: t.RateLimit, Burst: t.BurstLimit}
	if l.Burst < 1 && l.Rate > 0 {
		l.Burst = 1
	}
	return l, true
}

// loadKeyIndex builds the index from the store.
func loadKeyIndex(tx store.Tx) (*keyIndex, error) {
	keys := map[string]*model.ApiKey{}
	err := tx.List(store.KindApiKey, "", func(id string, raw []byte) error {
		var k model.ApiKey
		if err := json.Unmarshal(raw, &k); err != nil {
			return fmt.Errorf("api key %s: %w", id, err)
		}
		keys[id] = &k
		return nil
	})
	if err != nil {
		return nil, err
	}
	plans := map[string]*model.UsagePlanRecord{}
	quotas := map[string]*planQuota{}
	err = tx.List(store.KindUsagePlan, "", func(id string, raw []byte) error {
		var r model.UsagePlanRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			return fmt.Errorf("usage plan %s: %w", id, err)
		}
		plans[id] = &r
		pq := &planQuota{}
		if r.Plan.Quota != nil {
			pq.rec = &r
		}
		quotas[id] = pq
		return nil
	})
	if err != nil {
		return nil, err
	}
	idx := &keyIndex{byValue: map[string]*keyEntry{}, counters: map[string]bool{}}
	err = tx.List(store.KindUsagePlanKey, "", func(key string, _ []byte) error {
		planID, keyID, _ := strings.Cut(key, "/")
		k, plan := keys[keyID], plans[planID]
		if k == nil || plan == nil {
			return nil
		}
		idx.counters[key] = true
		if !k.Enabled {
			return nil
		}
		e := idx.byValue[k.Value]
		if e == nil {
			e = &keyEntry{id: k.Id, value: k.Value, stages: map[apiStageRef]*binding{}}
			idx.byValue[k.Value] = e
		}
		for _, as := range plan.Plan.ApiStages {
			b := &binding{planID: planID, quota: quotas[planID], quotaCounter: key}
			if l, ok := planLimit(plan.Plan.Throttle); ok {
				b.throttle = &bucketRef{key: "plan/" + key, limit: l}
			}
			for m, t := range as.Throttle {
				l, ok := planLimit(t)
				i := strings.LastIndexByte(m, '/')
				if !ok || i < 1 {
					continue
				}
				if b.methods == nil {
					b.methods = map[methodRef]bucketRef{}
				}
				b.methods[methodRef{m[:i], m[i+1:]}] = bucketRef{
					key:   "method/" + key + "/" + as.ApiId + "/" + as.Stage + m,
					limit: l,
				}
			}
			e.stages[apiStageRef{as.ApiId, as.Stage}] = b
		}
		return nil
	})
	return idx, err
}

// reloadKeys rebuilds the key index and forgets the quota counters of pairs that are gone.
func (g *Gateway) reloadKeys() error {
	var idx *keyIndex
	err := g.st.View(func(tx store.Tx) error {
		var err error
		idx, err = loadKeyIndex(tx)
		return err
	})
	if err != nil {
		return fmt.Errorf("gateway: load api keys and usage plans: %w", err)
	}
	g.traffic.keys.Store(idx)
	g.traffic.book.forget(idx.counters)
	return nil
}

// traffic holds the state of traffic control.
type traffic struct {
	keys    atomic.Pointer[keyIndex]
	limiter state.Limiter
	quota   state.QuotaCounter
	account state.Limit
	// book persists in-process quota counts (nil when Options.Quota keeps its own).
	book      *quotaBook
	stopFlush chan struct{}
	flushDone chan struct{}
}

// startTraffic sets up traffic control from the options: the limiter, the quota counter (read
// back from the store when in-process) and the key index.
func (g *Gateway) startTraffic() error {
	t := &g.traffic
	t.account = g.opts.AccountLimit
	t.limiter = g.opts.Limiter
	if t.limiter == nil {
		t.limiter = mem.NewLimiter()
	}
	t.quota = g.opts.Quota
	if t.quota == nil {
		t.book = newQuotaBook(g.st)
		t.quota = t.book.q
	}
	if err := t.book.load(); err != nil {
		return fmt.Errorf("gateway: load usage counts: %w", err)
	}
	if err := g.reloadKeys(); err != nil {
		return err
	}
	if t.book != nil {
		interval := g.opts.QuotaFlushInterval
		if interval <= 0 {
			interval = time.Second
		}
		t.stopFlush, t.flushDone = make(chan struct{}), make(chan struct{})
		go t.book.run(interval, t.stopFlush, t.flushDone, func(err error) {
			g.log.Error("writing usage counts failed; retrying", "error", err)
		})
	}
	return nil
}

// stopTraffic writes the last quota counts.
func (g *Gateway) stopTraffic() {
	if t := &g.traffic; t.stopFlush != nil {
		close(t.stopFlush)
		<-t.flushDone
	}
}

// checkTraffic is the API key and throttling phase, in AWS's order: the API key (a method that
// requires one), then the key's usage plan throttles (per method, then the plan's), the stage's
// throttle of the method, the account's, and last the key's quota, so a throttled request does
// not use up quota.
func (g *Gateway) checkTraffic(rc *request) *gatewayError {
	t := &g.traffic
	m := rc.method
	now := rc.start
	var k *keyEntry
	var b *binding
	if m.APIKeyRequired {
		var value string
		if rc.api.APIKeySource == "AUTHORIZER" {
			// The key is the Lambda authorizer's usageIdentifierKey.
			if rc.auth == nil || rc.auth.usageKey == "" {
				return errInvalidAPIKey
			}
			value = rc.auth.usageKey
		} else {
			v := rc.r.Header["X-Api-Key"]
			if len(v) == 0 {
				return errInvalidAPIKey
			}
			value = v[0]
		}
		if k = t.keys.Load().byValue[value]; k == nil {
			return errInvalidAPIKey
		}
		if b = k.stages[apiStageRef{rc.api.ID, rc.api.Stage}]; b == nil || b.left.Load() {
			return errInvalidAPIKey
		}
		rc.apiKey, rc.apiKeyID = k.value, k.id
		if b.methods != nil {
			// An ANY method is throttled by the entry of the request's verb, else by its own.
			mt, ok := b.methods[methodRef{m.Resource.Path, rc.r.Method}]
			if !ok && m.Verb == runtime.VerbANY {
				mt, ok = b.methods[methodRef{m.Resource.Path, "ANY"}]
			}
			if ok && !t.limiter.Allow(mt.key, mt.limit, now) {
				return errThrottled
			}
		}
		if pt := b.throttle; pt != nil && !t.limiter.Allow(pt.key, pt.limit, now) {
			return errThrottled
		}
	}
	if st := m.Throttle; st != nil && !t.limiter.Allow(st.Key, state.Limit{Rate: st.Rate, Burst: st.Burst}, now) {
		return errThrottled
	}
	if t.account != (state.Limit{}) && !t.limiter.Allow(accountBucket, t.account, now) {
		return errThrottled
	}
	if b != nil {
		start, limit := b.quota.period(now)
		ok, err := t.quota.Take(b.quotaCounter, start, limit)
		switch {
		case errors.Is(err, errNotInPlan):
			// The key left the plan after this request passed the key check. The requests that
			// follow are refused too, on every API stage of the plan, even before the index is
			// rebuilt: another request's reservation may still give the counter room.
			for _, sb := range k.stages {
				if sb.planID == b.planID {
					sb.left.Store(true)
				}
			}
			return errInvalidAPIKey
		case err != nil:
			g.log.Error("counting a request against its quota failed; refusing it", "api", rc.api.ID,
				"stage", rc.api.Stage, "apiKeyId", rc.apiKeyID, "requestId", rc.requestID, "error", err)
			return errInternal
		case !ok:
			return errQuotaExceeded
		}
	}
	return nil
}
