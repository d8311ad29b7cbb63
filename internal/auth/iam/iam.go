// Package iam holds the IAM identities that may call AWS_IAM methods: users with access keys and
// roles with the temporary credentials of their sessions, each allowed what its inline
// (identity-based) policies allow, plus the account's root (the admin credentials), allowed
// everything. It keeps them as an immutable Directory, rebuilt from the store (kind "iam")
// whenever they change and swapped in atomically, so a request reads one snapshot and takes no
// lock; the Directory is the sigv4.Credentials of execute-api verification and says who a key
// belongs to and what that identity may do.
//
// The identities file (LoadFile, Sync) is one way to manage them: its users and roles replace
// those the file gave before, leaving the ones created through the IAM API (internal/iamapi)
// and the sessions STS AssumeRole gave, which are kept apart from their role (model.IAMSession)
// and belong to it while it exists.
//
// What each caller is, as AWS shows it in $context.identity and in IAM's condition keys:
//
//   - user: userArn arn:aws:iam::ACCOUNT:user{path}NAME, user and caller its user id (AIDA...),
//     aws:PrincipalType "User";
//   - role session: userArn arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, user and caller
//     ROLEID:SESSION, aws:PrincipalArn the role's ARN, aws:PrincipalType "AssumedRole";
//   - root: userArn arn:aws:iam::ACCOUNT:root, user and caller the account id,
//     aws:PrincipalType "Account".
//
// An Inactive access key is unknown, as on AWS. iam imports the model, the store, auth/policy
// and auth/sigv4; never the data plane or the management API.
package iam

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/portico/portico/internal/auth/policy"
	"github.com/portico/portico/internal/auth/sigv4"
	"github.com/portico/portico/internal/model"
)

// The actions API Gateway asks about.
const (
	ActionInvoke          = "execute-api:Invoke"
	ActionInvalidateCache = "execute-api:InvalidateCache"
)

// Caller is the identity behind one access key. It is immutable.
type Caller struct {
	// Type is aws:PrincipalType: "User", "AssumedRole" or "Account".
	Type      string
	AccountID string
	// ARN is $context.identity.userArn: the user's, the session's or the root's.
	ARN string
	// PrincipalARN is aws:PrincipalArn: the ARN, except for a session, whose role it names.
	PrincipalARN string
	// UserID is $context.identity.user and .caller, and aws:userid.
	UserID string
	// Name is aws:username (users only).
	Name string
	// AccessKey is the access key id the caller signs with.
	AccessKey string

	root     bool
	policies []*policy.Policy
}

// Decide evaluates the caller's identity policies for action on resource: the root is allowed
// everything; otherwise an explicit Deny wins, then an Allow. key supplies condition keys.
func (c *Caller) Decide(action, resource string, sourceIP netip.Addr, key func(string) (string, bool)) policy.Decision {
	if c.root {
		return policy.Allow
	}
	req := policy.Request{Action: action, Resource: resource, SourceIP: sourceIP, Key: key}
	d := policy.ImplicitDeny
	for _, p := range c.policies {
		switch p.Evaluate(&req) {
		case policy.ExplicitDeny:
			return policy.ExplicitDeny
		case policy.Allow:
			d = policy.Allow
		}
	}
	return d
}

// Key returns the IAM condition keys that describe the caller (asked for in lower case).
func (c *Caller) Key(name string) (string, bool) {
	switch name {
	case "aws:principalarn":
		return c.PrincipalARN, true
	case "aws:principalaccount":
		return c.AccountID, true
	case "aws:principaltype":
		return c.Type, true
	case "aws:userid":
		return c.UserID, true
	case "aws:username":
		if c.Name != "" {
			return c.Name, true
		}
	}
	return "", false
}

// key is one access key of the directory.
type key struct {
	cred   sigv4.Credential
	caller *Caller
}

// Directory is one snapshot of every identity. It is immutable and safe for concurrent use.
type Directory struct {
	keys map[string]key
}

// Credential returns the secret (and session token) of an active access key.
func (d *Directory) Credential(accessKeyID string) (sigv4.Credential, bool) {
	if d == nil {
		return sigv4.Credential{}, false
	}
	k, ok := d.keys[accessKeyID]
	return k.cred, ok
}

// Caller returns the identity of an active access key.
func (d *Directory) Caller(accessKeyID string) *Caller {
	if d == nil {
		return nil
	}
	return d.keys[accessKeyID].caller
}

// Identities are the documents a Directory is built from.
type Identities struct {
	Users []model.IAMUser
	Roles []model.IAMRole
}

// Build makes a Directory of account's identities plus its root, whose access keys map to
// their secrets. A policy document that does not parse is an error naming its owner, so one
// bad document never leaves an identity with less than it was given.
func Build(account string, root map[string]string, ids Identities) (*Directory, error) {
	d := &Directory{keys: map[string]key{}}
	add := func(id string, k key) error {
		if _, dup := d.keys[id]; dup {
			return fmt.Errorf("access key %s is given twice", id)
		}
		d.keys[id] = k
		return nil
	}
	for id, secret := range root {
		rootARN := "arn:aws:iam::" + account + ":root"
		c := &Caller{Type: "Account", AccountID: account, ARN: rootARN, PrincipalARN: rootARN, UserID: account, AccessKey: id, root: true}
		if err := add(id, key{sigv4.Credential{Secret: secret}, c}); err != nil {
			return nil, err
		}
	}
	for _, u := range ids.Users {
		policies, err := parsePolicies(u.Policies)
		if err != nil {
			return nil, fmt.Errorf("user %s: %w", u.UserName, err)
		}
		for _, ak := range u.AccessKeys {
			if ak.Status == "Inactive" {
				continue
			}
			c := &Caller{Type: "User", AccountID: account, ARN: u.Arn, PrincipalARN: u.Arn, UserID: u.UserId,
				Name: u.UserName, AccessKey: ak.AccessKeyId, policies: policies}
			if err := add(ak.AccessKeyId, key{sigv4.Credential{Secret: ak.SecretAccessKey}, c}); err != nil {
				return nil, err
			}
		}
	}
	for _, r := range ids.Roles {
		policies, err := parsePolicies(r.Policies)
		if err != nil {
			return nil, fmt.Errorf("role %s: %w", r.RoleName, err)
		}
		for _, s := range r.Sessions {
			c := &Caller{Type: "AssumedRole", AccountID: account,
				ARN:          "arn:aws:sts::" + account + ":assumed-role/" + r.RoleName + "/" + s.SessionName,
				PrincipalARN: r.Arn, UserID: r.RoleId + ":" + s.SessionName, AccessKey: s.AccessKeyId, policies: policies}
			cred := sigv4.Credential{Secret: s.SecretAccessKey, SessionToken: s.SessionToken, Expires: s.Expiration}
			if err := add(s.AccessKeyId, key{cred, c}); err != nil {
				return nil, err
			}
		}
	}
	return d, nil
}

// parsePolicies parses inline policies in name order.
func parsePolicies(docs map[string]string) ([]*policy.Policy, error) {
	names := make([]string, 0, len(docs))
	for n := range docs {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]*policy.Policy, 0, len(names))
	for _, n := range names {
		p, err := policy.ParseIdentity(docs[n])
		if err != nil {
			return nil, fmt.Errorf("policy %s: %w", n, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// UserARN is the ARN of a user with a path ("/" when empty).
func UserARN(account, path, name string) string {
	return "arn:aws:iam::" + account + ":user" + normalPath(path) + name
}

// RoleARN is the ARN of a role with a path.
func RoleARN(account, path, name string) string {
	return "arn:aws:iam::" + account + ":role" + normalPath(path) + name
}

func normalPath(p string) string {
	if p == "" {
		return "/"
	}
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return p
}
