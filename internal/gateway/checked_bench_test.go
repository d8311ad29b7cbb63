package gateway

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portico/portico/internal/model"
)

// BenchmarkCheckedPost and BenchmarkOpenPost send bench/run's portico-checked body to a MOCK
// method with and without an API key in a usage plan and a body validator: the difference is
// what the checks cost a request.
func BenchmarkCheckedPost(b *testing.B) { benchPost(b, "/prod/keyed", keyValue) }

func BenchmarkOpenPost(b *testing.B) { benchPost(b, "/prod/open", "") }

func benchPost(b *testing.B, path, key string) {
	doc := trafficDoc()
	ok := map[string]*model.IntegrationResponse{"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": `{"ok":true}`}}}
	keyed := mockMethod("POST", `{"statusCode": 200}`, ok, "200")
	keyed.ApiKeyRequired = true
	keyed.RequestValidatorId = "body01"
	keyed.RequestModels = map[string]string{"application/json": "Order"}
	doc.Resources["keyedres01"].ResourceMethods["POST"] = keyed
	doc.Resources["openres001"].ResourceMethods["POST"] = mockMethod("POST", `{"statusCode": 200}`, ok, "200")
	doc.RequestValidators = map[string]*model.RequestValidator{"body01": {Id: "body01", Name: "body", ValidateRequestBody: true}}
	doc.Models = map[string]*model.Model{"Order": {Name: "Order", ContentType: "application/json", Schema: `{"type":"object",
	  "required":["item","quantity"],"additionalProperties":false,"properties":{
	  "item":{"type":"string","minLength":1,"maxLength":64},"quantity":{"type":"integer","minimum":1,"maximum":100},
	  "note":{"type":"string"}}}`}}
	gw := trafficGatewayWith(b, doc)
	const body = `{"item":"portico-bench","quantity":3,"note":"benchmark"}`
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "http://"+apiID+".execute-api.localhost"+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
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
