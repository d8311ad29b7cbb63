package gateway

import (
	"sync"
	"time"

	"github.com/portico/portico/internal/runtime"
)

// authCacheShards and authCacheShardSize bound the Lambda authorizer result cache: at most
// 16 × 4096 results are kept. A full shard first drops what has expired, then arbitrary
// entries, so no choice of identity values grows memory without bound.
const (
	authCacheShards    = 16
	authCacheShardSize = 4096
)

// authCache holds Lambda authorizer results per (compiled authorizer, identity source values)
// until their TTL passes. A redeploy compiles new authorizers, so results of the old ones are
// never found again and age out.
type authCache struct {
	shards [authCacheShards]authShard
}

type authShard struct {
	mu sync.Mutex
	m  map[authKey]authEntry
}

type authKey struct {
	a   *runtime.Authorizer
	ids string
}

type authEntry struct {
	res     *authorization
	expires time.Time
}

// shard spreads keys by an FNV-1a hash of their identity values.
func (c *authCache) shard(ids string) *authShard {
	h := uint32(2166136261)
	for i := 0; i < len(ids); i++ {
		h = (h ^ uint32(ids[i])) * 16777619
	}
	return &c.shards[h%authCacheShards]
}

// get returns the unexpired result for a's identity values ids, or nil.
func (c *authCache) get(a *runtime.Authorizer, ids string, now time.Time) *authorization {
	if a.TTL <= 0 {
		return nil
	}
	s := c.shard(ids)
	s.mu.Lock()
	e, ok := s.m[authKey{a, ids}]
	s.mu.Unlock()
	if !ok || !now.Before(e.expires) {
		return nil
	}
	return e.res
}

// put keeps res for a's identity values ids until expires.
func (c *authCache) put(a *runtime.Authorizer, ids string, res *authorization, expires time.Time) {
	s := c.shard(ids)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[authKey]authEntry)
	}
	k := authKey{a, ids}
	if _, ok := s.m[k]; !ok && len(s.m) >= authCacheShardSize {
		// Drop what has expired; if that frees too little, an arbitrary eighth, so the next
		// puts find room without scanning again.
		now := time.Now()
		for k, e := range s.m {
			if !now.Before(e.expires) {
				delete(s.m, k)
			}
		}
		for k := range s.m {
			if len(s.m) < authCacheShardSize-authCacheShardSize/8 {
				break
			}
			delete(s.m, k)
		}
	}
	s.m[k] = authEntry{res, expires}
}

// FlushStageAuthorizersCache forgets the Lambda authorizer results of a stage's authorizers
// (FlushStageAuthorizersCache), so the next request of each caller calls its authorizer again.
func (g *Gateway) FlushStageAuthorizersCache(apiID, stage string) {
	api := g.table.Lookup(apiID, stage)
	if api == nil {
		return
	}
	stale := map[*runtime.Authorizer]bool{}
	for ; api != nil; api = api.Canary {
		api.Routes.Walk(func(_ *runtime.Resource, m *runtime.Method) {
			if m.Authorizer != nil {
				stale[m.Authorizer] = true
			}
		})
	}
	for i := range g.authCache.shards {
		s := &g.authCache.shards[i]
		s.mu.Lock()
		for k := range s.m {
			if stale[k.a] {
				delete(s.m, k)
			}
		}
		s.mu.Unlock()
	}
}
