package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestResponseCacheWithAWSCLI sets a stage's cache with the stock AWS CLI as the caching guide
// shows (update-stage patch operations), then checks hits, misses and key parameters with real
// requests, and flushes with `aws apigateway flush-stage-cache` and `portico cache flush`.
func TestResponseCacheWithAWSCLI(t *testing.T) {
	needTool(t, "aws")
	var calls atomic.Int64
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s?%s #%d", r.URL.Path, r.URL.RawQuery, calls.Add(1))
	}))
	defer backend.Close()
	srv := startServer(t, t.TempDir())

	var api struct{ ID, RootResourceID string }
	cli := func(out any, args ...string) {
		t.Helper()
		if stderr, err := awsCLI(t, srv, out, append([]string{"apigateway"}, args...)...); err != nil {
			t.Fatalf("aws apigateway %s: %v\n%s", args[0], err, stderr)
		}
	}
	var created map[string]any
	cli(&created, "create-rest-api", "--name", "cached")
	api.ID, api.RootResourceID = created["id"].(string), created["rootResourceId"].(string)
	var items, item map[string]any
	cli(&items, "create-resource", "--rest-api-id", api.ID, "--parent-id", api.RootResourceID, "--path-part", "items")
	cli(&item, "create-resource", "--rest-api-id", api.ID, "--parent-id", items["id"].(string), "--path-part", "{id}")
	rid := item["id"].(string)
	cli(nil, "put-method", "--rest-api-id", api.ID, "--resource-id", rid, "--http-method", "GET",
		"--authorization-type", "NONE", "--request-parameters", "method.request.path.id=true,method.request.querystring.q=false")
	cli(nil, "put-integration", "--rest-api-id", api.ID, "--resource-id", rid, "--http-method", "GET",
		"--type", "HTTP_PROXY", "--integration-http-method", "GET", "--uri", backend.URL+"/items/{id}",
		"--request-parameters", "integration.request.path.id=method.request.path.id",
		"--cache-key-parameters", "method.request.path.id", "method.request.querystring.q")
	cli(nil, "create-deployment", "--rest-api-id", api.ID, "--stage-name", "prod")
	var stage struct {
		CacheClusterEnabled bool
		CacheClusterSize    string
		CacheClusterStatus  string
		MethodSettings      map[string]struct {
			CachingEnabled    bool
			CacheTtlInSeconds int
		}
	}
	cli(&stage, "update-stage", "--rest-api-id", api.ID, "--stage-name", "prod", "--patch-operations",
		"op=replace,path=/cacheClusterEnabled,value=true",
		"op=replace,path=/cacheClusterSize,value=0.5",
		"op=replace,path=/*/*/caching/enabled,value=true",
		"op=replace,path=/*/*/caching/ttlInSeconds,value=300")
	if ms := stage.MethodSettings["*/*"]; !stage.CacheClusterEnabled || stage.CacheClusterSize != "0.5" ||
		stage.CacheClusterStatus != "AVAILABLE" || !ms.CachingEnabled || ms.CacheTtlInSeconds != 300 {
		t.Fatalf("update-stage answered %+v", stage)
	}

	get := func(path string) response {
		t.Helper()
		r := invokePath(t, srv, "GET", api.ID, "prod", path, "")
		r.want(t, 200, "")
		return r
	}
	// The stage reaches the data plane through the change feed: wait until an answer repeats.
	waitFor(t, "the stage's cache", func() bool {
		return get("/items/1?q=a").body == get("/items/1?q=a").body
	})
	base := calls.Load()
	steps := []struct {
		path  string
		calls int64 // backend requests since base
	}{
		{"/items/1?q=a", 0},
		{"/items/1?q=b", 1},       // another q: a miss
		{"/items/1?q=b", 1},       // then a hit
		{"/items/1?q=a&x=1", 1},   // a parameter that is no cache key: a hit
		{"/items/2?q=a", 2},       // another path parameter: a miss
		{"/items/1?q=a", 2},       // still held
		{"/items/1?q=a&q=z", 2},   // the first value is the key's
		{"/items/1?q=z&q=a", 3},   // its own entry
		{"/items/2?q=a&x=2", 3},   // held
		{"/items/2?other=q", 4},   // no q at all: its own entry
		{"/items/2?other=qq", 4},  // held
		{"/items/2?q=a&x=2&y", 4}, // held
	}
	for i, s := range steps {
		if r := get(s.path); calls.Load()-base != s.calls || !strings.HasPrefix(r.body, "/items/") {
			t.Fatalf("step %d %s: %q; backend got %d requests, want %d", i, s.path, r.body, calls.Load()-base, s.calls)
		}
	}

	// flush-stage-cache empties the cache before it answers.
	cli(nil, "flush-stage-cache", "--rest-api-id", api.ID, "--stage-name", "prod")
	before := calls.Load()
	get("/items/1?q=a")
	get("/items/1?q=a")
	if got := calls.Load() - before; got != 1 {
		t.Fatalf("after flush-stage-cache the backend got %d requests for one key, want 1", got)
	}
	if out, errOut, code := portico(t, srv, "cache", "flush", api.ID, "--stage", "prod"); code != 0 || !strings.Contains(out, "Flushed") {
		t.Fatalf("portico cache flush: exit %d\n%s%s", code, out, errOut)
	}
	before = calls.Load()
	get("/items/1?q=a")
	if got := calls.Load() - before; got != 1 {
		t.Fatalf("after portico cache flush the backend got %d requests, want 1", got)
	}
	stderr, err := awsCLI(t, srv, nil, "apigateway", "flush-stage-cache", "--rest-api-id", api.ID, "--stage-name", "nostage")
	if err == nil || !strings.Contains(stderr, "NotFoundException") || !strings.Contains(stderr, "Invalid Stage identifier specified") {
		t.Fatalf("flushing a missing stage: %v %s", err, stderr)
	}

	// Turning the cache cluster off stops caching.
	cli(nil, "update-stage", "--rest-api-id", api.ID, "--stage-name", "prod", "--patch-operations",
		"op=replace,path=/cacheClusterEnabled,value=false")
	waitFor(t, "the cache to be off", func() bool {
		n := calls.Load()
		get("/items/1?q=a")
		return calls.Load() == n+1
	})
}
