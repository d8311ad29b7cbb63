package mgmt

import (
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

var pathPartRe = regexp.MustCompile(`^(?:[a-zA-Z0-9._-]+|\{[a-zA-Z0-9._-]+\+?\})$`)

const pathPartMsg = "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace."

func isVariable(pathPart string) bool { return strings.HasPrefix(pathPart, "{") }
func isGreedy(pathPart string) bool   { return strings.HasSuffix(pathPart, "+}") }

// resourceOut is a Resource as the API shows it: methods as empty objects, or whole with
// ?embed=methods.
type resourceOut struct {
	Id              string         `json:"id"`
	ParentId        string         `json:"parentId,omitempty"`
	PathPart        string         `json:"pathPart,omitempty"`
	Path            string         `json:"path"`
	ResourceMethods map[string]any `json:"resourceMethods,omitempty"`
}

func showResource(r *model.Resource, embed bool) *resourceOut {
	out := &resourceOut{Id: r.Id, ParentId: r.ParentId, PathPart: r.PathPart, Path: r.Path}
	if len(r.ResourceMethods) > 0 {
		out.ResourceMethods = map[string]any{}
		for verb, m := range r.ResourceMethods {
			if embed {
				out.ResourceMethods[verb] = m
			} else {
				out.ResourceMethods[verb] = struct{}{}
			}
		}
	}
	return out
}

func embedMethods(c *call) bool {
	for _, e := range c.q["embed"] {
		for _, v := range strings.Split(e, ",") {
			if v == "methods" {
				return true
			}
		}
	}
	return false
}

// checkPlacement says whether a resource with pathPart may sit under parent; self is the
// resource being moved or renamed ("" when creating).
func checkPlacement(d *model.APIDoc, parent *model.Resource, pathPart, self string) error {
	if !pathPartRe.MatchString(pathPart) {
		return badRequest(pathPartMsg)
	}
	if isGreedy(parent.PathPart) {
		return badRequest("Cannot create a child of a resource with a greedy path variable: %s", parent.PathPart)
	}
	for _, sib := range d.Resources {
		if sib.ParentId != parent.Id || sib.Id == self {
			continue
		}
		if sib.PathPart == pathPart {
			return conflict("Another resource with the same parent already has this name: %s", pathPart)
		}
		if isVariable(pathPart) && isVariable(sib.PathPart) {
			return badRequest("A sibling (%s) of this resource already has a variable path part -- only one is allowed", sib.PathPart)
		}
	}
	return nil
}

func joinPath(parent, part string) string {
	if parent == "/" {
		return "/" + part
	}
	return parent + "/" + part
}

// repath recomputes the paths of r's subtree after r moved or was renamed.
func repath(d *model.APIDoc, r *model.Resource) {
	r.Path = joinPath(d.Resources[r.ParentId].Path, r.PathPart)
	for _, c := range d.Resources {
		if c.ParentId == r.Id {
			repath(d, c)
		}
	}
}

// subtree returns r and all its descendants.
func subtree(d *model.APIDoc, r *model.Resource) []*model.Resource {
	out := []*model.Resource{r}
	for _, c := range d.Resources {
		if c.ParentId == r.Id {
			out = append(out, subtree(d, c)...)
		}
	}
	return out
}

type createResourceInput struct {
	PathPart *string `json:"pathPart"`
}

func (s *server) createResource(c *call) (int, any, error) {
	var in createResourceInput
	if err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	var out *resourceOut
	err := s.updateDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		parent, err := findResource(d, c.p["parent"])
		if err != nil {
			return err
		}
		if in.PathPart == nil {
			return &apiError{http.StatusBadRequest, "ValidationException", "1 validation error detected: Value null at 'createResourceInput.pathPart' failed to satisfy constraint: Member must not be null"}
		}
		if err := checkPlacement(d, parent, *in.PathPart, ""); err != nil {
			return err
		}
		r := &model.Resource{Id: newChildID(d), ParentId: parent.Id, PathPart: *in.PathPart, Path: joinPath(parent.Path, *in.PathPart)}
		d.Resources[r.Id] = r
		out = showResource(r, false)
		return nil
	})
	return http.StatusCreated, out, err
}

func (s *server) getResource(c *call) (int, any, error) {
	var out *resourceOut
	err := s.viewDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		r, err := findResource(d, c.p["res"])
		if err != nil {
			return err
		}
		out = showResource(r, embedMethods(c))
		return nil
	})
	return http.StatusOK, out, err
}

func (s *server) getResources(c *call) (int, any, error) {
	var all []*model.Resource
	if err := s.viewDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		all = d.SortedResources()
		return nil
	}); err != nil {
		return 0, nil, err
	}
	page, err := paginate(c, all, func(r *model.Resource) string { return r.Path })
	if err != nil {
		return 0, nil, err
	}
	embed := embedMethods(c)
	items := make([]*resourceOut, 0, len(page.Item.([]*model.Resource)))
	for _, r := range page.Item.([]*model.Resource) {
		items = append(items, showResource(r, embed))
	}
	page.Item = items
	return http.StatusOK, page, nil
}

func (s *server) updateResource(c *call) (int, any, error) {
	var out *resourceOut
	err := s.updateDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		r, err := findResource(d, c.p["res"])
		if err != nil {
			return err
		}
		root := r.Id == d.RestApi.RootResourceId
		parentID, pathPart := r.ParentId, r.PathPart
		rules := []patchRule{
			{path: "/parentId", ops: replaceOnly, apply: func(p patch) error {
				if root {
					return badRequest("Root resource cannot update its parentId.")
				}
				parentID = p.value
				return nil
			}},
			{path: "/pathPart", ops: replaceOnly, apply: func(p patch) error {
				if root {
					return badRequest("Root resource cannot update its pathPart.")
				}
				pathPart = p.value
				return nil
			}},
		}
		if err := applyPatch(c, "updateResourceInput", rules); err != nil {
			return err
		}
		if parentID != r.ParentId || pathPart != r.PathPart {
			parent, ok := d.Resources[parentID]
			if !ok {
				return notFound("Invalid Resource identifier specified")
			}
			for _, x := range subtree(d, r) {
				if x.Id == parent.Id {
					return badRequest("Resources cannot be cyclical.")
				}
			}
			if err := checkPlacement(d, parent, pathPart, r.Id); err != nil {
				return err
			}
			r.ParentId, r.PathPart = parentID, pathPart
			repath(d, r)
		}
		out = showResource(r, false)
		return nil
	})
	return http.StatusOK, out, err
}

func (s *server) deleteResource(c *call) (int, any, error) {
	err := s.updateDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		r, err := findResource(d, c.p["res"])
		if err != nil {
			return err
		}
		if r.Id == d.RestApi.RootResourceId {
			return badRequest("Cannot delete the root resource")
		}
		for _, x := range subtree(d, r) {
			delete(d.Resources, x.Id)
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, nil, nil
}

// sortedVerbs lists a resource's method verbs in order, for stable messages and summaries.
func sortedVerbs(r *model.Resource) []string {
	verbs := make([]string, 0, len(r.ResourceMethods))
	for v := range r.ResourceMethods {
		verbs = append(verbs, v)
	}
	sort.Strings(verbs)
	return verbs
}
