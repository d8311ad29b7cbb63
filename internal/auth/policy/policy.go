// Package policy evaluates API Gateway resource policies: the IAM policy document on a REST
// API's `policy` field, decided per request for execute-api:Invoke on the method's ARN
// arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{VERB}/{path}. ParseIdentity reads the
// identity-based documents (no Principal) that Lambda authorizers return, evaluated the same way.
//
// What is supported, and what was chosen where AWS leaves it open:
//
//   - Effect Allow/Deny; Action and NotAction (execute-api:Invoke, execute-api:*, *, with * and ?
//     wildcards, case-insensitive as IAM compares actions); Resource and NotResource as full
//     ARNs or the execute-api:/{stage}/{VERB}/{path} shorthand, which Bind expands to this
//     API's ARN; * matches any run of characters (including / and :), ? one byte; ARNs
//     compare case-sensitively.
//   - Principal "*" or {"AWS": "*"} (or a list holding "*") applies to every caller. {"AWS": ids}
//     applies to the IAM callers it names: an account ("123456789012" or
//     "arn:aws:iam::123456789012:root") covers every identity of that account, a user or role
//     ARN that identity (a role covers its sessions), an assumed-role ARN
//     (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION) that session. The caller is read from the
//     request's keys aws:PrincipalArn (the role for a session), aws:PrincipalAccount and
//     aws:userid (ROLEID:SESSION for a session), as IAM defines them; an anonymous caller has
//     none and so is no such principal. Other principal kinds (Service, Federated) never apply
//     to an invocation. NotPrincipal is refused.
//   - Conditions: IpAddress / NotIpAddress on aws:SourceIp (IPv4 and IPv6 addresses and CIDR
//     blocks, one or a list); StringEquals, StringNotEquals, StringEqualsIgnoreCase,
//     StringNotEqualsIgnoreCase, StringLike, StringNotLike on any key the caller supplies
//     (aws:SourceVpc and aws:SourceVpce are never present: Portico has no VPC endpoints); Bool
//     on aws:SecureTransport; every operator may end in IfExists. Values of one key are ORed,
//     keys and operators ANDed; an absent key fails a positive operator and satisfies a
//     negated one, as in IAM. Any other operator makes the document invalid rather than being
//     ignored.
//   - Decision: an explicit Deny wins, then an Allow; otherwise the request is implicitly
//     denied.
//
// policy imports nothing of Portico's.
package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Decision is the outcome of evaluating a policy for one request.
type Decision uint8

const (
	// ImplicitDeny: no statement allows the request (and none denies it).
	ImplicitDeny Decision = iota
	Allow
	ExplicitDeny
)

func (d Decision) String() string {
	switch d {
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	}
	return "ImplicitDeny"
}

// Request is what a decision is made about.
type Request struct {
	// Action is e.g. "execute-api:Invoke".
	Action string
	// Resource is the method ARN.
	Resource string
	// SourceIP is the caller's address (aws:SourceIp).
	SourceIP netip.Addr
	// Key returns the value of another condition key, asked for in lower case
	// (e.g. "aws:useragent"); nil means none.
	Key func(name string) (string, bool)
}

// Policy is a parsed policy document. It is immutable and safe for concurrent use.
type Policy struct {
	statements []statement
}

type statement struct {
	deny        bool
	notAction   bool
	actions     []string // lower-cased patterns
	notResource bool
	resources   []string
	conditions  []condition
	// principals are the IAM principals the statement is limited to; nil: every caller.
	principals []string
}

// Parse reads a resource policy document. An error says what is wrong with it in IAM's terms.
func Parse(doc string) (*Policy, error) { return parse(doc, false) }

// ParseIdentity reads an identity-based policy document, such as the one a Lambda authorizer
// returns: its statements name no Principal, since they apply to the caller they were issued
// for.
func ParseIdentity(doc string) (*Policy, error) { return parse(doc, true) }

func parse(doc string, identity bool) (*Policy, error) {
	var raw struct {
		Version   string          `json:"Version"`
		Statement json.RawMessage `json:"Statement"`
	}
	dec := json.NewDecoder(strings.NewReader(doc))
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("policy is not a JSON object: %v", err)
	}
	if dec.More() {
		return nil, errors.New("policy has text after its JSON object")
	}
	if len(raw.Statement) == 0 {
		return nil, errors.New("policy has no Statement")
	}
	var list []map[string]json.RawMessage
	if raw.Statement[0] == '[' {
		if err := json.Unmarshal(raw.Statement, &list); err != nil {
			return nil, fmt.Errorf("Statement: %v", err)
		}
	} else {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(raw.Statement, &one); err != nil {
			return nil, fmt.Errorf("Statement: %v", err)
		}
		list = append(list, one)
	}
	if len(list) == 0 {
		return nil, errors.New("policy has no Statement")
	}
	p := &Policy{}
	for i, raw := range list {
		st, applies, err := parseStatement(raw, identity)
		if err != nil {
			return nil, fmt.Errorf("Statement %d: %v", i+1, err)
		}
		if applies {
			p.statements = append(p.statements, st)
		}
	}
	return p, nil
}

var knownStatementKeys = map[string]bool{"Sid": true, "Effect": true, "Principal": true, "Action": true,
	"NotAction": true, "Resource": true, "NotResource": true, "Condition": true}

// parseStatement reads one statement; applies is false when its principal can never be an
// anonymous caller. An identity policy's statements apply to their caller and name no principal.
func parseStatement(raw map[string]json.RawMessage, identity bool) (st statement, applies bool, err error) {
	if raw == nil {
		return st, false, errors.New("statement is not an object")
	}
	for k := range raw {
		if !knownStatementKeys[k] {
			return st, false, fmt.Errorf("unsupported element %s", k)
		}
	}
	var effect string
	if err := json.Unmarshal(raw["Effect"], &effect); err != nil || (effect != "Allow" && effect != "Deny") {
		return st, false, errors.New(`Effect must be "Allow" or "Deny"`)
	}
	st.deny = effect == "Deny"
	p, ok := raw["Principal"]
	switch {
	case identity && ok:
		return st, false, errors.New("an identity policy statement cannot name a Principal")
	case identity:
		applies = true
	case !ok:
		return st, false, errors.New("a resource policy statement needs a Principal")
	default:
		var all bool
		all, st.principals, err = parsePrincipal(p)
		if err != nil {
			return st, false, err
		}
		applies = all || len(st.principals) > 0
		if all {
			st.principals = nil
		}
	}
	st.actions, st.notAction, err = eitherList(raw, "Action", "NotAction")
	if err != nil {
		return st, false, err
	}
	for i, a := range st.actions {
		st.actions[i] = strings.ToLower(a)
	}
	st.resources, st.notResource, err = eitherList(raw, "Resource", "NotResource")
	if err != nil {
		return st, false, err
	}
	if c, ok := raw["Condition"]; ok {
		st.conditions, err = parseConditions(c)
		if err != nil {
			return st, false, err
		}
	}
	return st, applies, nil
}

// parsePrincipal reads a Principal: all when it covers every caller, else the AWS principals
// it names.
func parsePrincipal(raw json.RawMessage) (all bool, ids []string, err error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s != "*" {
			return false, nil, fmt.Errorf("invalid Principal %q", s)
		}
		return true, nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || len(m) == 0 {
		return false, nil, errors.New("invalid Principal")
	}
	for kind, v := range m {
		values, err := stringOrList(v)
		if err != nil {
			return false, nil, fmt.Errorf("Principal %s: %v", kind, err)
		}
		if kind != "AWS" {
			continue
		}
		for _, id := range values {
			if id == "*" {
				all = true
			}
			ids = append(ids, id)
		}
	}
	return all, ids, nil
}

// principalMatches reports whether the request's caller is one of ids.
func principalMatches(ids []string, r *Request) bool {
	if r.Key == nil {
		return false
	}
	arn, ok := r.Key("aws:principalarn")
	if !ok || arn == "" {
		return false
	}
	account, _ := r.Key("aws:principalaccount")
	for _, id := range ids {
		switch {
		case account != "" && (id == account || id == "arn:aws:iam::"+account+":root"):
			return true
		case id == arn:
			return true
		case strings.HasPrefix(id, "arn:aws:sts::"):
			// An assumed-role session: arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION.
			userID, _ := r.Key("aws:userid")
			_, session, isSession := strings.Cut(userID, ":")
			role := arn[strings.LastIndexByte(arn, '/')+1:]
			if isSession && id == "arn:aws:sts::"+account+":assumed-role/"+role+"/"+session {
				return true
			}
		}
	}
	return false
}

// eitherList reads exactly one of the keys pos and neg as a string or a list of strings.
func eitherList(raw map[string]json.RawMessage, pos, neg string) ([]string, bool, error) {
	p, hasP := raw[pos]
	n, hasN := raw[neg]
	switch {
	case hasP && hasN:
		return nil, false, fmt.Errorf("%s and %s cannot both be given", pos, neg)
	case hasP:
		l, err := stringOrList(p)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %v", pos, err)
		}
		return l, false, nil
	case hasN:
		l, err := stringOrList(n)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %v", neg, err)
		}
		return l, true, nil
	}
	return nil, false, fmt.Errorf("statement needs %s or %s", pos, neg)
}

func stringOrList(raw json.RawMessage) ([]string, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}, nil
	}
	var l []string
	if err := json.Unmarshal(raw, &l); err != nil || len(l) == 0 {
		return nil, errors.New("must be a string or a non-empty list of strings")
	}
	return l, nil
}

// Bind expands the execute-api:/ shorthand in resources to the ARNs of one API. Call it once
// when the API is compiled; the result is what Evaluate uses.
func (p *Policy) Bind(region, account, apiID string) *Policy {
	out := &Policy{statements: make([]statement, len(p.statements))}
	prefix := "arn:aws:execute-api:" + region + ":" + account + ":" + apiID
	for i, st := range p.statements {
		res := make([]string, len(st.resources))
		for j, r := range st.resources {
			if rest, ok := strings.CutPrefix(r, "execute-api:/"); ok {
				r = prefix + "/" + rest
			}
			res[j] = r
		}
		st.resources = res
		out.statements[i] = st
	}
	return out
}

// Evaluate decides a request: an explicit Deny wins, then an Allow.
func (p *Policy) Evaluate(r *Request) Decision {
	action := r.Action
	if action == "execute-api:Invoke" {
		action = "execute-api:invoke" // the one action the data plane asks about, lowered for free
	} else {
		action = strings.ToLower(action)
	}
	d := ImplicitDeny
	for i := range p.statements {
		st := &p.statements[i]
		if !st.matches(action, r) {
			continue
		}
		if st.deny {
			return ExplicitDeny
		}
		d = Allow
	}
	return d
}

func (st *statement) matches(action string, r *Request) bool {
	if st.principals != nil && !principalMatches(st.principals, r) {
		return false
	}
	if anyMatch(st.actions, action) == st.notAction {
		return false
	}
	if anyMatch(st.resources, r.Resource) == st.notResource {
		return false
	}
	for i := range st.conditions {
		if !st.conditions[i].holds(r) {
			return false
		}
	}
	return true
}

func anyMatch(patterns []string, s string) bool {
	for _, p := range patterns {
		if Match(p, s) {
			return true
		}
	}
	return false
}

// Match reports whether s matches the IAM wildcard pattern p: * any run of bytes, ? any one
// byte, everything else itself.
func Match(p, s string) bool {
	// Iterative matching with one backtrack point: linear in practice, never exponential.
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
