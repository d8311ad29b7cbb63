package e2e

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	"github.com/portico/portico/internal/server"
)

const keyedAPI = `openapi: 3.0.1
info: {title: keyed, version: "1"}
components:
  securitySchemes:
    api_key: {type: apiKey, name: x-api-key, in: header}
paths:
  /hello:
    get:
      security: [{api_key: []}]
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default: {statusCode: "200", responseTemplates: {application/json: '{"ok": true}'}}
`

const (
	forbiddenBody = `{"message":"Forbidden"}`
	throttledBody = `{"message":"Too Many Requests"}`
	quotaBody     = `{"message":"Limit Exceeded"}`
)

// useQuota sends keyed requests until n were accepted, retrying those the throttle refuses; it
// fails on any other answer.
func useQuota(t *testing.T, srv *server.Server, apiID, key string, n int) (throttled int) {
	t.Helper()
	for accepted := 0; accepted < n; {
		r := invokePath(t, srv, "GET", apiID, "prod", "/hello", "", "x-api-key", key)
		switch {
		case r.status == 200:
			accepted++
		case r.status == 429 && r.body == throttledBody && r.header.Get("x-amzn-ErrorType") == "TooManyRequestsException":
			throttled++
		default:
			t.Fatalf("after %d accepted: %d %s %s", accepted, r.status, r.body, r.header.Get("x-amzn-ErrorType"))
		}
	}
	return throttled
}

// wantQuotaExceeded checks that the key is cut at its quota with AWS's answer.
func wantQuotaExceeded(t *testing.T, srv *server.Server, apiID, key string) {
	t.Helper()
	r := invokePath(t, srv, "GET", apiID, "prod", "/hello", "", "x-api-key", key)
	for r.body == throttledBody { // the throttle answers before the quota is looked at
		r = invokePath(t, srv, "GET", apiID, "prod", "/hello", "", "x-api-key", key)
	}
	if r.status != 429 || r.body != quotaBody || r.header.Get("x-amzn-ErrorType") != "LimitExceededException" {
		t.Fatalf("over quota: %d %s %s", r.status, r.body, r.header.Get("x-amzn-ErrorType"))
	}
}

// TestUsagePlansWithAWSCLI creates keys, plans and plan keys with the stock AWS CLI; a keyed
// client is throttled and cut at its quota while another key is served; the quota holds across a
// restart to the request; UpdateUsage gives requests back; a disabled key is refused.
func TestUsagePlansWithAWSCLI(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv := startServer(t, dir)
	c := sdk(srv)
	api, err := c.ImportRestApi(ctx, &apigateway.ImportRestApiInput{Body: []byte(keyedAPI)})
	if err != nil {
		t.Fatal(err)
	}
	apiID := aws.ToString(api.Id)
	if _, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("prod")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "deployment", func() bool { return invokePath(t, srv, "GET", apiID, "prod", "/hello", "").status == 403 })
	if r := invokePath(t, srv, "GET", apiID, "prod", "/hello", ""); r.body != forbiddenBody || r.header.Get("x-amzn-ErrorType") != "ForbiddenException" {
		t.Fatalf("no key: %d %s %v", r.status, r.body, r.header)
	}

	type key struct{ ID, Value, Name string }
	var gold, silver key
	if out, err := awsCLI(t, srv, &gold, "apigateway", "create-api-key", "--name", "gold-client", "--enabled"); err != nil {
		t.Fatalf("create-api-key: %v %s", err, out)
	}
	if out, err := awsCLI(t, srv, &silver, "apigateway", "create-api-key", "--name", "silver-client", "--enabled",
		"--value", "silver-client-key-0123456789"); err != nil {
		t.Fatalf("create-api-key --value: %v %s", err, out)
	}
	if len(gold.Value) != 40 || silver.Value != "silver-client-key-0123456789" {
		t.Fatalf("keys: %+v %+v", gold, silver)
	}
	var goldPlan, silverPlan struct{ ID string }
	if out, err := awsCLI(t, srv, &goldPlan, "apigateway", "create-usage-plan", "--name", "gold",
		"--api-stages", "apiId="+apiID+",stage=prod", "--throttle", "burstLimit=3,rateLimit=10",
		"--quota", "limit=20,period=DAY"); err != nil {
		t.Fatalf("create-usage-plan: %v %s", err, out)
	}
	if out, err := awsCLI(t, srv, &silverPlan, "apigateway", "create-usage-plan", "--name", "silver",
		"--api-stages", "apiId="+apiID+",stage=prod"); err != nil {
		t.Fatalf("create-usage-plan: %v %s", err, out)
	}
	for _, pk := range []struct{ plan, key string }{{goldPlan.ID, gold.ID}, {silverPlan.ID, silver.ID}} {
		var out struct{ ID, Type, Value string }
		if stderr, err := awsCLI(t, srv, &out, "apigateway", "create-usage-plan-key", "--usage-plan-id", pk.plan,
			"--key-id", pk.key, "--key-type", "API_KEY"); err != nil || out.ID != pk.key || out.Type != "API_KEY" {
			t.Fatalf("create-usage-plan-key: %v %s %+v", err, stderr, out)
		}
	}
	var keys struct{ Items []key }
	if out, err := awsCLI(t, srv, &keys, "apigateway", "get-api-keys", "--include-values"); err != nil || len(keys.Items) != 2 || keys.Items[0].Value == "" {
		t.Fatalf("get-api-keys: %v %s %+v", err, out, keys)
	}
	stderr, err := awsCLI(t, srv, nil, "apigateway", "create-usage-plan-key", "--usage-plan-id", silverPlan.ID, "--key-id", gold.ID, "--key-type", "API_KEY")
	if err == nil || !strings.Contains(stderr, "ConflictException") {
		t.Fatalf("a key in two plans of one stage: %v %s", err, stderr)
	}

	// Gold is throttled (burst 3, 10 per second) and cut at 20; silver is served meanwhile.
	waitFor(t, "the keys to reach the data plane", func() bool {
		return invokePath(t, srv, "GET", apiID, "prod", "/hello", "", "x-api-key", silver.Value).status == 200
	})
	throttled := useQuota(t, srv, apiID, gold.Value, 12)
	if throttled == 0 {
		t.Error("sequential requests over the plan's rate were never throttled")
	}
	// A restart keeps the count: 8 more, not 20.
	stopServer(t, srv)
	srv = startServer(t, dir)
	c = sdk(srv)
	useQuota(t, srv, apiID, gold.Value, 8)
	wantQuotaExceeded(t, srv, apiID, gold.Value)
	if r := invokePath(t, srv, "GET", apiID, "prod", "/hello", "", "x-api-key", silver.Value); r.status != 200 {
		t.Fatalf("silver while gold is over quota: %d %s", r.status, r.body)
	}
	// The data plane writes its counts within a second; GetUsage reports them.
	today := time.Now().UTC().Format("2006-01-02")
	waitFor(t, "usage to be reported", func() bool {
		u, err := c.GetUsage(ctx, &apigateway.GetUsageInput{UsagePlanId: &goldPlan.ID, StartDate: &today, EndDate: &today})
		return err == nil && len(u.Items[gold.ID]) == 1 && u.Items[gold.ID][0][0] == 20 && u.Items[gold.ID][0][1] == 0
	})
	var usage struct {
		Items map[string][][]int64 `json:"items"`
	}
	if out, err := awsCLI(t, srv, &usage, "apigateway", "get-usage", "--usage-plan-id", goldPlan.ID, "--start-date", today, "--end-date", today); err != nil {
		t.Fatalf("get-usage: %v %s", err, out)
	}
	if rows := usage.Items[gold.ID]; len(rows) != 1 || rows[0][0] != 20 || rows[0][1] != 0 {
		t.Fatalf("get-usage: %+v", usage)
	}

	// UpdateUsage gives gold 3 more requests, exactly.
	if out, err := awsCLI(t, srv, nil, "apigateway", "update-usage", "--usage-plan-id", goldPlan.ID, "--key-id", gold.ID,
		"--patch-operations", "op=replace,path=/remaining,value=3"); err != nil {
		t.Fatalf("update-usage: %v %s", err, out)
	}
	waitFor(t, "the new remaining count", func() bool {
		r := invokePath(t, srv, "GET", apiID, "prod", "/hello", "", "x-api-key", gold.Value)
		return r.status == 200
	})
	useQuota(t, srv, apiID, gold.Value, 2)
	wantQuotaExceeded(t, srv, apiID, gold.Value)

	// A disabled key is refused.
	if out, err := awsCLI(t, srv, nil, "apigateway", "update-api-key", "--api-key", silver.ID,
		"--patch-operations", "op=replace,path=/enabled,value=false"); err != nil {
		t.Fatalf("update-api-key: %v %s", err, out)
	}
	r := invokePath(t, srv, "GET", apiID, "prod", "/hello", "", "x-api-key", silver.Value)
	if r.status != 403 || r.body != forbiddenBody {
		waitFor(t, "the disabled key to be refused", func() bool {
			return invokePath(t, srv, "GET", apiID, "prod", "/hello", "", "x-api-key", silver.Value).status == 403
		})
	}
}

// TestKeyRemovedUnderLoad removes a key from its plan through the management API while clients
// use it. The data plane learns it from the change feed: from the first refusal on, every
// request is refused.
func TestKeyRemovedUnderLoad(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t, t.TempDir())
	c := sdk(srv)
	api, err := c.ImportRestApi(ctx, &apigateway.ImportRestApiInput{Body: []byte(keyedAPI)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("prod")}); err != nil {
		t.Fatal(err)
	}
	plan, err := c.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String("p"),
		ApiStages: []types.ApiStage{{ApiId: api.Id, Stage: aws.String("prod")}}})
	if err != nil {
		t.Fatal(err)
	}
	key, err := c.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: key.Id, KeyType: aws.String("API_KEY")}); err != nil {
		t.Fatal(err)
	}
	apiID, value := aws.ToString(api.Id), aws.ToString(key.Value)
	waitFor(t, "the key", func() bool {
		return invokePath(t, srv, "GET", apiID, "prod", "/hello", "", "x-api-key", value).status == 200
	})

	type answer struct {
		start, end time.Time
		status     int
	}
	var mu sync.Mutex
	var answers []answer
	var served int
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				r := invokePath(t, srv, "GET", apiID, "prod", "/hello", "", "x-api-key", value)
				mu.Lock()
				answers = append(answers, answer{start, time.Now(), r.status})
				if r.status == 200 {
					served++
				}
				mu.Unlock()
			}
		}()
	}
	count := func(f func(a answer) bool) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, a := range answers {
			if f(a) {
				n++
			}
		}
		return n
	}
	waitFor(t, "load", func() bool { return count(func(a answer) bool { return a.status == 200 }) >= 50 })
	if _, err := c.DeleteUsagePlanKey(ctx, &apigateway.DeleteUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: key.Id}); err != nil {
		t.Fatal(err)
	}
	returned := time.Now()
	waitFor(t, "refusals", func() bool { return count(func(a answer) bool { return a.status == 403 }) >= 50 })
	close(stop)
	wg.Wait()
	var firstRefused time.Time
	for _, a := range answers {
		if a.status == 403 && (firstRefused.IsZero() || a.end.Before(firstRefused)) {
			firstRefused = a.end
		}
	}
	for _, a := range answers {
		if a.start.After(firstRefused) && a.status != 403 {
			t.Fatalf("a request started %v after the first refusal was answered %d", a.start.Sub(firstRefused), a.status)
		}
		if a.status != 200 && a.status != 403 {
			t.Fatalf("answer %d", a.status)
		}
	}
	late := count(func(a answer) bool { return a.status == 200 && a.start.After(returned) })
	t.Logf("%d requests served; the first refusal came %v after DeleteUsagePlanKey returned; %d requests started after it returned were still served",
		served, firstRefused.Sub(returned), late)
}
