package compile

import (
	"strings"
	"testing"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/runtime"
)

// TestCompileNonProxy: what a non-proxy integration compiles to, and the configurations that
// leave one method unserved (answering 500) while the stage compiles.
func TestCompileNonProxy(t *testing.T) {
	ok := map[string]*model.IntegrationResponse{"200": {StatusCode: "200"}}
	httpIn := func(change func(*model.Integration)) *model.Integration {
		in := &model.Integration{Type: "HTTP", HttpMethod: "POST", Uri: "http://backend.local/pets/{id}",
			RequestParameters: map[string]string{
				"integration.request.path.id":           "method.request.path.id",
				"integration.request.header.X-Name":     "method.request.body.pet.name",
				"integration.request.header.X-All":      "method.request.multivalueheader.X-A",
				"integration.request.querystring.tags":  "method.request.multivaluequerystring.tag",
				"integration.request.querystring.whole": "method.request.body",
			},
			RequestTemplates: map[string]string{"application/json": `{"id": "$input.params('id')"}`, "text/plain": `static`, "application/xml": ``},
			IntegrationResponses: map[string]*model.IntegrationResponse{"200": {StatusCode: "200", ContentHandling: "CONVERT_TO_TEXT",
				ResponseParameters: map[string]string{
					"method.response.header.X-Id":    "integration.response.body.id",
					"method.response.header.X-Multi": "integration.response.multivalueheader.X-M",
					"method.response.header.X-Body":  "integration.response.body",
				},
				ResponseTemplates: map[string]string{"application/json": `$input.json('$')`}}}}
		if change != nil {
			change(in)
		}
		return in
	}
	cases := []struct {
		name   string
		in     *model.Integration
		reason string // "" when the method compiles
	}{
		{"http", httpIn(nil), ""},
		{"bad request template", httpIn(func(in *model.Integration) { in.RequestTemplates["application/json"] = "#if($x" }),
			"mapping template does not parse: POST request template application/json:1:"},
		{"bad response template", httpIn(func(in *model.Integration) {
			in.IntegrationResponses["200"].ResponseTemplates["application/json"] = "#foreach($a in)#end"
		}), "mapping template does not parse: POST response 200 template application/json:1:"},
		{"bad body path", httpIn(func(in *model.Integration) {
			in.RequestParameters["integration.request.header.X-Bad"] = "method.request.body.a[?("
		}), `mapping expression "method.request.body.a[?("`},
		{"bad contentHandling", httpIn(func(in *model.Integration) { in.ContentHandling = "CONVERT_TO_JSON" }), `invalid contentHandling "CONVERT_TO_JSON"`},
		{"bad response contentHandling", httpIn(func(in *model.Integration) { in.IntegrationResponses["200"].ContentHandling = "X" }),
			`integration response 200 has invalid contentHandling "X"`},
		{"request source in a response", httpIn(func(in *model.Integration) {
			in.IntegrationResponses["200"].ResponseParameters["method.response.header.X-Q"] = "method.request.querystring.q"
		}), `mapping expression "method.request.querystring.q" is not supported here`},
		{"body mapping on a proxy", &model.Integration{Type: "HTTP_PROXY", HttpMethod: "GET", Uri: "http://b.local/",
			RequestParameters: map[string]string{"integration.request.header.X": "method.request.body"}},
			"an HTTP_PROXY integration cannot map values from the request body"},
		{"mock with a bad template", &model.Integration{Type: "MOCK", IntegrationResponses: ok,
			RequestTemplates: map[string]string{"application/json": `{"statusCode": $}`}}, ""},
		{"mock with an unclosed directive", &model.Integration{Type: "MOCK", IntegrationResponses: ok,
			RequestTemplates: map[string]string{"application/json": `{"statusCode": #if(true)200}`}},
			"mapping template does not parse: GET request template application/json:1:"},
	}
	for _, c := range cases {
		verb := "GET"
		if c.in.Type == "HTTP" {
			verb = "POST"
		}
		rec, st := record(map[string]*model.Resource{"a": {Id: "a", Path: "/pets/{id}",
			ResourceMethods: map[string]*model.Method{verb: method(verb, c.in, "200")}}}, nil)
		api, err := Compile(rec, st, Options{})
		if err != nil {
			t.Fatalf("%s: the stage must compile: %v", c.name, err)
		}
		res, _ := api.Routes.Match("/pets/1", nil)
		in := res.Method(verb).Integration
		if c.reason == "" {
			if in.Kind == runtime.Unsupported {
				t.Errorf("%s: unsupported: %s", c.name, in.Reason)
			}
			continue
		}
		if in.Kind != runtime.Unsupported || !strings.Contains(in.Reason, c.reason) {
			t.Errorf("%s: kind %d reason %q, want %q", c.name, in.Kind, in.Reason, c.reason)
		}
	}

	rec, st := record(map[string]*model.Resource{"a": {Id: "a", Path: "/pets/{id}",
		ResourceMethods: map[string]*model.Method{"POST": method("POST", httpIn(nil), "200")}}}, nil)
	api, err := Compile(rec, st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, _ := api.Routes.Match("/pets/1", nil)
	in := res.Method("POST").Integration
	if in.Kind != runtime.HTTP || in.HTTP.Method != "POST" || in.HTTP.Host != "backend.local" {
		t.Fatalf("http integration %+v", in)
	}
	kinds := map[string]runtime.SourceKind{}
	for _, h := range in.HTTP.Headers {
		kinds[h.Name] = h.Source.Kind
	}
	for _, q := range in.HTTP.QueryParams {
		kinds[q.Name] = q.Source.Kind
	}
	if kinds["X-Name"] != runtime.SrcBodyPath || kinds["X-All"] != runtime.SrcMultiHeader ||
		kinds["tags"] != runtime.SrcMultiQuery || kinds["whole"] != runtime.SrcBody {
		t.Errorf("request sources %v", kinds)
	}
	for _, tpl := range in.RequestTemplates {
		if parsed := tpl.Template != nil; parsed != (tpl.ContentType == "application/json") {
			t.Errorf("template %s parsed=%v: only templates with references or directives are parsed", tpl.ContentType, parsed)
		}
	}
	ir := in.DefaultResponse
	if ir == nil || ir.ContentHandling != "CONVERT_TO_TEXT" || len(ir.Templates) != 1 || ir.Templates[0].Template == nil {
		t.Fatalf("integration response %+v", ir)
	}
	resp := map[string]runtime.SourceKind{}
	for _, h := range ir.Headers {
		resp[h.Name] = h.Source.Kind
	}
	if resp["X-Id"] != runtime.SrcRespBodyPath || resp["X-Multi"] != runtime.SrcRespMultiHeader || resp["X-Body"] != runtime.SrcRespBody {
		t.Errorf("response sources %v", resp)
	}
}

// FuzzParseSource: a mapping expression either compiles to a source of a kind the place
// accepts or is refused with an error; it never panics.
func FuzzParseSource(f *testing.F) {
	for _, s := range []string{"'lit'", "stageVariables.v", "context.requestId", "method.request.path.id",
		"method.request.multivaluequerystring.q", "method.request.body", "method.request.body.a.b[0]",
		"method.request.body.a[?(@.x > 1)]", "integration.response.body.$x", "integration.response.multivalueheader.X",
		"integration.response.header.", "'", "method.request.body.", "method.request.body.a[?("} {
		f.Add(s)
	}
	res := &runtime.Resource{Path: "/pets/{id}", ParamNames: []string{"id"}}
	f.Fuzz(func(t *testing.T, expr string) {
		for _, set := range []sourceSet{integrationRequestSources, integrationResponseSources, gatewayResponseSources} {
			src, err := parseSource(expr, map[string]string{"v": "1"}, res, set)
			if err != nil {
				continue
			}
			body := src.Kind == runtime.SrcBody || src.Kind == runtime.SrcBodyPath || src.Kind == runtime.SrcMultiQuery || src.Kind == runtime.SrcMultiHeader
			if body && set != integrationRequestSources {
				t.Fatalf("%q compiled to request-only kind %d for set %b", expr, src.Kind, set)
			}
			if (src.Kind == runtime.SrcBodyPath || src.Kind == runtime.SrcRespBodyPath) && src.Path == nil {
				t.Fatalf("%q: body path without a compiled path", expr)
			}
		}
	})
}
