package gateway

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/observe"
	"github.com/portico/portico/internal/store"
)

// releaseDoc answers GET /who with which release served it: the deployment, the stage
// variable "release", $context.isCanaryRequest and the template's own tag.
func releaseDoc(tag string) *model.APIDoc {
	body := `{"tag":"` + tag + `","deployment":"$context.deploymentId","release":"$stageVariables.release","canary":$context.isCanaryRequest}`
	return newDoc(&model.Resource{Id: "who001", Path: "/who", ResourceMethods: map[string]*model.Method{
		"GET": mockMethod("GET", `{"statusCode": 200}`, map[string]*model.IntegrationResponse{"200": ir("200", "", body, nil)}, "200")}})
}

// deployCanary stores a second deployment of doc and points the stage's canary at it.
func (e *env) deployCanary(doc *model.APIDoc, depID, stage string, cs model.CanarySettings) {
	e.t.Helper()
	err := e.st.Update(func(tx store.Tx) error {
		rec := model.DeploymentRecord{Deployment: model.Deployment{Id: depID}, APIID: doc.RestApi.Id, Snapshot: doc.Clone()}
		return tx.Put(store.KindDeployment, store.Key(doc.RestApi.Id, depID), rec)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	cs.DeploymentId = depID
	e.setStage(doc.RestApi.Id, stage, func(st *model.Stage) { st.CanarySettings = &cs })
}

type whoAnswer struct {
	Tag, Deployment, Release string
	Canary                   bool
}

// TestCanarySplit sends 10,000 requests to a stage whose canary takes 30% and counts which
// deployment answered each: the canary's share is 30% ± 3%, every canary answer carries the
// canary's deployment, its stage variable override and $context.isCanaryRequest, and the
// canary is counted in metrics under "prod/Canary".
func TestCanarySplit(t *testing.T) {
	m := observe.NewMetrics(nil)
	e := newEnv(t, Options{Metrics: m})
	e.deploy(releaseDoc("base"), "dep001", "prod", map[string]string{"release": "stable"})
	e.deployCanary(releaseDoc("new"), "dep002", "prod", model.CanarySettings{PercentTraffic: 30,
		StageVariableOverrides: map[string]string{"release": "candidate"}})
	if a := e.gw.table.Lookup(apiID, "prod"); a.Canary == nil || a.Canary.DeploymentID != "dep002" || !a.Canary.IsCanary {
		t.Fatalf("canary not loaded: %+v", a.Canary)
	}

	const total, workers = 10000, 8
	var mu sync.Mutex
	counts := map[whoAnswer]int{}
	var wg sync.WaitGroup
	url, host := e.hostURL(apiID, "/prod/who")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := map[whoAnswer]int{}
			for i := w; i < total; i += workers {
				req, _ := http.NewRequest("GET", url, nil)
				req.Host = host
				resp, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				var a whoAnswer
				err = json.NewDecoder(resp.Body).Decode(&a)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					t.Errorf("answer %d: %v", resp.StatusCode, err)
					return
				}
				local[a]++
			}
			mu.Lock()
			for k, v := range local {
				counts[k] += v
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	base := whoAnswer{"base", "dep001", "stable", false}
	canary := whoAnswer{"new", "dep002", "candidate", true}
	if len(counts) != 2 || counts[base]+counts[canary] != total {
		t.Fatalf("answers: %v", counts)
	}
	share := float64(counts[canary]) / total * 100
	t.Logf("canary share %.2f%% of %d requests", share, total)
	if share < 27 || share > 33 {
		t.Errorf("canary share %.2f%%, want 30 ± 3", share)
	}

	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	byStage := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "portico_apigateway_count_total" {
			continue
		}
		for _, s := range f.GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == "stage" {
					byStage[l.GetValue()] += s.GetCounter().GetValue()
				}
			}
		}
	}
	if byStage["prod"] != float64(counts[base]) || byStage["prod/Canary"] != float64(counts[canary]) {
		t.Errorf("metrics by stage %v, want prod=%d prod/Canary=%d", byStage, counts[base], counts[canary])
	}
}

// TestCanaryLifecycle: 100% goes to the canary, 0% to the stage, a canary without a
// deployment of its own serves the stage's deployment with its overrides, and removing the
// settings serves the stage alone.
func TestCanaryLifecycle(t *testing.T) {
	e := newEnv(t, Options{})
	e.deploy(releaseDoc("base"), "dep001", "prod", map[string]string{"release": "stable"})
	get := func() whoAnswer {
		t.Helper()
		url, host := e.hostURL(apiID, "/prod/who")
		r := e.do("GET", url, host, nil, nil)
		var a whoAnswer
		if err := json.Unmarshal([]byte(r.body), &a); err != nil || r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		return a
	}
	e.deployCanary(releaseDoc("new"), "dep002", "prod", model.CanarySettings{PercentTraffic: 100})
	for range 20 {
		if a := get(); a != (whoAnswer{"new", "dep002", "stable", true}) {
			t.Fatalf("at 100%%: %+v", a)
		}
	}
	e.setStage(apiID, "prod", func(st *model.Stage) { st.CanarySettings.PercentTraffic = 0 })
	if a := e.gw.table.Lookup(apiID, "prod"); a.Canary != nil {
		t.Error("a canary at 0% is compiled")
	}
	for range 20 {
		if a := get(); a != (whoAnswer{"base", "dep001", "stable", false}) {
			t.Fatalf("at 0%%: %+v", a)
		}
	}
	e.setStage(apiID, "prod", func(st *model.Stage) {
		st.CanarySettings = &model.CanarySettings{PercentTraffic: 100, StageVariableOverrides: map[string]string{"release": "x"}}
	})
	if a := get(); a != (whoAnswer{"base", "dep001", "x", true}) {
		t.Errorf("canary on the stage's deployment: %+v", a)
	}
	e.setStage(apiID, "prod", func(st *model.Stage) { st.CanarySettings = nil })
	if a := get(); a != (whoAnswer{"base", "dep001", "stable", false}) {
		t.Errorf("after removal: %+v", a)
	}
}

// TestCanaryAccessLog: a canary request's line says so through $context.isCanaryRequest.
func TestCanaryAccessLog(t *testing.T) {
	out := &syncBuffer{}
	sinks := observe.NewSinks(observe.SinkOptions{Default: out})
	t.Cleanup(func() { sinks.Close() })
	e := newEnv(t, Options{AccessLogs: sinks})
	e.deploy(releaseDoc("base"), "dep001", "prod", nil)
	e.setStage(apiID, "prod", func(st *model.Stage) {
		st.AccessLogSettings = &model.AccessLogSettings{Format: "$context.requestId $context.deploymentId $context.isCanaryRequest"}
	})
	e.deployCanary(releaseDoc("new"), "dep002", "prod", model.CanarySettings{PercentTraffic: 100})
	url, host := e.hostURL(apiID, "/prod/who")
	r := e.do("GET", url, host, nil, nil)
	want := r.header.Get("X-Amzn-Requestid") + " dep002 true"
	e.waitFor(func() bool { return strings.Contains(out.String(), want) })
}

// BenchmarkCanaryStage and BenchmarkPlainStage serve the same MOCK route from a stage whose
// canary takes 30% and from one without a canary.
func BenchmarkCanaryStage(b *testing.B) { benchRelease(b, true) }

func BenchmarkPlainStage(b *testing.B) { benchRelease(b, false) }

func benchRelease(b *testing.B, canary bool) {
	gw := nonProxyBench(b, releaseDoc("base"))
	if canary {
		api := *gw.table.Lookup(apiID, "prod")
		c := *gw.table.Lookup(apiID, "prod")
		c.IsCanary = true
		api.Canary, api.CanaryPercent = &c, 30
		gw.table.Set(&api)
	}
	req := httptest.NewRequest("GET", "/restapis/"+apiID+"/prod/_user_request_/who", nil)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		w := httptest.NewRecorder()
		gw.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
