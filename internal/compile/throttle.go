package compile

import (
	"strings"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/runtime"
)

// stageThrottle compiles the stage's throttle of one method: its own methodSettings entry
// ("pets/GET", "/GET" for the root) when it has one, else the stage's `*/*`. Either way each
// method has a bucket of its own, as AWS applies the stage's default to every method.
func stageThrottle(st *model.Stage, apiID, path, verb string) *runtime.Throttle {
	key := strings.TrimPrefix(path, "/") + "/" + verb
	ms := st.MethodSettings[key]
	if ms == nil {
		ms = st.MethodSettings["*/*"]
	}
	if ms == nil {
		return nil
	}
	return &runtime.Throttle{
		Key:   "stage/" + apiID + "/" + st.StageName + "/" + key,
		Rate:  ms.ThrottlingRateLimit,
		Burst: ms.ThrottlingBurstLimit,
	}
}
