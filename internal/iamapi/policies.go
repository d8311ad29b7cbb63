package iamapi

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/portico/portico/internal/auth/policy"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

// holder is what the inline policy actions need of the users or the roles that hold them, so
// that Put/Get/List/Delete{User,Role}Policy are one piece of code.
type holder struct {
	kind  string // "user" or "role", as IAM's messages name it
	limit int    // IAM's quota of inline policy characters per holder, whitespace not counted
	name  func(url.Values) (string, error)
	// policies reads a holder's policies; update changes them in one transaction.
	policies func(tx store.Tx, name string) (map[string]string, error)
	update   func(h *Handler, name string, change func(policies *map[string]string) error) error
	// result is the answer of Get{User,Role}Policy.
	result func(name, policyName, doc string) any
}

var users = holder{
	kind: "user", limit: maxUserPolicies, name: userName,
	policies: func(tx store.Tx, name string) (map[string]string, error) {
		u, err := loadUser(tx, name)
		if err != nil {
			return nil, err
		}
		return u.Policies, nil
	},
	update: func(h *Handler, name string, change func(*map[string]string) error) error {
		return h.updateUser(name, func(u *model.IAMUser) error { return change(&u.Policies) })
	},
	result: func(name, pname, doc string) any {
		return getUserPolicyResult{UserName: name, PolicyName: pname, PolicyDocument: doc}
	},
}

var roles = holder{
	kind: "role", limit: maxRolePolicies, name: roleName,
	policies: func(tx store.Tx, name string) (map[string]string, error) {
		r, err := loadRole(tx, name)
		if err != nil {
			return nil, err
		}
		return r.Policies, nil
	},
	update: func(h *Handler, name string, change func(*map[string]string) error) error {
		return h.updateRole(name, func(r *model.IAMRole) error { return change(&r.Policies) })
	},
	result: func(name, pname, doc string) any {
		return getRolePolicyResult{RoleName: name, PolicyName: pname, PolicyDocument: doc}
	},
}

func (h *Handler) putUserPolicy(p url.Values) (any, error)    { return h.putPolicy(users, p) }
func (h *Handler) getUserPolicy(p url.Values) (any, error)    { return h.getPolicy(users, p) }
func (h *Handler) listUserPolicies(p url.Values) (any, error) { return h.listPolicies(users, p) }
func (h *Handler) deleteUserPolicy(p url.Values) (any, error) { return h.deletePolicy(users, p) }
func (h *Handler) putRolePolicy(p url.Values) (any, error)    { return h.putPolicy(roles, p) }
func (h *Handler) getRolePolicy(p url.Values) (any, error)    { return h.getPolicy(roles, p) }
func (h *Handler) listRolePolicies(p url.Values) (any, error) { return h.listPolicies(roles, p) }
func (h *Handler) deleteRolePolicy(p url.Values) (any, error) { return h.deletePolicy(roles, p) }

func (h *Handler) putPolicy(hd holder, p url.Values) (any, error) {
	name, err := hd.name(p)
	if err != nil {
		return nil, err
	}
	pname, doc := p.Get("PolicyName"), p.Get("PolicyDocument")
	if !policyNamePattern.MatchString(pname) {
		return nil, validation(fmt.Sprintf("1 validation error detected: Value '%s' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+", pname))
	}
	if _, err := policy.ParseIdentity(doc); err != nil {
		msg := "Syntax errors in policy."
		if strings.Contains(err.Error(), "Principal") {
			msg = "Policy document should not specify a principal."
		}
		return nil, &apiError{http.StatusBadRequest, "MalformedPolicyDocument", msg}
	}
	return nil, hd.update(h, name, func(policies *map[string]string) error {
		total := policySize(doc)
		for n, d := range *policies {
			if n != pname {
				total += policySize(d)
			}
		}
		if total > hd.limit {
			return &apiError{http.StatusConflict, "LimitExceeded", fmt.Sprintf("Maximum policy size of %d bytes exceeded for %s %s", hd.limit, hd.kind, name)}
		}
		if *policies == nil {
			*policies = map[string]string{}
		}
		(*policies)[pname] = doc
		return nil
	})
}

func (h *Handler) getPolicy(hd holder, p url.Values) (any, error) {
	name, err := hd.name(p)
	if err != nil {
		return nil, err
	}
	pname := p.Get("PolicyName")
	var out any
	err = h.st.View(func(tx store.Tx) error {
		policies, err := hd.policies(tx, name)
		if err != nil {
			return err
		}
		doc, ok := policies[pname]
		if !ok {
			return noSuchEntity("The " + hd.kind + " policy with name " + pname + " cannot be found.")
		}
		// IAM answers policy documents URL-encoded; the SDKs decode them.
		out = hd.result(name, pname, url.PathEscape(doc))
		return nil
	})
	return out, err
}

func (h *Handler) listPolicies(hd holder, p url.Values) (any, error) {
	name, err := hd.name(p)
	if err != nil {
		return nil, err
	}
	out := listUserPoliciesResult{PolicyNames: []string{}}
	err = h.st.View(func(tx store.Tx) error {
		policies, err := hd.policies(tx, name)
		if err != nil {
			return err
		}
		for n := range policies {
			out.PolicyNames = append(out.PolicyNames, n)
		}
		sort.Strings(out.PolicyNames)
		return nil
	})
	return out, err
}

func (h *Handler) deletePolicy(hd holder, p url.Values) (any, error) {
	name, err := hd.name(p)
	if err != nil {
		return nil, err
	}
	pname := p.Get("PolicyName")
	return nil, hd.update(h, name, func(policies *map[string]string) error {
		if _, ok := (*policies)[pname]; !ok {
			return noSuchEntity("The " + hd.kind + " policy with name " + pname + " cannot be found.")
		}
		delete(*policies, pname)
		return nil
	})
}
