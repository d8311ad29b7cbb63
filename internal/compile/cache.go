package compile

import (
	"fmt"
	"strings"
	"time"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/runtime"
)

// stageCache compiles how the stage caches one method (nil: not at all). The method's own
// methodSettings block decides for any verb; without one, the stage's `*/*` block decides for
// GET (and the GET requests of an ANY method) only, as AWS caches only GET methods unless a
// method's settings say otherwise. A TTL of 0 turns caching off.
func stageCache(st *model.Stage, m *model.Method, res *runtime.Resource, vars map[string]string, verb string) *runtime.Cache {
	if !st.CacheClusterEnabled {
		return nil
	}
	ms := st.MethodSettings[strings.TrimPrefix(res.Path, "/")+"/"+verb]
	getOnly := false
	if ms == nil && (verb == "GET" || verb == "ANY") {
		ms, getOnly = st.MethodSettings["*/*"], verb == "ANY"
	}
	if ms == nil || !ms.CachingEnabled || ms.CacheTtlInSeconds <= 0 {
		return nil
	}
	c := &runtime.Cache{
		Prefix:               res.ID,
		GETOnly:              getOnly,
		TTL:                  time.Duration(ms.CacheTtlInSeconds) * time.Second,
		RequireAuthorization: ms.RequireAuthorizationForCacheControl,
	}
	switch ms.UnauthorizedCacheControlHeaderStrategy {
	case "FAIL_WITH_403":
		c.Unauthorized = runtime.FailWith403
	case "SUCCEED_WITHOUT_RESPONSE_HEADER":
		c.Unauthorized = runtime.SucceedWithoutResponseHeader
	}
	in := m.MethodIntegration
	if in == nil {
		return c
	}
	if in.CacheNamespace != "" {
		c.Prefix = in.CacheNamespace
	}
	for _, name := range in.CacheKeyParameters {
		src, err := cacheKeySource(name, in, res, vars)
		if err != nil {
			c.Err = err.Error()
			return c
		}
		c.Keys = append(c.Keys, src)
	}
	return c
}

// cacheKeySource compiles one cacheKeyParameters entry: a method request parameter
// (method.request.{path|querystring|header}.x), or an integration request parameter
// (integration.request.{path|querystring|header}.x), which keys on the value it is mapped from.
func cacheKeySource(name string, in *model.Integration, res *runtime.Resource, vars map[string]string) (runtime.Source, error) {
	expr := name
	if strings.HasPrefix(name, "integration.request.") {
		mapped, ok := in.RequestParameters[name]
		if !ok {
			return runtime.Source{}, fmt.Errorf("cache key parameter %s is not mapped by the integration", name)
		}
		expr = mapped
	}
	src, err := parseSource(expr, vars, res, srcMethodRequest)
	if err != nil {
		return runtime.Source{}, fmt.Errorf("cache key parameter %s: %v", name, err)
	}
	return src, nil
}
