package oidc

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	_ "crypto/sha256" // the hashes RS256/ES256, RS384/ES384 and RS512 name
	_ "crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// b64 decodes a token's parts: unpadded base64url, refusing non-zero trailing bits so a token
// has one spelling only.
var b64 = base64.RawURLEncoding.Strict()

// maxTokenBytes bounds what is decoded: Cognito's tokens are a few KB.
const maxTokenBytes = 16 << 10

// Claims are a verified token's claims.
type Claims struct {
	Issuer    string
	Subject   string
	TokenUse  string // "id", "access", or "" when the token does not say
	ClientID  string
	Audience  []string
	Scopes    []string
	Expires   time.Time
	NotBefore time.Time
	IssuedAt  time.Time
	// Values holds every claim as REST APIs present them in $context.authorizer.claims and in
	// the proxy event's requestContext.authorizer.claims (see the package doc).
	Values map[string]string

	jsonOnce sync.Once
	json     []byte
	// clientIDs holds ClientID, so the audience check can range over it without allocating.
	clientIDs [1]string
}

// JSON returns Values as a JSON object, keys sorted; made once, as a token's claims serve every
// request that repeats it. The caller must not change it.
func (c *Claims) JSON() []byte {
	c.jsonOnce.Do(func() {
		keys := make([]string, 0, len(c.Values))
		for k := range c.Values {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b, q bytes.Buffer
		enc := json.NewEncoder(&q)
		enc.SetEscapeHTML(false) // AWS writes <, > and & as they are
		str := func(s string) {
			q.Reset()
			enc.Encode(s) // a string always encodes
			b.Write(bytes.TrimSuffix(q.Bytes(), []byte("\n")))
		}
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			str(k)
			b.WriteByte(':')
			str(c.Values[k])
		}
		b.WriteByte('}')
		c.json = b.Bytes()
	})
	return c.json
}

// token is a parsed, not yet verified, JWT.
type token struct {
	alg       string
	kid       string
	signed    string // header.payload, what the signature covers
	signature []byte
	claims    *Claims
}

// algorithm is what a supported alg needs of its key.
type algorithm struct {
	hash crypto.Hash
	kty  string
	crv  string // EC only
	size int    // EC only: the byte length of r and of s
}

var algorithms = map[string]algorithm{
	"RS256": {hash: crypto.SHA256, kty: "RSA"},
	"RS384": {hash: crypto.SHA384, kty: "RSA"},
	"RS512": {hash: crypto.SHA512, kty: "RSA"},
	"ES256": {hash: crypto.SHA256, kty: "EC", crv: "P-256", size: 32},
	"ES384": {hash: crypto.SHA384, kty: "EC", crv: "P-384", size: 48},
}

// parseToken decodes a compact JWS and its claims; the signature is not checked yet.
func parseToken(s string) (*token, error) {
	if len(s) > maxTokenBytes {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrInvalidToken, maxTokenBytes)
	}
	h, rest, ok := strings.Cut(s, ".")
	if !ok {
		return nil, fmt.Errorf("%w: not a JWT", ErrInvalidToken)
	}
	p, sig, ok := strings.Cut(rest, ".")
	if !ok || strings.Contains(sig, ".") {
		return nil, fmt.Errorf("%w: not a JWS in compact form", ErrInvalidToken)
	}
	hb, err := b64.DecodeString(h)
	if err != nil {
		return nil, fmt.Errorf("%w: header is not base64url", ErrInvalidToken)
	}
	var hdr struct {
		Alg  string          `json:"alg"`
		Kid  string          `json:"kid"`
		Crit json.RawMessage `json:"crit"`
	}
	if err := json.Unmarshal(hb, &hdr); err != nil {
		return nil, fmt.Errorf("%w: header is not a JSON object", ErrInvalidToken)
	}
	if _, ok := algorithms[hdr.Alg]; !ok {
		return nil, fmt.Errorf("%w: alg %q is not accepted", ErrInvalidToken, hdr.Alg)
	}
	if hdr.Crit != nil {
		return nil, fmt.Errorf("%w: critical header extensions are not understood", ErrInvalidToken)
	}
	if hdr.Kid == "" {
		return nil, fmt.Errorf("%w: no kid", ErrInvalidToken)
	}
	signature, err := b64.DecodeString(sig)
	if err != nil || len(signature) == 0 {
		return nil, fmt.Errorf("%w: signature is not base64url", ErrInvalidToken)
	}
	pb, err := b64.DecodeString(p)
	if err != nil {
		return nil, fmt.Errorf("%w: payload is not base64url", ErrInvalidToken)
	}
	claims, err := parseClaims(pb)
	if err != nil {
		return nil, err
	}
	return &token{alg: hdr.Alg, kid: hdr.Kid, signed: s[:len(h)+1+len(p)], signature: signature, claims: claims}, nil
}

// parseClaims reads a claims set; claims with a registered meaning must have its type.
func parseClaims(b []byte) (*Claims, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil || m == nil {
		return nil, fmt.Errorf("%w: claims are not a JSON object", ErrInvalidToken)
	}
	if d.More() {
		return nil, fmt.Errorf("%w: claims are followed by more JSON", ErrInvalidToken)
	}
	c := &Claims{Values: make(map[string]string, len(m))}
	var err error
	str := func(name string) string {
		v, ok := m[name]
		if !ok {
			return ""
		}
		s, isStr := v.(string)
		if !isStr && err == nil {
			err = fmt.Errorf("%w: claim %s is not a string", ErrInvalidToken, name)
		}
		return s
	}
	date := func(name string) time.Time {
		v, ok := m[name]
		if !ok {
			return time.Time{}
		}
		t, ok := numericDate(v)
		if !ok && err == nil {
			err = fmt.Errorf("%w: claim %s is not a NumericDate", ErrInvalidToken, name)
		}
		return t
	}
	c.Issuer = str("iss")
	c.Subject = str("sub")
	c.TokenUse = str("token_use")
	c.ClientID = str("client_id")
	c.clientIDs[0] = c.ClientID
	c.Expires = date("exp")
	c.NotBefore = date("nbf")
	c.IssuedAt = date("iat")
	switch aud := m["aud"].(type) {
	case nil:
	case string:
		c.Audience = []string{aud}
	case []any:
		for _, a := range aud {
			s, ok := a.(string)
			if !ok {
				return nil, fmt.Errorf("%w: claim aud holds a non-string", ErrInvalidToken)
			}
			c.Audience = append(c.Audience, s)
		}
	default:
		return nil, fmt.Errorf("%w: claim aud is neither a string nor an array", ErrInvalidToken)
	}
	switch s := m["scope"].(type) {
	case nil:
		// Some issuers name scopes "scp", as a string or a list.
		switch scp := m["scp"].(type) {
		case string:
			c.Scopes = strings.Fields(scp)
		case []any:
			for _, a := range scp {
				if s, ok := a.(string); ok {
					c.Scopes = append(c.Scopes, s)
				}
			}
		}
	case string:
		c.Scopes = strings.Fields(s)
	default:
		return nil, fmt.Errorf("%w: claim scope is not a string", ErrInvalidToken)
	}
	if err != nil {
		return nil, err
	}
	for k, v := range m {
		c.Values[k] = claimString(k, v)
	}
	return c, nil
}

// numericDate reads a JSON number of seconds since the epoch.
func numericDate(v any) (time.Time, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || f < 0 || f > 1<<40 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true
}

// restDate is how REST APIs print exp and iat in claims: Java's Date.toString in UTC.
const restDate = "Mon Jan 02 15:04:05 UTC 2006"

// claimString renders one claim as REST APIs do.
func claimString(name string, v any) string {
	if name == "exp" || name == "iat" {
		if t, ok := numericDate(v); ok {
			return t.UTC().Format(restDate)
		}
	}
	switch x := v.(type) {
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = claimString("", e)
		}
		return strings.Join(parts, ",")
	}
	return scalarString(v)
}

func scalarString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return ""
		}
		return string(b)
	}
}

// verify checks the token's signature with key.
func (t *token) verify(key *publicKey) error {
	alg := algorithms[t.alg]
	if key.kty != alg.kty || (key.alg != "" && key.alg != t.alg) || (alg.crv != "" && key.crv != alg.crv) {
		return fmt.Errorf("%w: key %s does not fit alg %s", ErrInvalidToken, key.kid, t.alg)
	}
	h := alg.hash.New()
	h.Write([]byte(t.signed))
	digest := h.Sum(nil)
	switch alg.kty {
	case "RSA":
		if rsa.VerifyPKCS1v15(key.rsa, alg.hash, digest, t.signature) != nil {
			return fmt.Errorf("%w: bad signature", ErrInvalidToken)
		}
	case "EC":
		// JWS carries R and S as two fixed-size big-endian halves, not ASN.1.
		if len(t.signature) != 2*alg.size {
			return fmt.Errorf("%w: bad signature length", ErrInvalidToken)
		}
		r := new(big.Int).SetBytes(t.signature[:alg.size])
		s := new(big.Int).SetBytes(t.signature[alg.size:])
		if !ecdsa.Verify(key.ec, digest, r, s) {
			return fmt.Errorf("%w: bad signature", ErrInvalidToken)
		}
	}
	return nil
}
