package mgmt

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strconv"

	"github.com/portico/portico/internal/auth/policy"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

const (
	emptySchema = `{"$schema":"http://json-schema.org/draft-04/schema#","title":"Empty Schema","type":"object"}`
	errorSchema = `{"$schema":"http://json-schema.org/draft-04/schema#","title":"Error Schema","type":"object","properties":{"message":{"type":"string"}}}`
	maxCompress = 10485760
)

var endpointTypes = []string{"REGIONAL", "EDGE", "PRIVATE"}
var apiKeySources = []string{"HEADER", "AUTHORIZER"}

type createRestApiInput struct {
	Name                      *string                      `json:"name"`
	Description               *string                      `json:"description"`
	Version                   string                       `json:"version"`
	CloneFrom                 string                       `json:"cloneFrom"`
	BinaryMediaTypes          []string                     `json:"binaryMediaTypes"`
	MinimumCompressionSize    *int64                       `json:"minimumCompressionSize"`
	ApiKeySource              string                       `json:"apiKeySource"`
	EndpointConfiguration     *model.EndpointConfiguration `json:"endpointConfiguration"`
	Policy                    string                       `json:"policy"`
	Tags                      map[string]string            `json:"tags"`
	DisableExecuteApiEndpoint bool                         `json:"disableExecuteApiEndpoint"`
}

// validateRestApi checks the settings a create or an update may leave on an API.
func validateRestApi(a *model.RestApi, input string) error {
	if a.Name == "" {
		return badRequest("Invalid API name specified: name cannot be empty")
	}
	if a.MinimumCompressionSize != nil && (*a.MinimumCompressionSize < 0 || *a.MinimumCompressionSize > maxCompress) {
		return badRequest("Invalid minimum compression size, must be between 0 and 10485760")
	}
	if !contains(apiKeySources, a.ApiKeySource) {
		return enumError(a.ApiKeySource, input+".apiKeySource", apiKeySources)
	}
	if err := checkPolicyDoc(a.Policy); err != nil {
		return err
	}
	if ec := a.EndpointConfiguration; ec != nil {
		if len(ec.Types) > 1 {
			return badRequest("Cannot create an api with multiple Endpoint Types.")
		}
		for i, t := range ec.Types {
			if !contains(endpointTypes, t) {
				return enumError(t, input+".endpointConfiguration.types."+strconv.Itoa(i+1)+".member", endpointTypes)
			}
		}
		if ec.IpAddressType != "" && ec.IpAddressType != "ipv4" && ec.IpAddressType != "dualstack" {
			return enumError(ec.IpAddressType, input+".endpointConfiguration.ipAddressType", []string{"ipv4", "dualstack"})
		}
	}
	return nil
}

// checkPolicyDoc refuses a resource policy the data plane could not evaluate.
func checkPolicyDoc(doc string) error {
	if doc == "" {
		return nil
	}
	if _, err := policy.Parse(doc); err != nil {
		return badRequest("Invalid policy document. Please check the policy syntax and try again. %v", err)
	}
	return nil
}

func builtinModels(d *model.APIDoc) {
	d.Models = map[string]*model.Model{}
	d.Models["Empty"] = &model.Model{Id: newChildID(d), Name: "Empty", Description: "This is a default empty schema model", Schema: emptySchema, ContentType: "application/json"}
	d.Models["Error"] = &model.Model{Id: newChildID(d), Name: "Error", Description: "This is a default error schema model", Schema: errorSchema, ContentType: "application/json"}
}

func (s *server) createRestApi(c *call) (int, any, error) {
	var in createRestApiInput
	if err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	if in.Name == nil {
		return 0, nil, &apiError{http.StatusBadRequest, "ValidationException", "1 validation error detected: Value null at 'createRestApiInput.name' failed to satisfy constraint: Member must not be null"}
	}
	if in.Description != nil && *in.Description == "" {
		return 0, nil, badRequest("Description cannot be an empty string")
	}
	api := model.RestApi{
		Id:                        model.NewID(10),
		Name:                      *in.Name,
		Version:                   in.Version,
		CreatedDate:               model.Now(),
		BinaryMediaTypes:          in.BinaryMediaTypes,
		MinimumCompressionSize:    in.MinimumCompressionSize,
		ApiKeySource:              in.ApiKeySource,
		EndpointConfiguration:     in.EndpointConfiguration,
		Policy:                    in.Policy,
		Tags:                      in.Tags,
		DisableExecuteApiEndpoint: in.DisableExecuteApiEndpoint,
	}
	if in.Description != nil {
		api.Description = *in.Description
	}
	if api.ApiKeySource == "" {
		api.ApiKeySource = "HEADER"
	}
	if api.EndpointConfiguration == nil || len(api.EndpointConfiguration.Types) == 0 {
		ec := model.EndpointConfiguration{Types: []string{"EDGE"}}
		if api.EndpointConfiguration != nil {
			ec.IpAddressType = api.EndpointConfiguration.IpAddressType
			ec.VpcEndpointIds = api.EndpointConfiguration.VpcEndpointIds
		}
		api.EndpointConfiguration = &ec
	}
	if api.EndpointConfiguration.IpAddressType == "" {
		api.EndpointConfiguration.IpAddressType = "ipv4"
	}
	if err := validateRestApi(&api, "createRestApiInput"); err != nil {
		return 0, nil, err
	}
	err := s.st.Update(func(tx store.Tx) error {
		var d *model.APIDoc
		if in.CloneFrom != "" {
			src, err := s.loadDoc(tx, in.CloneFrom)
			if err != nil {
				return err
			}
			// Ids inside a document are scoped to its API, so the copy keeps them.
			d = src.Clone()
			api.RootResourceId = d.RestApi.RootResourceId
		} else {
			d = &model.APIDoc{Resources: map[string]*model.Resource{}}
			api.RootResourceId = model.NewID(10)
			d.Resources[api.RootResourceId] = &model.Resource{Id: api.RootResourceId, Path: "/"}
			builtinModels(d)
		}
		d.RestApi = api
		return tx.Put(store.KindRestAPI, api.Id, d)
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, &api, nil
}

func (s *server) getRestApi(c *call) (int, any, error) {
	var out *model.RestApi
	err := s.viewDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		out = &d.RestApi
		return nil
	})
	return http.StatusOK, out, err
}

func (s *server) getRestApis(c *call) (int, any, error) {
	var apis []*model.RestApi
	err := s.st.View(func(tx store.Tx) error {
		return tx.List(store.KindRestAPI, "", func(_ string, raw []byte) error {
			var d struct {
				RestApi model.RestApi `json:"restApi"`
			}
			if err := json.Unmarshal(raw, &d); err != nil {
				return err
			}
			apis = append(apis, &d.RestApi)
			return nil
		})
	})
	if err != nil {
		return 0, nil, err
	}
	sort.Slice(apis, func(i, j int) bool { return apis[i].Id < apis[j].Id })
	out, err := paginate(c, apis, func(a *model.RestApi) string { return a.Id })
	return http.StatusOK, out, err
}

func restApiRules(a *model.RestApi) []patchRule {
	return []patchRule{
		replaceString("/name", &a.Name),
		replaceString("/description", &a.Description),
		replaceString("/version", &a.Version),
		replaceString("/apiKeySource", &a.ApiKeySource),
		replaceString("/policy", &a.Policy),
		replaceBool("/disableExecuteApiEndpoint", &a.DisableExecuteApiEndpoint),
		{path: "/minimumCompressionSize", ops: replaceOnly, apply: func(p patch) error {
			if p.value == "" {
				a.MinimumCompressionSize = nil
				return nil
			}
			n, err := patchInt(p)
			if err != nil {
				return badRequest("Invalid minimum compression size, must be between 0 and 10485760")
			}
			a.MinimumCompressionSize = &n
			return nil
		}},
		stringSet("/binaryMediaTypes", &a.BinaryMediaTypes),
		{path: "/endpointConfiguration/types/*", ops: replaceOnly, apply: func(p patch) error {
			if a.EndpointConfiguration == nil || indexOf(a.EndpointConfiguration.Types, p.key) < 0 {
				return badRequest("Invalid patch path %s: the API's endpoint type is not %s", p.path, p.key)
			}
			a.EndpointConfiguration.Types[indexOf(a.EndpointConfiguration.Types, p.key)] = p.value
			return nil
		}},
		{path: "/endpointConfiguration/ipAddressType", ops: replaceOnly, apply: func(p patch) error {
			if a.EndpointConfiguration == nil {
				a.EndpointConfiguration = &model.EndpointConfiguration{Types: []string{"EDGE"}}
			}
			a.EndpointConfiguration.IpAddressType = p.value
			return nil
		}},
	}
}

func (s *server) updateRestApi(c *call) (int, any, error) {
	var out *model.RestApi
	err := s.updateDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		if err := applyPatch(c, "updateRestApiInput", restApiRules(&d.RestApi)); err != nil {
			return err
		}
		if err := validateRestApi(&d.RestApi, "updateRestApiInput"); err != nil {
			return err
		}
		out = &d.RestApi
		return nil
	})
	return http.StatusOK, out, err
}

// deleteRestApi removes the API with its deployments and stages, in one transaction.
func (s *server) deleteRestApi(c *call) (int, any, error) {
	id := c.p["api"]
	err := s.st.Update(func(tx store.Tx) error {
		if _, err := s.loadDoc(tx, id); err != nil {
			return err
		}
		if err := tx.Delete(store.KindRestAPI, id); err != nil {
			return err
		}
		for _, k := range []store.Kind{store.KindDeployment, store.KindStage} {
			var keys []string
			if err := tx.List(k, store.Key(id, ""), func(key string, _ []byte) error {
				keys = append(keys, key)
				return nil
			}); err != nil {
				return err
			}
			for _, key := range keys {
				if err := tx.Delete(k, key); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, nil, nil
}

type account struct {
	CloudwatchRoleArn string           `json:"cloudwatchRoleArn,omitempty"`
	ThrottleSettings  throttleSettings `json:"throttleSettings"`
	Features          []string         `json:"features"`
	ApiKeyVersion     string           `json:"apiKeyVersion"`
}

type throttleSettings struct {
	BurstLimit int     `json:"burstLimit"`
	RateLimit  float64 `json:"rateLimit"`
}

// accountKey is where the account's editable settings live in the store's meta kind.
const accountKey = "mgmt/account"

// loadAccount returns the account: its stored settings over the fixed account limits.
func loadAccount(tx store.Tx) (*account, error) {
	a := &account{ThrottleSettings: throttleSettings{5000, 10000}, Features: []string{}, ApiKeyVersion: "4"}
	var stored struct {
		CloudwatchRoleArn string   `json:"cloudwatchRoleArn"`
		Features          []string `json:"features"`
	}
	switch err := tx.Get(store.KindMeta, accountKey, &stored); {
	case err == nil:
		a.CloudwatchRoleArn = stored.CloudwatchRoleArn
		if stored.Features != nil {
			a.Features = stored.Features
		}
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	return a, nil
}

func (s *server) getAccount(*call) (int, any, error) {
	var out *account
	err := s.st.View(func(tx store.Tx) error {
		var err error
		out, err = loadAccount(tx)
		if err == nil {
			s.accountThrottle(out)
		}
		return err
	})
	return http.StatusOK, out, err
}

// accountThrottle reports the account-level throttle the server enforces.
func (s *server) accountThrottle(a *account) {
	if s.opts.ThrottleRate > 0 {
		a.ThrottleSettings = throttleSettings{BurstLimit: int(s.opts.ThrottleBurst), RateLimit: s.opts.ThrottleRate}
	}
}

func (s *server) updateAccount(c *call) (int, any, error) {
	var out *account
	err := s.st.Update(func(tx store.Tx) error {
		a, err := loadAccount(tx)
		if err != nil {
			return err
		}
		rules := []patchRule{
			replaceString("/cloudwatchRoleArn", &a.CloudwatchRoleArn),
			{path: "/features", ops: []string{"add", "remove"}, apply: func(p patch) error {
				if p.value != "UsagePlans" {
					return badRequest("Invalid feature specified: %s. Valid features are [UsagePlans]", p.value)
				}
				i := indexOf(a.Features, p.value)
				switch {
				case p.op == "add" && i < 0:
					a.Features = append(a.Features, p.value)
				case p.op == "remove" && i >= 0:
					a.Features = append(a.Features[:i], a.Features[i+1:]...)
				}
				return nil
			}},
		}
		if err := applyPatch(c, "updateAccountInput", rules); err != nil {
			return err
		}
		s.accountThrottle(a)
		out = a
		return tx.Put(store.KindMeta, accountKey, map[string]any{"cloudwatchRoleArn": a.CloudwatchRoleArn, "features": a.Features})
	})
	return http.StatusOK, out, err
}
