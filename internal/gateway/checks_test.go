package gateway

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/bolt"
)

// deployBroken deploys a document that does not compile and waits until the stage is no longer
// served.
func (e *env) deployBroken(doc *model.APIDoc, depID, stage string) {
	e.t.Helper()
	err := e.st.Update(func(tx store.Tx) error {
		if err := tx.Put(store.KindRestAPI, doc.RestApi.Id, doc); err != nil {
			return err
		}
		rec := model.DeploymentRecord{Deployment: model.Deployment{Id: depID}, APIID: doc.RestApi.Id, Snapshot: doc.Clone()}
		if err := tx.Put(store.KindDeployment, store.Key(doc.RestApi.Id, depID), rec); err != nil {
			return err
		}
		return tx.Put(store.KindStage, store.Key(doc.RestApi.Id, stage), model.StageRecord{APIID: doc.RestApi.Id,
			Stage: model.Stage{StageName: stage, DeploymentId: depID}})
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.waitFor(func() bool { return e.gw.table.Lookup(doc.RestApi.Id, stage) == nil })
}

// petStore is the model of AWS's request validation walkthrough.
const petStore = `{
  "$schema": "http://json-schema.org/draft-04/schema#",
  "title": "PetStoreModel",
  "type": "object",
  "required": ["price", "type"],
  "properties": {
    "id": {"type": "integer"},
    "type": {"type": "string", "enum": ["dog", "cat", "fish"]},
    "name": {"type": "string"},
    "price": {"type": "number", "minimum": 25.0, "maximum": 500.0}
  }
}`

// validationDoc has a body-and-parameters validated POST forwarded to backend, a
// parameters-only GET answered by a MOCK, and a method whose model does not compile.
func validationDoc(backend string) *model.APIDoc {
	post := proxyMethod("POST", "POST", backend+"/pets", nil, 0)
	post.RequestValidatorId = "all001"
	post.RequestParameters = map[string]bool{"method.request.header.X-Trace": true, "method.request.querystring.store": true}
	post.RequestModels = map[string]string{"application/json": "PetStoreModel", "$default": "Empty"}
	get := mockMethod("GET", `{"statusCode": 200}`, map[string]*model.IntegrationResponse{"200": ir("200", "", "found", nil)}, "200")
	get.RequestValidatorId = "par001"
	get.RequestParameters = map[string]bool{"method.request.path.petId": true, "method.request.querystring.q": true,
		"method.request.header.Accept": true, "method.request.querystring.page": false}
	broken := mockMethod("POST", `{"statusCode": 200}`, map[string]*model.IntegrationResponse{"200": ir("200", "", "x", nil)}, "200")
	broken.RequestValidatorId = "all001"
	broken.RequestModels = map[string]string{"application/json": "Broken"}
	noModel := mockMethod("POST", `{"statusCode": 200}`, map[string]*model.IntegrationResponse{"200": ir("200", "", "free", nil)}, "200")
	noModel.RequestValidatorId = "bod001"
	doc := newDoc(
		&model.Resource{Id: "pets01", Path: "/pets", ResourceMethods: map[string]*model.Method{"POST": post}},
		&model.Resource{Id: "pet001", Path: "/pets/{petId}", ResourceMethods: map[string]*model.Method{"GET": get}},
		&model.Resource{Id: "brk001", Path: "/broken", ResourceMethods: map[string]*model.Method{"POST": broken}},
		&model.Resource{Id: "nom001", Path: "/nomodel", ResourceMethods: map[string]*model.Method{"POST": noModel}},
	)
	doc.Models = map[string]*model.Model{
		"PetStoreModel": {Name: "PetStoreModel", Schema: petStore, ContentType: "application/json"},
		"Empty":         {Name: "Empty", Schema: `{"type":"object"}`, ContentType: "application/json"},
		"Broken":        {Name: "Broken", Schema: `{"$ref":"https://example.com/x.json"}`, ContentType: "application/json"},
	}
	doc.RequestValidators = map[string]*model.RequestValidator{
		"all001": {Id: "all001", Name: "all", ValidateRequestBody: true, ValidateRequestParameters: true},
		"par001": {Id: "par001", Name: "params", ValidateRequestParameters: true},
		"bod001": {Id: "bod001", Name: "body", ValidateRequestBody: true},
	}
	doc.GatewayResponses = map[string]*model.GatewayResponse{
		"BAD_REQUEST_BODY": {ResponseType: "BAD_REQUEST_BODY", ResponseTemplates: map[string]string{
			"application/json": "$context.error.message: $context.error.validationErrorString"}},
	}
	return doc
}

func TestRequestValidation(t *testing.T) {
	var backendBodies []string
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		backendBodies = append(backendBodies, string(b))
		io.WriteString(w, "stored")
	}))
	defer backend.Close()
	e := newEnv(t, Options{})
	e.deploy(validationDoc(backend.URL), "dep001", "prod", nil)
	good := map[string]string{"X-Trace": "t1", "Content-Type": "application/json"}
	cases := []struct {
		name, method, path, body string
		hdr                      map[string]string
		status                   int
		want, errorType          string
	}{
		{"valid body reaches backend", "POST", "/pets?store=1", `{"type": "dog", "price": 249.99}`, good, 200, "stored", ""},
		{"missing header and query", "POST", "/pets", `{}`, map[string]string{"Content-Type": "application/json"}, 400,
			`{"message":"Missing required request parameters: [X-Trace, store]"}`, "BadRequestException"},
		{"blank query is missing", "POST", "/pets?store=", `{}`, good, 400,
			`{"message":"Missing required request parameters: [store]"}`, "BadRequestException"},
		{"below minimum", "POST", "/pets?store=1", `{"type": "dog", "price": 0.99}`, good, 400,
			`Invalid request body: [numeric instance is lower than the required minimum (minimum: 25, found: 0.99)]`, "BadRequestException"},
		{"missing property", "POST", "/pets?store=1", `{"price": 30}`, good, 400,
			`Invalid request body: [object has missing required properties (["type"])]`, "BadRequestException"},
		{"not JSON", "POST", "/pets?store=1", `{"type":`, good, 400, `Invalid request body: [Unknown error parsing request body]`, "BadRequestException"},
		{"$default model for another type", "POST", "/pets?store=1", `[1]`, map[string]string{"X-Trace": "t", "Content-Type": "text/csv"}, 400,
			`Invalid request body: [instance type (array) does not match any allowed primitive type (allowed: ["object"])]`, "BadRequestException"},
		{"$default model accepts", "POST", "/pets?store=1", `{"a":1}`, map[string]string{"X-Trace": "t", "Content-Type": "text/csv"}, 200, "stored", ""},
		{"parameters only: body not checked", "GET", "/pets/7?q=x", `not json`, map[string]string{"Accept": "*/*"}, 200, "found", ""},
		{"parameters only: missing", "GET", "/pets/7?page=2", ``, map[string]string{"Accept": ""}, 400,
			`{"message":"Missing required request parameters: [Accept, q]"}`, "BadRequestException"},
		{"model does not compile", "POST", "/broken", `{}`, nil, 500, `{"message":"Internal server error"}`, "InternalServerErrorException"},
		{"no model: empty body passes", "POST", "/nomodel", ``, nil, 200, "free", ""},
		{"no model: object passes", "POST", "/nomodel", `{"any":"thing"}`, nil, 200, "free", ""},
		{"no model: array fails", "POST", "/nomodel", `[]`, nil, 400,
			`Invalid request body: [instance type (array) does not match any allowed primitive type (allowed: ["object"])]`, "BadRequestException"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.method, e.pathURL(apiID, "prod", c.path), "", strings.NewReader(c.body), c.hdr)
			if r.status != c.status || r.body != c.want || r.header.Get("X-Amzn-Errortype") != c.errorType {
				t.Errorf("got %d %q %q, want %d %q %q", r.status, r.body, r.header.Get("X-Amzn-Errortype"), c.status, c.want, c.errorType)
			}
			checkIDs(t, r)
		})
	}
	if len(backendBodies) != 2 || backendBodies[0] != `{"type": "dog", "price": 249.99}` || backendBodies[1] != `{"a":1}` {
		t.Errorf("backend saw %q; only valid bodies, unchanged, should reach it", backendBodies)
	}
}

// clientFrom returns an HTTP client whose connections come from local address ip.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}}}
}

func TestResourcePolicy(t *testing.T) {
	e := newEnv(t, Options{Region: "eu-west-1", AccountID: "123456789012"})
	ok := map[string]*model.IntegrationResponse{"200": ir("200", "", "open", nil)}
	get := func(auth string) map[string]*model.Method {
		m := mockMethod("GET", `{"statusCode": 200}`, ok, "200")
		d := mockMethod("DELETE", `{"statusCode": 200}`, ok, "200")
		m.AuthorizationType, d.AuthorizationType = auth, auth
		return map[string]*model.Method{"GET": m, "DELETE": d}
	}
	doc := newDoc(
		&model.Resource{Id: "hel001", Path: "/helloworld", ResourceMethods: get("NONE")},
		&model.Resource{Id: "pri001", Path: "/private/{id}", ResourceMethods: get("NONE")},
		&model.Resource{Id: "cus001", Path: "/custom", ResourceMethods: get("CUSTOM")},
	)
	withTokenAuthorizer(doc)
	doc.RestApi.Policy = `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*/GET/*"},
	  {"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*/GET/private/*",
	   "Condition":{"NotIpAddress":{"aws:SourceIp":["127.0.0.1/32","::1"]}}}]}`
	e.deploy(doc, "dep001", "test", nil)
	arn := "arn:aws:execute-api:eu-west-1:123456789012:" + apiID + "/test/"
	cases := []struct {
		name, from, method, path string
		status                   int
		body, errorType          string
	}{
		{"allowed from anywhere", "127.0.0.2", "GET", "/helloworld", 200, "open", ""},
		{"allowed from loopback", "127.0.0.1", "GET", "/private/7", 200, "open", ""},
		{"denied from another address", "127.0.0.2", "GET", "/private/7", 403,
			`{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: ` + arn + `GET/private/7 with an explicit deny"}`,
			"AccessDeniedException"},
		{"no allow for DELETE", "127.0.0.1", "DELETE", "/helloworld", 403,
			`{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: ` + arn + `DELETE/helloworld"}`,
			"AccessDeniedException"},
		{"explicit deny before the authorizer", "127.0.0.2", "GET", "/custom", 401, `{"message":"Unauthorized"}`, "UnauthorizedException"},
		{"silence leaves authorized methods to the authorizer", "127.0.0.1", "DELETE", "/custom", 401, `{"message":"Unauthorized"}`, "UnauthorizedException"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, e.pathURL(apiID, "test", c.path), nil)
			resp, err := clientFrom(c.from).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.status || string(b) != c.body || resp.Header.Get("X-Amzn-Errortype") != c.errorType {
				t.Errorf("got %d %s %q, want %d %s %q", resp.StatusCode, b, resp.Header.Get("X-Amzn-Errortype"), c.status, c.body, c.errorType)
			}
			if resp.StatusCode == 403 && !json.Valid(b) {
				t.Errorf("body is not JSON")
			}
		})
	}

	// A customised ACCESS_DENIED renders the denial with its own template.
	doc.GatewayResponses = map[string]*model.GatewayResponse{"ACCESS_DENIED": {ResponseType: "ACCESS_DENIED", StatusCode: "401",
		ResponseParameters: map[string]string{"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"},
		ResponseTemplates:  map[string]string{"application/json": `{"denied":$context.error.messageString}`}}}
	e.deploy(doc, "dep002", "test", nil)
	req, _ := http.NewRequest("GET", e.pathURL(apiID, "test", "/private/1"), nil)
	resp, err := clientFrom("127.0.0.2").Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := `{"denied":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: ` + arn + `GET/private/1 with an explicit deny"}`
	if resp.StatusCode != 401 || string(b) != want || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("custom ACCESS_DENIED: %d %s %v", resp.StatusCode, b, resp.Header)
	}

	// A policy that does not parse leaves the stage unserved rather than open.
	doc.RestApi.Policy = `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"Bogus":{"k":"v"}}}]}`
	e.deployBroken(doc, "dep003", "test")
	if r := e.do("GET", e.pathURL(apiID, "test", "/helloworld"), "", nil, nil); r.status != 403 || r.body != `{"message":"Forbidden"}` {
		t.Errorf("invalid policy: %d %s", r.status, r.body)
	}
}

// BenchmarkChecks measures a validated POST (parameters and PetStoreModel body) behind an
// IP-conditioned resource policy, against the same MOCK method without checks.
func BenchmarkChecks(b *testing.B) {
	ok := map[string]*model.IntegrationResponse{"200": ir("200", "", `{"ok":true}`, nil)}
	plain := mockMethod("POST", `{"statusCode": 200}`, ok, "200")
	checked := mockMethod("POST", `{"statusCode": 200}`, ok, "200")
	checked.RequestValidatorId = "all001"
	checked.RequestParameters = map[string]bool{"method.request.querystring.store": true, "method.request.header.X-Trace": true}
	checked.RequestModels = map[string]string{"application/json": "PetStoreModel"}
	doc := newDoc(
		&model.Resource{Id: "pla001", Path: "/plain", ResourceMethods: map[string]*model.Method{"POST": plain}},
		&model.Resource{Id: "che001", Path: "/checked", ResourceMethods: map[string]*model.Method{"POST": checked}},
	)
	doc.Models = map[string]*model.Model{"PetStoreModel": {Name: "PetStoreModel", Schema: petStore, ContentType: "application/json"}}
	doc.RequestValidators = map[string]*model.RequestValidator{"all001": {Id: "all001", Name: "all", ValidateRequestBody: true, ValidateRequestParameters: true}}
	st, err := bolt.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	withPolicy := doc.Clone()
	withPolicy.RestApi.Id = "policyapi1"
	withPolicy.RestApi.Policy = `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"},
	  {"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*",
	   "Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","10.0.0.0/8","2001:db8::/32"]}}}]}`
	err = st.Update(func(tx store.Tx) error {
		for _, d := range []*model.APIDoc{doc, withPolicy} {
			id := d.RestApi.Id
			tx.Put(store.KindRestAPI, id, d)
			tx.Put(store.KindDeployment, store.Key(id, "dep001"), model.DeploymentRecord{
				Deployment: model.Deployment{Id: "dep001"}, APIID: id, Snapshot: d})
			if err := tx.Put(store.KindStage, store.Key(id, "prod"), model.StageRecord{APIID: id,
				Stage: model.Stage{StageName: "prod", DeploymentId: "dep001"}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	gw, err := New(st, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer gw.Close()
	const body = `{"id": 7, "type": "dog", "name": "Rex", "price": 249.99}`
	for _, c := range []struct{ name, api, path string }{
		{"plain", apiID, "/plain"}, {"validated", apiID, "/checked"}, {"validated+policy", "policyapi1", "/checked"}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				req := httptest.NewRequest("POST", "http://"+c.api+".execute-api.localhost/prod"+c.path+"?store=1", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Trace", "t")
				w := httptest.NewRecorder()
				gw.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
