package gateway

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

func ir(status, pattern, body string, params map[string]string) *model.IntegrationResponse {
	r := &model.IntegrationResponse{StatusCode: status, SelectionPattern: pattern, ResponseParameters: params}
	if body != "" {
		r.ResponseTemplates = map[string]string{"application/json": body}
	}
	return r
}

func mockDoc() *model.APIDoc {
	routes := map[string]*model.IntegrationResponse{
		"200": ir("200", "", `{"ok":true}`, map[string]string{
			"method.response.header.X-Static": "'yes'",
			"method.response.header.X-Stage":  "stageVariables.color",
			"method.response.header.X-Req":    "context.requestId",
		}),
		"404": ir("404", "404", `{"message":"no such pet"}`, nil),
		"201": ir("201", "2\\d1", "", nil),
	}
	return newDoc(
		&model.Resource{Id: "rootrootid", Path: "/", ResourceMethods: map[string]*model.Method{
			"GET": mockMethod("GET", `{"statusCode": 200}`, map[string]*model.IntegrationResponse{"200": ir("200", "", `root`, nil)}, "200")}},
		&model.Resource{Id: "ok0001", Path: "/status/ok", ResourceMethods: map[string]*model.Method{
			"GET": mockMethod("GET", `{"statusCode": 200}`, routes, "200", "404"),
			"ANY": mockMethod("ANY", `{"statusCode": 404}`, routes, "200", "404")}},
		&model.Resource{Id: "nf0001", Path: "/status/notfound", ResourceMethods: map[string]*model.Method{
			"GET": mockMethod("GET", `{"statusCode": 404}`, routes, "200", "404")}},
		&model.Resource{Id: "nm0001", Path: "/status/nomethodresponse", ResourceMethods: map[string]*model.Method{
			"GET": mockMethod("GET", `{"statusCode": 201}`, routes, "200", "404")}},
		&model.Resource{Id: "nd0001", Path: "/status/nodefault", ResourceMethods: map[string]*model.Method{
			"GET": mockMethod("GET", `{"statusCode": 418}`, map[string]*model.IntegrationResponse{"404": ir("404", "404", "", nil)}, "404")}},
		&model.Resource{Id: "vt0001", Path: "/status/vtl", ResourceMethods: map[string]*model.Method{
			"GET": mockMethod("GET", `#set($x = 1){"statusCode": 200}`, routes, "200")}},
		&model.Resource{Id: "pt0001", Path: "/passthrough", ResourceMethods: map[string]*model.Method{
			"POST": mockMethod("POST", "", routes, "200", "404")}},
		&model.Resource{Id: "pets01", Path: "/pets/{petId}", ResourceMethods: map[string]*model.Method{
			"GET": mockMethod("GET", `{"statusCode": 200}`, routes, "200")}},
		&model.Resource{Id: "cors01", Path: "/cors", ResourceMethods: map[string]*model.Method{
			"OPTIONS": mockMethod("OPTIONS", `{ statusCode: 204 }`, map[string]*model.IntegrationResponse{"204": ir("204", "", "", map[string]string{
				"method.response.header.Access-Control-Allow-Origin": "'*'"})}, "204"),
			"GET": mockMethod("GET", `{"statusCode": -7}`, routes, "200", "404")}},
		&model.Resource{Id: "aws001", Path: "/lambda", ResourceMethods: map[string]*model.Method{
			"POST": {HttpMethod: "POST", MethodIntegration: &model.Integration{Type: "AWS_PROXY", Uri: "arn:aws:apigateway:us-east-1:lambda:path/x"}}}},
	)
}

func TestMockBothURLForms(t *testing.T) {
	e := newEnv(t, Options{})
	e.deploy(mockDoc(), "dep001", "prod", map[string]string{"color": "blue"})
	url, host := e.hostURL(apiID, "/prod/status/ok")
	for name, target := range map[string][2]string{
		"host": {url, host},
		"path": {e.pathURL(apiID, "prod", "/status/ok"), ""},
	} {
		r := e.do("GET", target[0], target[1], nil, nil)
		if r.status != 200 || r.body != `{"ok":true}` {
			t.Fatalf("%s style: %d %q", name, r.status, r.body)
		}
		if r.header.Get("X-Static") != "yes" || r.header.Get("X-Stage") != "blue" ||
			r.header.Get("X-Req") != r.header.Get("X-Amzn-Requestid") || r.header.Get("Content-Type") != "application/json" {
			t.Errorf("%s style headers: %v", name, r.header)
		}
		checkIDs(t, r)
	}
}

func TestMockStatusSelection(t *testing.T) {
	e := newEnv(t, Options{})
	e.deploy(mockDoc(), "dep001", "prod", nil)
	internal := `{"message":"Internal server error"}`
	cases := []struct {
		method, path, body, contentType string
		status                          int
		want                            string
	}{
		{"GET", "/", "", "", 200, "root"},
		{"GET", "/status/ok/", "", "", 200, `{"ok":true}`},
		{"GET", "//status//ok", "", "", 200, `{"ok":true}`},
		{"DELETE", "/status/ok", "", "", 404, `{"message":"no such pet"}`}, // ANY answers 404
		{"GET", "/status/notfound", "", "", 404, `{"message":"no such pet"}`},
		{"GET", "/status/nomethodresponse", "", "", 500, internal},
		{"GET", "/status/nodefault", "", "", 500, internal},
		{"GET", "/status/vtl", "", "", 200, `{"ok":true}`}, // rendered: the #set leaves {"statusCode": 200}
		{"GET", "/pets/%2B1", "", "", 200, `{"ok":true}`},
		{"OPTIONS", "/cors", "", "", 204, ``},        // CDK's CORS preflight template is not strict JSON
		{"GET", "/cors", "", "", 200, `{"ok":true}`}, // any integer selects; -7 takes the default
		{"POST", "/passthrough", `{"statusCode": 404}`, "text/plain", 404, `{"message":"no such pet"}`},
		{"POST", "/passthrough", `not json`, "", 500, internal},
		{"POST", "/lambda", ``, "", 500, internal},
	}
	for _, c := range cases {
		hdr := map[string]string{}
		if c.contentType != "" {
			hdr["Content-Type"] = c.contentType
		}
		r := e.do(c.method, e.pathURL(apiID, "prod", c.path), "", strings.NewReader(c.body), hdr)
		if r.status != c.status || r.body != c.want {
			t.Errorf("%s %s: %d %q, want %d %q", c.method, c.path, r.status, r.body, c.status, c.want)
		}
		if c.status == 500 && r.header.Get("X-Amzn-Errortype") != "InternalServerErrorException" {
			t.Errorf("%s %s: x-amzn-ErrorType %q", c.method, c.path, r.header.Get("X-Amzn-Errortype"))
		}
		checkIDs(t, r)
	}
}

func TestErrors(t *testing.T) {
	e := newEnv(t, Options{})
	e.deploy(mockDoc(), "dep001", "prod", nil)
	mat := `{"message":"Missing Authentication Token"}`
	forbidden := `{"message":"Forbidden"}`
	hostURL := func(api, rest string) [2]string { u, h := e.hostURL(api, rest); return [2]string{u, h} }
	cases := []struct {
		name      string
		method    string
		target    [2]string
		status    int
		body      string
		errorType string
	}{
		{"unknown route", "GET", hostURL(apiID, "/prod/nothing/here"), 403, mat, "MissingAuthenticationTokenException"},
		{"unknown method", "POST", hostURL(apiID, "/prod/status/notfound"), 403, mat, "MissingAuthenticationTokenException"},
		{"odd verb", "PROPFIND", hostURL(apiID, "/prod/"), 403, mat, "MissingAuthenticationTokenException"},
		{"stage without slash", "GET", hostURL(apiID, "/prod"), 403, mat, "MissingAuthenticationTokenException"},
		{"path style stage without slash", "GET", [2]string{e.srv.URL + "/restapis/" + apiID + "/prod/_user_request_"}, 403, mat, "MissingAuthenticationTokenException"},
		{"unknown stage", "GET", hostURL(apiID, "/dev/status/ok"), 403, forbidden, "ForbiddenException"},
		{"unknown api", "GET", hostURL("zzzzzzzzzz", "/prod/status/ok"), 403, forbidden, "ForbiddenException"},
		{"no stage", "GET", hostURL(apiID, "/"), 403, forbidden, "ForbiddenException"},
		{"path style unknown api", "GET", [2]string{e.pathURL("zzzzzzzzzz", "prod", "/status/ok")}, 403, forbidden, "ForbiddenException"},
		{"path style bad marker", "GET", [2]string{e.srv.URL + "/restapis/" + apiID + "/prod/user/status/ok"}, 403, forbidden, "ForbiddenException"},
		{"neither form", "GET", [2]string{e.srv.URL + "/prod/status/ok"}, 403, forbidden, "ForbiddenException"},
		{"dot segments", "GET", hostURL(apiID, "/prod/status/../status/ok"), 403, mat, "MissingAuthenticationTokenException"},
		{"nul", "GET", hostURL(apiID, "/prod/%00"), 403, mat, "MissingAuthenticationTokenException"},
		{"long path", "GET", hostURL(apiID, "/prod/"+strings.Repeat("a", 10000)), 403, mat, "MissingAuthenticationTokenException"},
	}
	for _, c := range cases {
		r := e.do(c.method, c.target[0], c.target[1], nil, nil)
		if r.status != c.status || r.body != c.body || r.header.Get("X-Amzn-Errortype") != c.errorType ||
			r.header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %q %v, want %d %q %s", c.name, r.status, r.body, r.header, c.status, c.body, c.errorType)
		}
		checkIDs(t, r)
	}
	// A client may choose the request id with a well-formed UUID; anything else is replaced.
	const mine = "0f8fad5b-d9cb-469f-a165-70867728950e"
	if r := e.do("GET", e.pathURL(apiID, "prod", "/nothing"), "", nil, map[string]string{"x-amzn-RequestId": mine}); r.header.Get("X-Amzn-Requestid") != mine {
		t.Errorf("client request id not kept: %v", r.header)
	}
	if r := e.do("GET", e.pathURL(apiID, "prod", "/nothing"), "", nil, map[string]string{"x-amzn-RequestId": "not-a-uuid"}); r.header.Get("X-Amzn-Requestid") == "not-a-uuid" {
		t.Errorf("invalid client request id kept")
	}
	// HEAD gets the status and headers without a body.
	r := e.do("HEAD", e.pathURL(apiID, "prod", "/nothing"), "", nil, nil)
	if r.status != 403 || r.body != "" {
		t.Errorf("HEAD: %d %q", r.status, r.body)
	}
}

func TestCustomGatewayResponses(t *testing.T) {
	e := newEnv(t, Options{AccountID: "123456789012"})
	doc := mockDoc()
	doc.GatewayResponses = map[string]*model.GatewayResponse{
		"MISSING_AUTHENTICATION_TOKEN": {ResponseType: "MISSING_AUTHENTICATION_TOKEN", StatusCode: "404",
			ResponseParameters: map[string]string{
				"gatewayresponse.header.Access-Control-Allow-Origin": "'*'",
				"gatewayresponse.header.X-Stage":                     "stageVariables.color",
				"gatewayresponse.header.X-Query":                     "method.request.querystring.q",
				"gatewayresponse.header.X-Request":                   "context.requestId",
				"gatewayresponse.header.X-Account":                   "context.accountId",
				"gatewayresponse.header.X-Path":                      "context.path",
				"gatewayresponse.header.X-Epoch":                     "context.requestTimeEpoch",
			},
			ResponseTemplates: map[string]string{"application/json": `{"error":$context.error.messageString,"type":"$context.error.responseType","id":"$context.requestId","color":"$stageVariables.color"}`}},
		"DEFAULT_5XX": {ResponseType: "DEFAULT_5XX", StatusCode: "503",
			ResponseTemplates: map[string]string{"application/json": `{"oops":true}`}},
	}
	e.deploy(doc, "dep001", "prod", map[string]string{"color": "red"})
	r := e.do("GET", e.pathURL(apiID, "prod", "/missing?q=a%20b"), "", nil, nil)
	want := fmt.Sprintf(`{"error":"Missing Authentication Token","type":"MISSING_AUTHENTICATION_TOKEN","id":"%s","color":"red"}`, r.header.Get("X-Amzn-Requestid"))
	if r.status != 404 || r.body != want {
		t.Fatalf("customised MAT: %d %q, want %q", r.status, r.body, want)
	}
	if r.header.Get("Access-Control-Allow-Origin") != "*" || r.header.Get("X-Stage") != "red" || r.header.Get("X-Query") != "a b" ||
		r.header.Get("X-Request") != r.header.Get("X-Amzn-Requestid") || r.header.Get("X-Amzn-Errortype") != "MissingAuthenticationTokenException" {
		t.Errorf("customised MAT headers: %v", r.header)
	}
	if r.header.Get("X-Account") != "123456789012" || r.header.Get("X-Path") != "/prod/missing" || len(r.header.Get("X-Epoch")) != 13 {
		t.Errorf("context headers: %v", r.header)
	}
	r = e.do("GET", e.pathURL(apiID, "prod", "/status/nodefault"), "", nil, nil)
	if r.status != 503 || r.body != `{"oops":true}` || r.header.Get("X-Amzn-Errortype") != "InternalServerErrorException" {
		t.Errorf("DEFAULT_5XX applied to API_CONFIGURATION_ERROR: %d %q %v", r.status, r.body, r.header)
	}
}

func TestPayloadLimit(t *testing.T) {
	e := newEnv(t, Options{MaxPayloadBytes: 1 << 20})
	e.deploy(mockDoc(), "dep001", "prod", nil)
	big := bytes.Repeat([]byte("x"), 20<<20)
	r := e.do("POST", e.pathURL(apiID, "prod", "/passthrough"), "", bytes.NewReader(big), nil)
	if r.status != 413 || r.body != `{"message":"Request Too Long"}` || r.header.Get("X-Amzn-Errortype") != "RequestTooLargeException" {
		t.Fatalf("declared oversized body: %d %q %v", r.status, r.body, r.header)
	}
	// A chunked body (no Content-Length) is cut when it passes the limit.
	r = e.do("POST", e.pathURL(apiID, "prod", "/passthrough"), "", io.MultiReader(strings.NewReader(`{"statusCode": 200, "pad": "`), bytes.NewReader(big[:2<<20])), nil)
	if r.status != 413 {
		t.Fatalf("chunked oversized body: %d %q", r.status, r.body)
	}
	// A MOCK whose template ignores the body still measures it.
	r = e.do("POST", e.pathURL(apiID, "prod", "/status/ok"), "", io.MultiReader(bytes.NewReader(big[:2<<20])), nil)
	if r.status != 413 {
		t.Fatalf("chunked oversized body to a templated MOCK: %d %q", r.status, r.body)
	}
	r = e.do("POST", e.pathURL(apiID, "prod", "/status/ok"), "", io.MultiReader(bytes.NewReader(big[:1<<19])), nil)
	if r.status != 404 {
		t.Fatalf("chunked body within the limit to a templated MOCK: %d %q", r.status, r.body)
	}
}

func TestStageLifecycle(t *testing.T) {
	e := newEnv(t, Options{})
	e.deploy(mockDoc(), "dep001", "prod", nil)
	// A stage pointing at a deployment that does not exist is not served.
	err := e.st.Update(func(tx store.Tx) error {
		return tx.Put(store.KindStage, store.Key(apiID, "prod"), model.StageRecord{APIID: apiID,
			Stage: model.Stage{StageName: "prod", DeploymentId: "nope00"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	e.waitFor(func() bool { return e.gw.table.Lookup(apiID, "prod") == nil })
	if r := e.do("GET", e.pathURL(apiID, "prod", "/"), "", nil, nil); r.status != 403 || r.body != `{"message":"Forbidden"}` {
		t.Fatalf("broken stage: %d %q", r.status, r.body)
	}
	e.deploy(mockDoc(), "dep002", "prod", nil)
	// Deleting the deployment a stage points at stops the stage.
	if err := e.st.Update(func(tx store.Tx) error { return tx.Delete(store.KindDeployment, store.Key(apiID, "dep002")) }); err != nil {
		t.Fatal(err)
	}
	e.waitFor(func() bool { return e.gw.table.Lookup(apiID, "prod") == nil })
	// An empty-Kind change (the feed overflowed) reloads everything from the store.
	e.deploy(mockDoc(), "dep002", "prod", nil)
	e.gw.table.ReplaceAll(nil)
	e.gw.apply([]store.Change{{Kind: store.KindStage, Key: "x/y"}, {}})
	if a := e.gw.table.Lookup(apiID, "prod"); a == nil || a.DeploymentID != "dep002" {
		t.Fatalf("reload after overflow: %+v", a)
	}
	// Deleting the API stops every stage of it.
	if err := e.st.Update(func(tx store.Tx) error { return tx.Delete(store.KindRestAPI, apiID) }); err != nil {
		t.Fatal(err)
	}
	e.waitFor(func() bool { return e.gw.table.Len() == 0 })
	// A gateway started on a store that already has stages serves them.
	e.deploy(mockDoc(), "dep003", "prod", nil)
	gw2, err := New(e.st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer gw2.Close()
	if a := gw2.table.Lookup(apiID, "prod"); a == nil || a.DeploymentID != "dep003" {
		t.Fatalf("initial load: %+v", a)
	}
}

// TestSwapUnderLoad repoints a stage between two deployments many times while requests run;
// every request must succeed and both answers must be seen.
func TestSwapUnderLoad(t *testing.T) {
	e := newEnv(t, Options{})
	docFor := func(body string) *model.APIDoc {
		return newDoc(&model.Resource{Id: "rootrootid", Path: "/", ResourceMethods: map[string]*model.Method{
			"GET": mockMethod("GET", `{"statusCode": 200}`, map[string]*model.IntegrationResponse{"200": ir("200", "", body, nil)}, "200")}})
	}
	e.deploy(docFor("one"), "dep001", "prod", nil)
	e.deploy(docFor("two"), "dep002", "prod", nil)
	url := e.pathURL(apiID, "prod", "/")
	var failures, seenOne, seenTwo atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Get(url)
				if err != nil {
					failures.Add(1)
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				switch {
				case resp.StatusCode == 200 && string(b) == "one":
					seenOne.Add(1)
				case resp.StatusCode == 200 && string(b) == "two":
					seenTwo.Add(1)
				default:
					failures.Add(1)
				}
			}
		}()
	}
	for i := range 40 {
		dep, counter := "dep001", &seenOne
		if i%2 == 1 {
			dep, counter = "dep002", &seenTwo
		}
		err := e.st.Update(func(tx store.Tx) error {
			return tx.Put(store.KindStage, store.Key(apiID, "prod"), model.StageRecord{APIID: apiID,
				Stage: model.Stage{StageName: "prod", DeploymentId: dep}})
		})
		if err != nil {
			t.Fatal(err)
		}
		e.waitFor(func() bool { return e.gw.table.Lookup(apiID, "prod").DeploymentID == dep })
		before := counter.Load()
		e.waitFor(func() bool { return counter.Load() > before })
	}
	close(stop)
	wg.Wait()
	if failures.Load() != 0 || seenOne.Load() == 0 || seenTwo.Load() == 0 {
		t.Fatalf("failures %d, answers one %d two %d", failures.Load(), seenOne.Load(), seenTwo.Load())
	}
}

func BenchmarkMockRequest(b *testing.B) {
	st := benchStore(b)
	gw, err := New(st, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer gw.Close()
	req := httptest.NewRequest("GET", "http://"+apiID+".execute-api.localhost/prod/pets/42", nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := httptest.NewRecorder()
		gw.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// TestProtectedMethodsFailClosed: until authorization and API keys are enforced, methods that
// require them refuse every request with AWS's answer to a request without credentials.
func TestProtectedMethodsFailClosed(t *testing.T) {
	e := newEnv(t, Options{})
	ok := map[string]*model.IntegrationResponse{"200": ir("200", "", "open", nil)}
	protected := func(authType string, key bool) map[string]*model.Method {
		m := mockMethod("GET", `{"statusCode": 200}`, ok, "200")
		m.AuthorizationType, m.ApiKeyRequired = authType, key
		return map[string]*model.Method{"GET": m}
	}
	doc := newDoc(
		&model.Resource{Id: "iam001", Path: "/iam", ResourceMethods: protected("AWS_IAM", false)},
		&model.Resource{Id: "cus001", Path: "/custom", ResourceMethods: protected("CUSTOM", false)},
		&model.Resource{Id: "cog001", Path: "/cognito", ResourceMethods: protected("COGNITO_USER_POOLS", false)},
		&model.Resource{Id: "key001", Path: "/key", ResourceMethods: protected("NONE", true)},
		&model.Resource{Id: "opn001", Path: "/open", ResourceMethods: protected("NONE", false)},
	)
	withTokenAuthorizer(doc)
	withCognitoAuthorizer(doc)
	e.deploy(doc, "dep001", "prod", nil)
	cases := []struct {
		path, body, errorType string
		status                int
	}{
		{"/iam", `{"message":"Missing Authentication Token"}`, "MissingAuthenticationTokenException", 403},
		{"/custom", `{"message":"Unauthorized"}`, "UnauthorizedException", 401},
		{"/cognito", `{"message":"Unauthorized"}`, "UnauthorizedException", 401},
		{"/key", `{"message":"Forbidden"}`, "ForbiddenException", 403},
		{"/open", `open`, "", 200},
	}
	for _, c := range cases {
		r := e.do("GET", e.pathURL(apiID, "prod", c.path), "", nil, map[string]string{"x-api-key": "whatever"})
		if r.status != c.status || r.body != c.body || r.header.Get("X-Amzn-Errortype") != c.errorType {
			t.Errorf("%s: %d %q %q", c.path, r.status, r.body, r.header.Get("X-Amzn-Errortype"))
		}
	}
}

func TestExecuteAPIEndpointDisabled(t *testing.T) {
	e := newEnv(t, Options{})
	doc := mockDoc()
	doc.RestApi.DisableExecuteApiEndpoint = true
	e.deploy(doc, "dep001", "prod", nil)
	url, host := e.hostURL(apiID, "/prod/")
	if r := e.do("GET", url, host, nil, nil); r.status != 403 || r.body != `{"message":"Forbidden"}` {
		t.Errorf("disabled endpoint: %d %q", r.status, r.body)
	}
}
