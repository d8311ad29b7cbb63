package mgmt

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

type createDeploymentInput struct {
	StageName           string                `json:"stageName"`
	StageDescription    string                `json:"stageDescription"`
	Description         string                `json:"description"`
	CacheClusterEnabled *bool                 `json:"cacheClusterEnabled"`
	CacheClusterSize    string                `json:"cacheClusterSize"`
	Variables           map[string]string     `json:"variables"`
	CanarySettings      *model.CanarySettings `json:"canarySettings"`
	TracingEnabled      *bool                 `json:"tracingEnabled"`
}

// apiSummary is the deployment's path → verb → {authorizationType, apiKeyRequired} summary.
func apiSummary(d *model.APIDoc) map[string]map[string]*model.MethodSnapshot {
	out := map[string]map[string]*model.MethodSnapshot{}
	for _, r := range d.Resources {
		for verb, m := range r.ResourceMethods {
			if out[r.Path] == nil {
				out[r.Path] = map[string]*model.MethodSnapshot{}
			}
			out[r.Path][verb] = &model.MethodSnapshot{AuthorizationType: m.AuthorizationType, ApiKeyRequired: m.ApiKeyRequired}
		}
	}
	return out
}

func loadDeployment(tx store.Tx, apiID, depID string) (*model.DeploymentRecord, error) {
	var rec model.DeploymentRecord
	if err := tx.Get(store.KindDeployment, store.Key(apiID, depID), &rec); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, notFound("Invalid Deployment identifier specified")
		}
		return nil, err
	}
	return &rec, nil
}

func deploymentExists(tx store.Tx, apiID, depID string) (bool, error) {
	_, err := loadDeployment(tx, apiID, depID)
	var ae *apiError
	if errors.As(err, &ae) {
		return false, nil
	}
	return err == nil, err
}

func (s *server) createDeployment(c *call) (int, any, error) {
	var in createDeploymentInput
	if err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	if err := checkStageInput(in.StageName, in.Variables, in.CacheClusterSize); err != nil {
		return 0, nil, err
	}
	if err := checkCanary(in.CanarySettings); err != nil {
		return 0, nil, err
	}
	apiID := c.p["api"]
	var out *model.Deployment
	err := s.st.Update(func(tx store.Tx) error {
		d, err := s.loadDoc(tx, apiID)
		if err != nil {
			return err
		}
		summary := apiSummary(d)
		if len(summary) == 0 {
			return badRequest("The REST API doesn't contain any methods")
		}
		rec := model.DeploymentRecord{
			Deployment: model.Deployment{Description: in.Description, CreatedDate: model.Now(), ApiSummary: summary},
			APIID:      apiID,
			Snapshot:   d.Clone(),
		}
		for {
			rec.Deployment.Id = model.NewID(6)
			ok, err := deploymentExists(tx, apiID, rec.Deployment.Id)
			if err != nil {
				return err
			}
			if !ok {
				break
			}
		}
		if err := tx.Put(store.KindDeployment, store.Key(apiID, rec.Deployment.Id), &rec); err != nil {
			return err
		}
		if in.StageName != "" {
			if err := deployToStage(tx, apiID, rec.Deployment.Id, &in); err != nil {
				return err
			}
		}
		out = &model.Deployment{Id: rec.Deployment.Id, Description: rec.Deployment.Description, CreatedDate: rec.Deployment.CreatedDate}
		return nil
	})
	return http.StatusCreated, out, err
}

// deployToStage points the named stage at a new deployment, creating the stage if needed, with
// the stage settings CreateDeployment carries.
func deployToStage(tx store.Tx, apiID, depID string, in *createDeploymentInput) error {
	var rec model.StageRecord
	err := tx.Get(store.KindStage, store.Key(apiID, in.StageName), &rec)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if in.CanarySettings != nil {
			return badRequest("Invalid deployment content specified.Stage %s must already be created before making a canary release deployment", in.StageName)
		}
		rec = model.StageRecord{APIID: apiID, Stage: newStage(in.StageName, depID)}
	case err != nil:
		return err
	}
	st := &rec.Stage
	if in.CanarySettings == nil && st.CanarySettings != nil {
		return badRequest("Invalid deployment content specified.Non canary deployment not supported on stage %s because Canary is enabled. Provide CanarySettings in deploymentInput.", in.StageName)
	}
	if in.StageDescription != "" {
		st.Description = in.StageDescription
	}
	if in.Variables != nil {
		st.Variables = in.Variables
	}
	if in.CacheClusterEnabled != nil {
		setCacheCluster(st, *in.CacheClusterEnabled, in.CacheClusterSize)
	}
	if in.TracingEnabled != nil {
		st.TracingEnabled = *in.TracingEnabled
	}
	if in.CanarySettings != nil {
		cs := *in.CanarySettings
		// The new deployment goes to the canary; the stage keeps serving its current one.
		cs.DeploymentId = depID
		st.CanarySettings = &cs
	} else {
		st.DeploymentId = depID
	}
	st.LastUpdatedDate = model.Now()
	return tx.Put(store.KindStage, store.Key(apiID, in.StageName), &rec)
}

func (s *server) getDeployment(c *call) (int, any, error) {
	var out *model.Deployment
	err := s.st.View(func(tx store.Tx) error {
		if _, err := s.loadDoc(tx, c.p["api"]); err != nil {
			return err
		}
		rec, err := loadDeployment(tx, c.p["api"], c.p["dep"])
		if err != nil {
			return err
		}
		out = &rec.Deployment
		if !strings.Contains(strings.Join(c.q["embed"], ","), "apisummary") {
			out.ApiSummary = nil
		}
		return nil
	})
	return http.StatusOK, out, err
}

func (s *server) listDeployments(tx store.Tx, apiID string) ([]*model.Deployment, error) {
	var out []*model.Deployment
	err := tx.List(store.KindDeployment, store.Key(apiID, ""), func(_ string, raw []byte) error {
		var rec struct {
			Deployment model.Deployment `json:"deployment"`
		}
		if err := json.Unmarshal(raw, &rec); err != nil {
			return err
		}
		rec.Deployment.ApiSummary = nil
		out = append(out, &rec.Deployment)
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Id < out[j].Id })
	return out, err
}

func (s *server) getDeployments(c *call) (int, any, error) {
	var all []*model.Deployment
	err := s.st.View(func(tx store.Tx) error {
		if _, err := s.loadDoc(tx, c.p["api"]); err != nil {
			return err
		}
		var err error
		all, err = s.listDeployments(tx, c.p["api"])
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	out, err := paginate(c, all, func(d *model.Deployment) string { return d.Id })
	return http.StatusOK, out, err
}

func (s *server) updateDeployment(c *call) (int, any, error) {
	var out *model.Deployment
	err := s.st.Update(func(tx store.Tx) error {
		if _, err := s.loadDoc(tx, c.p["api"]); err != nil {
			return err
		}
		rec, err := loadDeployment(tx, c.p["api"], c.p["dep"])
		if err != nil {
			return err
		}
		if err := applyPatch(c, "updateDeploymentInput", []patchRule{replaceString("/description", &rec.Deployment.Description)}); err != nil {
			return err
		}
		out = &rec.Deployment
		return tx.Put(store.KindDeployment, store.Key(c.p["api"], c.p["dep"]), rec)
	})
	if out != nil {
		out.ApiSummary = nil
	}
	return http.StatusOK, out, err
}

func (s *server) deleteDeployment(c *call) (int, any, error) {
	apiID, depID := c.p["api"], c.p["dep"]
	err := s.st.Update(func(tx store.Tx) error {
		if _, err := s.loadDoc(tx, apiID); err != nil {
			return err
		}
		if _, err := loadDeployment(tx, apiID, depID); err != nil {
			return err
		}
		stages, err := listStages(tx, apiID)
		if err != nil {
			return err
		}
		for _, st := range stages {
			if st.DeploymentId == depID || (st.CanarySettings != nil && st.CanarySettings.DeploymentId == depID) {
				return badRequest("Active stages pointing to this deployment must be moved or deleted")
			}
		}
		return tx.Delete(store.KindDeployment, store.Key(apiID, depID))
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, nil, nil
}
