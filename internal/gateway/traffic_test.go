package gateway

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/state"
	"github.com/portico/portico/internal/store"
)

const (
	keyValue  = "portico-test-key-value-0000000001"
	key2Value = "portico-test-key-value-0000000002"
)

// trafficDoc is an API with a keyed and an open MOCK method.
func trafficDoc() *model.APIDoc {
	ok := map[string]*model.IntegrationResponse{"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": `{"ok":true}`}}}
	keyed := mockMethod("GET", `{"statusCode": 200}`, ok, "200")
	keyed.ApiKeyRequired = true
	open := mockMethod("GET", `{"statusCode": 200}`, ok, "200")
	return newDoc(
		&model.Resource{Id: "keyedres01", Path: "/keyed", PathPart: "keyed", ParentId: "rootrootid",
			ResourceMethods: map[string]*model.Method{"GET": keyed}},
		&model.Resource{Id: "openres001", Path: "/open", PathPart: "open", ParentId: "rootrootid",
			ResourceMethods: map[string]*model.Method{"GET": open}},
	)
}

// deployWith deploys doc on stage with the given method settings.
func (e *env) deployWith(doc *model.APIDoc, stage string, settings map[string]*model.MethodSetting) {
	e.t.Helper()
	depID := model.NewID(6)
	err := e.st.Update(func(tx store.Tx) error {
		if err := tx.Put(store.KindRestAPI, doc.RestApi.Id, doc); err != nil {
			return err
		}
		rec := model.DeploymentRecord{Deployment: model.Deployment{Id: depID}, APIID: doc.RestApi.Id, Snapshot: doc.Clone()}
		if err := tx.Put(store.KindDeployment, store.Key(doc.RestApi.Id, depID), rec); err != nil {
			return err
		}
		return tx.Put(store.KindStage, store.Key(doc.RestApi.Id, stage), model.StageRecord{APIID: doc.RestApi.Id,
			Stage: model.Stage{StageName: stage, DeploymentId: depID, MethodSettings: settings}})
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.waitFor(func() bool {
		a := e.gw.table.Lookup(doc.RestApi.Id, stage)
		return a != nil && a.DeploymentID == depID
	})
}

// putPlan writes a usage plan on prod and puts the keys (id → value, enabled) in it, then waits
// until the gateway's key index has every enabled key in the plan.
func (e *env) putPlan(plan model.UsagePlan, keys map[string]string) {
	e.t.Helper()
	if plan.ApiStages == nil {
		plan.ApiStages = []model.ApiStage{{ApiId: apiID, Stage: "prod"}}
	}
	err := e.st.Update(func(tx store.Tx) error {
		if err := tx.Put(store.KindUsagePlan, plan.Id, &model.UsagePlanRecord{Plan: plan}); err != nil {
			return err
		}
		for id, v := range keys {
			if err := tx.Put(store.KindApiKey, id, &model.ApiKey{Id: id, Value: v, Enabled: true}); err != nil {
				return err
			}
			if err := tx.Put(store.KindUsagePlanKey, store.Key(plan.Id, id), &model.UsagePlanKey{Id: id, Type: "API_KEY"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.waitFor(func() bool {
		idx := e.gw.traffic.keys.Load()
		for _, v := range keys {
			k := idx.byValue[v]
			if k == nil {
				return false
			}
			if b := k.stages[apiStageRef{apiID, "prod"}]; b == nil || b.planID != plan.Id {
				return false
			}
		}
		return true
	})
}

// loadResult counts the answers of a load run by status.
type loadResult struct {
	byStatus map[int]int
	bodies   map[int]string
	elapsed  time.Duration
}

// load sends GETs to url from workers goroutines, each with its own connection pool, at most
// one request per worker every 2ms, for d.
func (e *env) load(url, host string, hdr map[string]string, workers int, d time.Duration) loadResult {
	e.t.Helper()
	var mu sync.Mutex
	res := loadResult{byStatus: map[int]int{}, bodies: map[int]string{}}
	var failed atomic.Value
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			defer client.CloseIdleConnections()
			tick := time.NewTicker(2 * time.Millisecond)
			defer tick.Stop()
			for time.Now().Before(end) {
				req, _ := http.NewRequest("GET", url, nil)
				req.Host = host
				for k, v := range hdr {
					req.Header.Set(k, v)
				}
				resp, err := client.Do(req)
				if err != nil {
					failed.Store(err)
					return
				}
				body := make([]byte, 256)
				n, _ := resp.Body.Read(body)
				resp.Body.Close()
				mu.Lock()
				res.byStatus[resp.StatusCode]++
				if _, ok := res.bodies[resp.StatusCode]; !ok {
					res.bodies[resp.StatusCode] = string(body[:n]) + " " + resp.Header.Get("X-Amzn-Errortype")
				}
				mu.Unlock()
				<-tick.C
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	if err, _ := failed.Load().(error); err != nil {
		e.t.Fatal(err)
	}
	return res
}

// checkRate checks that the requests accepted over a load run are within 10% of B + R·T.
func checkRate(t *testing.T, res loadResult, lim state.Limit) {
	t.Helper()
	want := float64(lim.Burst) + lim.Rate*res.elapsed.Seconds()
	got := float64(res.byStatus[200])
	t.Logf("accepted %v of %d over %v; B + R·T = %.1f", got, res.byStatus[200]+res.byStatus[429], res.elapsed.Round(time.Millisecond), want)
	if got < want*0.9 || got > want*1.1 {
		t.Errorf("accepted %v over %v, want %.0f ±10%% (answers %v)", got, res.elapsed, want, res.byStatus)
	}
	if res.byStatus[429] == 0 {
		t.Errorf("nothing was throttled: %v", res.byStatus)
	}
	if b := res.bodies[429]; b != `{"message":"Too Many Requests"} TooManyRequestsException` {
		t.Errorf("throttled answer %q", b)
	}
}

// TestThrottleLevels loads one method at each throttling level in turn and checks the accepted
// count against the level's token bucket.
func TestThrottleLevels(t *testing.T) {
	if testing.Short() {
		t.Skip("runs load for seconds")
	}
	lim := state.Limit{Rate: 40, Burst: 20}
	setting := func(l state.Limit) *model.MethodSetting {
		return &model.MethodSetting{ThrottlingRateLimit: l.Rate, ThrottlingBurstLimit: l.Burst}
	}
	wide := state.Limit{Rate: 5000, Burst: 5000}
	key := map[string]string{"X-Api-Key": keyValue}
	cases := []struct {
		name     string
		account  state.Limit
		settings map[string]*model.MethodSetting
		plan     *model.UsagePlan
		path     string
		hdr      map[string]string
	}{
		{name: "account", account: lim, path: "/open"},
		{name: "stage default */*", settings: map[string]*model.MethodSetting{"*/*": setting(lim)}, path: "/open"},
		{name: "stage method", settings: map[string]*model.MethodSetting{"*/*": setting(wide), "open/GET": setting(lim)}, path: "/open"},
		{name: "usage plan", plan: &model.UsagePlan{Id: "plan01", Throttle: &model.ThrottleSettings{RateLimit: lim.Rate, BurstLimit: lim.Burst}},
			path: "/keyed", hdr: key},
		{name: "usage plan method", path: "/keyed", hdr: key, plan: &model.UsagePlan{Id: "plan02",
			Throttle: &model.ThrottleSettings{RateLimit: wide.Rate, BurstLimit: wide.Burst},
			ApiStages: []model.ApiStage{{ApiId: apiID, Stage: "prod", Throttle: map[string]*model.ThrottleSettings{
				"/keyed/GET": {RateLimit: lim.Rate, BurstLimit: lim.Burst}}}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, Options{AccountLimit: c.account})
			e.deployWith(trafficDoc(), "prod", c.settings)
			if c.plan != nil {
				e.putPlan(*c.plan, map[string]string{"key0000001": keyValue})
			}
			url, host := e.hostURL(apiID, "/prod"+c.path)
			res := e.load(url, host, c.hdr, 4, 2*time.Second)
			checkRate(t, res, lim)
		})
	}
}

// TestAPIKeyChecks covers the answers of the API key phase.
func TestAPIKeyChecks(t *testing.T) {
	e := newEnv(t, Options{})
	e.deployWith(trafficDoc(), "prod", nil)
	url, host := e.hostURL(apiID, "/prod/keyed")
	get := func(hdr map[string]string) result { return e.do("GET", url, host, nil, hdr) }
	forbidden := func(name string, r result) {
		t.Helper()
		if r.status != 403 || r.body != `{"message":"Forbidden"}` || r.header.Get("X-Amzn-Errortype") != "ForbiddenException" {
			t.Errorf("%s: got %d %q %q, want 403 Forbidden", name, r.status, r.body, r.header.Get("X-Amzn-Errortype"))
		}
	}
	forbidden("no key", get(nil))
	forbidden("unknown key", get(map[string]string{"X-Api-Key": "nope-nope-nope-nope-nope"}))
	e.putPlan(model.UsagePlan{Id: "plan01"}, map[string]string{"key0000001": keyValue})
	if r := get(map[string]string{"x-api-key": keyValue}); r.status != 200 {
		t.Fatalf("key in plan: %d %s", r.status, r.body)
	}
	if r := e.do("GET", e.pathURL(apiID, "prod", "/open"), "", nil, nil); r.status != 200 {
		t.Fatalf("open method without key: %d %s", r.status, r.body)
	}
	// A plan on another stage does not admit the key here.
	e.deployWith(trafficDoc(), "beta", nil)
	forbidden("key of another stage", e.do("GET", e.pathURL(apiID, "beta", "/keyed"), "", nil, map[string]string{"X-Api-Key": keyValue}))

	// A disabled key is refused once the index has it.
	if err := e.st.Update(func(tx store.Tx) error {
		return tx.Put(store.KindApiKey, "key0000001", &model.ApiKey{Id: "key0000001", Value: keyValue, Enabled: false})
	}); err != nil {
		t.Fatal(err)
	}
	e.waitFor(func() bool { return e.gw.traffic.keys.Load().byValue[keyValue] == nil })
	forbidden("disabled key", get(map[string]string{"X-Api-Key": keyValue}))

	// apiKeySource AUTHORIZER: no authorizer supplies a key yet, so every keyed call is refused.
	doc := trafficDoc()
	doc.RestApi.ApiKeySource = "AUTHORIZER"
	e.putPlan(model.UsagePlan{Id: "plan02"}, map[string]string{"key0000002": key2Value})
	e.deployWith(doc, "prod", nil)
	forbidden("authorizer source", get(map[string]string{"X-Api-Key": key2Value}))
}

// TestQuotaExactUnderLoad runs two keys of one plan against a quota under concurrent load: each
// gets exactly the quota, then Limit Exceeded.
func TestQuotaExactUnderLoad(t *testing.T) {
	e := newEnv(t, Options{})
	e.deployWith(trafficDoc(), "prod", nil)
	e.putPlan(model.UsagePlan{Id: "plan01", Quota: &model.QuotaSettings{Limit: 37, Period: "DAY"}},
		map[string]string{"key0000001": keyValue, "key0000002": key2Value})
	url, host := e.hostURL(apiID, "/prod/keyed")
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted := map[string]int{}
	refusals := map[string]string{}
	for _, v := range []string{keyValue, key2Value} {
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				client := &http.Client{Transport: &http.Transport{}}
				defer client.CloseIdleConnections()
				for {
					req, _ := http.NewRequest("GET", url, nil)
					req.Host = host
					req.Header.Set("X-Api-Key", v)
					resp, err := client.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					body := make([]byte, 64)
					n, _ := resp.Body.Read(body)
					resp.Body.Close()
					mu.Lock()
					if resp.StatusCode == 200 {
						accepted[v]++
					} else {
						refusals[v] = fmt.Sprintf("%d %s %s", resp.StatusCode, body[:n], resp.Header.Get("X-Amzn-Errortype"))
					}
					mu.Unlock()
					if resp.StatusCode != 200 {
						return // this worker has seen the quota end
					}
				}
			}()
		}
	}
	wg.Wait()
	for _, v := range []string{keyValue, key2Value} {
		if accepted[v] != 37 {
			t.Errorf("key %s: %d accepted, want exactly 37", v, accepted[v])
		}
		if r := refusals[v]; r != `429 {"message":"Limit Exceeded"} LimitExceededException` {
			t.Errorf("key %s: quota answer %q", v, r)
		}
	}
}

// TestKeyDisabledUnderLoad disables a key while clients use it: once the gateway's index has
// the change, every request that starts is refused.
func TestKeyDisabledUnderLoad(t *testing.T) {
	e := newEnv(t, Options{})
	e.deployWith(trafficDoc(), "prod", nil)
	e.putPlan(model.UsagePlan{Id: "plan01"}, map[string]string{"key0000001": keyValue})
	url, host := e.hostURL(apiID, "/prod/keyed")
	type answer struct {
		start  time.Time
		status int
	}
	var mu sync.Mutex
	var answers []answer
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var served atomic.Int64
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Transport: &http.Transport{}}
			defer client.CloseIdleConnections()
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("GET", url, nil)
				req.Host = host
				req.Header.Set("X-Api-Key", keyValue)
				start := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode == 200 {
					served.Add(1)
				}
				mu.Lock()
				answers = append(answers, answer{start, resp.StatusCode})
				mu.Unlock()
			}
		}()
	}
	e.waitFor(func() bool { return served.Load() >= 50 })
	written := time.Now()
	if err := e.st.Update(func(tx store.Tx) error {
		return tx.Delete(store.KindUsagePlanKey, store.Key("plan01", "key0000001"))
	}); err != nil {
		t.Fatal(err)
	}
	e.waitFor(func() bool { return e.gw.traffic.keys.Load().byValue[keyValue] == nil })
	swapped := time.Now()
	e.waitFor(func() bool {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, a := range answers {
			if a.start.After(swapped) {
				n++
			}
		}
		return n >= 50
	})
	close(stop)
	wg.Wait()
	for _, a := range answers {
		if a.start.After(swapped) && a.status != 403 {
			t.Fatalf("a request started %v after the key left the plan was answered %d", a.start.Sub(swapped), a.status)
		}
	}
	t.Logf("the key left the index %v after the store write", swapped.Sub(written))
}

// TestContextIdentityAPIKey checks $context.identity.apiKey and apiKeyId, here in a customised
// QUOTA_EXCEEDED gateway response (a quota of 0 refuses every request).
func TestContextIdentityAPIKey(t *testing.T) {
	e := newEnv(t, Options{})
	doc := trafficDoc()
	doc.GatewayResponses = map[string]*model.GatewayResponse{"QUOTA_EXCEEDED": {ResponseType: "QUOTA_EXCEEDED",
		ResponseTemplates: map[string]string{"application/json": `{"id":"$context.identity.apiKeyId","key":"$context.identity.apiKey"}`}}}
	e.deployWith(doc, "prod", nil)
	e.putPlan(model.UsagePlan{Id: "plan01", Quota: &model.QuotaSettings{Limit: 0, Period: "DAY"}}, map[string]string{"key0000001": keyValue})
	url, host := e.hostURL(apiID, "/prod/keyed")
	r := e.do("GET", url, host, nil, map[string]string{"X-Api-Key": keyValue})
	if r.status != 429 || r.body != `{"id":"key0000001","key":"`+keyValue+`"}` || r.header.Get("X-Amzn-Errortype") != "LimitExceededException" {
		t.Fatalf("got %d %s %v", r.status, r.body, r.header)
	}
}

// TestQuotaBook checks that counts are written when the gateway closes and read back when one
// starts, and that a count the management API sets (a raised Rev) is adopted with the requests
// counted since kept on top.
func TestQuotaBook(t *testing.T) {
	e := newEnv(t, Options{QuotaFlushInterval: time.Hour})
	e.deployWith(trafficDoc(), "prod", nil)
	e.putPlan(model.UsagePlan{Id: "plan01", Quota: &model.QuotaSettings{Limit: 10, Period: "MONTH"}}, map[string]string{"key0000001": keyValue})
	url, host := e.hostURL(apiID, "/prod/keyed")
	hdr := map[string]string{"X-Api-Key": keyValue}
	for range 4 {
		if r := e.do("GET", url, host, nil, hdr); r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
	}
	e.gw.Close() // writes the 4 counts
	gw, err := New(e.st, Options{Logger: e.gw.log, QuotaFlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close() })
	e.gw = gw
	e.srv.Config.Handler = gw
	counter := "plan01/key0000001"
	start, _ := gw.traffic.keys.Load().byValue[keyValue].stages[apiStageRef{apiID, "prod"}].quota.period(time.Now())
	if used := gw.traffic.quota.Used(counter, start); used != 4 {
		t.Fatalf("after a restart the count is %d, want 4", used)
	}
	for range 2 {
		if r := e.do("GET", url, host, nil, hdr); r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
	}
	// UpdateUsage sets the count to 9 (1 remaining): the 2 requests since are kept on top of it.
	var rec model.UsageRecord
	if err := e.st.Update(func(tx store.Tx) error {
		if err := tx.Get(store.KindUsage, counter, &rec); err != nil {
			return err
		}
		rec.Used, rec.Rev = 9, rec.Rev+1
		return tx.Put(store.KindUsage, counter, &rec)
	}); err != nil {
		t.Fatal(err)
	}
	e.waitFor(func() bool { return gw.traffic.quota.Used(counter, start) == 11 })
	if r := e.do("GET", url, host, nil, hdr); r.status != 429 || r.body != `{"message":"Limit Exceeded"}` {
		t.Fatalf("over the adopted count: %d %s", r.status, r.body)
	}
	if err := gw.traffic.book.flush(false); err != nil {
		t.Fatal(err)
	}
	if err := e.st.View(func(tx store.Tx) error { return tx.Get(store.KindUsage, counter, &rec) }); err != nil {
		t.Fatal(err)
	}
	if rec.Used != 11 || rec.Days[model.DayKey(time.Now())] != 6 {
		t.Fatalf("stored usage %+v, want used 11 and 6 requests today", rec)
	}
}

// TestPlanMethodThrottleOfANY checks that a usage plan throttles an ANY method by the entry of
// the request's verb, else by its "ANY" entry.
func TestPlanMethodThrottleOfANY(t *testing.T) {
	e := newEnv(t, Options{})
	doc := trafficDoc()
	ok := map[string]*model.IntegrationResponse{"200": {StatusCode: "200"}}
	anyM := mockMethod("ANY", `{"statusCode": 200}`, ok, "200")
	anyM.ApiKeyRequired = true
	doc.Resources["anyres0001"] = &model.Resource{Id: "anyres0001", Path: "/any", PathPart: "any", ParentId: "rootrootid",
		ResourceMethods: map[string]*model.Method{"ANY": anyM}}
	e.deployWith(doc, "prod", nil)
	one := &model.ThrottleSettings{RateLimit: 0.001, BurstLimit: 1}
	e.putPlan(model.UsagePlan{Id: "plan01", ApiStages: []model.ApiStage{{ApiId: apiID, Stage: "prod",
		Throttle: map[string]*model.ThrottleSettings{"/any/GET": one, "/any/ANY": one}}}}, map[string]string{"key0000001": keyValue})
	url, host := e.hostURL(apiID, "/prod/any")
	hdr := map[string]string{"X-Api-Key": keyValue}
	for i, c := range []struct {
		method string
		want   int
	}{{"GET", 200}, {"GET", 429}, {"POST", 200}, {"PUT", 429}, {"GET", 429}} {
		if r := e.do(c.method, url, host, nil, hdr); r.status != c.want {
			t.Errorf("call %d, %s: %d %s, want %d", i, c.method, r.status, r.body, c.want)
		}
	}
}

// TestQuotaAfterCrash abandons a gateway without Close (its counts never written) and starts
// another on the same store: the room the first reserved counts as used, so the two together
// never serve more than the quota.
func TestQuotaAfterCrash(t *testing.T) {
	e := newEnv(t, Options{QuotaFlushInterval: time.Hour})
	e.deployWith(trafficDoc(), "prod", nil)
	e.putPlan(model.UsagePlan{Id: "plan01", Quota: &model.QuotaSettings{Limit: 100, Period: "MONTH"}}, map[string]string{"key0000001": keyValue})
	url, host := e.hostURL(apiID, "/prod/keyed")
	hdr := map[string]string{"X-Api-Key": keyValue}
	served := 0
	for range 5 {
		if r := e.do("GET", url, host, nil, hdr); r.status == 200 {
			served++
		}
	}
	var rec model.UsageRecord
	if err := e.st.View(func(tx store.Tx) error { return tx.Get(store.KindUsage, "plan01/key0000001", &rec) }); err != nil {
		t.Fatal(err)
	}
	if rec.Used != 0 || rec.Reserved < 5 {
		t.Fatalf("before any flush the document holds %+v, want room for the 5 served", rec)
	}
	// The first gateway stops following the store and never flushes again (its interval is an
	// hour), as if it had crashed.
	e.gw.stop()
	<-e.gw.done
	gw, err := New(e.st, Options{Logger: e.gw.log, QuotaFlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close() })
	e.gw = gw
	e.srv.Config.Handler = gw
	for {
		r := e.do("GET", url, host, nil, hdr)
		if r.status != 200 {
			if r.status != 429 || r.body != `{"message":"Limit Exceeded"}` {
				t.Fatalf("%d %s", r.status, r.body)
			}
			break
		}
		served++
	}
	if served > 100 || served != 100-int(rec.Reserved)+5 {
		t.Fatalf("served %d in all with %d reserved before the crash, want 100 - %d + 5", served, rec.Reserved, rec.Reserved)
	}
	t.Logf("after a crash with %d reserved, %d of the quota of 100 were served", rec.Reserved, served)
}

// leavingQuota is a quota counter whose first count finds the key gone from its plan, as the
// store's counter does when a plan key is deleted, and counts every later request.
type leavingQuota struct{ calls atomic.Int64 }

func (q *leavingQuota) Take(string, int64, int64) (bool, error) {
	if q.calls.Add(1) == 1 {
		return false, errNotInPlan
	}
	return true, nil
}

func (q *leavingQuota) Used(string, int64) int64 { return 0 }

// TestKeyLeftPlanRefusedAtOnce: once a request learns from the quota counter that its key has
// left the plan, the requests after it are refused, though the key index, rebuilt from the
// change feed, still holds the key (here it never changes, so only the counter knows).
func TestKeyLeftPlanRefusedAtOnce(t *testing.T) {
	q := &leavingQuota{}
	e := newEnv(t, Options{Quota: q})
	e.deployWith(trafficDoc(), "prod", nil)
	e.putPlan(model.UsagePlan{Id: "plan01"}, map[string]string{"key0000001": keyValue})
	url := e.pathURL(apiID, "prod", "/keyed")
	hdr := map[string]string{"X-Api-Key": keyValue}
	for i := range 3 {
		if r := e.do("GET", url, "", nil, hdr); r.status != 403 || r.body != `{"message":"Forbidden"}` {
			t.Fatalf("request %d after the key left its plan: %d %s", i+1, r.status, r.body)
		}
	}
	if n := q.calls.Load(); n != 1 {
		t.Errorf("the quota counter was asked %d times, want once: the key should be refused before it", n)
	}
}
