package openapi

import (
	"encoding/json"
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/portico/portico/internal/model"
)

var exportCases = []struct {
	name, input string
	importOpts  ImportOptions
	opts        ExportOptions
}{
	{"petstore-swagger-integrations.json", "petstore-swagger.json", ImportOptions{},
		ExportOptions{Type: "swagger", Extensions: "integrations", Host: "testapi001.execute-api.localhost", StageName: "prod"}},
	{"petstore-swagger-plain.json", "petstore-swagger.json", ImportOptions{},
		ExportOptions{Type: "swagger", Host: "testapi001.execute-api.localhost", StageName: "prod"}},
	{"petstore-swagger-oas30.json", "petstore-swagger.json", ImportOptions{},
		ExportOptions{Type: "oas30", Extensions: "apigateway", Host: "testapi001.execute-api.localhost", StageName: "prod"}},
	{"petstore-oas30-apigateway.yaml", "petstore-oas30.yaml", ImportOptions{},
		ExportOptions{Type: "oas30", Extensions: "apigateway", YAML: true, Host: "testapi001.execute-api.localhost", StageName: "v1"}},
	{"petstore-oas30-swagger.yaml", "petstore-oas30.yaml", ImportOptions{},
		ExportOptions{Type: "swagger", Extensions: "integrations", YAML: true, Host: "api.example.com", BasePath: "/pets-v1"}},
	{"authorizers-oas30.yaml", "authorizers.yaml", ImportOptions{},
		ExportOptions{Type: "oas30", Extensions: "authorizers", YAML: true, Host: "testapi001.execute-api.localhost", StageName: "prod"}},
	{"authorizers-swagger.json", "authorizers.yaml", ImportOptions{},
		ExportOptions{Type: "swagger", Extensions: "apigateway", Host: "testapi001.execute-api.localhost", StageName: "prod"}},
}

func TestExportGolden(t *testing.T) {
	for _, tc := range exportCases {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := Import(readTestdata(t, tc.input), tc.importOpts)
			if err != nil {
				t.Fatal(err)
			}
			out, err := Export(stabilise(t, doc), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "export-"+tc.name, out)
			again, _ := Export(stabilise(t, doc), tc.opts)
			if string(again) != string(out) {
				t.Error("two exports of the same definition differ")
			}
		})
	}
}

func TestExportRefusesBadOptions(t *testing.T) {
	doc, err := Import(readTestdata(t, "petstore-swagger.json"), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, opts := range []ExportOptions{{Type: "raml"}, {Type: "oas30", Extensions: "everything"}} {
		var ie *InputError
		if _, err := Export(doc, opts); !errors.As(err, &ie) {
			t.Errorf("%+v: got %v, want an InputError", opts, err)
		}
	}
}

// TestRoundTrip imports each example, exports it in both formats with extensions, imports the
// export and checks the two definitions describe the same API.
func TestRoundTrip(t *testing.T) {
	inputs := []string{"petstore-swagger.json", "petstore-oas30.yaml", "basepath.yaml"}
	formats := []ExportOptions{
		{Type: "oas30", Extensions: "apigateway"},
		{Type: "oas30", Extensions: "integrations", YAML: true},
		{Type: "swagger", Extensions: "apigateway"},
		{Type: "swagger", Extensions: "integrations", YAML: true},
	}
	for _, in := range inputs {
		first, err := Import(readTestdata(t, in), ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range formats {
			t.Run(in+"/"+f.Type, func(t *testing.T) {
				f.Host, f.StageName = "h.example", "prod"
				out, err := Export(first, f)
				if err != nil {
					t.Fatal(err)
				}
				second, err := Import(out, ImportOptions{})
				if err != nil {
					t.Fatalf("re-import: %v\n%s", err, out)
				}
				a, b := canonical(t, first), canonical(t, second)
				if f.Type == "swagger" {
					// Swagger 2 has one body schema per operation: every consumed type maps to it.
					dropMultiTypeModels(a, b)
				}
				if !reflect.DeepEqual(a, b) {
					ja, _ := json.MarshalIndent(a, "", " ")
					jb, _ := json.MarshalIndent(b, "", " ")
					t.Errorf("round trip changed the API:\n%s", firstDiff(string(ja), string(jb)))
				}
			})
		}
	}
}

// canonicalAPI is a definition keyed by paths and names instead of ids.
type canonicalAPI struct {
	API        model.RestApi
	Methods    map[string]*model.Method
	Resources  []string
	Models     map[string]string
	Validators map[string]model.RequestValidator
	Gateway    map[string]*model.GatewayResponse
}

func canonical(t *testing.T, d *model.APIDoc) *canonicalAPI {
	t.Helper()
	d = d.Clone()
	c := &canonicalAPI{API: d.RestApi, Methods: map[string]*model.Method{}, Models: map[string]string{},
		Validators: map[string]model.RequestValidator{}, Gateway: d.GatewayResponses}
	// Ids and the creation time belong to the import, not to the document.
	c.API.Id, c.API.RootResourceId, c.API.Warnings, c.API.CreatedDate = "", "", nil, model.Epoch{}
	names := map[string]string{}
	for id, v := range d.RequestValidators {
		names[id] = v.Name
		c.Validators[v.Name] = model.RequestValidator{Name: v.Name, ValidateRequestBody: v.ValidateRequestBody,
			ValidateRequestParameters: v.ValidateRequestParameters}
	}
	for _, r := range d.Resources {
		c.Resources = append(c.Resources, r.Path)
		for verb, m := range r.ResourceMethods {
			m.RequestValidatorId = names[m.RequestValidatorId]
			if in := m.MethodIntegration; in != nil && in.CacheNamespace == r.Id {
				in.CacheNamespace = "(own)"
			}
			c.Methods[verb+" "+r.Path] = m
		}
	}
	sort.Strings(c.Resources)
	for name, m := range d.Models {
		var schema any
		if err := json.Unmarshal([]byte(strings.ReplaceAll(m.Schema, d.RestApi.Id, "API")), &schema); err != nil {
			t.Fatalf("model %s: %v", name, err)
		}
		b, _ := json.Marshal(schema)
		c.Models[name] = string(b) + " " + m.ContentType + " " + m.Description
	}
	return c
}

func dropMultiTypeModels(a, b *canonicalAPI) {
	for k, m := range a.Methods {
		if len(m.RequestModels) > 1 {
			m.RequestModels = nil
			if o := b.Methods[k]; o != nil {
				o.RequestModels = nil
			}
		}
	}
}

func TestExportAndPutSkipNilEntries(t *testing.T) {
	var doc model.APIDoc
	stored := `{"restApi": {"id": "abcdefghij", "name": "n", "rootResourceId": "rootrootro"},
	  "resources": {"rootrootro": {"id": "rootrootro", "path": "/", "resourceMethods": {"GET": null,
	    "POST": {"httpMethod": "POST", "authorizationType": "NONE", "methodResponses": {"200": null},
	      "methodIntegration": {"type": "MOCK", "integrationResponses": {"200": null}}}}}, "x": null},
	  "models": {"M": null}, "requestValidators": {"v": null}, "gatewayResponses": {"THROTTLED": null}}`
	if err := json.Unmarshal([]byte(stored), &doc); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"oas30", "swagger"} {
		if _, err := Export(&doc, ExportOptions{Type: typ, Extensions: "apigateway"}); err != nil {
			t.Errorf("%s: %v", typ, err)
		}
	}
	for _, mode := range []string{"merge", "overwrite"} {
		if _, err := Put(&doc, readTestdata(t, "petstore-oas30.yaml"), mode, ImportOptions{}); err != nil {
			t.Errorf("put %s: %v", mode, err)
		}
	}
}
