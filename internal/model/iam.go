package model

import "time"

// IAMUser is an IAM user: the identity of execute-api callers who sign with one of its access
// keys, allowed what its inline policies allow. Field names are IAM's (GetUser, ListAccessKeys,
// GetUserPolicy), in camel case as Portico stores documents.
type IAMUser struct {
	UserName   string         `json:"userName"`
	UserId     string         `json:"userId"`
	Path       string         `json:"path"`
	Arn        string         `json:"arn"`
	CreateDate time.Time      `json:"createDate"`
	AccessKeys []IAMAccessKey `json:"accessKeys,omitempty"`
	// Policies maps an inline policy's name to its document.
	Policies map[string]string `json:"policies,omitempty"`
	// Source is "file" for an identity of the identities file (replaced when the file is
	// read again), "" for one created through the IAM API.
	Source string `json:"source,omitempty"`
}

// IAMAccessKey is a long-term access key of a user; Status is Active or Inactive.
type IAMAccessKey struct {
	AccessKeyId     string    `json:"accessKeyId"`
	SecretAccessKey string    `json:"secretAccessKey"`
	Status          string    `json:"status"`
	CreateDate      time.Time `json:"createDate"`
}

// IAMRole is an IAM role with the temporary credentials of its sessions: callers who sign
// with a session's key and token act as arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION,
// allowed what the role's inline policies allow.
type IAMRole struct {
	RoleName   string            `json:"roleName"`
	RoleId     string            `json:"roleId"`
	Path       string            `json:"path"`
	Arn        string            `json:"arn"`
	CreateDate time.Time         `json:"createDate"`
	Policies   map[string]string `json:"policies,omitempty"`
	Sessions   []IAMRoleSession  `json:"sessions,omitempty"`
	Source     string            `json:"source,omitempty"`
	// AssumeRolePolicyDocument is the trust policy of a role made through the IAM API.
	AssumeRolePolicyDocument string `json:"assumeRolePolicyDocument,omitempty"`
}

// IAMRoleSession is one set of temporary credentials of a role (what AssumeRole returns).
// A zero Expiration never expires.
type IAMRoleSession struct {
	SessionName     string    `json:"sessionName"`
	AccessKeyId     string    `json:"accessKeyId"`
	SecretAccessKey string    `json:"secretAccessKey"`
	SessionToken    string    `json:"sessionToken"`
	Expiration      time.Time `json:"expiration,omitzero"`
}

// IAMSession is a session a role's caller obtained through STS AssumeRole, kept apart from the
// role (at "session/{accessKeyId}") so that reading the identities file again, which rewrites
// the role, does not end it.
type IAMSession struct {
	RoleName string `json:"roleName"`
	IAMRoleSession
}
