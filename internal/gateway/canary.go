package gateway

import (
	"math/rand/v2"

	"github.com/portico/portico/internal/compile"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/runtime"
	"github.com/portico/portico/internal/store"
)

// loadCanary compiles the canary release of a stage into base.Canary: the canary's deployment
// with the stage's variables overlaid by the canary's overrides, observed with its own metric
// series (stage "{stage}/Canary", as CloudWatch names the canary's) and the stage's access log.
// A canary that cannot be loaded is logged and left out: the stage serves every request
// from its own deployment.
func (g *Gateway) loadCanary(tx store.Tx, base *runtime.API, st *model.StageRecord) {
	cst := compile.CanaryStage(st)
	if cst == nil {
		return
	}
	log := g.log.With("api", base.ID, "stage", base.Stage, "canaryDeployment", cst.Stage.DeploymentId)
	var rec model.DeploymentRecord
	if err := tx.Get(store.KindDeployment, store.Key(base.ID, cst.Stage.DeploymentId), &rec); err != nil {
		log.Error("canary left unserved: its deployment cannot be read", "error", err)
		return
	}
	api, err := compile.Compile(&rec, cst, compile.Options{MaxIntegrationTimeout: g.opts.MaxIntegrationTimeout})
	if err != nil {
		log.Error("canary left unserved: it does not compile", "error", err)
		return
	}
	api.IsCanary = true
	// attachCache gives the canary the stage's cache when useStageCache is on.
	api.UseStageCache = st.Stage.CanarySettings.UseStageCache
	g.warnUnsupported(api, &rec, cst)
	g.attachTelemetry(api, &rec, cst)
	base.Canary, base.CanaryPercent = api, st.Stage.CanarySettings.PercentTraffic
}

// pickRelease returns the canary release for a share of requests equal to the stage's
// percentTraffic, chosen at random per request (math/rand/v2's per-thread generator: no lock,
// no shared state), and the stage itself otherwise.
func pickRelease(api *runtime.API) *runtime.API {
	if c := api.Canary; c != nil && rand.Float64()*100 < api.CanaryPercent {
		return c
	}
	return api
}
