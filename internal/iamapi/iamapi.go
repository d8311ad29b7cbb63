// Package iamapi is the part of AWS IAM's query API that manages the identities of AWS_IAM
// methods, on the management listener, so the stock `aws iam --endpoint-url` works: CreateUser,
// GetUser, ListUsers, DeleteUser, CreateAccessKey, ListAccessKeys, DeleteAccessKey,
// PutUserPolicy, GetUserPolicy, ListUserPolicies and DeleteUserPolicy, the same for roles
// (CreateRole, GetRole, ListRoles, DeleteRole, Put/Get/List/DeleteRolePolicy); and STS's
// AssumeRole (`aws sts assume-role`), which gives temporary credentials of a role.
// Requests are form-encoded (Action=...&Version=...), signed with SigV4 for the service "iam" or
// "sts" (any region) by the admin credentials; answers are IAM's and STS's XML documents and
// errors. Users and sessions are kept in the store (kind iam), where internal/auth/iam reads
// them; an expired session is removed by the next AssumeRole.
//
// Calls that change something (Create*, Delete*, Put*) are recorded in the audit log as the
// management API's are: who, from where, the action and its parameters (a policy document kept,
// as configuration; no secret is ever in a request), the id it created, and the outcome.
//
// Choices: lists are not paginated (IsTruncated is always false); a user's inline policies may
// total 2,048 characters without whitespace (a role's 10,240) and a user may have two access
// keys, as on AWS; the users and roles of the identities file can be read but not changed here
// (the file is their source), an attempt answers 409 EntityAlreadyExists naming the file. A
// role's trust policy is kept but not evaluated: only the admin credentials call AssumeRole.
//
// iamapi imports the model, the store and internal/auth (iam for ARNs, policy to check documents,
// sigv4); never the data plane or the apigateway management API.
package iamapi

import (
	"crypto/rand"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/portico/portico/internal/auth/iam"
	"github.com/portico/portico/internal/auth/sigv4"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/observe/audit"
	"github.com/portico/portico/internal/store"
)

// Options configure the API.
type Options struct {
	AccountID string
	// Credentials maps the admin access key ids to their secrets; only they may call.
	Credentials map[string]string
	Logger      *slog.Logger
	// Now is the clock (time.Now if nil).
	Now func() time.Time
	// Audit records the calls that change something (nil: not recorded).
	Audit *audit.Log
}

// Handler serves the IAM query API.
type Handler struct {
	st   store.Store
	opts Options
	// verifiers check the signatures of each service served.
	verifiers map[string]*sigv4.Verifier
}

// New returns the API over st.
func New(st store.Store, opts Options) *Handler {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	creds := opts.Credentials
	secret := func(id string) (string, bool) { s, ok := creds[id]; return s, ok }
	return &Handler{st: st, opts: opts, verifiers: map[string]*sigv4.Verifier{
		"iam": {Service: "iam", Now: opts.Now, Secret: secret},
		"sts": {Service: "sts", Now: opts.Now, Secret: secret},
	}}
}

// Route sends the requests signed for the services "iam" and "sts" to h and the others to next,
// so IAM and STS share the management listener with the APIs found by path.
func Route(h *Handler, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s := SignedFor(r); s == "iam" || s == "sts" {
			h.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// SignedFor returns the service named by a request's SigV4 credential scope ("" when none).
func SignedFor(r *http.Request) string {
	cred := ""
	if h := r.Header.Get("Authorization"); h != "" {
		_, rest, _ := strings.Cut(h, "Credential=")
		cred, _, _ = strings.Cut(rest, ",")
	} else {
		cred = r.URL.Query().Get("X-Amz-Credential")
	}
	p := strings.Split(strings.TrimSpace(cred), "/")
	if len(p) != 5 {
		return ""
	}
	return p[3]
}

// The XML namespaces of IAM's and STS's answers.
var namespaces = map[string]string{
	"iam": "https://iam.amazonaws.com/doc/2010-05-08/",
	"sts": "https://sts.amazonaws.com/doc/2011-06-15/",
}

// maxBody bounds a request: the largest, PutUserPolicy, carries a policy of at most 2 KB, but
// whitespace is not counted, so leave room.
const maxBody = 1 << 20

// apiError is an IAM error answer.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func validation(msg string) *apiError {
	return &apiError{http.StatusBadRequest, "ValidationError", msg}
}

func noSuchEntity(msg string) *apiError { return &apiError{http.StatusNotFound, "NoSuchEntity", msg} }

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := newID()
	start := h.opts.Now()
	service := SignedFor(r)
	verifier, ok := h.verifiers[service]
	if !ok {
		service, verifier = "iam", h.verifiers["iam"]
	}
	xmlns := namespaces[service]
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, xmlns, reqID, &apiError{http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "Request body too large"})
		return
	}
	if _, err := verifier.Verify(r, body); err != nil {
		var se *sigv4.Error
		if !errors.As(err, &se) {
			writeError(w, xmlns, reqID, &apiError{http.StatusInternalServerError, "ServiceFailure", "Internal error"})
			return
		}
		h.opts.Logger.Info("iam: refused request", "requestId", reqID, "error", se.Code)
		code := se.Code
		if code == "UnrecognizedClientException" {
			code = "InvalidClientTokenId" // IAM's name for it
		}
		writeError(w, xmlns, reqID, &apiError{se.Status(), code, se.Message})
		return
	}
	params, err := url.ParseQuery(string(body))
	if err != nil {
		writeError(w, xmlns, reqID, validation("The request body is not form-encoded"))
		return
	}
	for k, v := range r.URL.Query() {
		if !strings.HasPrefix(k, "X-Amz-") {
			params[k] = v
		}
	}
	action := params.Get("Action")
	op, ok := operations[service][action]
	if !ok {
		writeError(w, xmlns, reqID, &apiError{http.StatusBadRequest, "InvalidAction", "Could not find operation " + action + " for version " + params.Get("Version")})
		return
	}
	result, err := op(h, params)
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			h.opts.Logger.Error("iam: request failed", "requestId", reqID, "action", action, "error", err)
			ae = &apiError{http.StatusInternalServerError, "ServiceFailure", "Internal error"}
		}
		h.record(r, start, reqID, params, nil, ae)
		writeError(w, xmlns, reqID, ae)
		return
	}
	// Recorded before the answer leaves, so a client that has it finds the call in the log.
	h.record(r, start, reqID, params, result, nil)
	writeResult(w, xmlns, reqID, action, result)
}

// record writes an audit entry for an action that changes something, accepted or refused
// once its signature was checked.
func (h *Handler) record(r *http.Request, start time.Time, reqID string, params url.Values, result any, failure *apiError) {
	action := params.Get("Action")
	if h.opts.Audit == nil || !(strings.HasPrefix(action, "Create") || strings.HasPrefix(action, "Delete") ||
		strings.HasPrefix(action, "Put") || action == "AssumeRole") {
		return
	}
	e := &audit.Entry{EventTime: start.UTC(), EventName: action, HTTPMethod: r.Method, RequestPath: r.URL.Path,
		UserAgent: r.UserAgent(), Status: http.StatusOK, RequestID: reqID, RequestParameters: map[string]any{}}
	if _, rest, ok := strings.Cut(r.Header.Get("Authorization"), "Credential="); ok {
		e.AccessKeyID, _, _ = strings.Cut(rest, "/")
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		e.SourceIPAddress = host
	}
	for k, v := range params {
		if k != "Action" && k != "Version" && len(v) > 0 {
			e.RequestParameters[k] = v[0]
		}
	}
	switch res := result.(type) {
	case userResult:
		e.ResponseElements = map[string]any{"userId": res.User.UserId, "arn": res.User.Arn}
	case createAccessKeyResult:
		e.ResponseElements = map[string]any{"accessKeyId": res.AccessKey.AccessKeyId}
	case roleResult:
		e.ResponseElements = map[string]any{"roleId": res.Role.RoleId, "arn": res.Role.Arn}
	case assumeRoleResult:
		e.ResponseElements = map[string]any{"accessKeyId": res.Credentials.AccessKeyId, "arn": res.AssumedRoleUser.Arn}
	}
	if failure != nil {
		e.Status, e.ErrorCode, e.ErrorMessage = failure.status, failure.code, failure.msg
	}
	if err := h.opts.Audit.Append(e); err != nil {
		h.opts.Logger.Error("iam: audit log not written", "requestId", reqID, "error", err)
	}
}

type operation func(h *Handler, p url.Values) (any, error)

var operations = map[string]map[string]operation{"iam": {
	"CreateUser":       (*Handler).createUser,
	"GetUser":          (*Handler).getUser,
	"ListUsers":        (*Handler).listUsers,
	"DeleteUser":       (*Handler).deleteUser,
	"CreateAccessKey":  (*Handler).createAccessKey,
	"ListAccessKeys":   (*Handler).listAccessKeys,
	"DeleteAccessKey":  (*Handler).deleteAccessKey,
	"PutUserPolicy":    (*Handler).putUserPolicy,
	"GetUserPolicy":    (*Handler).getUserPolicy,
	"ListUserPolicies": (*Handler).listUserPolicies,
	"DeleteUserPolicy": (*Handler).deleteUserPolicy,
	"CreateRole":       (*Handler).createRole,
	"GetRole":          (*Handler).getRole,
	"ListRoles":        (*Handler).listRoles,
	"DeleteRole":       (*Handler).deleteRole,
	"PutRolePolicy":    (*Handler).putRolePolicy,
	"GetRolePolicy":    (*Handler).getRolePolicy,
	"ListRolePolicies": (*Handler).listRolePolicies,
	"DeleteRolePolicy": (*Handler).deleteRolePolicy,
}, "sts": {
	"AssumeRole": (*Handler).assumeRole,
}}

// The XML shapes of the answers.
type (
	xmlUser struct {
		Path       string `xml:"Path"`
		UserName   string `xml:"UserName"`
		UserId     string `xml:"UserId"`
		Arn        string `xml:"Arn"`
		CreateDate string `xml:"CreateDate"`
	}
	userResult struct {
		User xmlUser `xml:"User"`
	}
	listUsersResult struct {
		IsTruncated bool      `xml:"IsTruncated"`
		Users       []xmlUser `xml:"Users>member"`
	}
	xmlAccessKey struct {
		UserName        string `xml:"UserName"`
		AccessKeyId     string `xml:"AccessKeyId"`
		Status          string `xml:"Status"`
		SecretAccessKey string `xml:"SecretAccessKey,omitempty"`
		CreateDate      string `xml:"CreateDate"`
	}
	createAccessKeyResult struct {
		AccessKey xmlAccessKey `xml:"AccessKey"`
	}
	listAccessKeysResult struct {
		UserName          string         `xml:"UserName"`
		AccessKeyMetadata []xmlAccessKey `xml:"AccessKeyMetadata>member"`
		IsTruncated       bool           `xml:"IsTruncated"`
	}
	getUserPolicyResult struct {
		UserName       string `xml:"UserName"`
		PolicyName     string `xml:"PolicyName"`
		PolicyDocument string `xml:"PolicyDocument"`
	}
	listUserPoliciesResult struct {
		PolicyNames []string `xml:"PolicyNames>member"`
		IsTruncated bool     `xml:"IsTruncated"`
	}
)

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func toXMLUser(u *model.IAMUser) xmlUser {
	return xmlUser{Path: u.Path, UserName: u.UserName, UserId: u.UserId, Arn: u.Arn, CreateDate: isoTime(u.CreateDate)}
}

var (
	namePattern       = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	policyNamePattern = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	pathPattern       = regexp.MustCompile(`^(/|/[\x21-\x7e]{0,510}/)$`)
)

// userName reads and checks the UserName parameter.
func userName(p url.Values) (string, error) {
	n := p.Get("UserName")
	if n == "" {
		return "", validation("1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null")
	}
	if !namePattern.MatchString(n) {
		return "", validation(fmt.Sprintf("1 validation error detected: Value '%s' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+", n))
	}
	return n, nil
}

// loadUser reads a user in tx.
func loadUser(tx store.Tx, name string) (*model.IAMUser, error) {
	var u model.IAMUser
	if err := tx.Get(store.KindIAM, "user/"+name, &u); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, noSuchEntity("The user with name " + name + " cannot be found.")
		}
		return nil, err
	}
	return &u, nil
}

// changeable refuses changing a user of the identities file.
func changeable(u *model.IAMUser) error {
	if u.Source == "file" {
		return &apiError{http.StatusConflict, "EntityAlreadyExists", "User " + u.UserName + " comes from the identities file; change it there."}
	}
	return nil
}

func (h *Handler) createUser(p url.Values) (any, error) {
	name, err := userName(p)
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
	u := model.IAMUser{UserName: name, UserId: "AIDA" + randomString(17, upperAlnum), Path: path,
		Arn: iam.UserARN(h.opts.AccountID, path, name), CreateDate: h.opts.Now().UTC().Truncate(time.Second)}
	err = h.st.Update(func(tx store.Tx) error {
		// IAM names are unique whatever their case.
		err := tx.List(store.KindIAM, "user/", func(k string, _ []byte) error {
			if strings.EqualFold(strings.TrimPrefix(k, "user/"), name) {
				return &apiError{http.StatusConflict, "EntityAlreadyExists", "User with name " + name + " already exists."}
			}
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Put(store.KindIAM, "user/"+name, u)
	})
	if err != nil {
		return nil, err
	}
	return userResult{toXMLUser(&u)}, nil
}

func (h *Handler) getUser(p url.Values) (any, error) {
	if p.Get("UserName") == "" {
		return nil, validation("Must specify userName when calling with non-User credentials")
	}
	name, err := userName(p)
	if err != nil {
		return nil, err
	}
	var u *model.IAMUser
	err = h.st.View(func(tx store.Tx) error {
		u, err = loadUser(tx, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return userResult{toXMLUser(u)}, nil
}

func (h *Handler) listUsers(p url.Values) (any, error) {
	prefix := p.Get("PathPrefix")
	out := listUsersResult{Users: []xmlUser{}}
	err := h.st.View(func(tx store.Tx) error {
		return tx.List(store.KindIAM, "user/", func(_ string, raw []byte) error {
			var u model.IAMUser
			if err := json.Unmarshal(raw, &u); err != nil {
				return err
			}
			if strings.HasPrefix(u.Path, prefix) {
				out.Users = append(out.Users, toXMLUser(&u))
			}
			return nil
		})
	})
	return out, err
}

func (h *Handler) deleteUser(p url.Values) (any, error) {
	name, err := userName(p)
	if err != nil {
		return nil, err
	}
	return nil, h.st.Update(func(tx store.Tx) error {
		u, err := loadUser(tx, name)
		if err != nil {
			return err
		}
		if err := changeable(u); err != nil {
			return err
		}
		switch {
		case len(u.AccessKeys) > 0:
			return &apiError{http.StatusConflict, "DeleteConflict", "Cannot delete entity, must delete access keys first."}
		case len(u.Policies) > 0:
			return &apiError{http.StatusConflict, "DeleteConflict", "Cannot delete entity, must delete policies first."}
		}
		return tx.Delete(store.KindIAM, "user/"+name)
	})
}

// updateUser changes a user of the IAM API in one transaction.
func (h *Handler) updateUser(name string, change func(u *model.IAMUser) error) error {
	return h.st.Update(func(tx store.Tx) error {
		u, err := loadUser(tx, name)
		if err != nil {
			return err
		}
		if err := changeable(u); err != nil {
			return err
		}
		if err := change(u); err != nil {
			return err
		}
		return tx.Put(store.KindIAM, "user/"+name, u)
	})
}

func (h *Handler) createAccessKey(p url.Values) (any, error) {
	name, err := userName(p)
	if err != nil {
		return nil, err
	}
	k := model.IAMAccessKey{AccessKeyId: "AKIA" + randomString(16, upperAlnum), SecretAccessKey: randomString(40, secretAlphabet),
		Status: "Active", CreateDate: h.opts.Now().UTC().Truncate(time.Second)}
	err = h.updateUser(name, func(u *model.IAMUser) error {
		if len(u.AccessKeys) >= 2 {
			return &apiError{http.StatusConflict, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2"}
		}
		u.AccessKeys = append(u.AccessKeys, k)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return createAccessKeyResult{xmlAccessKey{UserName: name, AccessKeyId: k.AccessKeyId, Status: k.Status,
		SecretAccessKey: k.SecretAccessKey, CreateDate: isoTime(k.CreateDate)}}, nil
}

func (h *Handler) listAccessKeys(p url.Values) (any, error) {
	name, err := userName(p)
	if err != nil {
		return nil, err
	}
	out := listAccessKeysResult{UserName: name, AccessKeyMetadata: []xmlAccessKey{}}
	err = h.st.View(func(tx store.Tx) error {
		u, err := loadUser(tx, name)
		if err != nil {
			return err
		}
		for _, k := range u.AccessKeys {
			out.AccessKeyMetadata = append(out.AccessKeyMetadata, xmlAccessKey{UserName: name, AccessKeyId: k.AccessKeyId,
				Status: k.Status, CreateDate: isoTime(k.CreateDate)})
		}
		return nil
	})
	return out, err
}

func (h *Handler) deleteAccessKey(p url.Values) (any, error) {
	name, err := userName(p)
	if err != nil {
		return nil, err
	}
	id := p.Get("AccessKeyId")
	return nil, h.updateUser(name, func(u *model.IAMUser) error {
		for i, k := range u.AccessKeys {
			if k.AccessKeyId == id {
				u.AccessKeys = append(u.AccessKeys[:i], u.AccessKeys[i+1:]...)
				return nil
			}
		}
		return noSuchEntity("The Access Key with id " + id + " cannot be found.")
	})
}

// maxUserPolicies is IAM's quota of inline policy characters per user, whitespace not counted.
const maxUserPolicies = 2048

func policySize(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// writeResult writes {Action}Response holding {Action}Result (none for actions that answer
// nothing) and the request id.
func writeResult(w http.ResponseWriter, xmlns, reqID, action string, result any) {
	var b strings.Builder
	b.WriteString(`<` + action + `Response xmlns="` + xmlns + `">`)
	if result != nil {
		inner, err := xml.Marshal(result)
		if err != nil {
			writeError(w, xmlns, reqID, &apiError{http.StatusInternalServerError, "ServiceFailure", "Internal error"})
			return
		}
		// The result type's own element name is replaced by {Action}Result.
		s := string(inner)
		s = s[strings.IndexByte(s, '>')+1 : strings.LastIndexByte(s, '<')]
		b.WriteString(`<` + action + `Result>` + s + `</` + action + `Result>`)
	}
	b.WriteString(`<ResponseMetadata><RequestId>` + reqID + `</RequestId></ResponseMetadata></` + action + `Response>`)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("x-amzn-RequestId", reqID)
	io.WriteString(w, b.String())
}

func writeError(w http.ResponseWriter, xmlns, reqID string, e *apiError) {
	typ := "Sender"
	if e.status >= 500 {
		typ = "Receiver"
	}
	var msg strings.Builder
	xml.EscapeText(&msg, []byte(e.msg))
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("x-amzn-RequestId", reqID)
	w.WriteHeader(e.status)
	io.WriteString(w, `<ErrorResponse xmlns="`+xmlns+`"><Error><Type>`+typ+`</Type><Code>`+e.code+
		`</Code><Message>`+msg.String()+`</Message></Error><RequestId>`+reqID+`</RequestId></ErrorResponse>`)
}

const (
	upperAlnum     = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

// randomString draws n characters of a 32- or 64-character alphabet (no modulo bias).
func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("iamapi: no randomness: " + err.Error())
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func newID() string {
	h := randomString(32, "0123456789abcdef")
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

type (
	assumedRoleUser struct {
		Arn           string `xml:"Arn"`
		AssumedRoleId string `xml:"AssumedRoleId"`
	}
	stsCredentials struct {
		AccessKeyId     string `xml:"AccessKeyId"`
		SecretAccessKey string `xml:"SecretAccessKey"`
		SessionToken    string `xml:"SessionToken"`
		Expiration      string `xml:"Expiration"`
	}
	assumeRoleResult struct {
		AssumedRoleUser assumedRoleUser `xml:"AssumedRoleUser"`
		Credentials     stsCredentials  `xml:"Credentials"`
	}
)

var sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

// assumeRole gives temporary credentials of a role (STS AssumeRole): RoleArn names a role of
// the store, RoleSessionName the session, DurationSeconds its life (900 to 3600, 3600 when
// absent, a role's default maximum). The session is stored on its own; expired ones are
// removed here.
func (h *Handler) assumeRole(p url.Values) (any, error) {
	roleARN, session := p.Get("RoleArn"), p.Get("RoleSessionName")
	if !sessionNamePattern.MatchString(session) {
		return nil, validation(fmt.Sprintf("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", session))
	}
	duration := 3600
	if d := p.Get("DurationSeconds"); d != "" {
		if _, err := fmt.Sscan(d, &duration); err != nil || duration < 900 || duration > 3600 {
			return nil, validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role, or is below 900 seconds.")
		}
	}
	now := h.opts.Now().UTC().Truncate(time.Second)
	sess := model.IAMSession{IAMRoleSession: model.IAMRoleSession{SessionName: session,
		AccessKeyId: "ASIA" + randomString(16, upperAlnum), SecretAccessKey: randomString(40, secretAlphabet),
		SessionToken: randomString(356, secretAlphabet), Expiration: now.Add(time.Duration(duration) * time.Second)}}
	var roleID string
	err := h.st.Update(func(tx store.Tx) error {
		var stale []string
		err := tx.List(store.KindIAM, "", func(k string, raw []byte) error {
			kind, _, _ := strings.Cut(k, "/")
			switch kind {
			case "role":
				var r model.IAMRole
				if err := json.Unmarshal(raw, &r); err != nil {
					return err
				}
				if r.Arn == roleARN {
					sess.RoleName, roleID = r.RoleName, r.RoleId
				}
			case "session":
				var s model.IAMSession
				if err := json.Unmarshal(raw, &s); err != nil {
					return err
				}
				if !s.Expiration.After(now) {
					stale = append(stale, k)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if sess.RoleName == "" {
			return &apiError{http.StatusForbidden, "AccessDenied", "User: arn:aws:iam::" + h.opts.AccountID +
				":root is not authorized to perform: sts:AssumeRole on resource: " + roleARN}
		}
		for _, k := range stale {
			if err := tx.Delete(store.KindIAM, k); err != nil {
				return err
			}
		}
		return tx.Put(store.KindIAM, "session/"+sess.AccessKeyId, sess)
	})
	if err != nil {
		return nil, err
	}
	return assumeRoleResult{
		AssumedRoleUser: assumedRoleUser{Arn: "arn:aws:sts::" + h.opts.AccountID + ":assumed-role/" + sess.RoleName + "/" + session,
			AssumedRoleId: roleID + ":" + session},
		Credentials: stsCredentials{AccessKeyId: sess.AccessKeyId, SecretAccessKey: sess.SecretAccessKey,
			SessionToken: sess.SessionToken, Expiration: isoTime(sess.Expiration)},
	}, nil
}
