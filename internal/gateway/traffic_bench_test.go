package gateway

import (
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/state"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/bolt"
)

// trafficGateway serves trafficDoc on prod with a stage throttle, a usage plan with a method
// throttle, a plan throttle and a quota, and one key in it; every limit is far above what a
// benchmark reaches, so every level is checked and passes.
func trafficGateway(b *testing.B) *Gateway { return trafficGatewayWith(b, trafficDoc()) }

// trafficGatewayWith is trafficGateway serving doc.
func trafficGatewayWith(b *testing.B, doc *model.APIDoc) *Gateway {
	st, err := bolt.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	high := &model.ThrottleSettings{RateLimit: 1e9, BurstLimit: 1e9}
	err = st.Update(func(tx store.Tx) error {
		tx.Put(store.KindRestAPI, apiID, doc)
		tx.Put(store.KindDeployment, store.Key(apiID, "dep001"), model.DeploymentRecord{
			Deployment: model.Deployment{Id: "dep001"}, APIID: apiID, Snapshot: doc})
		tx.Put(store.KindStage, store.Key(apiID, "prod"), model.StageRecord{APIID: apiID,
			Stage: model.Stage{StageName: "prod", DeploymentId: "dep001", MethodSettings: map[string]*model.MethodSetting{
				"*/*": {ThrottlingRateLimit: 1e9, ThrottlingBurstLimit: 1e9}}}})
		tx.Put(store.KindUsagePlan, "plan01", &model.UsagePlanRecord{Plan: model.UsagePlan{Id: "plan01", Throttle: high,
			Quota:     &model.QuotaSettings{Limit: 1 << 60, Period: "MONTH"},
			ApiStages: []model.ApiStage{{ApiId: apiID, Stage: "prod", Throttle: map[string]*model.ThrottleSettings{"/keyed/GET": high}}}}})
		tx.Put(store.KindApiKey, "key0000001", &model.ApiKey{Id: "key0000001", Value: keyValue, Enabled: true})
		return tx.Put(store.KindUsagePlanKey, store.Key("plan01", "key0000001"), &model.UsagePlanKey{Id: "key0000001", Type: "API_KEY"})
	})
	if err != nil {
		b.Fatal(err)
	}
	gw, err := New(st, Options{Logger: slog.New(slog.DiscardHandler), AccountLimit: state.Limit{Rate: 1e9, Burst: 1e9},
		QuotaFlushInterval: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { gw.Close() })
	return gw
}

// BenchmarkCheckTraffic measures the API key and throttling phase alone: the key lookup, four
// token buckets (plan method, plan, stage, account) and the quota counter.
func BenchmarkCheckTraffic(b *testing.B) {
	gw := trafficGateway(b)
	req := httptest.NewRequest("GET", "http://"+apiID+".execute-api.localhost/prod/keyed", nil)
	req.Header.Set("X-Api-Key", keyValue)
	rc := newRequest(httptest.NewRecorder(), req)
	if err := gw.resolveStage(rc); err != nil {
		b.Fatal(err)
	}
	if err := gw.matchRoute(rc); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rc.start = time.Now()
		if err := gw.checkTraffic(rc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkKeyedMockRequest and BenchmarkOpenMockRequest measure a whole MOCK call through
// ServeHTTP with and without the key, plan and throttles; the difference is their cost.
func BenchmarkKeyedMockRequest(b *testing.B) { benchMock(b, "/prod/keyed", keyValue) }

func BenchmarkOpenMockRequest(b *testing.B) { benchMock(b, "/prod/open", "") }

func benchMock(b *testing.B, path, key string) {
	gw := trafficGateway(b)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", "http://"+apiID+".execute-api.localhost"+path, nil)
		if key != "" {
			req.Header.Set("X-Api-Key", key)
		}
		w := httptest.NewRecorder()
		gw.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
