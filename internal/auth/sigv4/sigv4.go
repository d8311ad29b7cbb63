// Package sigv4 verifies AWS Signature Version 4 on incoming HTTP requests, in both the
// Authorization-header form and the presigned query form, the way AWS services check the
// requests that the CLI and SDKs sign.
//
// Region policy: a Verifier accepts only a credential scope whose region equals its Region, as
// AWS does; an empty Region accepts whatever region the client signed for (useful when one
// endpoint serves clients configured with different regions).
//
// Payload: the payload hash in the canonical request is the SHA-256 of the body received; an
// X-Amz-Content-Sha256 header that disagrees with it is a signature failure. UNSIGNED-PAYLOAD
// (declared in that header, or in the canonical request of a presigned URL) is accepted only by
// a Verifier with AllowUnsignedPayload, so elsewhere a signed request cannot carry a swapped body.
//
// Credentials: an access key may be temporary, with a session token that every request must
// carry in X-Amz-Security-Token (header, or query for a presigned URL) and an expiry. A wrong or
// missing token is refused as an unknown key is ("The security token included in the request is
// invalid."), an expired one with ExpiredTokenException. Derived signing keys are cached per
// key, day, region and service.
//
// sigv4 imports nothing of Portico's.
package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Algorithm is the only signing algorithm accepted.
const Algorithm = "AWS4-HMAC-SHA256"

const (
	timeFormat = "20060102T150405Z"
	dateFormat = "20060102"
	// DefaultMaxSkew is how far the request time may be from the server's clock.
	DefaultMaxSkew = 15 * time.Minute
)

// Error is a refused request, carrying AWS's error code and message. Every verification failure
// is a 403.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Status is the HTTP status AWS answers a refused signature with.
func (e *Error) Status() int { return http.StatusForbidden }

// AWS's messages for the failures clients meet most.
const (
	MsgMissingToken     = "Missing Authentication Token"
	MsgUnknownKey       = "The security token included in the request is invalid."
	MsgExpiredToken     = "The security token included in the request is expired"
	MsgSignatureMismach = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

func errMissing() *Error {
	return &Error{Code: "MissingAuthenticationTokenException", Message: MsgMissingToken}
}
func errUnknownKey() *Error {
	return &Error{Code: "UnrecognizedClientException", Message: MsgUnknownKey}
}
func errMismatch() *Error {
	return &Error{Code: "InvalidSignatureException", Message: MsgSignatureMismach}
}
func errSignature(format string, args ...any) *Error {
	return &Error{Code: "InvalidSignatureException", Message: fmt.Sprintf(format, args...)}
}
func errIncomplete(msg string) *Error {
	return &Error{Code: "IncompleteSignatureException", Message: msg}
}

// Verifier checks signatures for one service.
type Verifier struct {
	// Service is the signing name expected in the credential scope (e.g. "apigateway").
	Service string
	// Region is the region expected in the credential scope; empty accepts any region.
	Region string
	// Secret returns the secret access key of an access key id, and false if the key is unknown.
	Secret func(accessKeyID string) (string, bool)
	// MaxSkew bounds the difference between the request's time and Now (DefaultMaxSkew if 0).
	MaxSkew time.Duration
	// Now is the clock (time.Now if nil).
	Now func() time.Time
	// AllowUnsignedPayload accepts UNSIGNED-PAYLOAD as the payload hash (execute-api does;
	// the management APIs do not).
	AllowUnsignedPayload bool
	// ExplainMismatch adds to a signature mismatch the canonical request and string to sign
	// the server computed, as API Gateway's data plane answers.
	ExplainMismatch bool

	keysMu sync.RWMutex
	keys   map[keyCacheKey]cachedKey
}

// Authorization is a parsed `Authorization: AWS4-HMAC-SHA256 ...` header.
type Authorization struct {
	AccessKeyID   string
	Date          string // yyyymmdd of the credential scope
	Region        string
	Service       string
	SignedHeaders []string
	Signature     string
}

// ParseAuthorization parses the Authorization header value. Its errors are AWS's
// IncompleteSignatureException texts.
func ParseAuthorization(h string) (*Authorization, error) {
	alg, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	if alg != Algorithm {
		return nil, errIncomplete("Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=" + h)
	}
	var cred, signed, sig string
	var haveCred, haveSigned, haveSig bool
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, errIncomplete(fmt.Sprintf("Authorization header requires each component to be of the form key=value: '%s'", strings.TrimSpace(part)))
		}
		switch k {
		case "Credential":
			cred, haveCred = v, true
		case "SignedHeaders":
			signed, haveSigned = v, true
		case "Signature":
			sig, haveSig = v, true
		}
	}
	var missing []string
	if !haveCred {
		missing = append(missing, "Authorization header requires 'Credential' parameter.")
	}
	if !haveSig {
		missing = append(missing, "Authorization header requires 'Signature' parameter.")
	}
	if !haveSigned {
		missing = append(missing, "Authorization header requires 'SignedHeaders' parameter.")
	}
	if len(missing) > 0 {
		return nil, errIncomplete(strings.Join(missing, " ") + " Authorization=" + h)
	}
	a, err := parseCredential(cred)
	if err != nil {
		return nil, err
	}
	if signed == "" {
		return nil, errIncomplete("Authorization header requires 'SignedHeaders' parameter.")
	}
	a.SignedHeaders = strings.Split(signed, ";")
	a.Signature = sig
	return a, nil
}

func parseCredential(cred string) (*Authorization, error) {
	p := strings.Split(cred, "/")
	if len(p) != 5 || p[0] == "" {
		return nil, errIncomplete(fmt.Sprintf("Credential should be scoped to a valid region. Credential=%s", cred))
	}
	if p[4] != "aws4_request" {
		return nil, errSignature("Credential should be scoped with a valid terminator: 'aws4_request', not '%s'.", p[4])
	}
	if _, err := time.Parse(dateFormat, p[1]); err != nil {
		return nil, errSignature("Credential should be scoped to a valid date. Credential=%s", cred)
	}
	return &Authorization{AccessKeyID: p[0], Date: p[1], Region: p[2], Service: p[3]}, nil
}

// Credential is what a Verifier knows of one access key.
type Credential struct {
	Secret string
	// SessionToken, when set, makes the key temporary: a request must carry this token
	// (X-Amz-Security-Token) and no other. A key without one refuses any token, as AWS does.
	SessionToken string
	// Expires, when set, is when temporary credentials stop working.
	Expires time.Time
}

// Credentials finds the credential of an access key id.
type Credentials interface {
	Credential(accessKeyID string) (Credential, bool)
}

// secretFunc adapts Verifier.Secret to Credentials.
type secretFunc func(string) (string, bool)

func (f secretFunc) Credential(id string) (Credential, bool) {
	s, ok := f(id)
	return Credential{Secret: s}, ok
}

// UnsignedPayload is the payload hash a client sends when it does not sign the body.
const UnsignedPayload = "UNSIGNED-PAYLOAD"

// Verify checks r's signature against body (the complete request body, already read) and
// returns the access key id that signed it. A failure is an *Error.
func (v *Verifier) Verify(r *http.Request, body []byte) (string, error) {
	key, err := v.Check(r, secretFunc(v.Secret), func() ([]byte, error) { return body, nil })
	return key, err
}

// Check verifies r with the credentials of creds and returns the access key id that signed
// it. body is called at most once, when the payload has to be hashed; an error it returns is
// returned as it is. Every refusal is an *Error.
func (v *Verifier) Check(r *http.Request, creds Credentials, body func() ([]byte, error)) (string, error) {
	a, amzDate, expires, presigned, err := parseRequest(r)
	if err != nil {
		return "", err
	}
	t, err := time.Parse(timeFormat, amzDate)
	if err != nil {
		return "", errIncomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if !strings.HasPrefix(amzDate, a.Date) {
		return "", errSignature("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", a.Date, amzDate[:8], amzDate)
	}
	if v.Region != "" && a.Region != v.Region {
		return "", errSignature("Credential should be scoped to a valid region, not '%s'. ", a.Region)
	}
	if a.Service != v.Service {
		return "", errSignature("Credential should be scoped to correct service: '%s'. ", v.Service)
	}
	if !contains(a.SignedHeaders, "host") {
		return "", errSignature("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}

	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	n := now().UTC()
	if presigned {
		if n.After(t.Add(expires)) {
			return "", errSignature("Signature expired: %s is now earlier than %s (%s - %s.)", t.Add(expires).Format(timeFormat), n.Format(timeFormat), n.Format(timeFormat), expires)
		}
		// A URL signed for later is not valid yet, beyond the clock skew allowed.
		if err := v.checkSkew(t, n, true); err != nil {
			return "", err
		}
	} else if err := v.checkSkew(t, n, false); err != nil {
		return "", err
	}

	cred, ok := creds.Credential(a.AccessKeyID)
	if !ok {
		return "", errUnknownKey()
	}
	token := r.Header.Get("X-Amz-Security-Token")
	if presigned {
		token = r.URL.Query().Get("X-Amz-Security-Token")
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(cred.SessionToken)) != 1 {
		return "", errUnknownKey()
	}
	if !cred.Expires.IsZero() && !n.Before(cred.Expires) {
		return "", &Error{Code: "ExpiredTokenException", Message: MsgExpiredToken}
	}

	hashes, err := v.payloadHashes(r, presigned, body)
	if err != nil {
		return "", err
	}

	key := v.signingKey(a.AccessKeyID, cred.Secret, a.Date, a.Region, a.Service)
	scope := a.Date + "/" + a.Region + "/" + a.Service + "/aws4_request"
	got := []byte(strings.ToLower(a.Signature))
	uri := canonicalURI(r)
	// The Go and JavaScript SDKs sign the path as sent; botocore (the AWS CLI) first removes
	// dot segments and empty segments. Either form is accepted.
	uris := [2]string{uri, normalizePath(uri)}
	nURIs := 2
	if uris[1] == uri {
		nURIs = 1
	}
	var first, firstSTS string
	for _, u := range uris[:nURIs] {
		for _, h := range hashes {
			canon := canonicalRequest(r, u, a.SignedHeaders, h, presigned)
			ch := sha256.Sum256([]byte(canon))
			sts := Algorithm + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(ch[:])
			var sig [2 * sha256.Size]byte
			hex.Encode(sig[:], hmacSHA256(key, sts))
			if hmac.Equal(sig[:], got) {
				return a.AccessKeyID, nil
			}
			if first == "" {
				first, firstSTS = canon, sts
			}
		}
	}
	if v.ExplainMismatch {
		return "", &Error{Code: "InvalidSignatureException", Message: MsgSignatureMismach +
			"\n\nThe Canonical String for this request should have been\n'" + first +
			"'\n\nThe String-to-Sign should have been\n'" + firstSTS + "'\n"}
	}
	return "", errMismatch()
}

// parseRequest finds the signature's parameters in the Authorization header or, failing
// that, in a presigned URL's query. Its errors are AWS's.
func parseRequest(r *http.Request) (a *Authorization, amzDate string, expires time.Duration, presigned bool, err error) {
	if h := r.Header.Get("Authorization"); h != "" {
		if a, err = ParseAuthorization(h); err != nil {
			return nil, "", 0, false, err
		}
		amzDate = r.Header.Get("X-Amz-Date")
		if amzDate == "" {
			amzDate = r.Header.Get("Date")
		}
		return a, amzDate, 0, false, nil
	}
	if !strings.Contains(r.URL.RawQuery, "X-Amz-") {
		return nil, "", 0, false, errMissing()
	}
	q := r.URL.Query()
	if q.Get("X-Amz-Signature") == "" && q.Get("X-Amz-Credential") == "" {
		return nil, "", 0, false, errMissing()
	}
	a, expires, err = ParseQuery(q)
	if err != nil {
		return nil, "", 0, false, err
	}
	return a, q.Get("X-Amz-Date"), expires, true, nil
}

// ParseQuery reads the signature parameters of a presigned URL's query: X-Amz-Algorithm,
// X-Amz-Credential, X-Amz-SignedHeaders, X-Amz-Signature and X-Amz-Expires (1 to 604800
// seconds). Its errors are AWS's.
func ParseQuery(q url.Values) (*Authorization, time.Duration, error) {
	if q.Get("X-Amz-Algorithm") != Algorithm {
		return nil, 0, errIncomplete("X-Amz-Algorithm only supports \"" + Algorithm + "\"")
	}
	a, err := parseCredential(q.Get("X-Amz-Credential"))
	if err != nil {
		return nil, 0, err
	}
	signed := q.Get("X-Amz-SignedHeaders")
	if signed == "" {
		return nil, 0, errIncomplete("AWS query-string parameters must include 'X-Amz-SignedHeaders'. Re-examine the query-string parameters.")
	}
	a.SignedHeaders = strings.Split(signed, ";")
	a.Signature = q.Get("X-Amz-Signature")
	if a.Signature == "" {
		return nil, 0, errIncomplete("AWS query-string parameters must include 'X-Amz-Signature'. Re-examine the query-string parameters.")
	}
	secs, err := strconv.ParseInt(q.Get("X-Amz-Expires"), 10, 64)
	if err != nil || secs < 1 || secs > 604800 {
		return nil, 0, errIncomplete("X-Amz-Expires must be a number of seconds between 1 and 604800")
	}
	return a, time.Duration(secs) * time.Second, nil
}

// payloadHashes returns the payload hashes the canonical request may carry. A declared
// X-Amz-Content-Sha256 must be the body's hash, or UNSIGNED-PAYLOAD where the verifier allows
// it; without one the body's hash is used, and a presigned URL may also have been signed with
// UNSIGNED-PAYLOAD (the SDKs' presigners leave the choice to the caller).
func (v *Verifier) payloadHashes(r *http.Request, presigned bool, body func() ([]byte, error)) ([]string, error) {
	declared := r.Header.Get("X-Amz-Content-Sha256")
	if declared == UnsignedPayload {
		if !v.AllowUnsignedPayload {
			return nil, errMismatch()
		}
		return []string{UnsignedPayload}, nil
	}
	b, err := body()
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	payloadHash := hex.EncodeToString(sum[:])
	if declared != "" && declared != payloadHash {
		return nil, errMismatch()
	}
	if presigned && declared == "" && v.AllowUnsignedPayload {
		return []string{payloadHash, UnsignedPayload}, nil
	}
	return []string{payloadHash}, nil
}

// signingKey returns the derived key of a secret for one date, region and service, from the
// verifier's cache when it was derived before (deriving takes four HMACs).
func (v *Verifier) signingKey(id, secret, date, region, service string) []byte {
	ck := keyCacheKey{id, date, region, service}
	v.keysMu.RLock()
	e, ok := v.keys[ck]
	v.keysMu.RUnlock()
	if ok && e.secret == secret {
		return e.key
	}
	k := SigningKey(secret, date, region, service)
	v.keysMu.Lock()
	// Keys are per day: a full cache is simply emptied, which costs one derivation per key.
	if v.keys == nil || len(v.keys) >= maxCachedKeys {
		v.keys = make(map[keyCacheKey]cachedKey)
	}
	v.keys[ck] = cachedKey{secret: secret, key: k}
	v.keysMu.Unlock()
	return k
}

const maxCachedKeys = 4096

type keyCacheKey struct{ id, date, region, service string }

type cachedKey struct {
	secret string
	key    []byte
}

// normalizePath removes "." and ".." segments and empty segments, keeping a leading and a
// trailing slash, as botocore does before signing.
func normalizePath(p string) string {
	if !strings.Contains(p, "//") && !strings.Contains(p, "/.") {
		return p // nothing to remove: the common case costs no allocation
	}
	var out []string
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	n := "/" + strings.Join(out, "/")
	if strings.HasSuffix(p, "/") && len(out) > 0 {
		n += "/"
	}
	return n
}

// checkSkew refuses a request time further than the allowed skew from n; futureOnly checks
// only the side of the future (a presigned URL's past is bounded by its expiry).
func (v *Verifier) checkSkew(t, n time.Time, futureOnly bool) error {
	skew := v.MaxSkew
	if skew == 0 {
		skew = DefaultMaxSkew
	}
	mins := fmt.Sprintf("%d min.", int(skew/time.Minute))
	if !futureOnly && t.Before(n.Add(-skew)) {
		return errSignature("Signature expired: %s is now earlier than %s (%s - %s)", t.Format(timeFormat), n.Add(-skew).Format(timeFormat), n.Format(timeFormat), mins)
	}
	if t.After(n.Add(skew)) {
		return errSignature("Signature not yet current: %s is still later than %s (%s + %s)", t.Format(timeFormat), n.Add(skew).Format(timeFormat), n.Format(timeFormat), mins)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// CanonicalRequest builds AWS's canonical request for r: the path as sent on the wire encoded
// once more (as the SDKs do for every service but S3), the query sorted and re-encoded, the
// signed headers trimmed and joined, and the payload hash. presigned leaves X-Amz-Signature out
// of the query.
func CanonicalRequest(r *http.Request, signedHeaders []string, payloadHash string, presigned bool) string {
	return canonicalRequest(r, canonicalURI(r), signedHeaders, payloadHash, presigned)
}

func canonicalRequest(r *http.Request, uri string, signedHeaders []string, payloadHash string, presigned bool) string {
	var b strings.Builder
	b.Grow(len(r.Method) + len(uri) + 2*len(r.URL.RawQuery) + 64*len(signedHeaders) + len(payloadHash) + 8)
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(uri)
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.RawQuery, presigned))
	b.WriteByte('\n')
	for _, h := range signedHeaders {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(headerValue(r, h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

func canonicalURI(r *http.Request) string {
	p := r.RequestURI
	if p == "" || p == "*" || !strings.HasPrefix(p, "/") {
		p = r.URL.EscapedPath()
	}
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if p == "" {
		return "/"
	}
	return escape(p, false)
}

// escape is AWS's URI encoding: every byte except unreserved characters (and '/' unless
// encodeSlash) becomes %XX with upper-case hex.
func escape(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encodeSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func canonicalQuery(raw string, presigned bool) string {
	if raw == "" {
		return ""
	}
	type kv struct{ k, v string }
	params := make([]kv, 0, strings.Count(raw, "&")+1)
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, v = unescapeQuery(k), unescapeQuery(v)
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		params = append(params, kv{escape(k, true), escape(v, true)})
	}
	slices.SortFunc(params, func(a, b kv) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	var b strings.Builder
	for i, p := range params {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// unescapeQuery decodes a query component as the sender's URL library encoded it; a component
// that is not valid percent-encoding is taken as it stands (the signature then decides).
func unescapeQuery(s string) string {
	u, err := url.QueryUnescape(s)
	if err != nil {
		return s
	}
	return u
}

func headerValue(r *http.Request, name string) string {
	var vals []string
	switch name {
	case "host":
		vals = []string{r.Host}
	case "content-length":
		vals = r.Header.Values("Content-Length")
		if len(vals) == 0 && r.ContentLength >= 0 {
			vals = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	default:
		vals = r.Header.Values(name)
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = strings.TrimSpace(collapseSpaces(v))
	}
	return strings.Join(out, ",")
}

// collapseSpaces turns each run of spaces into one, as the SDKs do to header values before
// signing (tabs and other whitespace stay).
func collapseSpaces(v string) string {
	if !strings.Contains(v, "  ") {
		return v
	}
	var b strings.Builder
	b.Grow(len(v))
	prev := false
	for i := 0; i < len(v); i++ {
		sp := v[i] == ' '
		if !sp || !prev {
			b.WriteByte(v[i])
		}
		prev = sp
	}
	return b.String()
}

// SigningKey derives the key of a secret for one date, region and service.
func SigningKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, "aws4_request")
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}
