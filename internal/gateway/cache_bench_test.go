package gateway

import (
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/bolt"
)

// BenchmarkCacheHit measures GET /items/{id} through ServeHTTP: "proxied" with the stage's cache
// off (every request reaches a real backend on loopback), "cached" with it on and the entry
// held, so each request is a cache hit.
func BenchmarkCacheHit(b *testing.B) {
	backend := newCountingBackend(b)
	for _, bc := range []struct {
		name   string
		cached bool
	}{{"proxied", false}, {"cached", true}} {
		b.Run(bc.name, func(b *testing.B) {
			st, err := bolt.Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			doc := cacheDoc(backend.URL)
			stage := model.Stage{StageName: "prod", DeploymentId: "dep001"}
			if bc.cached {
				stage.CacheClusterEnabled, stage.CacheClusterSize = true, "0.5"
				ms := cachingOn(3600)
				ms.ThrottlingRateLimit, ms.ThrottlingBurstLimit = 1e9, 1e9 // measure the cache, not the throttle
				stage.MethodSettings = map[string]*model.MethodSetting{"*/*": ms}
			}
			err = st.Update(func(tx store.Tx) error {
				tx.Put(store.KindRestAPI, apiID, doc)
				tx.Put(store.KindDeployment, store.Key(apiID, "dep001"), model.DeploymentRecord{
					Deployment: model.Deployment{Id: "dep001"}, APIID: apiID, Snapshot: doc})
				return tx.Put(store.KindStage, store.Key(apiID, "prod"), model.StageRecord{APIID: apiID, Stage: stage})
			})
			if err != nil {
				b.Fatal(err)
			}
			gw, err := New(st, Options{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			defer gw.Close()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				req := httptest.NewRequest("GET", "http://"+apiID+".execute-api.localhost/prod/items/7?q=a", nil)
				req.Header.Set("User-Agent", "bench")
				w := httptest.NewRecorder()
				gw.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
