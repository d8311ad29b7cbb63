package gateway

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/portico/portico/internal/auth/iam"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/observe"
	"github.com/portico/portico/internal/state"
	"github.com/portico/portico/internal/state/mem"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// countingBackend answers "{path}?{query} #{n}", n counting the requests it got; while gate is
// set, it holds each request until gate is closed. /missing answers 404.
type countingBackend struct {
	*httptest.Server
	n    atomic.Int64
	gate chan struct{}
}

func newCountingBackend(t testing.TB) *countingBackend {
	b := &countingBackend{}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := b.n.Add(1)
		if b.gate != nil {
			<-b.gate
		}
		if strings.HasSuffix(r.URL.Path, "/missing") {
			w.WriteHeader(http.StatusNotFound)
		}
		w.Header().Set("X-Backend", "yes")
		fmt.Fprintf(w, "%s?%s #%d", r.URL.Path, r.URL.RawQuery, n)
	}))
	t.Cleanup(b.Close)
	return b
}

// cacheDoc is an API whose GET and POST /items/{id} proxy to the backend, keyed by the id, the
// query parameter q and the header X-Tenant; GET /other shares nothing with them.
func cacheDoc(backendURL string) *model.APIDoc {
	items := func(verb string) *model.Method {
		m := proxyMethod(verb, verb, backendURL+"/items/{id}", map[string]string{
			"integration.request.path.id": "method.request.path.id"}, 0)
		m.MethodIntegration.CacheKeyParameters = []string{"method.request.path.id",
			"method.request.querystring.q", "method.request.header.X-Tenant"}
		return m
	}
	return newDoc(
		&model.Resource{Id: "itemsres01", Path: "/items", PathPart: "items", ParentId: "rootrootid"},
		&model.Resource{Id: "itemres001", Path: "/items/{id}", PathPart: "{id}", ParentId: "itemsres01",
			ResourceMethods: map[string]*model.Method{"GET": items("GET"), "POST": items("POST")}},
		&model.Resource{Id: "otherres01", Path: "/other", PathPart: "other", ParentId: "rootrootid",
			ResourceMethods: map[string]*model.Method{"GET": proxyMethod("GET", "GET", backendURL+"/other", nil, 0)}},
	)
}

// cachingOn is the stage's `*/*` block with caching on, as the console leaves it.
func cachingOn(ttl int64) *model.MethodSetting {
	ms := &model.MethodSetting{ThrottlingRateLimit: 10000, ThrottlingBurstLimit: 5000, CachingEnabled: true,
		CacheTtlInSeconds: ttl, RequireAuthorizationForCacheControl: true,
		UnauthorizedCacheControlHeaderStrategy: "SUCCEED_WITH_RESPONSE_HEADER"}
	return ms
}

// testClock is a clock a test moves by hand.
type testClock struct{ ns atomic.Int64 }

func (c *testClock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *testClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// cacheEnv deploys cacheDoc on prod with the cache cluster on and settings as the stage's
// methodSettings.
func cacheEnv(t *testing.T, opts Options, settings map[string]*model.MethodSetting) (*env, *countingBackend) {
	b := newCountingBackend(t)
	e := newEnv(t, opts)
	e.deploy(cacheDoc(b.URL), "dep001", "prod", nil)
	e.setStage(apiID, "prod", func(s *model.Stage) {
		s.CacheClusterEnabled, s.CacheClusterSize = true, "0.5"
		s.MethodSettings = settings
	})
	return e, b
}

func (e *env) get(path string, hdr map[string]string) result {
	e.t.Helper()
	return e.do("GET", e.pathURL(apiID, "prod", path), "", nil, hdr)
}

// TestCacheConcurrentMissesOneBackendRequest: N identical GETs that miss together reach the
// backend once, and every client gets its answer.
func TestCacheConcurrentMissesOneBackendRequest(t *testing.T) {
	e, b := cacheEnv(t, Options{}, map[string]*model.MethodSetting{"*/*": cachingOn(300)})
	b.gate = make(chan struct{})
	const n = 20
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = e.get("/items/7?q=a", nil)
		}()
	}
	// Release the backend once one request reached it and the others wait on that fill.
	sc := e.gw.table.Lookup(apiID, "prod").ResponseCache.(*stageCache)
	e.waitFor(func() bool {
		sc.mu.Lock()
		defer sc.mu.Unlock()
		for _, f := range sc.flights {
			return f.waiters == n-1
		}
		return false
	})
	close(b.gate)
	wg.Wait()
	if got := b.n.Load(); got != 1 {
		t.Fatalf("backend got %d requests, want 1", got)
	}
	ids := map[string]bool{}
	for i, r := range results {
		if r.status != 200 || r.body != "/items/7?q=a #1" || r.header.Get("X-Backend") != "yes" {
			t.Fatalf("client %d: %d %q %v", i, r.status, r.body, r.header)
		}
		checkIDs(t, r)
		ids[r.header.Get("X-Amzn-Requestid")] = true
	}
	if len(ids) != n {
		t.Fatalf("%d distinct request ids among %d answers", len(ids), n)
	}
	b.gate = nil
	if r := e.get("/items/7?q=a", nil); r.body != "/items/7?q=a #1" || b.n.Load() != 1 {
		t.Fatalf("after the fill: %q, backend %d", r.body, b.n.Load())
	}
}

// TestCacheTTL: an entry serves until its TTL passes on the gateway's clock, then the backend
// is asked again.
func TestCacheTTL(t *testing.T) {
	clock := &testClock{}
	clock.ns.Store(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC).UnixNano())
	e, _ := cacheEnv(t, Options{Now: clock.now}, map[string]*model.MethodSetting{"*/*": cachingOn(60)})
	steps := []struct {
		advance time.Duration
		want    string
	}{
		{0, "#1"},
		{0, "#1"},
		{59 * time.Second, "#1"},
		{time.Second, "#2"}, // 60 s after it was stored
		{30 * time.Second, "#2"},
	}
	for i, s := range steps {
		clock.advance(s.advance)
		if r := e.get("/items/1", nil); r.status != 200 || !strings.HasSuffix(r.body, s.want) {
			t.Fatalf("step %d: %d %q, want the answer %s", i, r.status, r.body, s.want)
		}
	}
}

// TestCacheKeyParameters: the listed parameters key entries; any other part of the request
// does not.
func TestCacheKeyParameters(t *testing.T) {
	e, b := cacheEnv(t, Options{}, map[string]*model.MethodSetting{"*/*": cachingOn(300)})
	steps := []struct {
		path   string
		hdr    map[string]string
		calls  int64 // backend requests so far
		prefix string
	}{
		{"/items/1?q=a", nil, 1, "/items/1?q=a"},
		{"/items/1?q=a", nil, 1, "/items/1?q=a"},                                  // same key: hit
		{"/items/1?q=b", nil, 2, "/items/1?q=b"},                                  // other q: miss
		{"/items/1?q=a&other=x", nil, 2, "/items/1?q=a"},                          // unlisted parameter: hit
		{"/items/1?q=a", map[string]string{"X-Unlisted": "1"}, 2, "/items/1?q=a"}, // unlisted header: hit
		{"/items/1?q=a", map[string]string{"X-Tenant": "t1"}, 3, "/items/1?q=a"},  // listed header: miss
		{"/items/1?q=a", map[string]string{"x-tenant": "t1"}, 3, "/items/1?q=a"},  // header names ignore case
		{"/items/2?q=a", nil, 4, "/items/2?q=a"},                                  // other path parameter: miss
		{"/items/1?q=", nil, 5, "/items/1?q="},                                    // empty is not absent
		{"/items/1", nil, 6, "/items/1?"},
		{"/other", nil, 7, "/other?"}, // another resource's namespace
		{"/other", nil, 7, "/other?"},
	}
	for i, s := range steps {
		r := e.get(s.path, s.hdr)
		if r.status != 200 || !strings.HasPrefix(r.body, s.prefix+" #") || b.n.Load() != s.calls {
			t.Fatalf("step %d %s: %d %q, backend %d (want %d calls)", i, s.path, r.status, r.body, b.n.Load(), s.calls)
		}
	}
}

// TestCacheMethodsAndStatuses: GET is cached by the stage's `*/*`, another verb only by its
// own settings; only 2xx answers are kept; a stage without its cache cluster caches nothing.
func TestCacheMethodsAndStatuses(t *testing.T) {
	e, b := cacheEnv(t, Options{}, map[string]*model.MethodSetting{"*/*": cachingOn(300)})
	post := func() result { return e.do("POST", e.pathURL(apiID, "prod", "/items/1"), "", nil, nil) }
	post()
	post()
	if got := b.n.Load(); got != 2 {
		t.Fatalf("POST under */* reached the backend %d times, want 2", got)
	}
	e.get("/items/missing", nil)
	if r := e.get("/items/missing", nil); r.status != 404 || b.n.Load() != 4 {
		t.Fatalf("404 answer: %d, backend %d; a 404 must not be cached", r.status, b.n.Load())
	}

	e.setStage(apiID, "prod", func(s *model.Stage) {
		s.MethodSettings["items/{id}/POST"] = cachingOn(300)
	})
	post()
	if r := post(); !strings.HasSuffix(r.body, "#5") || b.n.Load() != 5 {
		t.Fatalf("POST with its own caching setting: %q, backend %d", r.body, b.n.Load())
	}
	// The method's own block decides for it, over `*/*`.
	e.setStage(apiID, "prod", func(s *model.Stage) {
		own := cachingOn(300)
		own.CachingEnabled = false
		s.MethodSettings["items/{id}/GET"] = own
	})
	e.get("/items/3", nil)
	e.get("/items/3", nil)
	if got := b.n.Load(); got != 7 {
		t.Fatalf("GET with caching off in its own block reached the backend %d times, want 7", got)
	}
	e.setStage(apiID, "prod", func(s *model.Stage) {
		delete(s.MethodSettings, "items/{id}/GET")
		s.CacheClusterEnabled = false
	})
	e.get("/items/3", nil)
	e.get("/items/3", nil)
	if got := b.n.Load(); got != 9 {
		t.Fatalf("without the cache cluster the backend got %d requests, want 9", got)
	}
}

// TestCacheInvalidation: Cache-Control: max-age=0 refreshes the entry when the method does not
// require authorization for it; otherwise the strategy decides, as for an unsigned caller.
func TestCacheInvalidation(t *testing.T) {
	cases := []struct {
		name        string
		requireAuth bool
		strategy    string
		status      int
		body        string // the answer's suffix
		warning     bool
		after       string // what a plain GET then gets
	}{
		{"no authorization required", false, "FAIL_WITH_403", 200, "#2", false, "#2"},
		{"FAIL_WITH_403", true, "FAIL_WITH_403", 403, `{"message":"Unauthorized"}`, false, "#1"},
		{"SUCCEED_WITH_RESPONSE_HEADER", true, "SUCCEED_WITH_RESPONSE_HEADER", 200, "#1", true, "#1"},
		{"SUCCEED_WITHOUT_RESPONSE_HEADER", true, "SUCCEED_WITHOUT_RESPONSE_HEADER", 200, "#1", false, "#1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ms := cachingOn(300)
			ms.RequireAuthorizationForCacheControl, ms.UnauthorizedCacheControlHeaderStrategy = c.requireAuth, c.strategy
			e, _ := cacheEnv(t, Options{}, map[string]*model.MethodSetting{"*/*": ms})
			e.get("/items/1", nil)
			r := e.get("/items/1", map[string]string{"Cache-Control": "no-store, max-age=0"})
			if r.status != c.status || !strings.HasSuffix(r.body, c.body) {
				t.Fatalf("max-age=0: %d %q, want %d …%s", r.status, r.body, c.status, c.body)
			}
			want := ""
			if c.warning {
				want = `199 Cache-control headers were ignored because the caller was unauthorized.`
			}
			if got := r.header.Get("Warning"); got != want {
				t.Fatalf("Warning %q, want %q", got, want)
			}
			if r := e.get("/items/1", nil); !strings.HasSuffix(r.body, c.after) || r.header.Get("Warning") != "" {
				t.Fatalf("then: %q (Warning %q), want the answer %s", r.body, r.header.Get("Warning"), c.after)
			}
		})
	}
	t.Run("other Cache-Control directives", func(t *testing.T) {
		ms := cachingOn(300)
		ms.RequireAuthorizationForCacheControl = false
		e, b := cacheEnv(t, Options{}, map[string]*model.MethodSetting{"*/*": ms})
		e.get("/items/1", nil)
		for _, v := range []string{"no-cache", "max-age=10", "max-age=00"} {
			e.get("/items/1", map[string]string{"Cache-Control": v})
		}
		if got := b.n.Load(); got != 1 {
			t.Fatalf("backend got %d requests, want 1", got)
		}
	})
}

// TestCacheFlushAndEviction: FlushStageCache empties the stage's cache; past its bound the
// least recently used entries go.
func TestCacheFlushAndEviction(t *testing.T) {
	// Room for two entries of this API's answers (about 300 bytes each).
	e, b := cacheEnv(t, Options{ResponseCache: func(int64) state.Cache { return mem.NewCache(700) }},
		map[string]*model.MethodSetting{"*/*": cachingOn(300)})
	e.get("/items/1", nil)
	e.get("/items/2", nil)
	e.get("/items/1", nil) // 1 is now the most recently used
	e.get("/items/3", nil) // evicts 2
	if got := b.n.Load(); got != 3 {
		t.Fatalf("backend got %d requests, want 3", got)
	}
	for _, s := range []struct {
		path  string
		calls int64
	}{{"/items/1", 3}, {"/items/3", 3}, {"/items/2", 4}} {
		if e.get(s.path, nil); b.n.Load() != s.calls {
			t.Fatalf("%s: backend got %d requests, want %d", s.path, b.n.Load(), s.calls)
		}
	}
	e.gw.FlushStageCache(apiID, "prod")
	e.get("/items/3", nil)
	if got := b.n.Load(); got != 5 {
		t.Fatalf("after a flush the backend got %d requests, want 5", got)
	}
	e.gw.FlushStageCache(apiID, "nostage") // nothing to flush
}

func TestCacheBytesOfClusterSize(t *testing.T) {
	for size, want := range map[string]int64{"0.5": 1 << 29, "1.6": 1717986918, "237": 237 << 30, "": 1 << 29} {
		if got := cacheBytes(size); got != want {
			t.Errorf("cacheBytes(%q) = %d, want %d", size, got, want)
		}
	}
}

// TestCacheMetrics: CacheHitCount and CacheMissCount count the requests of cached methods.
func TestCacheMetrics(t *testing.T) {
	m := observe.NewMetrics(nil)
	e, _ := cacheEnv(t, Options{Metrics: m}, map[string]*model.MethodSetting{"*/*": cachingOn(300)})
	for _, p := range []string{"/items/1", "/items/1", "/items/1", "/items/2", "/other"} {
		e.get(p, nil)
	}
	e.do("POST", e.pathURL(apiID, "prod", "/items/1"), "", nil, nil) // not cached: neither
	scrape := httptest.NewServer(promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}))
	defer scrape.Close()
	get := func() string {
		resp, err := http.Get(scrape.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return string(body)
	}
	stage := `{api_id="a1b2c3d4e5",api_name="test",method="",resource="",stage="prod"}`
	waitMetrics(e, get,
		"portico_apigateway_count_total"+stage+" 6",
		"portico_apigateway_cache_hit_count_total"+stage+" 2",
		"portico_apigateway_cache_miss_count_total"+stage+" 3")
}

// TestCacheInvalidationByIAM: with requireAuthorizationForCacheControl, a request signed by an
// identity allowed execute-api:InvalidateCache on the method refreshes the entry; a caller
// allowed only to invoke, or a wrong signature, gets the strategy's answer.
func TestCacheInvalidationByIAM(t *testing.T) {
	ids := &staticIdentities{}
	d, err := iam.Build(iamAccount, nil, iam.Identities{Users: []model.IAMUser{
		{UserName: "ops", UserId: "AIDAOPS", Arn: "arn:aws:iam::" + iamAccount + ":user/ops",
			AccessKeys: []model.IAMAccessKey{{AccessKeyId: "AKIAOPS00000000000", SecretAccessKey: "ops-secret", Status: "Active"}},
			Policies:   map[string]string{"cache": `{"Statement":[{"Effect":"Allow","Action":"execute-api:InvalidateCache","Resource":"arn:aws:execute-api:us-east-1:*:*/prod/GET/items/*"}]}`}},
		{UserName: "dev", UserId: "AIDADEV", Arn: "arn:aws:iam::" + iamAccount + ":user/dev",
			AccessKeys: []model.IAMAccessKey{{AccessKeyId: "AKIADEV00000000000", SecretAccessKey: "dev-secret", Status: "Active"}},
			Policies:   map[string]string{"invoke": `{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}]}`}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ids.d.Store(d)
	ms := cachingOn(300)
	ms.UnauthorizedCacheControlHeaderStrategy = "FAIL_WITH_403"
	e, b := cacheEnv(t, Options{Region: "us-east-1", AccountID: iamAccount, Identities: ids},
		map[string]*model.MethodSetting{"*/*": ms})
	signed := func(creds *aws.Credentials) result {
		t.Helper()
		req, err := http.NewRequest("GET", e.pathURL(apiID, "prod", "/items/1"), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Cache-Control", "max-age=0")
		if creds != nil {
			if err := v4.NewSigner().SignHTTP(context.Background(), *creds, req, payloadHash(nil), "execute-api", "us-east-1", time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return result{resp.StatusCode, resp.Header, string(body)}
	}
	e.get("/items/1", nil)
	for _, c := range []struct {
		name   string
		creds  *aws.Credentials
		status int
		calls  int64
	}{
		{"invoke only", &aws.Credentials{AccessKeyID: "AKIADEV00000000000", SecretAccessKey: "dev-secret"}, 403, 1},
		{"wrong secret", &aws.Credentials{AccessKeyID: "AKIAOPS00000000000", SecretAccessKey: "x"}, 403, 1},
		{"unsigned", nil, 403, 1},
		{"allowed", &aws.Credentials{AccessKeyID: "AKIAOPS00000000000", SecretAccessKey: "ops-secret"}, 200, 2},
	} {
		if r := signed(c.creds); r.status != c.status || b.n.Load() != c.calls {
			t.Fatalf("%s: %d %q, backend %d, want %d and %d calls", c.name, r.status, r.body, b.n.Load(), c.status, c.calls)
		}
	}
	if r := e.get("/items/1", nil); !strings.HasSuffix(r.body, "#2") || b.n.Load() != 2 {
		t.Fatalf("after the allowed refresh: %q, backend %d", r.body, b.n.Load())
	}
}

// TestCacheCanary: a canary with useStageCache reads and fills the stage's cache; without it,
// its requests are not cached.
func TestCacheCanary(t *testing.T) {
	e, b := cacheEnv(t, Options{}, map[string]*model.MethodSetting{"*/*": cachingOn(300)})
	e.get("/items/1", nil)
	e.deployCanary(cacheDoc(b.URL), "dep002", "prod", model.CanarySettings{PercentTraffic: 100, UseStageCache: true})
	if r := e.get("/items/1", nil); !strings.HasSuffix(r.body, "#1") || b.n.Load() != 1 {
		t.Fatalf("canary with useStageCache: %q, backend %d; want the stage's entry", r.body, b.n.Load())
	}
	e.get("/items/2", nil)
	e.setStage(apiID, "prod", func(s *model.Stage) {
		s.CanarySettings.PercentTraffic = 0
	})
	if r := e.get("/items/2", nil); !strings.HasSuffix(r.body, "#2") || b.n.Load() != 2 {
		t.Fatalf("the stage after the canary filled its cache: %q, backend %d", r.body, b.n.Load())
	}
	e.setStage(apiID, "prod", func(s *model.Stage) {
		s.CanarySettings.PercentTraffic, s.CanarySettings.UseStageCache = 100, false
	})
	e.get("/items/1", nil)
	e.get("/items/1", nil)
	if got := b.n.Load(); got != 4 {
		t.Fatalf("a canary without useStageCache: backend got %d requests, want 4", got)
	}
}

// TestCacheKeySources: an integration.request parameter keys on the method request value it is
// mapped from; a key parameter that cannot be read leaves the method uncached, with a warning
// at load.
func TestCacheKeySources(t *testing.T) {
	b := newCountingBackend(t)
	var logs syncLog
	e := newEnv(t, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	doc := cacheDoc(b.URL)
	items := doc.Resources["itemres001"].ResourceMethods
	items["GET"].MethodIntegration.CacheKeyParameters = []string{"integration.request.path.id"}
	items["POST"].MethodIntegration.CacheKeyParameters = []string{"integration.request.header.unmapped"}
	e.deploy(doc, "dep001", "prod", nil)
	e.setStage(apiID, "prod", func(s *model.Stage) {
		s.CacheClusterEnabled, s.CacheClusterSize = true, "0.5"
		s.MethodSettings = map[string]*model.MethodSetting{"*/*": cachingOn(300), "items/{id}/POST": cachingOn(300)}
	})
	for _, p := range []string{"/items/1?q=a", "/items/1?q=b", "/items/2"} {
		e.get(p, nil)
	}
	if got := b.n.Load(); got != 2 {
		t.Fatalf("keyed by the mapped path parameter, the backend got %d requests, want 2", got)
	}
	e.do("POST", e.pathURL(apiID, "prod", "/items/1"), "", nil, nil)
	e.do("POST", e.pathURL(apiID, "prod", "/items/1"), "", nil, nil)
	if got := b.n.Load(); got != 4 {
		t.Fatalf("a method whose key cannot be read reached the backend %d times, want 4", got)
	}
	if !strings.Contains(logs.String(), "integration.request.header.unmapped is not mapped by the integration") {
		t.Fatalf("no warning at load:\n%s", logs.String())
	}
}

// syncLog is a log destination safe for concurrent writes.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
