package compile

import (
	"reflect"
	"strings"
	"testing"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/runtime"
)

func TestResolveStageVariables(t *testing.T) {
	vars := map[string]string{"host": "backend:8080", "fn": "pets", "alias": "live", "empty": ""}
	for _, c := range []struct{ in, want, err string }{
		{"http://${stageVariables.host}/pets", "http://backend:8080/pets", ""},
		{"http://example.com/${stageVariables.fn}/x?q=${stageVariables.alias}", "http://example.com/pets/x?q=live", ""},
		{"arn:aws:lambda:us-east-1:1:function:${stageVariables.fn}:${stageVariables.alias}", "arn:aws:lambda:us-east-1:1:function:pets:live", ""},
		{"http://x/${stageVariables.empty}y", "http://x/y", ""},
		{"no variables", "no variables", ""},
		{"http://${stageVariables.host", "http://${stageVariables.host", ""},
		{"http://${stageVariables.nope}/x", "", `stage variable "nope" is not defined`},
		{"$stageVariables.host", "$stageVariables.host", ""},
	} {
		got, err := ResolveStageVariables(c.in, vars)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%q: error %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestCanaryStage(t *testing.T) {
	st := &model.StageRecord{APIID: "a", Stage: model.Stage{StageName: "prod", DeploymentId: "d1",
		Variables: map[string]string{"a": "1", "b": "2"}}}
	if CanaryStage(st) != nil {
		t.Error("a stage without a canary has one")
	}
	st.Stage.CanarySettings = &model.CanarySettings{PercentTraffic: 0, DeploymentId: "d2"}
	if CanaryStage(st) != nil {
		t.Error("a canary at 0% is served")
	}
	st.Stage.CanarySettings = &model.CanarySettings{PercentTraffic: 10, DeploymentId: "d2",
		StageVariableOverrides: map[string]string{"b": "x", "c": "y"}}
	c := CanaryStage(st)
	if c.Stage.DeploymentId != "d2" || !reflect.DeepEqual(c.Stage.Variables, map[string]string{"a": "1", "b": "x", "c": "y"}) {
		t.Errorf("canary stage %+v", c.Stage)
	}
	if st.Stage.Variables["b"] != "2" || st.Stage.DeploymentId != "d1" {
		t.Error("the stage itself was changed")
	}
	st.Stage.CanarySettings = &model.CanarySettings{PercentTraffic: 10}
	if c := CanaryStage(st); c.Stage.DeploymentId != "d1" {
		t.Errorf("a canary without a deployment serves %s", c.Stage.DeploymentId)
	}
}

// TestUndefinedStageVariableInURI: an HTTP or Lambda uri naming a variable the stage lacks
// compiles into a method that answers 500, saying which variable.
func TestUndefinedStageVariableInURI(t *testing.T) {
	for _, in := range []*model.Integration{
		{Type: "HTTP_PROXY", HttpMethod: "GET", Uri: "http://${stageVariables.backend}/x"},
		{Type: "HTTP", HttpMethod: "GET", Uri: "http://example.com/${stageVariables.path}"},
		{Type: "AWS", HttpMethod: "POST", Uri: "arn:aws:apigateway:us-east-1:sqs:path/1/${stageVariables.queue}"},
	} {
		m := &model.Method{HttpMethod: "GET", MethodIntegration: in}
		out := compileIntegration(m, &runtime.Resource{Path: "/x"}, map[string]string{}, Options{MaxIntegrationTimeout: DefaultMaxIntegrationTimeout})
		if out.Kind != runtime.Unsupported || !strings.Contains(out.Reason, "is not defined") {
			t.Errorf("%s %s: %v %q", in.Type, in.Uri, out.Kind, out.Reason)
		}
	}
}
