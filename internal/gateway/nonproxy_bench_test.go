package gateway

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portico/portico/internal/compile"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store/bolt"
)

// nonProxyBench serves doc as stage prod from a gateway with no store traffic.
func nonProxyBench(b *testing.B, doc *model.APIDoc) *Gateway {
	st, err := bolt.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	gw, err := New(st, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { gw.Close() })
	api, err := compile.Compile(&model.DeploymentRecord{Deployment: model.Deployment{Id: "dep001"}, APIID: apiID, Snapshot: doc},
		&model.StageRecord{APIID: apiID, Stage: model.Stage{StageName: "prod", DeploymentId: "dep001"}}, compile.Options{})
	if err != nil {
		b.Fatal(err)
	}
	gw.table.Set(api)
	return gw
}

func benchServe(b *testing.B, gw *Gateway, method, target, body string, want int) {
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req := httptest.NewRequest(method, "http://"+apiID+".execute-api.localhost"+target, rd)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		gw.ServeHTTP(w, req)
		if w.Code != want {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// BenchmarkHTTPTemplated is a whole non-proxy HTTP call to a loopback backend: a request
// template reading the body and a parameter, a mapped header, and the PetStore response
// template over the backend's three-pet list.
func BenchmarkHTTPTemplated(b *testing.B) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, `[{"id": 1, "type": "dog", "price": 249.99}, {"id": 2, "type": "cat", "price": 124.99}, {"id": 3, "type": "fish", "price": 0.99}]`)
	}))
	defer backend.Close()
	doc := newDoc(&model.Resource{Id: "pets01", Path: "/pets/{id}", ResourceMethods: map[string]*model.Method{
		"POST": httpMethod("POST", "POST", backend.URL+"/pets", map[string]string{"integration.request.header.X-Id": "method.request.path.id"},
			templated("application/json", `#set($b = $input.path('$')){"id": "$input.params('id')", "type": "$b.type", "price": $b.price}`),
			map[string]*model.IntegrationResponse{"200": {StatusCode: "200", ResponseTemplates: templated("application/json", petStoreList)}}, "200")}})
	benchServe(b, nonProxyBench(b, doc), "POST", "/prod/pets/7", `{"type": "dog", "price": 249.99}`, 200)
}

// BenchmarkHTTPPassthrough is the same call with neither templates nor mappings.
func BenchmarkHTTPPassthrough(b *testing.B) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, `{"ok":true}`)
	}))
	defer backend.Close()
	doc := newDoc(&model.Resource{Id: "pets01", Path: "/pets/{id}", ResourceMethods: map[string]*model.Method{
		"POST": httpMethod("POST", "POST", backend.URL+"/pets", nil, nil,
			map[string]*model.IntegrationResponse{"200": {StatusCode: "200"}}, "200")}})
	benchServe(b, nonProxyBench(b, doc), "POST", "/prod/pets/7", `{"type": "dog"}`, 200)
}

// BenchmarkMockTemplated is a MOCK whose statusCode comes from a template, answered through a
// response template reading the request's parameters.
func BenchmarkMockTemplated(b *testing.B) {
	doc := newDoc(&model.Resource{Id: "mock01", Path: "/mock/{code}", ResourceMethods: map[string]*model.Method{
		"GET": mockMethod("GET", `{"statusCode": #if($input.params('code') == "tea")418#else 200#end}`,
			map[string]*model.IntegrationResponse{"200": {StatusCode: "200",
				ResponseTemplates: templated("application/json", `{"code": "$input.params('code')", "stage": "$context.stage"}`)}}, "200")}})
	benchServe(b, nonProxyBench(b, doc), "GET", "/prod/mock/abc", "", 200)
}
