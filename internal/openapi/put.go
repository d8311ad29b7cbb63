package openapi

import (
	"strings"

	"github.com/portico/portico/internal/model"
)

// put applies a parsed document to a copy of existing.
func put(existing *model.APIDoc, body []byte, mode string, opts ImportOptions) (*model.APIDoc, error) {
	switch strings.ToLower(mode) {
	case "", "merge":
		mode = "merge"
	case "overwrite":
		mode = "overwrite"
	default:
		return nil, &InputError{Message: "Invalid mode '" + mode + "' specified. Valid values are merge, overwrite"}
	}
	p, err := parse(body, opts, existing.RestApi.Id)
	if err != nil {
		return nil, err
	}
	existing = compact(existing)
	if mode == "overwrite" {
		return overwrite(existing, p), nil
	}
	return merge(existing, p)
}

// overwrite replaces the definition, keeping what identifies the API: its id, creation date,
// tags and endpoint settings the document does not mention, and the ids of resources, models and
// validators whose path or name is unchanged.
func overwrite(existing *model.APIDoc, p *parsed) *model.APIDoc {
	out := p.doc
	old := existing.RestApi
	out.RestApi.CreatedDate = old.CreatedDate
	out.RestApi.Tags = cloneMap(old.Tags)
	keepEndpoint(&out.RestApi, old, p.set)

	resIDs := map[string]string{out.RestApi.RootResourceId: old.RootResourceId}
	oldByPath := byPath(existing)
	for _, r := range out.Resources {
		if prev := oldByPath[r.Path]; prev != nil {
			resIDs[r.Id] = prev.Id
		}
	}
	valIDs := map[string]string{}
	for _, v := range out.RequestValidators {
		for _, prev := range existing.RequestValidators {
			if prev.Name == v.Name {
				valIDs[v.Id] = prev.Id
			}
		}
	}
	authIDs := sameNameIDs(out.Authorizers, existing.Authorizers)
	for name, m := range out.Models {
		if prev := existing.Models[name]; prev != nil {
			m.Id = prev.Id
		}
	}
	renumber(out, resIDs, valIDs, authIDs)
	return out
}

// keepEndpoint keeps the existing endpoint settings unless the import set them.
func keepEndpoint(api *model.RestApi, old model.RestApi, set map[string]bool) {
	if !set["endpointExtension"] {
		api.DisableExecuteApiEndpoint = old.DisableExecuteApiEndpoint
	}
	if old.EndpointConfiguration == nil {
		return
	}
	ec := *old.EndpointConfiguration
	ec.Types = append([]string(nil), ec.Types...)
	ec.VpcEndpointIds = append([]string(nil), ec.VpcEndpointIds...)
	if set["endpointConfiguration"] {
		ec.Types = api.EndpointConfiguration.Types
	}
	if set["endpointExtension"] {
		ec.VpcEndpointIds = api.EndpointConfiguration.VpcEndpointIds
		ec.IpAddressType = api.EndpointConfiguration.IpAddressType
	}
	api.EndpointConfiguration = &ec
}

// renumber gives resources, validators and authorizers the ids in the maps (ids not in a map
// stay).
func renumber(d *model.APIDoc, resIDs, valIDs, authIDs map[string]string) {
	id := func(m map[string]string, k string) string {
		if v, ok := m[k]; ok {
			return v
		}
		return k
	}
	d.RestApi.RootResourceId = id(resIDs, d.RestApi.RootResourceId)
	resources := make(map[string]*model.Resource, len(d.Resources))
	for _, r := range d.Resources {
		ownID := r.Id
		r.Id = id(resIDs, r.Id)
		if r.ParentId != "" {
			r.ParentId = id(resIDs, r.ParentId)
		}
		for _, m := range r.ResourceMethods {
			if m.RequestValidatorId != "" {
				m.RequestValidatorId = id(valIDs, m.RequestValidatorId)
			}
			if m.AuthorizerId != "" {
				m.AuthorizerId = id(authIDs, m.AuthorizerId)
			}
			if in := m.MethodIntegration; in != nil && in.CacheNamespace == ownID {
				in.CacheNamespace = r.Id
			}
		}
		resources[r.Id] = r
	}
	d.Resources = resources
	validators := make(map[string]*model.RequestValidator, len(d.RequestValidators))
	for _, v := range d.RequestValidators {
		v.Id = id(valIDs, v.Id)
		validators[v.Id] = v
	}
	d.RequestValidators = validators
	if len(d.Authorizers) > 0 {
		authorizers := make(map[string]*model.Authorizer, len(d.Authorizers))
		for _, a := range d.Authorizers {
			a.Id = id(authIDs, a.Id)
			authorizers[a.Id] = a
		}
		d.Authorizers = authorizers
	}
}

// sameNameIDs maps the id of each imported authorizer to the id of the existing one of the same
// name, so a re-import keeps the ids methods and clients know.
func sameNameIDs(imported, existing map[string]*model.Authorizer) map[string]string {
	out := map[string]string{}
	for _, a := range imported {
		for _, prev := range existing {
			if prev.Name == a.Name {
				out[a.Id] = prev.Id
			}
		}
	}
	return out
}

// merge adds the document's definition to a copy of existing, the document winning on conflicts:
// methods replace methods of the same verb on the same path, models and validators replace those
// of the same name, gateway responses those of the same type, and settings the document sets
// replace the API's.
func merge(existing *model.APIDoc, p *parsed) (*model.APIDoc, error) {
	out := existing // put's private copy
	in := p.doc
	api := &out.RestApi
	if p.set["description"] {
		api.Description = in.RestApi.Description
	}
	if p.set["version"] {
		api.Version = in.RestApi.Version
	}
	if p.set["apiKeySource"] {
		api.ApiKeySource = in.RestApi.ApiKeySource
	}
	if p.set["binaryMediaTypes"] {
		api.BinaryMediaTypes = in.RestApi.BinaryMediaTypes
	}
	if p.set["minimumCompressionSize"] {
		api.MinimumCompressionSize = in.RestApi.MinimumCompressionSize
	}
	if p.set["policy"] {
		api.Policy = in.RestApi.Policy
	}
	keepEndpoint(&in.RestApi, *api, p.set)
	api.EndpointConfiguration = in.RestApi.EndpointConfiguration
	api.DisableExecuteApiEndpoint = in.RestApi.DisableExecuteApiEndpoint
	api.Warnings = p.warnings

	if out.Models == nil {
		out.Models = map[string]*model.Model{}
	}
	for name, m := range in.Models {
		if prev := out.Models[name]; prev != nil {
			if isBuiltin(m) {
				continue // the document did not define it; keep the API's own
			}
			m.Id = prev.Id
		}
		out.Models[name] = m
	}

	valIDs := map[string]string{}
	if out.RequestValidators == nil {
		out.RequestValidators = map[string]*model.RequestValidator{}
	}
	for _, v := range in.RequestValidators {
		for _, prev := range out.RequestValidators {
			if prev.Name == v.Name {
				valIDs[v.Id] = prev.Id
				v.Id = prev.Id
			}
		}
		out.RequestValidators[v.Id] = v
	}

	authIDs := sameNameIDs(in.Authorizers, out.Authorizers)
	if len(in.Authorizers) > 0 && out.Authorizers == nil {
		out.Authorizers = map[string]*model.Authorizer{}
	}
	for _, a := range in.Authorizers {
		if id, ok := authIDs[a.Id]; ok {
			a.Id = id
		}
		out.Authorizers[a.Id] = a
	}

	if out.GatewayResponses == nil {
		out.GatewayResponses = map[string]*model.GatewayResponse{}
	}
	for typ, gr := range in.GatewayResponses {
		out.GatewayResponses[typ] = gr
	}

	if out.Resources == nil || out.Root() == nil {
		return nil, &InputError{Message: "Invalid REST API: the existing definition has no root resource"}
	}
	paths := byPath(out)
	variables := map[string]string{} // parent id → path part of its {variable} child
	for _, r := range out.Resources {
		if strings.HasPrefix(r.PathPart, "{") {
			variables[r.ParentId] = r.PathPart
		}
	}
	for _, r := range in.SortedResources() {
		target := paths[r.Path]
		if target == nil {
			parentPath := r.Path[:strings.LastIndex(r.Path, "/")]
			if parentPath == "" {
				parentPath = "/"
			}
			parent := paths[parentPath]
			if parent == nil {
				return nil, &InputError{Message: "Errors found during import:\n\tUnable to create resource at path '" + r.Path + "': its parent does not exist"}
			}
			if msg := childConflict(parent, r.PathPart, variables); msg != "" {
				return nil, &InputError{Message: "Errors found during import:\n\tUnable to create resource at path '" + r.Path + "': " + msg}
			}
			target = &model.Resource{Id: r.Id, ParentId: parent.Id, PathPart: r.PathPart, Path: r.Path}
			out.Resources[target.Id] = target
			paths[target.Path] = target
			if strings.HasPrefix(target.PathPart, "{") {
				variables[parent.Id] = target.PathPart
			}
		}
		for verb, m := range r.ResourceMethods {
			if id, ok := valIDs[m.RequestValidatorId]; ok {
				m.RequestValidatorId = id
			}
			if id, ok := authIDs[m.AuthorizerId]; ok {
				m.AuthorizerId = id
			}
			if mi := m.MethodIntegration; mi != nil && mi.CacheNamespace == r.Id {
				mi.CacheNamespace = target.Id
			}
			if target.ResourceMethods == nil {
				target.ResourceMethods = map[string]*model.Method{}
			}
			target.ResourceMethods[verb] = m
		}
	}
	return out, nil
}

// childConflict says why parent cannot take a child with this path part, or "" if it can.
func childConflict(parent *model.Resource, part string, variables map[string]string) string {
	if strings.HasSuffix(parent.PathPart, "+}") {
		return "Cannot create a child of a resource with a greedy path variable: " + parent.PathPart
	}
	if sib, ok := variables[parent.Id]; ok && strings.HasPrefix(part, "{") && sib != part {
		return "A sibling (" + sib + ") of this resource already has a variable path part -- only one is allowed"
	}
	return ""
}

func byPath(d *model.APIDoc) map[string]*model.Resource {
	out := make(map[string]*model.Resource, len(d.Resources))
	for _, r := range d.Resources {
		out[r.Path] = r
	}
	return out
}

// isBuiltin reports whether a model is one the importer added (Empty or Error as every API has).
func isBuiltin(m *model.Model) bool {
	return (m.Name == "Empty" && m.Schema == emptySchema) || (m.Name == "Error" && m.Schema == errorSchema)
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// compact returns a copy of d without nil entries, which a definition decoded from stored JSON
// may hold ("GET": null), so the walks over it need no nil checks.
func compact(d *model.APIDoc) *model.APIDoc {
	c := d.Clone()
	for id, r := range c.Resources {
		if r == nil {
			delete(c.Resources, id)
			continue
		}
		for verb, m := range r.ResourceMethods {
			if m == nil {
				delete(r.ResourceMethods, verb)
				continue
			}
			for code, mr := range m.MethodResponses {
				if mr == nil {
					delete(m.MethodResponses, code)
				}
			}
			if in := m.MethodIntegration; in != nil {
				for code, ir := range in.IntegrationResponses {
					if ir == nil {
						delete(in.IntegrationResponses, code)
					}
				}
			}
		}
	}
	for k, m := range c.Models {
		if m == nil {
			delete(c.Models, k)
		}
	}
	for k, v := range c.RequestValidators {
		if v == nil {
			delete(c.RequestValidators, k)
		}
	}
	for k, g := range c.GatewayResponses {
		if g == nil {
			delete(c.GatewayResponses, k)
		}
	}
	return c
}
