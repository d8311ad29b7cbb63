package runtime

import "time"

// Cache is how a stage caches one method's answers, compiled from the stage's methodSettings
// (the method's own block, else `*/*` for GET) and the integration's cacheNamespace and
// cacheKeyParameters. A method has one only when the stage's cache cluster is on and caching is
// enabled for it with a TTL above zero.
type Cache struct {
	// Err, when set, says why the method's answers cannot be cached (a cache key parameter
	// that does not compile): the method is then served without the cache.
	Err string
	// Prefix starts every key of the method: its cacheNamespace (the resource id unless
	// shared), so methods that share a namespace share entries.
	Prefix string
	// GETOnly is set for an ANY method cached by the stage's `*/*` setting, which caches GET
	// requests only.
	GETOnly bool
	TTL     time.Duration
	// Keys are the sources of the cacheKeyParameters, in order.
	Keys []Source
	// RequireAuthorization is requireAuthorizationForCacheControl; Unauthorized says what a
	// request that may not invalidate its entry gets.
	RequireAuthorization bool
	Unauthorized         CacheControlStrategy
}

// CacheControlStrategy is a method's unauthorizedCacheControlHeaderStrategy.
type CacheControlStrategy uint8

const (
	// SucceedWithResponseHeader (AWS's default) ignores the Cache-Control header and says so
	// in a Warning header.
	SucceedWithResponseHeader CacheControlStrategy = iota
	SucceedWithoutResponseHeader
	FailWith403
)
