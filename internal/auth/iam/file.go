package iam

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

// File is the identities file given to `portico serve --identities`, in YAML or JSON:
//
//	users:
//	  - name: alice
//	    path: /team/                       # optional
//	    accessKeys:
//	      - accessKeyId: AKIAALICE0000000001
//	        secretAccessKey: ...
//	        status: Active                 # or Inactive; Active when absent
//	    policies:                          # inline policies: a document, as text or as an object
//	      invoke-pets:
//	        Version: "2012-10-17"
//	        Statement:
//	          - Effect: Allow
//	            Action: execute-api:Invoke
//	            Resource: arn:aws:execute-api:*:*:*/prod/GET/pets*
//	roles:
//	  - name: reader
//	    policies: {...}
//	    sessions:                          # temporary credentials, as AssumeRole returns them
//	      - name: job-7
//	        accessKeyId: ASIAREADER00000001
//	        secretAccessKey: ...
//	        sessionToken: ...
//	        expiration: 2030-01-01T00:00:00Z  # optional
type File struct {
	Users []FileUser `yaml:"users"`
	Roles []FileRole `yaml:"roles"`
}

// FileUser is a user of the identities file.
type FileUser struct {
	Name       string               `yaml:"name"`
	Path       string               `yaml:"path"`
	AccessKeys []FileAccessKey      `yaml:"accessKeys"`
	Policies   map[string]yaml.Node `yaml:"policies"`
}

// FileAccessKey is a user's access key in the identities file.
type FileAccessKey struct {
	AccessKeyID     string `yaml:"accessKeyId"`
	SecretAccessKey string `yaml:"secretAccessKey"`
	Status          string `yaml:"status"`
}

// FileRole is a role of the identities file.
type FileRole struct {
	Name     string               `yaml:"name"`
	Path     string               `yaml:"path"`
	Policies map[string]yaml.Node `yaml:"policies"`
	Sessions []FileSession        `yaml:"sessions"`
}

// FileSession is a role's temporary credentials in the identities file.
type FileSession struct {
	Name            string    `yaml:"name"`
	AccessKeyID     string    `yaml:"accessKeyId"`
	SecretAccessKey string    `yaml:"secretAccessKey"`
	SessionToken    string    `yaml:"sessionToken"`
	Expiration      time.Time `yaml:"expiration"`
}

// LoadFile reads an identities file into the documents of account's identities, checked as
// IAM checks names and policies.
func LoadFile(path, account string) (Identities, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Identities{}, err
	}
	ids, err := ParseFile(b, account)
	if err != nil {
		return Identities{}, fmt.Errorf("%s: %w", path, err)
	}
	return ids, nil
}

// IAM's rules for user, role and session names.
var (
	namePattern    = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	sessionPattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	keyIDPattern   = regexp.MustCompile(`^[\w]{16,128}$`)
)

// ParseFile reads the text of an identities file (YAML, of which JSON is a part).
func ParseFile(b []byte, account string) (Identities, error) {
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return Identities{}, err
	}
	var ids Identities
	for _, u := range f.Users {
		if !namePattern.MatchString(u.Name) {
			return Identities{}, fmt.Errorf("user name %q is not a valid IAM name", u.Name)
		}
		docs, err := policyTexts(u.Policies)
		if err != nil {
			return Identities{}, fmt.Errorf("user %s: %w", u.Name, err)
		}
		doc := model.IAMUser{UserName: u.Name, UserId: stableID("AIDA", account, "user", u.Name), Path: normalPath(u.Path),
			Arn: UserARN(account, u.Path, u.Name), Policies: docs, Source: "file"}
		for _, k := range u.AccessKeys {
			if !keyIDPattern.MatchString(k.AccessKeyID) || k.SecretAccessKey == "" {
				return Identities{}, fmt.Errorf("user %s: an access key needs an accessKeyId of 16 to 128 letters and digits and a secretAccessKey", u.Name)
			}
			status := k.Status
			if status == "" {
				status = "Active"
			}
			if status != "Active" && status != "Inactive" {
				return Identities{}, fmt.Errorf("user %s: access key %s: status must be Active or Inactive", u.Name, k.AccessKeyID)
			}
			doc.AccessKeys = append(doc.AccessKeys, model.IAMAccessKey{AccessKeyId: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey, Status: status})
		}
		ids.Users = append(ids.Users, doc)
	}
	for _, r := range f.Roles {
		if !namePattern.MatchString(r.Name) {
			return Identities{}, fmt.Errorf("role name %q is not a valid IAM name", r.Name)
		}
		docs, err := policyTexts(r.Policies)
		if err != nil {
			return Identities{}, fmt.Errorf("role %s: %w", r.Name, err)
		}
		doc := model.IAMRole{RoleName: r.Name, RoleId: stableID("AROA", account, "role", r.Name), Path: normalPath(r.Path),
			Arn: RoleARN(account, r.Path, r.Name), Policies: docs, Source: "file"}
		for _, s := range r.Sessions {
			if !sessionPattern.MatchString(s.Name) || !keyIDPattern.MatchString(s.AccessKeyID) || s.SecretAccessKey == "" || s.SessionToken == "" {
				return Identities{}, fmt.Errorf("role %s: a session needs a name, an accessKeyId, a secretAccessKey and a sessionToken", r.Name)
			}
			doc.Sessions = append(doc.Sessions, model.IAMRoleSession{SessionName: s.Name, AccessKeyId: s.AccessKeyID,
				SecretAccessKey: s.SecretAccessKey, SessionToken: s.SessionToken, Expiration: s.Expiration})
		}
		ids.Roles = append(ids.Roles, doc)
	}
	// Building checks the policies and that no access key is given twice.
	if _, err := Build(account, nil, ids); err != nil {
		return Identities{}, err
	}
	return ids, nil
}

// policyTexts turns each inline policy, given as JSON text or as a YAML/JSON object, into its
// JSON text.
func policyTexts(nodes map[string]yaml.Node) (map[string]string, error) {
	if len(nodes) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(nodes))
	for name, n := range nodes {
		if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
			out[name] = n.Value
			continue
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("policy %s: %w", name, err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("policy %s: %w", name, err)
		}
		out[name] = string(b)
	}
	return out, nil
}

// stableID is an IAM-shaped unique id (prefix and 17 characters) derived from the identity's
// account, kind and name, so an identity of the file keeps its id across reloads and restarts.
func stableID(prefix, account, kind, name string) string {
	sum := sha256.Sum256([]byte(account + "/" + kind + "/" + name))
	return prefix + base32.StdEncoding.EncodeToString(sum[:])[:17]
}

// Sync writes the identities of the file into the store, in one transaction: they replace
// every identity an earlier file gave; identities created through the IAM API stay, and one
// of them with a name the file also uses is an error.
func Sync(st store.Store, ids Identities) error {
	return st.Update(func(tx store.Tx) error {
		var stale []string
		err := tx.List(store.KindIAM, "", func(k string, raw []byte) error {
			var doc struct {
				Source string `json:"source"`
			}
			if err := json.Unmarshal(raw, &doc); err != nil {
				return fmt.Errorf("identity %s: %w", k, err)
			}
			if doc.Source == "file" {
				stale = append(stale, k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range stale {
			if err := tx.Delete(store.KindIAM, k); err != nil {
				return err
			}
		}
		put := func(k string, v any) error {
			var existing struct {
				Source string `json:"source"`
			}
			if err := tx.Get(store.KindIAM, k, &existing); err == nil {
				return fmt.Errorf("identities file: %s already exists, created through the IAM API", k)
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
			return tx.Put(store.KindIAM, k, v)
		}
		now := time.Now().UTC().Truncate(time.Second)
		for _, u := range ids.Users {
			u.CreateDate = now
			if err := put("user/"+u.UserName, u); err != nil {
				return err
			}
		}
		for _, r := range ids.Roles {
			r.CreateDate = now
			if err := put("role/"+r.RoleName, r); err != nil {
				return err
			}
		}
		return nil
	})
}
