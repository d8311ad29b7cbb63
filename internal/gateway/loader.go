package gateway

import (
	"errors"
	"fmt"
	"strings"

	"github.com/portico/portico/internal/compile"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/runtime"
	"github.com/portico/portico/internal/store"
)

// follow applies the store's changes until the subscription ends. Only what changed is
// recompiled: a stage, the stages of one API, or (on an empty-Kind change, which means the feed
// overflowed) everything. Changes that arrive together (one transaction writes the API, a
// deployment and a stage) are applied together, so each stage compiles once.
func (g *Gateway) follow(changes <-chan store.Change) {
	defer close(g.done)
	for c := range changes {
		batch := []store.Change{c}
	drain:
		for {
			select {
			case c, ok := <-changes:
				if !ok {
					break drain
				}
				batch = append(batch, c)
			default:
				break drain
			}
		}
		g.apply(batch)
		g.retainSeries()
		g.retainCaches()
	}
}

func (g *Gateway) apply(batch []store.Change) {
	apis := map[string]bool{}
	type stageKey struct{ api, stage string }
	stages := map[stageKey]bool{}
	keys := false
	for _, c := range batch {
		switch c.Kind {
		case "":
			if err := g.reloadAll(); err != nil {
				g.log.Error("reloading every stage failed", "error", err)
			}
			if err := g.reloadKeys(); err != nil {
				g.log.Error("reloading api keys failed", "error", err)
			}
			return
		case store.KindApiKey, store.KindUsagePlan, store.KindUsagePlanKey:
			keys = true
		case store.KindUsage:
			if err := g.traffic.book.adopt(c.Key); err != nil {
				g.log.Error("reading a usage count failed", "key", c.Key, "error", err)
			}
		case store.KindStage:
			apiID, stage, _ := strings.Cut(c.Key, "/")
			stages[stageKey{apiID, stage}] = true
		case store.KindDeployment:
			apiID, _, _ := strings.Cut(c.Key, "/")
			apis[apiID] = true
		case store.KindRestAPI:
			apis[c.Key] = true
		}
	}
	if keys {
		if err := g.reloadKeys(); err != nil {
			g.log.Error("reloading api keys failed", "error", err)
		}
	}
	for apiID := range apis {
		if err := g.reloadAPI(apiID); err != nil {
			g.log.Error("reloading an API's stages failed", "api", apiID, "error", err)
		}
	}
	for k := range stages {
		if apis[k.api] {
			continue
		}
		if err := g.reloadStage(k.api, k.stage); err != nil {
			g.log.Error("reloading a stage failed", "api", k.api, "stage", k.stage, "error", err)
		}
	}
}

// reloadAll recompiles every stage and replaces the whole table.
func (g *Gateway) reloadAll() error {
	var apis []*runtime.API
	err := g.st.View(func(tx store.Tx) error {
		return tx.List(store.KindStage, "", func(key string, _ []byte) error {
			apiID, stage, _ := strings.Cut(key, "/")
			if api := g.loadStage(tx, apiID, stage); api != nil {
				apis = append(apis, api)
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("gateway: load stages: %w", err)
	}
	g.table.ReplaceAll(apis)
	return nil
}

// reloadAPI recompiles every stage of one API (none when the API is gone).
func (g *Gateway) reloadAPI(apiID string) error {
	var apis []*runtime.API
	err := g.st.View(func(tx store.Tx) error {
		if !apiExists(tx, apiID) {
			return nil
		}
		return tx.List(store.KindStage, apiID+"/", func(key string, _ []byte) error {
			_, stage, _ := strings.Cut(key, "/")
			if api := g.loadStage(tx, apiID, stage); api != nil {
				apis = append(apis, api)
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	g.table.ReplaceAPI(apiID, apis)
	return nil
}

// reloadStage recompiles one stage, or stops serving it when it is gone or does not compile.
func (g *Gateway) reloadStage(apiID, stage string) error {
	var api *runtime.API
	err := g.st.View(func(tx store.Tx) error {
		api = g.loadStage(tx, apiID, stage)
		return nil
	})
	if err != nil {
		return err
	}
	if api == nil {
		g.table.Delete(apiID, stage)
	} else {
		g.table.Set(api)
	}
	return nil
}

// loadStage compiles one stage against its deployment; nil when it is missing or broken (logged).
func (g *Gateway) loadStage(tx store.Tx, apiID, stage string) *runtime.API {
	var st model.StageRecord
	if err := tx.Get(store.KindStage, store.Key(apiID, stage), &st); err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			g.log.Error("stage cannot be read", "api", apiID, "stage", stage, "error", err)
		}
		return nil
	}
	if !apiExists(tx, apiID) {
		return nil
	}
	var rec model.DeploymentRecord
	if err := tx.Get(store.KindDeployment, store.Key(apiID, st.Stage.DeploymentId), &rec); err != nil {
		g.log.Error("stage left unserved: its deployment cannot be read", "api", apiID, "stage", stage,
			"deployment", st.Stage.DeploymentId, "error", err)
		return nil
	}
	api, err := compile.Compile(&rec, &st, compile.Options{MaxIntegrationTimeout: g.opts.MaxIntegrationTimeout})
	if err != nil {
		g.log.Error("stage left unserved: it does not compile", "api", apiID, "stage", stage,
			"deployment", st.Stage.DeploymentId, "error", err)
		return nil
	}
	g.warnUnsupported(api, &rec, &st)
	g.attachTelemetry(api, &rec, &st)
	g.loadCanary(tx, api, &st)
	g.attachCache(api, &st.Stage)
	return api
}

// warnUnsupported logs, once per load, what the stage asks for that the data plane does not do
// yet, so an operator learns it before a client does.
func (g *Gateway) warnUnsupported(api *runtime.API, rec *model.DeploymentRecord, st *model.StageRecord) {
	log := g.log.With("api", api.ID, "stage", api.Stage)
	api.Routes.Walk(func(res *runtime.Resource, m *runtime.Method) {
		if m.Integration.Kind == runtime.Unsupported {
			log.Warn("method will answer 500 Internal server error", "resource", res.Path,
				"method", m.Verb.String(), "reason", m.Integration.Reason)
		}
		if a := m.Integration.AWS; a != nil && a.Role != "" {
			log.Info("integration credentials are not assumed: the call is signed with the server's AWS credentials",
				"resource", res.Path, "method", m.Verb.String(), "credentials", a.Role)
		}
		if v := m.Validation; v != nil && v.Err != "" {
			log.Warn("method will answer 500 Internal server error: its request validator cannot run",
				"resource", res.Path, "method", m.Verb.String(), "reason", v.Err)
		}
		if (m.AuthorizationType == "CUSTOM" || m.AuthorizationType == "COGNITO_USER_POOLS") &&
			(m.Authorizer == nil || m.Authorizer.Err != "") {
			reason := "its authorizerId names no authorizer of the deployment"
			if m.Authorizer != nil {
				reason = m.Authorizer.Err
			}
			log.Warn("method will answer 500: its authorizer cannot run", "resource", res.Path,
				"method", m.Verb.String(), "reason", reason)
		}
		if m.APIKeyRequired && api.APIKeySource == "AUTHORIZER" && m.AuthorizationType != "CUSTOM" {
			log.Warn("method refuses every request: its API key comes from a Lambda authorizer, and it has none",
				"resource", res.Path, "method", m.Verb.String())
		}
	})
}

// apiExists reports whether the API's document is still there; stages of a deleted API are
// not served.
func apiExists(tx store.Tx, apiID string) bool {
	found := false
	tx.List(store.KindRestAPI, apiID, func(key string, _ []byte) error {
		if key == apiID {
			found = true
		}
		return errStopList
	})
	return found
}

var errStopList = errors.New("stop")
