package mgmt

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

// deployedAPI creates an API with a MOCK GET /pets deployed on stages.
func deployedAPI(t *testing.T, e *env, stages ...string) string {
	t.Helper()
	ctx := context.Background()
	apiID, petsID := buildAPI(t, e)
	must(e.client.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: &apiID, ResourceId: &petsID,
		HttpMethod: aws.String("GET"), Type: types.IntegrationTypeMock})).ok(t)
	for _, s := range stages {
		must(e.client.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &apiID, StageName: aws.String(s)})).ok(t)
	}
	return apiID
}

func TestApiKeys(t *testing.T) {
	e := newEnv(t)
	c := e.client
	ctx := context.Background()

	gen := must(c.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String("gen"), CustomerId: aws.String("cust-1")})).ok(t)
	if len(aws.ToString(gen.Value)) != 40 || len(aws.ToString(gen.Id)) != 10 || gen.Enabled {
		t.Fatalf("generated key: id %q value %q enabled %v; want 10-char id, 40-char value, disabled", aws.ToString(gen.Id), aws.ToString(gen.Value), gen.Enabled)
	}
	given := must(c.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String("given"), Enabled: true,
		Value: aws.String("abcdefghijklmnopqrstuvwxyz")})).ok(t)
	if aws.ToString(given.Value) != "abcdefghijklmnopqrstuvwxyz" || !given.Enabled {
		t.Fatalf("given key: %+v", given)
	}

	// The value is hidden unless asked for.
	got := must(c.GetApiKey(ctx, &apigateway.GetApiKeyInput{ApiKey: gen.Id})).ok(t)
	if got.Value != nil || aws.ToString(got.Name) != "gen" || aws.ToString(got.CustomerId) != "cust-1" {
		t.Fatalf("get without includeValue: %+v", got)
	}
	got = must(c.GetApiKey(ctx, &apigateway.GetApiKeyInput{ApiKey: gen.Id, IncludeValue: aws.Bool(true)})).ok(t)
	if aws.ToString(got.Value) != aws.ToString(gen.Value) {
		t.Fatalf("get with includeValue: %q", aws.ToString(got.Value))
	}
	list := must(c.GetApiKeys(ctx, &apigateway.GetApiKeysInput{IncludeValues: aws.Bool(true)})).ok(t)
	if len(list.Items) != 2 || list.Items[0].Value == nil {
		t.Fatalf("list: %+v", list.Items)
	}
	list = must(c.GetApiKeys(ctx, &apigateway.GetApiKeysInput{NameQuery: aws.String("giv")})).ok(t)
	if len(list.Items) != 1 || aws.ToString(list.Items[0].Name) != "given" || list.Items[0].Value != nil {
		t.Fatalf("name filter: %+v", list.Items)
	}
	list = must(c.GetApiKeys(ctx, &apigateway.GetApiKeysInput{CustomerId: aws.String("cust-1")})).ok(t)
	if len(list.Items) != 1 || aws.ToString(list.Items[0].Id) != aws.ToString(gen.Id) {
		t.Fatalf("customerId filter: %+v", list.Items)
	}

	upd := must(c.UpdateApiKey(ctx, &apigateway.UpdateApiKeyInput{ApiKey: gen.Id, PatchOperations: []types.PatchOperation{
		pop(types.OpReplace, "/enabled", "true"), pop(types.OpReplace, "/description", "d"), pop(types.OpReplace, "/name", "renamed")}})).ok(t)
	if !upd.Enabled || aws.ToString(upd.Description) != "d" || aws.ToString(upd.Name) != "renamed" {
		t.Fatalf("update: %+v", upd)
	}

	cases := []struct {
		name string
		call func() error
		code string
		msg  string
	}{
		{"short value", func() error {
			_, err := c.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Value: aws.String("short")})
			return err
		}, "BadRequestException", "API Key value should be at least 20 characters"},
		{"long value", func() error {
			_, err := c.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Value: aws.String(strings.Repeat("x", 129))})
			return err
		}, "BadRequestException", "API Key value exceeds maximum size of 128 characters"},
		{"long name", func() error {
			_, err := c.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String(strings.Repeat("n", 1025))})
			return err
		}, "BadRequestException", "Invalid API Key name, can be at most 1024 characters."},
		{"duplicate value", func() error {
			_, err := c.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Value: aws.String("abcdefghijklmnopqrstuvwxyz")})
			return err
		}, "ConflictException", "API Key value already exists"},
		{"unknown key", func() error {
			_, err := c.GetApiKey(ctx, &apigateway.GetApiKeyInput{ApiKey: aws.String("nokey00000")})
			return err
		}, "NotFoundException", "Invalid API Key identifier specified"},
		{"bad patch path", func() error {
			_, err := c.UpdateApiKey(ctx, &apigateway.UpdateApiKeyInput{ApiKey: gen.Id, PatchOperations: []types.PatchOperation{pop(types.OpReplace, "/value", "x")}})
			return err
		}, "BadRequestException", "Invalid patch path  '/value' specified for op 'replace'. Must be one of: [/description, /enabled, /name, /customerId]"},
		{"bad enabled", func() error {
			_, err := c.UpdateApiKey(ctx, &apigateway.UpdateApiKeyInput{ApiKey: gen.Id, PatchOperations: []types.PatchOperation{pop(types.OpReplace, "/enabled", "yes")}})
			return err
		}, "BadRequestException", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { wantAPIError(t, tc.call(), tc.code, tc.msg) })
	}

	must(c.DeleteApiKey(ctx, &apigateway.DeleteApiKeyInput{ApiKey: gen.Id})).ok(t)
	_, err := c.GetApiKey(ctx, &apigateway.GetApiKeyInput{ApiKey: gen.Id})
	wantAPIError(t, err, "NotFoundException", "Invalid API Key identifier specified")
}

func TestImportApiKeys(t *testing.T) {
	e := newEnv(t)
	c := e.client
	ctx := context.Background()
	apiID := deployedAPI(t, e, "prod")
	plan := must(c.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String("p"),
		ApiStages: []types.ApiStage{{ApiId: &apiID, Stage: aws.String("prod")}}})).ok(t)
	csv := "name,KEY,Description,enabled,usageplanIds\n" +
		"first,aaaaaaaaaabbbbbbbbbbccccccccccdd,one,TRUE," + aws.ToString(plan.Id) + "\n" +
		"second,zzzzzzzzzzyyyyyyyyyyxxxxxxxxxxww,two,false,\n"
	out := must(c.ImportApiKeys(ctx, &apigateway.ImportApiKeysInput{Body: []byte(csv), Format: types.ApiKeysFormatCsv})).ok(t)
	if len(out.Ids) != 2 {
		t.Fatalf("imported %v", out.Ids)
	}
	k := must(c.GetApiKey(ctx, &apigateway.GetApiKeyInput{ApiKey: aws.String(out.Ids[0]), IncludeValue: aws.Bool(true)})).ok(t)
	if aws.ToString(k.Name) != "first" || aws.ToString(k.Value) != "aaaaaaaaaabbbbbbbbbbccccccccccdd" || !k.Enabled || aws.ToString(k.Description) != "one" {
		t.Fatalf("imported key: %+v", k)
	}
	keys := must(c.GetUsagePlanKeys(ctx, &apigateway.GetUsagePlanKeysInput{UsagePlanId: plan.Id})).ok(t)
	if len(keys.Items) != 1 || aws.ToString(keys.Items[0].Id) != out.Ids[0] {
		t.Fatalf("plan keys after import: %+v", keys.Items)
	}
	for _, bad := range []struct{ csv, msg string }{
		{"name\nx\n", "Invalid API key file: the Key column is required"},
		{"key\nshort-key-of-29-characters-xx\n", "Invalid API key file, line 2: API Key value should be at least 30 characters"},
		{"key,colour\naaaaaaaaaabbbbbbbbbbccccccccccdd,red\n", `Invalid API key file: unknown column "colour"`},
		{"key,enabled\naaaaaaaaaabbbbbbbbbbcccccccccc99,maybe\n", "Invalid API key file, line 2: Enabled must be TRUE or FALSE"},
		{"key\naaaaaaaaaabbbbbbbbbbccccccccccdd\n", "API Key value already exists"},
		{"key,usageplanids\naaaaaaaaaabbbbbbbbbbcccccccccc42,nope00\n", "Invalid Usage Plan ID specified"},
	} {
		_, err := c.ImportApiKeys(ctx, &apigateway.ImportApiKeysInput{Body: []byte(bad.csv), Format: types.ApiKeysFormatCsv})
		var code string
		switch {
		case strings.Contains(bad.msg, "already"):
			code = "ConflictException"
		case strings.Contains(bad.msg, "Usage Plan"):
			code = "NotFoundException"
		default:
			code = "BadRequestException"
		}
		wantAPIError(t, err, code, bad.msg)
	}
	if n := countDocs(t, e.st, store.KindApiKey); n != 2 {
		t.Fatalf("refused imports left %d keys, want 2", n)
	}
}

func TestUsagePlans(t *testing.T) {
	e := newEnv(t)
	c := e.client
	ctx := context.Background()
	apiID := deployedAPI(t, e, "prod", "beta")

	plan := must(c.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{
		Name:      aws.String("gold"),
		ApiStages: []types.ApiStage{{ApiId: &apiID, Stage: aws.String("prod"), Throttle: map[string]types.ThrottleSettings{"/pets/GET": {RateLimit: 5, BurstLimit: 2}}}},
		Throttle:  &types.ThrottleSettings{RateLimit: 100, BurstLimit: 50},
		Quota:     &types.QuotaSettings{Limit: 1000, Offset: 10, Period: types.QuotaPeriodTypeMonth},
	})).ok(t)
	if len(aws.ToString(plan.Id)) != 6 || plan.Quota.Period != types.QuotaPeriodTypeMonth || plan.ApiStages[0].Throttle["/pets/GET"].BurstLimit != 2 {
		t.Fatalf("created plan: %+v", plan)
	}
	upd := must(c.UpdateUsagePlan(ctx, &apigateway.UpdateUsagePlanInput{UsagePlanId: plan.Id, PatchOperations: []types.PatchOperation{
		pop(types.OpReplace, "/name", "platinum"),
		pop(types.OpReplace, "/throttle/rateLimit", "7.5"),
		pop(types.OpReplace, "/quota/limit", "2000"),
		pop(types.OpReplace, "/quota/period", "WEEK"),
		pop(types.OpAdd, "/apiStages", apiID+":beta"),
		pop(types.OpReplace, "/apiStages/"+apiID+":prod/throttle/~1pets/GET/rateLimit", "9"),
		pop(types.OpReplace, "/apiStages/"+apiID+":beta/throttle//GET/burstLimit", "3"),
	}})).ok(t)
	if aws.ToString(upd.Name) != "platinum" || upd.Throttle.RateLimit != 7.5 || upd.Quota.Limit != 2000 || upd.Quota.Period != types.QuotaPeriodTypeWeek || len(upd.ApiStages) != 2 {
		t.Fatalf("updated plan: %+v", upd)
	}
	if upd.ApiStages[0].Throttle["/pets/GET"].RateLimit != 9 || upd.ApiStages[1].Throttle["//GET"].BurstLimit != 3 {
		t.Fatalf("method throttles: %+v %+v", upd.ApiStages[0].Throttle, upd.ApiStages[1].Throttle)
	}
	upd = must(c.UpdateUsagePlan(ctx, &apigateway.UpdateUsagePlanInput{UsagePlanId: plan.Id, PatchOperations: []types.PatchOperation{
		pop(types.OpRemove, "/apiStages", apiID+":beta"), pop(types.OpRemove, "/apiStages/"+apiID+":prod/throttle/~1pets/GET", "")}})).ok(t)
	if len(upd.ApiStages) != 1 || len(upd.ApiStages[0].Throttle) != 0 {
		t.Fatalf("after removals: %+v", upd.ApiStages)
	}
	if got := must(c.GetUsagePlans(ctx, &apigateway.GetUsagePlansInput{})).ok(t); len(got.Items) != 1 {
		t.Fatalf("list: %+v", got.Items)
	}

	// Plan keys: a key is in at most one plan per API stage.
	key := must(c.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String("k"), Enabled: true})).ok(t)
	pk := must(c.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: key.Id, KeyType: aws.String("API_KEY")})).ok(t)
	if aws.ToString(pk.Id) != aws.ToString(key.Id) || aws.ToString(pk.Type) != "API_KEY" || aws.ToString(pk.Value) != aws.ToString(key.Value) {
		t.Fatalf("plan key: %+v", pk)
	}
	must(c.GetUsagePlanKey(ctx, &apigateway.GetUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: key.Id})).ok(t)
	if got := must(c.GetUsagePlans(ctx, &apigateway.GetUsagePlansInput{KeyId: key.Id})).ok(t); len(got.Items) != 1 {
		t.Fatalf("plans of key: %+v", got.Items)
	}
	other := must(c.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String("other"),
		ApiStages: []types.ApiStage{{ApiId: &apiID, Stage: aws.String("prod")}}})).ok(t)
	_, err := c.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: other.Id, KeyId: key.Id, KeyType: aws.String("API_KEY")})
	wantAPIError(t, err, "ConflictException", "")
	third := must(c.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String("third")})).ok(t)
	must(c.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: third.Id, KeyId: key.Id, KeyType: aws.String("API_KEY")})).ok(t)
	_, err = c.UpdateUsagePlan(ctx, &apigateway.UpdateUsagePlanInput{UsagePlanId: third.Id, PatchOperations: []types.PatchOperation{pop(types.OpAdd, "/apiStages", apiID+":prod")}})
	wantAPIError(t, err, "ConflictException", "")

	cases := []struct {
		name string
		call func() error
		code string
		msg  string
	}{
		{"bad period", func() error {
			_, err := c.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String("x"), Quota: &types.QuotaSettings{Limit: 1, Period: "YEAR"}})
			return err
		}, "ValidationException", "1 validation error detected: Value 'YEAR' at 'createUsagePlanInput.quota.period' failed to satisfy constraint: Member must satisfy enum value set: [DAY, WEEK, MONTH]"},
		{"unknown stage", func() error {
			_, err := c.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String("x"), ApiStages: []types.ApiStage{{ApiId: &apiID, Stage: aws.String("nope")}}})
			return err
		}, "NotFoundException", ""},
		{"remove absent stage", func() error {
			_, err := c.UpdateUsagePlan(ctx, &apigateway.UpdateUsagePlanInput{UsagePlanId: plan.Id, PatchOperations: []types.PatchOperation{pop(types.OpRemove, "/apiStages", apiID+":beta")}})
			return err
		}, "NotFoundException", "Invalid API Stage {api: " + apiID + ", stage: beta} specified for usageplan " + aws.ToString(plan.Id)},
		{"bad method throttle key", func() error {
			_, err := c.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String("x"), ApiStages: []types.ApiStage{{ApiId: &apiID, Stage: aws.String("prod"),
				Throttle: map[string]types.ThrottleSettings{"pets": {RateLimit: 1}}}}})
			return err
		}, "BadRequestException", ""},
		{"unknown plan", func() error {
			_, err := c.GetUsagePlan(ctx, &apigateway.GetUsagePlanInput{UsagePlanId: aws.String("nope00")})
			return err
		}, "NotFoundException", "Invalid Usage Plan ID specified"},
		{"bad key type", func() error {
			_, err := c.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: key.Id, KeyType: aws.String("OTHER")})
			return err
		}, "BadRequestException", "Invalid key type specified: OTHER. Valid options are API_KEY"},
		{"key twice", func() error {
			_, err := c.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: key.Id, KeyType: aws.String("API_KEY")})
			return err
		}, "ConflictException", ""},
		{"unknown key", func() error {
			_, err := c.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: aws.String("nokey00000"), KeyType: aws.String("API_KEY")})
			return err
		}, "NotFoundException", "Invalid API Key identifier specified"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { wantAPIError(t, tc.call(), tc.code, tc.msg) })
	}
	resp, body := e.raw(t, "POST", "/usageplans", []byte(`{}`), testSecret)
	if resp.StatusCode != 400 || resp.Header.Get("x-amzn-ErrorType") != "ValidationException" ||
		string(body) != `{"message":"1 validation error detected: Value null at 'createUsagePlanInput.name' failed to satisfy constraint: Member must not be null"}` {
		t.Fatalf("plan without a name: %d %s", resp.StatusCode, body)
	}

	// Deleting a key removes it from its plans; deleting a plan removes its memberships.
	must(c.DeleteUsagePlanKey(ctx, &apigateway.DeleteUsagePlanKeyInput{UsagePlanId: third.Id, KeyId: key.Id})).ok(t)
	must(c.DeleteApiKey(ctx, &apigateway.DeleteApiKeyInput{ApiKey: key.Id})).ok(t)
	if got := must(c.GetUsagePlanKeys(ctx, &apigateway.GetUsagePlanKeysInput{UsagePlanId: plan.Id})).ok(t); len(got.Items) != 0 {
		t.Fatalf("plan keys after the key was deleted: %+v", got.Items)
	}
	for _, p := range []*string{plan.Id, other.Id, third.Id} {
		must(c.DeleteUsagePlan(ctx, &apigateway.DeleteUsagePlanInput{UsagePlanId: p})).ok(t)
	}
	for _, k := range []store.Kind{store.KindUsagePlan, store.KindUsagePlanKey, store.KindUsage} {
		if n := countDocs(t, e.st, k); n != 0 {
			t.Errorf("%d %s documents left", n, k)
		}
	}
}

func TestUsage(t *testing.T) {
	e := newEnv(t)
	c := e.client
	ctx := context.Background()
	apiID := deployedAPI(t, e, "prod")
	plan := must(c.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String("p"),
		ApiStages: []types.ApiStage{{ApiId: &apiID, Stage: aws.String("prod")}},
		Quota:     &types.QuotaSettings{Limit: 100, Period: types.QuotaPeriodTypeDay}})).ok(t)
	key := must(c.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Enabled: true})).ok(t)
	must(c.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: key.Id, KeyType: aws.String("API_KEY")})).ok(t)

	// The data plane's counts, as it writes them.
	now := time.Now().UTC()
	today := model.DayKey(now)
	yesterday := model.DayKey(now.AddDate(0, 0, -1))
	if err := e.st.Update(func(tx store.Tx) error {
		return tx.Put(store.KindUsage, store.Key(*plan.Id, *key.Id), &model.UsageRecord{
			PeriodStart: model.Epoch{Time: now.Truncate(24 * time.Hour)}, Used: 12, Days: map[string]int64{today: 12, yesterday: 30}})
	}); err != nil {
		t.Fatal(err)
	}
	u := must(c.GetUsage(ctx, &apigateway.GetUsageInput{UsagePlanId: plan.Id, StartDate: &yesterday, EndDate: &today})).ok(t)
	want := [][]int64{{30, 70}, {12, 88}}
	if got := u.Items[*key.Id]; len(got) != 2 || got[0][0] != want[0][0] || got[0][1] != want[0][1] || got[1][0] != want[1][0] || got[1][1] != want[1][1] {
		t.Fatalf("usage %v, want %v", u.Items, want)
	}
	upd := must(c.UpdateUsage(ctx, &apigateway.UpdateUsageInput{UsagePlanId: plan.Id, KeyId: key.Id,
		PatchOperations: []types.PatchOperation{pop(types.OpReplace, "/remaining", "5")}})).ok(t)
	if rows := upd.Items[*key.Id]; len(rows) != 1 || rows[0][1] != 5 {
		t.Fatalf("update usage: %v", upd.Items)
	}
	var rec model.UsageRecord
	if err := e.st.View(func(tx store.Tx) error { return tx.Get(store.KindUsage, store.Key(*plan.Id, *key.Id), &rec) }); err != nil {
		t.Fatal(err)
	}
	if rec.Used != 95 || rec.Rev != 1 {
		t.Fatalf("stored usage after update: %+v", rec)
	}

	_, err := c.GetUsage(ctx, &apigateway.GetUsageInput{UsagePlanId: plan.Id, StartDate: aws.String("2026-13-01"), EndDate: &today})
	wantAPIError(t, err, "BadRequestException", "Invalid startDate specified: 2026-13-01. Dates are yyyy-MM-dd")
	_, err = c.GetUsage(ctx, &apigateway.GetUsageInput{UsagePlanId: plan.Id, StartDate: &today, EndDate: &yesterday})
	wantAPIError(t, err, "BadRequestException", "The end date must not be before the start date")
	_, err = c.UpdateUsage(ctx, &apigateway.UpdateUsageInput{UsagePlanId: plan.Id, KeyId: key.Id,
		PatchOperations: []types.PatchOperation{pop(types.OpReplace, "/remaining", "-1")}})
	wantAPIError(t, err, "BadRequestException", "")
	resp, body := e.raw(t, "GET", "/usageplans/"+*plan.Id+"/usage?endDate="+today, nil, testSecret)
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("x-amzn-ErrorType") != "ValidationException" {
		t.Fatalf("usage without startDate: %d %s", resp.StatusCode, body)
	}
	var m map[string]string
	if json.Unmarshal(body, &m) != nil || !strings.Contains(m["message"], "getUsageInput.startDate") {
		t.Fatalf("usage without startDate: %s", body)
	}
}

func TestQuotaPeriods(t *testing.T) {
	at := time.Date(2026, 11, 26, 15, 4, 5, 0, time.UTC) // a Thursday
	for _, c := range []struct{ period, want string }{{"DAY", "2026-11-26"}, {"WEEK", "2026-11-23"}, {"MONTH", "2026-11-01"}} {
		q := &model.QuotaSettings{Period: c.period}
		if got := q.PeriodStart(at).Format("2006-01-02T15:04:05"); got != c.want+"T00:00:00" {
			t.Errorf("%s: %s, want %s", c.period, got, c.want)
		}
	}
	rec := &model.UsagePlanRecord{Plan: model.UsagePlan{Quota: &model.QuotaSettings{Limit: 100, Offset: 30, Period: "DAY"}},
		QuotaStart: model.Epoch{Time: at}}
	if got := rec.QuotaLimit(rec.Plan.Quota.PeriodStart(at)); got != 70 {
		t.Errorf("initial period limit %d, want 70", got)
	}
	if got := rec.QuotaLimit(rec.Plan.Quota.PeriodStart(at.AddDate(0, 0, 1))); got != 100 {
		t.Errorf("later period limit %d, want 100", got)
	}
}

// FuzzPlanStageThrottlePath feeds any patch path to the usage plan method-throttle parser: it
// never panics, and what it accepts names a method as "{resourcePath}/{VERB}".
func FuzzPlanStageThrottlePath(f *testing.F) {
	for _, s := range []string{"/apiStages/abc:prod/throttle", "/apiStages/abc:prod/throttle/~1pets/GET/rateLimit",
		"/apiStages/abc:prod/throttle//GET/burstLimit", "/apiStages/:/throttle/x", "/apiStages/a:b/throttle/~1a~1b/ANY"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		_, method, _, ok := planStageThrottlePath(path)
		if ok && method != "" && methodThrottleKey(method) != nil {
			t.Fatalf("%q accepted with method %q", path, method)
		}
	})
}

// FuzzImportApiKeys sends any body as an API key file: the answer is 201 or an AWS error, never
// a failure of the server.
func FuzzImportApiKeys(f *testing.F) {
	e := newEnv(f)
	for _, s := range []string{"key,name\naaaaaaaaaabbbbbbbbbbccccccccccdd,x\n", "Key\n\"unterminated\n", "\ufeffKEY,Enabled\nx,TRUE", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		resp, out := e.raw(t, "POST", "/apikeys?mode=import&format=csv", []byte(body), testSecret)
		if resp.StatusCode != http.StatusCreated && (resp.StatusCode < 400 || resp.StatusCode >= 500 || resp.Header.Get("x-amzn-ErrorType") == "") {
			t.Fatalf("%q → %d %s", body, resp.StatusCode, out)
		}
	})
}

// TestAccountThrottle checks that GetAccount reports the account-level throttle the server
// enforces.
func TestAccountThrottle(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewServer(New(e.st, Options{Region: testRegion, AccountID: testAcct,
		Credentials: map[string]string{testKey: testSecret}, ThrottleRate: 123.5, ThrottleBurst: 45}))
	defer srv.Close()
	c := apigateway.New(apigateway.Options{BaseEndpoint: aws.String(srv.URL), Region: testRegion,
		Credentials: credentials.NewStaticCredentialsProvider(testKey, testSecret, ""), RetryMaxAttempts: 1})
	a := must(c.GetAccount(context.Background(), &apigateway.GetAccountInput{})).ok(t)
	if a.ThrottleSettings == nil || a.ThrottleSettings.RateLimit != 123.5 || a.ThrottleSettings.BurstLimit != 45 {
		t.Fatalf("throttle settings %+v", a.ThrottleSettings)
	}
	a = must(e.client.GetAccount(context.Background(), &apigateway.GetAccountInput{})).ok(t)
	if a.ThrottleSettings.RateLimit != 10000 || a.ThrottleSettings.BurstLimit != 5000 {
		t.Fatalf("default throttle settings %+v", a.ThrottleSettings)
	}
}

func TestKeyAndPlanTags(t *testing.T) {
	e := newEnv(t)
	c := e.client
	ctx := context.Background()
	key := must(c.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Tags: map[string]string{"team": "a"}})).ok(t)
	plan := must(c.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String("p"), Tags: map[string]string{"tier": "gold"}})).ok(t)
	for _, x := range []struct{ arn, created string }{
		{"arn:aws:apigateway:us-east-1::/apikeys/" + *key.Id, "team"},
		{"arn:aws:apigateway:us-east-1::/usageplans/" + *plan.Id, "tier"},
	} {
		must(c.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: aws.String(x.arn), Tags: map[string]string{"env": "prod"}})).ok(t)
		got := must(c.GetTags(ctx, &apigateway.GetTagsInput{ResourceArn: aws.String(x.arn)})).ok(t)
		if len(got.Tags) != 2 || got.Tags["env"] != "prod" || got.Tags[x.created] == "" {
			t.Fatalf("%s: tags %v", x.arn, got.Tags)
		}
		must(c.UntagResource(ctx, &apigateway.UntagResourceInput{ResourceArn: aws.String(x.arn), TagKeys: []string{"env"}})).ok(t)
		if got := must(c.GetTags(ctx, &apigateway.GetTagsInput{ResourceArn: aws.String(x.arn)})).ok(t); len(got.Tags) != 1 {
			t.Fatalf("%s: after untag %v", x.arn, got.Tags)
		}
	}
	_, err := c.GetTags(ctx, &apigateway.GetTagsInput{ResourceArn: aws.String("arn:aws:apigateway:us-east-1::/usageplans/nope00")})
	wantAPIError(t, err, "NotFoundException", "Invalid Usage Plan ID specified")
}

// FuzzUsagePlanPatch sends any patch operation to a usage plan, and any usage query: the answer
// is a success or a well-formed AWS error, never a failure of the server.
func FuzzUsagePlanPatch(f *testing.F) {
	e := newEnv(f)
	ctx := context.Background()
	apiID, petsID := buildAPI(f, e)
	must(e.client.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: &apiID, ResourceId: &petsID,
		HttpMethod: aws.String("GET"), Type: types.IntegrationTypeMock})).ok(f)
	must(e.client.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &apiID, StageName: aws.String("prod")})).ok(f)
	plan := must(e.client.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String("p"),
		ApiStages: []types.ApiStage{{ApiId: &apiID, Stage: aws.String("prod")}}})).ok(f)
	for _, s := range []struct{ op, path, value, query string }{
		{"replace", "/apiStages/{api}:prod/throttle/~1pets/GET/rateLimit", "2", "startDate=2026-01-01&endDate=2026-01-02"},
		{"add", "/apiStages", "{api}:prod", "startDate=2026-02-30&endDate=x"},
		{"replace", "/quota/period", "YEAR", ""},
		{"remove", "/apiStages/{api}:prod/throttle", "", "keyId=nokey&startDate=2026-01-01&endDate=2025-01-01"},
		{"replace", "/apiStages/{api}:prod/throttle//GET", `{"rateLimit":1,"burstLimit":2}`, ""},
	} {
		f.Add(s.op, s.path, s.value, s.query)
	}
	f.Fuzz(func(t *testing.T, op, path, value, query string) {
		path = strings.ReplaceAll(path, "{api}", apiID)
		value = strings.ReplaceAll(value, "{api}", apiID)
		body, _ := json.Marshal(map[string]any{"patchOperations": []map[string]string{{"op": op, "path": path, "value": value}}})
		for _, r := range []struct {
			method, target string
			body           []byte
		}{
			{"PATCH", "/usageplans/" + *plan.Id, body},
			{"GET", "/usageplans/" + *plan.Id + "/usage?" + url.PathEscape(query), nil},
		} {
			resp, out := e.raw(t, r.method, r.target, r.body, testSecret)
			if resp.StatusCode >= 500 || (resp.StatusCode >= 400 && resp.Header.Get("x-amzn-ErrorType") == "") {
				t.Fatalf("%s %s %s → %d %s", r.method, r.target, r.body, resp.StatusCode, out)
			}
		}
	})
}
