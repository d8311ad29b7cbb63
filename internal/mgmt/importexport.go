package mgmt

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/openapi"
	"github.com/portico/portico/internal/store"
)

func (s *server) importOptions(c *call) (openapi.ImportOptions, error) {
	opts := openapi.ImportOptions{
		BasePath:                   c.q.Get("basepath"),
		EndpointConfigurationTypes: c.q.Get("endpointConfigurationTypes"),
		MaxTimeoutInMillis:         s.maxTimeoutMillis,
	}
	if opts.BasePath != "" && opts.BasePath != "ignore" && opts.BasePath != "prepend" && opts.BasePath != "split" {
		return opts, badRequest("Invalid basepath value specified: %s. Valid values are ignore, prepend, split", opts.BasePath)
	}
	if t := opts.EndpointConfigurationTypes; t != "" && !contains(endpointTypes, t) {
		return opts, enumError(t, "endpointConfigurationTypes", endpointTypes)
	}
	switch f := strings.ToLower(c.q.Get("failonwarnings")); f {
	case "", "false":
	case "true":
		opts.FailOnWarnings = true
	default:
		return opts, badRequest("Invalid failonwarnings value specified: %s", f)
	}
	return opts, nil
}

// openapiError turns an openapi failure into AWS's answer: a document Portico refuses is a
// BadRequestException with the importer's message; anything else is Portico's own failure.
func openapiError(err error) error {
	var ie *openapi.InputError
	if errors.As(err, &ie) {
		return badRequest("%s", ie.Message)
	}
	return fmt.Errorf("openapi: %w", err)
}

// fillRestApiDefaults gives an imported API the settings CreateRestApi would have given it.
func fillRestApiDefaults(a *model.RestApi) {
	if a.ApiKeySource == "" {
		a.ApiKeySource = "HEADER"
	}
	if a.EndpointConfiguration == nil || len(a.EndpointConfiguration.Types) == 0 {
		a.EndpointConfiguration = &model.EndpointConfiguration{Types: []string{"EDGE"}, IpAddressType: "ipv4"}
	}
	if a.CreatedDate.IsZero() {
		a.CreatedDate = model.Now()
	}
}

func (s *server) importRestApi(c *call) (int, any, error) {
	opts, err := s.importOptions(c)
	if err != nil {
		return 0, nil, err
	}
	d, err := openapi.Import(c.body, opts)
	if err != nil {
		return 0, nil, openapiError(err)
	}
	fillRestApiDefaults(&d.RestApi)
	if err := checkPolicyDoc(d.RestApi.Policy); err != nil {
		return 0, nil, err
	}
	if d.Resources == nil || d.Root() == nil {
		return 0, nil, errors.New("openapi: imported definition has no root resource")
	}
	err = s.st.Update(func(tx store.Tx) error {
		var existing model.APIDoc
		if err := tx.Get(store.KindRestAPI, d.RestApi.Id, &existing); err == nil {
			return conflict("Unable to complete operation due to concurrent modification. Please try again later.")
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return tx.Put(store.KindRestAPI, d.RestApi.Id, d)
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, &d.RestApi, nil
}

func (s *server) putRestApi(c *call) (int, any, error) {
	mode := c.q.Get("mode")
	if mode == "" {
		mode = "merge"
	}
	if mode != "merge" && mode != "overwrite" {
		return 0, nil, enumError(mode, "putRestApiInput.mode", []string{"merge", "overwrite"})
	}
	opts, err := s.importOptions(c)
	if err != nil {
		return 0, nil, err
	}
	var out *model.RestApi
	err = s.st.Update(func(tx store.Tx) error {
		existing, err := s.loadDoc(tx, c.p["api"])
		if err != nil {
			return err
		}
		d, err := openapi.Put(existing, c.body, mode, opts)
		if err != nil {
			return openapiError(err)
		}
		d.RestApi.Id = existing.RestApi.Id
		d.RestApi.CreatedDate = existing.RestApi.CreatedDate
		fillRestApiDefaults(&d.RestApi)
		if err := checkPolicyDoc(d.RestApi.Policy); err != nil {
			return err
		}
		out = &d.RestApi
		return tx.Put(store.KindRestAPI, d.RestApi.Id, d)
	})
	return http.StatusOK, out, err
}

func (s *server) getExport(c *call) (int, any, error) {
	apiID, stage, typ := c.p["api"], c.p["stage"], c.p["type"]
	if typ != "swagger" && typ != "oas30" {
		return 0, nil, badRequest("Invalid export type specified: %s. Valid values are swagger, oas30", typ)
	}
	accept := c.r.Header.Get("Accept")
	yaml := strings.Contains(accept, "yaml")
	if accept != "" && !yaml && !strings.Contains(accept, "json") && !strings.Contains(accept, "*/*") {
		return 0, nil, badRequest("Invalid Accept header specified: %s. Valid values are application/json, application/yaml", accept)
	}
	var snap *model.APIDoc
	err := s.st.View(func(tx store.Tx) error {
		if _, err := s.loadDoc(tx, apiID); err != nil {
			return err
		}
		st, err := loadStage(tx, apiID, stage)
		if err != nil {
			return err
		}
		dep, err := loadDeployment(tx, apiID, st.Stage.DeploymentId)
		if err != nil {
			return err
		}
		snap = dep.Snapshot
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	if snap == nil {
		return 0, nil, fmt.Errorf("deployment %s of %s has no snapshot", apiID, stage)
	}
	body, err := openapi.Export(snap, openapi.ExportOptions{
		Type:       typ,
		YAML:       yaml,
		Extensions: c.q.Get("extensions"),
		Host:       fmt.Sprintf("%s.execute-api.%s.amazonaws.com", apiID, s.opts.Region),
		BasePath:   "/" + stage,
		StageName:  stage,
	})
	if err != nil {
		return 0, nil, openapiError(err)
	}
	ct, ext := "application/json", "json"
	if yaml {
		ct, ext = "application/yaml", "yaml"
	}
	return http.StatusOK, &rawOutput{
		contentType: ct,
		disposition: fmt.Sprintf(`attachment; filename="%s_%s.%s"`, typ, stage, ext),
		body:        body,
	}, nil
}
