package gateway

import (
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/bolt"
)

// BenchmarkLambdaProxyRequest measures what the gateway itself adds to an AWS_PROXY call: the
// whole request through ServeHTTP, the event built and the proxy response checked, with a
// function that answers at once.
func BenchmarkLambdaProxyRequest(b *testing.B) {
	st, err := bolt.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	doc := lambdaProxyDoc()
	err = st.Update(func(tx store.Tx) error {
		tx.Put(store.KindRestAPI, apiID, doc)
		tx.Put(store.KindDeployment, store.Key(apiID, "dep001"), model.DeploymentRecord{
			Deployment: model.Deployment{Id: "dep001"}, APIID: apiID, Snapshot: doc})
		return tx.Put(store.KindStage, store.Key(apiID, "prod"), model.StageRecord{APIID: apiID,
			Stage: model.Stage{StageName: "prod", DeploymentId: "dep001", Variables: map[string]string{"fn": "pets"}}})
	})
	if err != nil {
		b.Fatal(err)
	}
	fn := &fakeFunctions{answer: answering(`{"statusCode":200,"headers":{"Content-Type":"application/json"},"body":"{\"ok\":true}"}`, "")}
	gw, err := New(st, Options{Logger: slog.New(slog.DiscardHandler), Functions: fn})
	if err != nil {
		b.Fatal(err)
	}
	defer gw.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest("POST", "http://"+apiID+".execute-api.localhost/prod/pets/7?x=1&y=2", strings.NewReader(`{"name":"rex"}`))
		req.Header.Set("User-Agent", "bench")
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		gw.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
		fn.mu.Lock()
		fn.reqs = fn.reqs[:0]
		fn.mu.Unlock()
	}
}
