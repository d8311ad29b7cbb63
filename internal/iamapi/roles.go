package iamapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/portico/portico/internal/auth/iam"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

// Roles: CreateRole, GetRole, ListRoles, DeleteRole and their inline policies. A role's trust
// policy (AssumeRolePolicyDocument) is kept and answered but not evaluated: only the admin
// credentials may call AssumeRole.

type (
	xmlRole struct {
		Path                     string `xml:"Path"`
		RoleName                 string `xml:"RoleName"`
		RoleId                   string `xml:"RoleId"`
		Arn                      string `xml:"Arn"`
		CreateDate               string `xml:"CreateDate"`
		AssumeRolePolicyDocument string `xml:"AssumeRolePolicyDocument,omitempty"`
	}
	roleResult struct {
		Role xmlRole `xml:"Role"`
	}
	listRolesResult struct {
		IsTruncated bool      `xml:"IsTruncated"`
		Roles       []xmlRole `xml:"Roles>member"`
	}
	getRolePolicyResult struct {
		RoleName       string `xml:"RoleName"`
		PolicyName     string `xml:"PolicyName"`
		PolicyDocument string `xml:"PolicyDocument"`
	}
)

// maxRolePolicies is IAM's quota of inline policy characters per role, whitespace not counted.
const maxRolePolicies = 10240

func toXMLRole(r *model.IAMRole) xmlRole {
	return xmlRole{Path: r.Path, RoleName: r.RoleName, RoleId: r.RoleId, Arn: r.Arn, CreateDate: isoTime(r.CreateDate),
		AssumeRolePolicyDocument: url.PathEscape(r.AssumeRolePolicyDocument)}
}

func roleName(p url.Values) (string, error) {
	n := p.Get("RoleName")
	if n == "" {
		return "", validation("1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null")
	}
	if !namePattern.MatchString(n) {
		return "", validation(fmt.Sprintf("1 validation error detected: Value '%s' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+", n))
	}
	return n, nil
}

func loadRole(tx store.Tx, name string) (*model.IAMRole, error) {
	var r model.IAMRole
	if err := tx.Get(store.KindIAM, "role/"+name, &r); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, noSuchEntity("The role with name " + name + " cannot be found.")
		}
		return nil, err
	}
	return &r, nil
}

// updateRole changes a role of the IAM API in one transaction; a role of the identities file is
// changed in the file.
func (h *Handler) updateRole(name string, change func(r *model.IAMRole) error) error {
	return h.st.Update(func(tx store.Tx) error {
		r, err := loadRole(tx, name)
		if err != nil {
			return err
		}
		if r.Source == "file" {
			return &apiError{http.StatusConflict, "EntityAlreadyExists", "Role " + name + " comes from the identities file; change it there."}
		}
		if err := change(r); err != nil {
			return err
		}
		return tx.Put(store.KindIAM, "role/"+name, r)
	})
}

func (h *Handler) createRole(p url.Values) (any, error) {
	name, err := roleName(p)
	if err != nil {
		return nil, err
	}
	path := p.Get("Path")
	if path == "" {
		path = "/"
	}
	if !pathPattern.MatchString(path) {
		return nil, validation("The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.")
	}
	trust := p.Get("AssumeRolePolicyDocument")
	if trust == "" {
		return nil, validation("1 validation error detected: Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null")
	}
	var doc struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if json.Unmarshal([]byte(trust), &doc) != nil || len(doc.Statement) == 0 {
		return nil, &apiError{http.StatusBadRequest, "MalformedPolicyDocument", "Syntax errors in policy."}
	}
	r := model.IAMRole{RoleName: name, RoleId: "AROA" + randomString(17, upperAlnum), Path: path,
		Arn: iam.RoleARN(h.opts.AccountID, path, name), CreateDate: h.opts.Now().UTC().Truncate(time.Second),
		AssumeRolePolicyDocument: trust}
	err = h.st.Update(func(tx store.Tx) error {
		err := tx.List(store.KindIAM, "role/", func(k string, _ []byte) error {
			if strings.EqualFold(strings.TrimPrefix(k, "role/"), name) {
				return &apiError{http.StatusConflict, "EntityAlreadyExists", "Role with name " + name + " already exists."}
			}
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Put(store.KindIAM, "role/"+name, r)
	})
	if err != nil {
		return nil, err
	}
	return roleResult{toXMLRole(&r)}, nil
}

func (h *Handler) getRole(p url.Values) (any, error) {
	name, err := roleName(p)
	if err != nil {
		return nil, err
	}
	var r *model.IAMRole
	err = h.st.View(func(tx store.Tx) error {
		r, err = loadRole(tx, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return roleResult{toXMLRole(r)}, nil
}

func (h *Handler) listRoles(p url.Values) (any, error) {
	prefix := p.Get("PathPrefix")
	out := listRolesResult{Roles: []xmlRole{}}
	err := h.st.View(func(tx store.Tx) error {
		return tx.List(store.KindIAM, "role/", func(_ string, raw []byte) error {
			var r model.IAMRole
			if err := json.Unmarshal(raw, &r); err != nil {
				return err
			}
			if strings.HasPrefix(r.Path, prefix) {
				out.Roles = append(out.Roles, toXMLRole(&r))
			}
			return nil
		})
	})
	return out, err
}

// deleteRole removes a role without inline policies, and the sessions AssumeRole gave of it.
func (h *Handler) deleteRole(p url.Values) (any, error) {
	name, err := roleName(p)
	if err != nil {
		return nil, err
	}
	return nil, h.st.Update(func(tx store.Tx) error {
		r, err := loadRole(tx, name)
		if err != nil {
			return err
		}
		if r.Source == "file" {
			return &apiError{http.StatusConflict, "EntityAlreadyExists", "Role " + name + " comes from the identities file; change it there."}
		}
		if len(r.Policies) > 0 {
			return &apiError{http.StatusConflict, "DeleteConflict", "Cannot delete entity, must delete policies first."}
		}
		var sessions []string
		err = tx.List(store.KindIAM, "session/", func(k string, raw []byte) error {
			var s model.IAMSession
			if err := json.Unmarshal(raw, &s); err != nil {
				return err
			}
			if s.RoleName == name {
				sessions = append(sessions, k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range append(sessions, "role/"+name) {
			if err := tx.Delete(store.KindIAM, k); err != nil {
				return err
			}
		}
		return nil
	})
}
