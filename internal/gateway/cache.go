package gateway

import (
	"encoding/binary"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/portico/portico/internal/auth/iam"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/runtime"
	"github.com/portico/portico/internal/state"
	"github.com/portico/portico/internal/state/mem"
)

// maxCachedResponse is AWS's limit on a cached response (1,048,576 bytes); a larger answer is
// served and not cached.
const maxCachedResponse = 1 << 20

// unauthorizedCacheControl is the Warning a request gets when it asks to bypass the cache
// without being allowed to, under SUCCEED_WITH_RESPONSE_HEADER.
var unauthorizedCacheControl = []string{`199 Cache-control headers were ignored because the caller was unauthorized.`}

// errCacheControlForbidden answers such a request under FAIL_WITH_403.
var errCacheControlForbidden = &gatewayError{typ: runtime.AccessDenied, message: "Unauthorized"}

// cacheOutcome is how a request of a cached method was served, for CacheHitCount and
// CacheMissCount.
type cacheOutcome uint8

const (
	cacheUnused cacheOutcome = iota
	cacheHit
	cacheMiss
)

// stageCache is the response cache of one stage, kept across the stage's reloads while its
// cacheClusterSize stays the same, and the fills under way, so that concurrent misses on one
// key send one request to the backend.
type stageCache struct {
	cache state.Cache
	size  string

	mu      sync.Mutex
	flights map[string]*flight
}

// flight is a fill under way: the request that leads it calls the integration; those that miss
// on the same key meanwhile wait for its answer.
type flight struct {
	done chan struct{}
	// entry is the leader's answer, encoded, when it was complete and small enough to share
	// (nil otherwise); err is the gateway error it ended with.
	entry []byte
	err   *gatewayError
	// waiters counts the misses waiting on the fill (under the stage cache's lock).
	waiters int
}

// stageCaches holds every served stage's cache, by "{apiId}/{stage}".
type stageCaches struct {
	mu     sync.Mutex
	stages map[string]*stageCache
}

// cacheBytes is the memory bound of a cacheClusterSize: the size in GB (GiB) as bytes.
func cacheBytes(size string) int64 {
	gb, err := strconv.ParseFloat(size, 64)
	if err != nil || gb <= 0 {
		gb = 0.5
	}
	return int64(gb * (1 << 30))
}

// attachCache gives a stage whose cache cluster is on its cache in api.ResponseCache: the one it
// had, unless cacheClusterSize changed (AWS then recreates the cache, empty). A canary shares it
// when its canarySettings.useStageCache is on, and runs without a cache otherwise.
func (g *Gateway) attachCache(api *runtime.API, st *model.Stage) {
	if !st.CacheClusterEnabled {
		return
	}
	api.Routes.Walk(func(res *runtime.Resource, m *runtime.Method) {
		if c := m.Cache; c != nil && c.Err != "" {
			g.log.Warn("method will be served without the stage's cache", "api", api.ID, "stage", api.Stage,
				"resource", res.Path, "method", m.Verb.String(), "reason", c.Err)
		}
	})
	k := api.ID + "/" + api.Stage
	g.caches.mu.Lock()
	sc := g.caches.stages[k]
	if sc == nil || sc.size != st.CacheClusterSize {
		sc = &stageCache{cache: g.opts.ResponseCache(cacheBytes(st.CacheClusterSize)), size: st.CacheClusterSize,
			flights: map[string]*flight{}}
		if g.caches.stages == nil {
			g.caches.stages = map[string]*stageCache{}
		}
		g.caches.stages[k] = sc
	}
	g.caches.mu.Unlock()
	api.ResponseCache = sc
	if c := api.Canary; c != nil && c.UseStageCache {
		c.ResponseCache = sc
	}
}

// retainCaches drops the caches of stages no longer served with one (deleted, or their cache
// cluster turned off), so a stage created again starts empty, as on AWS. It runs on the
// goroutine that loads stages, after each batch of changes.
func (g *Gateway) retainCaches() {
	keep := map[*stageCache]bool{}
	g.table.Each(func(api *runtime.API) {
		if sc, _ := api.ResponseCache.(*stageCache); sc != nil {
			keep[sc] = true
		}
	})
	g.caches.mu.Lock()
	for k, sc := range g.caches.stages {
		if !keep[sc] {
			delete(g.caches.stages, k)
		}
	}
	g.caches.mu.Unlock()
}

// FlushStageCache empties a stage's response cache (FlushStageCache); a stage without one has
// nothing to flush.
func (g *Gateway) FlushStageCache(apiID, stage string) {
	g.caches.mu.Lock()
	sc := g.caches.stages[apiID+"/"+stage]
	g.caches.mu.Unlock()
	if sc != nil {
		sc.cache.Flush()
	}
}

// serveCached is the cache phase of a method the stage caches (rest-api-model.md §16, between
// request validation and the integration request): it answers from the cache when it can, and
// otherwise calls the integration and keeps its answer.
func (g *Gateway) serveCached(rc *request) *gatewayError {
	c := rc.method.Cache
	sc, _ := rc.api.ResponseCache.(*stageCache)
	if sc == nil || c.Err != "" || rc.r.Method == http.MethodHead || (c.GETOnly && rc.r.Method != http.MethodGet) {
		return g.integrate(rc)
	}
	invalidate := false
	if asksForFresh(rc.r.Header) {
		switch {
		case !c.RequireAuthorization || g.iamAllows(rc, iam.ActionInvalidateCache):
			invalidate = true
		case c.Unauthorized == runtime.FailWith403:
			return errCacheControlForbidden
		case c.Unauthorized == runtime.SucceedWithResponseHeader:
			rc.w.Header()["Warning"] = unauthorizedCacheControl
		}
	}
	key := rc.cacheKey(c)
	if !invalidate {
		if v, ok := sc.cache.Get(key, g.opts.Now()); ok {
			rc.cache = cacheHit
			replay(rc, v)
			return nil
		}
		// A miss joins the fill under way on its key, if there is one.
		sc.mu.Lock()
		if f := sc.flights[key]; f != nil {
			f.waiters++
			sc.mu.Unlock()
			select {
			case <-f.done:
			case <-rc.r.Context().Done():
				return nil // the client is gone; there is no one to answer
			}
			switch {
			case f.entry != nil:
				rc.cache = cacheHit
				replay(rc, f.entry)
				return nil
			case f.err != nil:
				rc.cache = cacheMiss
				return f.err
			}
			// The leader's answer could not be shared (too large, or its client left).
			rc.cache = cacheMiss
			return g.integrate(rc)
		}
		f := &flight{done: make(chan struct{})}
		sc.flights[key] = f
		sc.mu.Unlock()
		defer func() {
			sc.mu.Lock()
			delete(sc.flights, key)
			sc.mu.Unlock()
			close(f.done)
		}()
		return g.fill(rc, sc, key, c.TTL, f)
	}
	return g.fill(rc, sc, key, c.TTL, nil)
}

// fill calls the integration with its answer captured, keeps a successful (2xx) answer small
// enough for the cache, and hands the answer to the misses waiting on f.
func (g *Gateway) fill(rc *request, sc *stageCache, key string, ttl time.Duration, f *flight) *gatewayError {
	rc.cache = cacheMiss
	cw := &captureWriter{ResponseWriter: rc.w}
	rc.w = cw
	err := g.integrate(rc)
	rc.w = cw.ResponseWriter
	if f != nil {
		f.err = err
	}
	if err != nil || cw.status == 0 || cw.overflow || cw.failed {
		return err
	}
	entry := encodeEntry(cw.status, cw.header, cw.body)
	if f != nil {
		f.entry = entry
	}
	if cw.status >= 200 && cw.status < 300 {
		sc.cache.Set(key, entry, ttl, g.opts.Now())
	}
	return nil
}

// asksForFresh reports whether a request's Cache-Control holds max-age=0.
func asksForFresh(h http.Header) bool {
	for _, v := range h["Cache-Control"] {
		for v != "" {
			var d string
			d, v, _ = strings.Cut(v, ",")
			if strings.EqualFold(strings.TrimSpace(d), "max-age=0") {
				return true
			}
		}
	}
	return false
}

// cacheKey builds the request's key: the method's namespace, the verb, and the value of each
// cache key parameter (appendKeyPart), so that no two requests that differ in them share a key.
func (rc *request) cacheKey(c *runtime.Cache) string {
	bp := bufPool.Get().(*[]byte)
	b := append((*bp)[:0], c.Prefix...)
	b = append(b, 0)
	b = append(b, rc.r.Method...)
	b = append(b, 0)
	for _, src := range c.Keys {
		v, ok := rc.source(src, nil)
		b = appendKeyPart(b, v, ok)
	}
	key := string(b)
	*bp = b
	bufPool.Put(bp)
	return key
}

// appendKeyPart appends one key parameter's value: 0 when it is absent, else its length plus
// one (a varint) and its bytes. Values may hold any byte (a query's %00 decodes to one), so
// lengths, not separators, keep the parts apart.
func appendKeyPart(b []byte, v string, present bool) []byte {
	if !present {
		return append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(v))+1)
	return append(b, v...)
}

// captureWriter keeps a copy of the answer it passes on: its status, headers and body up to
// maxCachedResponse.
type captureWriter struct {
	http.ResponseWriter
	status   int
	header   http.Header
	body     []byte
	overflow bool // the answer is larger than the cache takes
	failed   bool // a write to the client failed, so the answer may be incomplete
}

func (cw *captureWriter) WriteHeader(code int) {
	if cw.status == 0 {
		cw.status = code
		cw.header = cw.ResponseWriter.Header().Clone()
	}
	cw.ResponseWriter.WriteHeader(code)
}

func (cw *captureWriter) Write(b []byte) (int, error) {
	if cw.status == 0 {
		cw.WriteHeader(http.StatusOK)
	}
	if !cw.overflow {
		if len(cw.body)+len(b) > maxCachedResponse {
			cw.overflow, cw.body = true, nil
		} else {
			cw.body = append(cw.body, b...)
		}
	}
	n, err := cw.ResponseWriter.Write(b)
	if err != nil {
		cw.failed = true
	}
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (cw *captureWriter) Unwrap() http.ResponseWriter { return cw.ResponseWriter }

// perRequestHeaders are set for each request and never kept in an entry.
var perRequestHeaders = []string{"X-Amzn-Requestid", "X-Amz-Apigw-Id", "Warning", "Content-Length"}

// encodeEntry lays an answer out as one byte slice, the form any state.Cache holds: status
// (2 bytes), the length of the header block (4) and the number of header values in it (2); the
// header block, per header its name and its values, each string as a 4-byte length and its
// bytes, a name followed by its count of values (2); then the body. Content-Length is the
// body's, written into the block once here.
func encodeEntry(status int, h http.Header, body []byte) []byte {
	n := 8 + 32
	for k, vv := range h {
		n += 6 + len(k)
		for _, v := range vv {
			n += 4 + len(v)
		}
	}
	b := make([]byte, 8, n+len(body))
	binary.BigEndian.PutUint16(b, uint16(status))
	values := 1
	appendHeader := func(k string, vv []string) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(k)))
		b = append(b, k...)
		b = binary.BigEndian.AppendUint16(b, uint16(len(vv)))
		for _, v := range vv {
			b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
			b = append(b, v...)
		}
	}
	for k, vv := range h {
		if !isPerRequest(k) {
			appendHeader(k, vv)
			values += len(vv)
		}
	}
	appendHeader("Content-Length", []string{strconv.Itoa(len(body))})
	binary.BigEndian.PutUint32(b[2:], uint32(len(b)-8))
	binary.BigEndian.PutUint16(b[6:], uint16(values))
	return append(b, body...)
}

func isPerRequest(k string) bool {
	for _, p := range perRequestHeaders {
		if k == p {
			return true
		}
	}
	return false
}

// replay writes a cached answer. The header block becomes one string whose substrings are the
// names and values, and the values share one slice, so an answer costs two allocations
// whatever its headers (beyond the header map's own).
func replay(rc *request, entry []byte) {
	status := int(binary.BigEndian.Uint16(entry))
	end := 8 + int(binary.BigEndian.Uint32(entry[2:]))
	values := make([]string, binary.BigEndian.Uint16(entry[6:]))
	block := string(entry[:end]) // offsets into entry index block too
	h := rc.w.Header()
	for i := 8; i < end; {
		nl := int(binary.BigEndian.Uint32(entry[i:]))
		name := block[i+4 : i+4+nl]
		i += 4 + nl
		count := int(binary.BigEndian.Uint16(entry[i:]))
		i += 2
		vv := values[:count:count]
		values = values[count:]
		for j := range vv {
			vl := int(binary.BigEndian.Uint32(entry[i:]))
			vv[j] = block[i+4 : i+4+vl]
			i += 4 + vl
		}
		h[name] = vv
	}
	rc.w.WriteHeader(status)
	rc.w.Write(entry[end:])
}

// newResponseCache is the default state.Cache of a stage: in-process.
func newResponseCache(maxBytes int64) state.Cache { return mem.NewCache(maxBytes) }
