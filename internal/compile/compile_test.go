package compile

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/runtime"
)

var rewrite = flag.Bool("rewrite", false, "rewrite golden files under testdata/")

func method(verb string, in *model.Integration, statuses ...string) *model.Method {
	m := &model.Method{HttpMethod: verb, AuthorizationType: "NONE", MethodIntegration: in,
		MethodResponses: map[string]*model.MethodResponse{}}
	for _, s := range statuses {
		m.MethodResponses[s] = &model.MethodResponse{StatusCode: s}
	}
	return m
}

func record(resources map[string]*model.Resource, gw map[string]*model.GatewayResponse) (*model.DeploymentRecord, *model.StageRecord) {
	resources["root"] = &model.Resource{Id: "root", Path: "/"}
	doc := &model.APIDoc{RestApi: model.RestApi{Id: "api1", RootResourceId: "root"}, Resources: resources, GatewayResponses: gw}
	rec := &model.DeploymentRecord{Deployment: model.Deployment{Id: "dep1"}, APIID: "api1", Snapshot: doc}
	st := &model.StageRecord{APIID: "api1", Stage: model.Stage{StageName: "prod", DeploymentId: "dep1",
		Variables: map[string]string{"host": "backend.local:8080", "v": "ten"}}}
	return rec, st
}

func TestCompileRoutesAndIntegrations(t *testing.T) {
	mockIn := &model.Integration{Type: "MOCK",
		RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`, "text/plain": `#if(1){"statusCode":1}#end`},
		IntegrationResponses: map[string]*model.IntegrationResponse{
			"200": {StatusCode: "200", ResponseParameters: map[string]string{
				"method.response.header.X-Lit": "'yes'", "method.response.header.X-Var": "stageVariables.v"},
				ResponseTemplates: map[string]string{"Application/JSON": `{"ok":true}`}},
			"404": {StatusCode: "404", SelectionPattern: "40\\d"},
			"500": {StatusCode: "500", SelectionPattern: "5.*"},
			"400": {StatusCode: "400", SelectionPattern: "4\\d\\d"},
		}}
	proxyIn := &model.Integration{Type: "HTTP_PROXY", HttpMethod: "ANY", TimeoutInMillis: 120000,
		Uri: "http://${stageVariables.host}/base/{proxy}?fixed=1",
		RequestParameters: map[string]string{
			"integration.request.path.proxy":       "method.request.path.proxy",
			"integration.request.querystring.from": "'portico'",
			"integration.request.header.X-Stage":   "stageVariables.v",
		}}
	rec, st := record(map[string]*model.Resource{
		"a": {Id: "a", Path: "/pets", ResourceMethods: map[string]*model.Method{"GET": method("GET", mockIn, "200", "404")}},
		"b": {Id: "b", Path: "/pets/{id}", ResourceMethods: map[string]*model.Method{
			"GET":    method("GET", &model.Integration{Type: "HTTP_PROXY", HttpMethod: "GET", Uri: "https://x.example/p/{id}", TimeoutInMillis: 50}),
			"POST":   method("POST", &model.Integration{Type: "AWS_PROXY", Uri: "arn:aws:apigateway:..."}),
			"DELETE": method("DELETE", nil),
			"PUT":    method("PUT", &model.Integration{Type: "HTTP_PROXY", Uri: "http://x/{nope}"}),
		}},
		"c": {Id: "c", Path: "/files/{proxy+}", ResourceMethods: map[string]*model.Method{"ANY": method("ANY", proxyIn)}},
	}, nil)
	api, err := Compile(rec, st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if api.ID != "api1" || api.Stage != "prod" || api.DeploymentID != "dep1" {
		t.Fatalf("identity %+v", api)
	}
	res, params := api.Routes.Match("/pets", nil)
	m := res.Method("GET")
	in := m.Integration
	if in.Kind != runtime.Mock || len(in.RequestTemplates) != 2 || in.Timeout != 29*time.Second {
		t.Fatalf("mock integration %+v", in)
	}
	if tpl, ok := in.SelectRequestTemplate("application/json; charset=utf-8"); !ok || tpl.MockStatus != 200 || tpl.MockErr != nil {
		t.Fatalf("json template %+v", tpl)
	}
	if tpl, ok := in.SelectRequestTemplate("text/plain"); !ok || tpl.Template == nil {
		t.Fatalf("a template with directives is parsed, its statusCode read when it renders: %+v", tpl)
	}
	for sel, want := range map[string]int{"200": 200, "404": 404, "403": 400, "400": 400, "500": 500, "503": 500, "4040": 200, "-1": 200} {
		got := in.Select(sel)
		if got == nil || got.StatusCode != want {
			t.Errorf("Select(%q) = %+v, want %d", sel, got, want)
		}
	}
	if in.Select("500").HasMethodResponse || !in.Select("200").HasMethodResponse {
		t.Error("HasMethodResponse wrong")
	}
	d := in.DefaultResponse
	if len(d.Headers) != 2 || d.Headers[0].Name != "X-Lit" || d.Headers[0].Source.Name != "yes" ||
		d.Headers[1].Source.Name != "ten" || d.Templates[0].ContentType != "application/json" {
		t.Fatalf("default response %+v", d)
	}

	res, params = api.Routes.Match("/pets/7", params[:0])
	if got := res.Method("GET").Integration; got.Kind != runtime.HTTPProxy || got.HTTP.Scheme != "https" ||
		got.HTTP.Host != "x.example" || got.HTTP.Method != "GET" || got.Timeout != 50*time.Millisecond ||
		len(got.HTTP.Path) != 2 || got.HTTP.Path[1].Source.Index != 0 {
		t.Fatalf("direct-form proxy %+v %+v", got, got.HTTP)
	}
	for verb, reason := range map[string]string{"POST": "AWS ARN for integration must contain path or action", "DELETE": "has no integration", "PUT": "{nope}"} {
		if got := res.Method(verb).Integration; got.Kind != runtime.Unsupported || !strings.Contains(got.Reason, reason) {
			t.Errorf("%s: %+v, want Unsupported containing %q", verb, got, reason)
		}
	}

	res, _ = api.Routes.Match("/files/a/b", params[:0])
	h := res.Method("PATCH").Integration
	if h.Timeout != 29*time.Second || h.HTTP.Method != "" || h.HTTP.Host != "backend.local:8080" {
		t.Fatalf("greedy proxy %+v %+v", h, h.HTTP)
	}
	if len(h.HTTP.Query) != 1 || h.HTTP.Query[0].Text != "fixed=1" || h.HTTP.QueryParams[0].Source.Name != "portico" ||
		h.HTTP.Headers[0].Name != "X-Stage" || h.HTTP.Headers[0].Source.Name != "ten" {
		t.Fatalf("proxy params %+v", h.HTTP)
	}
}

func TestCompileRefuses(t *testing.T) {
	rec, st := record(map[string]*model.Resource{
		"a": {Id: "a", Path: "/x/{a}"}, "b": {Id: "b", Path: "/x/{b}"},
	}, nil)
	if _, err := Compile(rec, st, Options{}); err == nil {
		t.Error("conflicting variable siblings compiled")
	}
	rec, st = record(map[string]*model.Resource{}, map[string]*model.GatewayResponse{
		"DEFAULT_4XX": {ResponseType: "DEFAULT_4XX", StatusCode: "4000"}})
	if _, err := Compile(rec, st, Options{}); err == nil {
		t.Error("bad gateway response status compiled")
	}
	rec, st = record(map[string]*model.Resource{}, nil)
	st.Stage.DeploymentId = "other"
	if _, err := Compile(rec, st, Options{}); err == nil {
		t.Error("stage of another deployment compiled")
	}
	if _, err := Compile(&model.DeploymentRecord{}, st, Options{}); err == nil {
		t.Error("deployment without snapshot compiled")
	}
}

// TestGatewayResponsesGolden resolves a set of customisations and compares the result with
// testdata/gatewayresponses.txt (-rewrite regenerates it).
func TestGatewayResponsesGolden(t *testing.T) {
	rec, st := record(map[string]*model.Resource{}, map[string]*model.GatewayResponse{
		"DEFAULT_4XX": {ResponseType: "DEFAULT_4XX", StatusCode: "418",
			ResponseParameters: map[string]string{"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"}},
		"MISSING_AUTHENTICATION_TOKEN": {ResponseType: "MISSING_AUTHENTICATION_TOKEN", StatusCode: "404",
			ResponseParameters: map[string]string{
				"gatewayresponse.header.X-Req":   "context.requestId",
				"gatewayresponse.header.X-Stage": "stageVariables.v",
				"gatewayresponse.header.X-Q":     "method.request.querystring.q"},
			ResponseTemplates: map[string]string{"application/json": `{"error":$context.error.messageString,"type":"$context.error.responseType","v":"$stageVariables.v","u":"$stageVariables.unset","s":"$!stageVariables.unset"}`}},
		"DEFAULT_5XX": {ResponseType: "DEFAULT_5XX", ResponseTemplates: map[string]string{"text/plain": "static failure"}},
	})
	api, err := Compile(rec, st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := []byte(describeResponses(api.Responses))
	const file = "testdata/gatewayresponses.txt"
	if *rewrite {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("resolved gateway responses differ from %s:\n%s", file, got)
	}
}

func TestParseGatewayTemplate(t *testing.T) {
	vars := map[string]string{"who": "prod"}
	cases := []struct{ in, want string }{
		{`{"message":$context.error.messageString}`, `L{"message":|V(error.messageString)|L}`},
		{`${context.requestId}-$!{context.x}-$!context.y`, `V(requestId)|L-|V(x)|L-|V(y)`},
		{`$stageVariables.who $stageVariables.none $!stageVariables.none.`, `Lprod $stageVariables.none .`},
		{`cost $5 and $ and ${context.open and $input.body`, `Lcost $5 and $ and ${context.open and $input.body`},
		{`$context.`, `L$context.`},
		{``, ``},
	}
	for _, c := range cases {
		tpl := ParseGatewayTemplate("application/json", c.in, vars)
		var parts []string
		for _, p := range tpl.Parts {
			if p.Var != "" {
				parts = append(parts, "V("+p.Var+")")
			} else {
				parts = append(parts, "L"+p.Text)
			}
		}
		if got := strings.Join(parts, "|"); got != c.want {
			t.Errorf("ParseGatewayTemplate(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

// FuzzGatewayTemplate checks that parsing never panics and, without silent references or
// stage variables, loses nothing: the parts put together give the template back.
func FuzzGatewayTemplate(f *testing.F) {
	for _, s := range []string{`{"message":$context.error.messageString}`, `${context.a}$!{x}`, `$`, `$$context.a.b.`, `${context.x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tpl := ParseGatewayTemplate("application/json", s, nil)
		if strings.Contains(s, "$!") {
			return
		}
		var b strings.Builder
		for _, p := range tpl.Parts {
			b.WriteString(p.Text)
		}
		if b.String() != s {
			t.Fatalf("%q reassembles as %q", s, b.String())
		}
		if tpl.Static != nil && string(tpl.Static) != s {
			t.Fatalf("%q: static body %q", s, tpl.Static)
		}
	})
}

var sourceKinds = map[runtime.SourceKind]string{runtime.SrcLiteral: "literal", runtime.SrcPath: "path",
	runtime.SrcQuery: "querystring", runtime.SrcHeader: "header", runtime.SrcContext: "context"}

func describeResponses(rs runtime.GatewayResponses) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "%s %d (%s)\n", r.Type, r.Status, r.Type.ErrorType())
		for _, h := range r.Headers {
			fmt.Fprintf(&b, "  header %s = %s %q\n", h.Name, sourceKinds[h.Source.Kind], h.Source.Name)
		}
		for _, t := range r.Templates {
			fmt.Fprintf(&b, "  template %s:", t.ContentType)
			for _, p := range t.Parts {
				if p.Var != "" {
					fmt.Fprintf(&b, " var(%s)", p.Var)
				} else {
					fmt.Fprintf(&b, " %q", p.Text)
				}
			}
			if t.Static != nil {
				b.WriteString(" [static]")
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// FuzzHTTPTarget checks that any uri compiles or is refused without panicking, and that a
// compiled target puts its literal parts back together as the uri's path and query.
func FuzzHTTPTarget(f *testing.F) {
	for _, s := range []string{"http://h/a/{proxy}?x={id}", "https://${stageVariables.host}/p", "http://h", "http://h?q", "ftp://x", "http://{x}/", "http://h/{unclosed"} {
		f.Add(s)
	}
	tr := runtime.NewTree("r")
	res, err := tr.Add("/x/{id}/{proxy+}", "")
	if err != nil {
		f.Fatal(err)
	}
	vars := map[string]string{"host": "example.com"}
	f.Fuzz(func(t *testing.T, uri string) {
		in := &model.Integration{Type: "HTTP_PROXY", Uri: uri}
		target, err := compileHTTPTarget(in, res, vars)
		if err != nil {
			return
		}
		if target.Host == "" || (target.Scheme != "http" && target.Scheme != "https") || len(target.Path) == 0 {
			t.Fatalf("%q compiled to %+v", uri, target)
		}
		for _, p := range append(target.Path, target.Query...) {
			if p.Param && (p.Source.Kind != runtime.SrcPath || p.Source.Index < 0 || p.Source.Index > 1) {
				t.Fatalf("%q: placeholder bound to %+v", uri, p.Source)
			}
		}
	})
}
