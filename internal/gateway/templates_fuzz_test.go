package gateway

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portico/portico/internal/compile"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store/bolt"
)

// FuzzMappingTemplates runs arbitrary request and response templates over arbitrary bodies
// through a MOCK integration: deploying never fails the stage, and every request gets a real
// status and the request id headers; a failure is a JSON gateway error, never a panic.
func FuzzMappingTemplates(f *testing.F) {
	for _, s := range [][4]string{
		{`{"statusCode": 200}`, `$input.json('$')`, `{"a": [1, 2]}`, "application/json"},
		{`#set($b = $input.path('$')){"statusCode": $b.code}`, `#foreach($x in $input.path('$.items'))$x#end`, `{"code": 200, "items": [1]}`, ""},
		{`{"statusCode": #if($input.params('q') == "x")404#else 200#end}`, `#set($context.responseOverride.status = 201)`, ``, "text/plain"},
		{`#foreach($i in [1..2000])#end{"statusCode": 200}`, `$util.base64Decode($input.body)`, `%%%`, ""},
		{`{"statusCode": 200}`, `#set($context.responseOverride.header.X = "a")#set($context.responseOverride.header.X = "b")`, `{`, ""},
		{`#if(`, `$input.path('$..*')`, `[[[[`, "application/json; charset=utf-8"},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	st, err := bolt.Open(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	gw, err := New(st, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.Fatal(err)
	}
	defer gw.Close()
	f.Fuzz(func(t *testing.T, reqTemplate, respTemplate, body, contentType string) {
		responses := map[string]*model.IntegrationResponse{
			"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": respTemplate}},
			"404": {StatusCode: "404", SelectionPattern: "4\\d\\d", ResponseTemplates: map[string]string{"text/plain": respTemplate}},
		}
		m := mockMethod("POST", "", responses, "200", "404")
		m.MethodIntegration.RequestTemplates = map[string]string{"application/json": reqTemplate, "text/plain": reqTemplate}
		doc := newDoc(&model.Resource{Id: "fuzz01", Path: "/t/{p}", ResourceMethods: map[string]*model.Method{"POST": m}})
		api, err := compile.Compile(&model.DeploymentRecord{Deployment: model.Deployment{Id: "dep001"}, APIID: apiID, Snapshot: doc},
			&model.StageRecord{APIID: apiID, Stage: model.Stage{StageName: "prod", DeploymentId: "dep001",
				Variables: map[string]string{"v": "1"}}}, compile.Options{})
		if err != nil {
			t.Fatalf("a template must not fail the stage: %v", err)
		}
		gw.table.Set(api)
		req := httptest.NewRequest("POST", "http://"+apiID+".execute-api.localhost/prod/t/x?q=x", strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Accept", contentType)
		w := httptest.NewRecorder()
		gw.ServeHTTP(w, req)
		if w.Header().Get("X-Amzn-Requestid") == "" || w.Code < 100 || w.Code > 599 {
			t.Fatalf("status %d headers %v", w.Code, w.Header())
		}
		if w.Header().Get("X-Amzn-Errortype") != "" && !strings.HasPrefix(w.Body.String(), `{"message":`) {
			t.Fatalf("gateway error %d %q", w.Code, w.Body)
		}
		if w.Code == http.StatusOK && w.Header().Get("Content-Length") == "" {
			t.Fatalf("no Content-Length")
		}
	})
}
