// Package state defines the small interfaces behind which the data plane keeps state that may be
// shared between Portico nodes: the token buckets that throttle requests, the counters that
// enforce usage-plan quotas and the stages' response caches. The in-process implementations live
// in state/mem; a cluster puts them in a shared store (Redis) behind the same interfaces.
//
// state imports only the standard library; it must never import the store, the model or either
// plane, so that every implementation can be swapped without touching its callers.
package state

import "time"

// Limit is a token bucket: Rate tokens per second refill a bucket that holds at most Burst.
// A request takes one token; a bucket starts full. A Limit with Burst 0 (or below 1) refuses
// everything, as a throttle of 0 does on AWS.
type Limit struct {
	Rate  float64
	Burst int64
}

// Limiter throttles requests with one token bucket per key.
type Limiter interface {
	// Allow takes a token from key's bucket, created full with l on first use, and reports
	// whether there was one. now is the request's time. A bucket follows the Limit it is
	// called with, so a changed setting applies from the next call on.
	Allow(key string, l Limit, now time.Time) bool
}

// QuotaCounter counts the requests of a key within quota periods, exactly: across concurrent
// callers no more than limit calls in one period are ever allowed.
type QuotaCounter interface {
	// Take counts one request for key in the period that starts at period (a Unix time in
	// seconds) if fewer than limit were counted in it, and reports whether it did. A new period
	// starts from zero. An error means the count could not be made (or made durable); the
	// request is then not counted.
	Take(key string, period int64, limit int64) (bool, error)
	// Used returns the requests counted for key in the period.
	Used(key string, period int64) int64
}

// Cache holds one stage's cached responses: opaque values under keys, each kept until its TTL
// passes, within a memory bound (the stage's cacheClusterSize) past which the least recently used
// entries go. A value handed to Set or returned by Get is never modified afterwards, by the cache
// or by its callers, so an in-process cache may hand out what it holds without copying.
type Cache interface {
	// Get returns key's value if it is held and has not expired by now.
	Get(key string, now time.Time) ([]byte, bool)
	// Set holds value under key until now+ttl, replacing what key held. A value larger than
	// the memory bound is not held.
	Set(key string, value []byte, ttl time.Duration, now time.Time)
	// Delete drops key's value.
	Delete(key string)
	// Flush drops every value.
	Flush()
}
