package mgmt

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/validate"
)

var modelNameRe = regexp.MustCompile(`^[a-zA-Z0-9]+$`)

type createModelInput struct {
	Name        *string `json:"name"`
	Description string  `json:"description"`
	Schema      string  `json:"schema"`
	ContentType *string `json:"contentType"`
}

func checkSchema(schema string) error {
	if schema == "" {
		return nil
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(schema), &v); err != nil {
		return badRequest("Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema specified. Unsupported keyword(s): [], or the schema is not valid JSON]")
	}
	return nil
}

// checkModel refuses a model request validation could not use: a reference that is not a
// model of this API in canonical form, or a schema that is not draft 4.
func checkModel(d *model.APIDoc, name string) error {
	if err := validate.CheckModel(d.RestApi.Id, d.Models, name); err != nil {
		return badRequest("Invalid model specified: Validation Result: warnings : [], errors : [%v]", err)
	}
	return nil
}

func findModel(d *model.APIDoc, name string) (*model.Model, error) {
	m, ok := d.Models[name]
	if !ok {
		return nil, notFound("Invalid model name specified: %s", name)
	}
	return m, nil
}

func (s *server) createModel(c *call) (int, any, error) {
	var in createModelInput
	if err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	if in.Name == nil || in.ContentType == nil {
		field := "name"
		if in.Name != nil {
			field = "contentType"
		}
		return 0, nil, &apiError{http.StatusBadRequest, "ValidationException", "1 validation error detected: Value null at 'createModelInput." + field + "' failed to satisfy constraint: Member must not be null"}
	}
	if !modelNameRe.MatchString(*in.Name) {
		return 0, nil, badRequest("Model name must be alphanumeric: %s", *in.Name)
	}
	if *in.ContentType == "" {
		return 0, nil, badRequest("Content type must be specified")
	}
	if err := checkSchema(in.Schema); err != nil {
		return 0, nil, err
	}
	var out *model.Model
	err := s.updateDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		if _, ok := d.Models[*in.Name]; ok {
			return conflict("Model name already exists for this REST API")
		}
		out = &model.Model{Id: newChildID(d), Name: *in.Name, Description: in.Description, Schema: in.Schema, ContentType: *in.ContentType}
		if d.Models == nil {
			d.Models = map[string]*model.Model{}
		}
		d.Models[out.Name] = out
		return checkModel(d, out.Name)
	})
	return http.StatusCreated, out, err
}

func (s *server) getModel(c *call) (int, any, error) {
	var out *model.Model
	err := s.viewDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		m, err := findModel(d, c.p["model"])
		out = m
		return err
	})
	return http.StatusOK, out, err
}

func (s *server) getModels(c *call) (int, any, error) {
	var all []*model.Model
	if err := s.viewDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		for _, m := range d.Models {
			all = append(all, m)
		}
		return nil
	}); err != nil {
		return 0, nil, err
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	out, err := paginate(c, all, func(m *model.Model) string { return m.Name })
	return http.StatusOK, out, err
}

func (s *server) updateModel(c *call) (int, any, error) {
	var out *model.Model
	err := s.updateDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		m, err := findModel(d, c.p["model"])
		if err != nil {
			return err
		}
		rules := []patchRule{replaceString("/description", &m.Description), replaceString("/schema", &m.Schema)}
		if err := applyPatch(c, "updateModelInput", rules); err != nil {
			return err
		}
		out = m
		if err := checkSchema(m.Schema); err != nil {
			return err
		}
		return checkModel(d, m.Name)
	})
	return http.StatusOK, out, err
}

func (s *server) deleteModel(c *call) (int, any, error) {
	name := c.p["model"]
	err := s.updateDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		if _, err := findModel(d, name); err != nil {
			return err
		}
		for _, r := range d.SortedResources() {
			for _, verb := range sortedVerbs(r) {
				m := r.ResourceMethods[verb]
				for _, used := range m.RequestModels {
					if used == name {
						return conflict("Cannot delete model '%s', is referenced in method request: %s/%s", name, r.Path, verb)
					}
				}
				for status, mr := range m.MethodResponses {
					for _, used := range mr.ResponseModels {
						if used == name {
							return conflict("Cannot delete model '%s', is referenced in method response: %s/%s/%s", name, r.Path, verb, status)
						}
					}
				}
			}
		}
		delete(d.Models, name)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, nil, nil
}

// Request validators.

type createRequestValidatorInput struct {
	Name                      string `json:"name"`
	ValidateRequestBody       bool   `json:"validateRequestBody"`
	ValidateRequestParameters bool   `json:"validateRequestParameters"`
}

func findValidator(d *model.APIDoc, id string) (*model.RequestValidator, error) {
	v, ok := d.RequestValidators[id]
	if !ok {
		return nil, notFound("Invalid Request Validator identifier specified")
	}
	return v, nil
}

func (s *server) createRequestValidator(c *call) (int, any, error) {
	var in createRequestValidatorInput
	if err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	if in.Name == "" {
		return 0, nil, badRequest("Request Validator name cannot be blank")
	}
	var out *model.RequestValidator
	err := s.updateDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		out = &model.RequestValidator{Id: newChildID(d), Name: in.Name, ValidateRequestBody: in.ValidateRequestBody, ValidateRequestParameters: in.ValidateRequestParameters}
		if d.RequestValidators == nil {
			d.RequestValidators = map[string]*model.RequestValidator{}
		}
		d.RequestValidators[out.Id] = out
		return nil
	})
	return http.StatusCreated, out, err
}

func (s *server) getRequestValidator(c *call) (int, any, error) {
	var out *model.RequestValidator
	err := s.viewDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		v, err := findValidator(d, c.p["validator"])
		out = v
		return err
	})
	return http.StatusOK, out, err
}

func (s *server) getRequestValidators(c *call) (int, any, error) {
	var all []*model.RequestValidator
	if err := s.viewDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		for _, v := range d.RequestValidators {
			all = append(all, v)
		}
		return nil
	}); err != nil {
		return 0, nil, err
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Id < all[j].Id })
	out, err := paginate(c, all, func(v *model.RequestValidator) string { return v.Id })
	return http.StatusOK, out, err
}

func (s *server) updateRequestValidator(c *call) (int, any, error) {
	var out *model.RequestValidator
	err := s.updateDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		v, err := findValidator(d, c.p["validator"])
		if err != nil {
			return err
		}
		rules := []patchRule{
			replaceString("/name", &v.Name),
			replaceBool("/validateRequestParameters", &v.ValidateRequestParameters),
			replaceBool("/validateRequestBody", &v.ValidateRequestBody),
		}
		if err := applyPatch(c, "updateRequestValidatorInput", rules); err != nil {
			return err
		}
		if v.Name == "" {
			return badRequest("Request Validator name cannot be blank")
		}
		out = v
		return nil
	})
	return http.StatusOK, out, err
}

// deleteRequestValidator refuses while a method still names the validator, so no method is
// left pointing at nothing.
func (s *server) deleteRequestValidator(c *call) (int, any, error) {
	id := c.p["validator"]
	err := s.updateDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		if _, err := findValidator(d, id); err != nil {
			return err
		}
		for _, r := range d.SortedResources() {
			for _, verb := range sortedVerbs(r) {
				if r.ResourceMethods[verb].RequestValidatorId == id {
					return conflict("Cannot delete request validator '%s', is referenced in method: %s/%s", id, r.Path, verb)
				}
			}
		}
		delete(d.RequestValidators, id)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, nil, nil
}
