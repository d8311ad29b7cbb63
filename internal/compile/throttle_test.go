package compile

import (
	"testing"

	"github.com/portico/portico/internal/model"
)

func TestStageThrottle(t *testing.T) {
	st := &model.Stage{StageName: "prod", MethodSettings: map[string]*model.MethodSetting{
		"*/*":      {ThrottlingRateLimit: 100, ThrottlingBurstLimit: 50},
		"pets/GET": {ThrottlingRateLimit: 5, ThrottlingBurstLimit: 2},
		"/GET":     {ThrottlingRateLimit: 7, ThrottlingBurstLimit: 3},
	}}
	for _, c := range []struct {
		path, verb, key string
		rate            float64
		burst           int64
	}{
		{"/pets", "GET", "stage/api/prod/pets/GET", 5, 2},
		{"/pets", "POST", "stage/api/prod/pets/POST", 100, 50},
		{"/", "GET", "stage/api/prod//GET", 7, 3},
		{"/pets/{id}", "ANY", "stage/api/prod/pets/{id}/ANY", 100, 50},
	} {
		th := stageThrottle(st, "api", c.path, c.verb)
		if th == nil || th.Key != c.key || th.Rate != c.rate || th.Burst != c.burst {
			t.Errorf("%s %s: %+v, want %s %v/%d", c.verb, c.path, th, c.key, c.rate, c.burst)
		}
	}
	if th := stageThrottle(&model.Stage{StageName: "prod"}, "api", "/pets", "GET"); th != nil {
		t.Errorf("a stage without method settings throttles: %+v", th)
	}
}
