package openapi

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/portico/portico/internal/model"
)

const putBase = `{"swagger": "2.0", "info": {"title": "Shop", "description": "first", "version": "1"},
 "x-amazon-apigateway-request-validators": {"all": {"validateRequestBody": true, "validateRequestParameters": true}},
 "x-amazon-apigateway-gateway-responses": {"THROTTLED": {"statusCode": "429"}},
 "paths": {
  "/items": {"get": {"x-amazon-apigateway-request-validator": "all", "x-amazon-apigateway-integration": {"type": "mock"}}},
  "/items/{id}": {"get": {"x-amazon-apigateway-integration": {"type": "mock"}},
                  "delete": {"x-amazon-apigateway-integration": {"type": "mock"}}},
  "/legacy": {"get": {}}
 },
 "definitions": {"Item": {"type": "object"}}}`

const putUpdate = `openapi: 3.0.1
info: {title: Shop v2, version: "2"}
x-amazon-apigateway-request-validators:
  all: {validateRequestBody: false, validateRequestParameters: true}
  body: {validateRequestBody: true, validateRequestParameters: false}
x-amazon-apigateway-binary-media-types: [image/png]
paths:
  /items/{id}:
    get:
      x-amazon-apigateway-request-validator: body
      x-amazon-apigateway-integration: {type: http, httpMethod: GET, uri: "http://backend.example/items/{id}"}
  /orders:
    post:
      x-amazon-apigateway-request-validator: all
      x-amazon-apigateway-integration: {type: mock}
components:
  schemas:
    Item: {type: object, required: [name]}
    Order: {type: object}
`

func putExisting(t *testing.T) *model.APIDoc {
	t.Helper()
	doc, err := Import([]byte(putBase), ImportOptions{EndpointConfigurationTypes: "REGIONAL"})
	if err != nil {
		t.Fatal(err)
	}
	doc.RestApi.Tags = map[string]string{"team": "shop"}
	return doc
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func methods(d *model.APIDoc) []string {
	var out []string
	for _, r := range d.SortedResources() {
		for _, v := range sortedKeys(r.ResourceMethods) {
			out = append(out, v+" "+r.Path)
		}
	}
	return out
}

func validatorByName(d *model.APIDoc, name string) *model.RequestValidator {
	for _, v := range d.RequestValidators {
		if v.Name == name {
			return v
		}
	}
	return nil
}

func TestPutOverwrite(t *testing.T) {
	existing := putExisting(t)
	before := mustJSON(t, existing)
	got, err := Put(existing, []byte(putUpdate), "overwrite", ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if mustJSON(t, existing) != before {
		t.Error("Put modified the existing definition")
	}
	checkShape(t, got)
	api, old := got.RestApi, existing.RestApi
	if api.Id != old.Id || api.RootResourceId != old.RootResourceId || !api.CreatedDate.Equal(old.CreatedDate.Time) {
		t.Errorf("overwrite lost the API's identity: %+v", api)
	}
	if api.Name != "Shop v2" || api.Description != "" || api.Tags["team"] != "shop" || api.EndpointConfiguration.Types[0] != "REGIONAL" {
		t.Errorf("overwrite settings: %+v", api)
	}
	if want := "GET /items/{id} POST /orders"; strings.Join(methods(got), " ") != want {
		t.Errorf("methods %q, want %q", methods(got), want)
	}
	if got.ResourceByPath("/items/{id}").Id != existing.ResourceByPath("/items/{id}").Id {
		t.Error("a resource whose path is unchanged got a new id")
	}
	if got.ResourceByPath("/legacy") != nil {
		t.Error("overwrite kept a path the document does not have")
	}
	if got.Models["Item"].Id != existing.Models["Item"].Id {
		t.Error("a model whose name is unchanged got a new id")
	}
	all := validatorByName(got, "all")
	if all == nil || all.Id != validatorByName(existing, "all").Id || all.ValidateRequestBody {
		t.Errorf("validator 'all' not replaced in place: %+v", all)
	}
	if got.ResourceByPath("/orders").ResourceMethods["POST"].RequestValidatorId != all.Id {
		t.Error("method does not point at the kept validator id")
	}
	if in := got.ResourceByPath("/items/{id}").ResourceMethods["GET"].MethodIntegration; in.CacheNamespace != got.ResourceByPath("/items/{id}").Id {
		t.Errorf("cacheNamespace %q does not follow the kept resource id", in.CacheNamespace)
	}
	if len(got.GatewayResponses) != 0 {
		t.Error("overwrite kept gateway responses the document does not have")
	}
	if got.Models["Order"] == nil || !strings.Contains(got.Models["Item"].Schema, `"required"`) {
		t.Error("the document's models were not imported")
	}
}

func TestPutMerge(t *testing.T) {
	existing := putExisting(t)
	before := mustJSON(t, existing)
	got, err := Put(existing, []byte(putUpdate), "", ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if mustJSON(t, existing) != before {
		t.Error("Put modified the existing definition")
	}
	checkShape(t, got)
	want := "GET /items DELETE /items/{id} GET /items/{id} GET /legacy POST /orders"
	if strings.Join(methods(got), " ") != want {
		t.Errorf("methods %q, want %q", methods(got), want)
	}
	api := got.RestApi
	if api.Name != "Shop" || api.Description != "first" || api.Version != "2" || len(api.BinaryMediaTypes) != 1 {
		t.Errorf("merged settings: %+v", api)
	}
	if api.EndpointConfiguration.Types[0] != "REGIONAL" || api.Tags["team"] != "shop" {
		t.Errorf("merge lost settings the document does not mention: %+v", api)
	}
	item := got.ResourceByPath("/items/{id}")
	if item.Id != existing.ResourceByPath("/items/{id}").Id || item.ResourceMethods["GET"].MethodIntegration.Type != "HTTP" {
		t.Error("the document's method did not replace the existing one in place")
	}
	if item.ResourceMethods["GET"].MethodIntegration.CacheNamespace != item.Id {
		t.Error("cacheNamespace does not follow the existing resource id")
	}
	if len(got.RequestValidators) != 2 || validatorByName(got, "all").ValidateRequestBody {
		t.Errorf("validators not merged by name: %s", mustJSON(t, got.RequestValidators))
	}
	if got.ResourceByPath("/items").ResourceMethods["GET"].RequestValidatorId != validatorByName(got, "all").Id {
		t.Error("an existing method lost its validator")
	}
	if !strings.Contains(got.Models["Item"].Schema, `"required"`) || got.Models["Item"].Id != existing.Models["Item"].Id || got.Models["Order"] == nil {
		t.Error("models not merged by name")
	}
	if got.GatewayResponses["THROTTLED"] == nil {
		t.Error("merge dropped a gateway response")
	}
}

func TestPutRefuses(t *testing.T) {
	existing := putExisting(t)
	before := mustJSON(t, existing)
	cases := []struct{ name, body, mode, want string }{
		{"mode", putUpdate, "replace", "Invalid mode 'replace'"},
		{"bad document", `{`, "merge", "Invalid OpenAPI input."},
		{"sibling variable", `{"swagger": "2.0", "info": {"title": "t"}, "paths": {"/items/{itemId}/x": {"get": {}}}}`, "merge", "only one is allowed"},
		{"bad integration", `{"swagger": "2.0", "info": {"title": "t"}, "paths": {"/items": {"get": {"x-amazon-apigateway-integration": {"type": "nope"}}}}}`, "overwrite", "enum value set"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Put(existing, []byte(tc.body), tc.mode, ImportOptions{})
			var ie *InputError
			if !errors.As(err, &ie) || !strings.Contains(ie.Message, tc.want) {
				t.Fatalf("got %v, want an InputError containing %q", err, tc.want)
			}
			if mustJSON(t, existing) != before {
				t.Error("a refused Put modified the existing definition")
			}
		})
	}
}

// A re-import keeps the id of an authorizer of the same name, so methods and clients that name
// it still reach it.
func TestPutKeepsAuthorizerIDs(t *testing.T) {
	existing, err := Import(readTestdata(t, "authorizers.yaml"), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for id, a := range existing.Authorizers {
		ids[a.Name] = id
	}
	for _, mode := range []string{"overwrite", "merge"} {
		got, err := Put(existing, readTestdata(t, "authorizers.yaml"), mode, ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Authorizers) != 3 {
			t.Fatalf("%s: %d authorizers", mode, len(got.Authorizers))
		}
		for id, a := range got.Authorizers {
			if ids[a.Name] != id || a.Id != id {
				t.Errorf("%s: authorizer %s has id %s (key %s), was %s", mode, a.Name, a.Id, id, ids[a.Name])
			}
		}
		for _, r := range got.Resources {
			for verb, m := range r.ResourceMethods {
				if m.AuthorizerId != "" && got.Authorizers[m.AuthorizerId] == nil {
					t.Errorf("%s: %s %s names authorizer %s, which is not there", mode, verb, r.Path, m.AuthorizerId)
				}
			}
		}
	}
}
