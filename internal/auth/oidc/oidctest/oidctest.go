// Package oidctest serves a real OpenID Connect issuer on 127.0.0.1 for tests: a discovery
// document, a JWKS of keys it makes itself (RSA and EC), key rotation, an outage switch, and
// token signing, including the malformed and hostile tokens a verifier must refuse.
package oidctest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Key is a signing key of the issuer.
type Key struct {
	KID string
	Alg string // RS256, RS384, RS512, ES256 or ES384
	RSA *rsa.PrivateKey
	EC  *ecdsa.PrivateKey
}

// Issuer is a running OIDC issuer.
type Issuer struct {
	URL    string // the issuer URL, also the iss of its tokens
	server *httptest.Server

	mu        sync.Mutex
	published []*Key
	all       map[string]*Key // published or not, so tests can sign with a retired key
	seq       int

	down        atomic.Bool
	jwksFetches atomic.Int64
}

// NewIssuer starts an issuer publishing one RS256 key; it stops when the test ends.
func NewIssuer(t testing.TB) *Issuer {
	t.Helper()
	is := &Issuer{all: map[string]*Key{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		if is.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		writeJSON(w, map[string]any{"issuer": is.URL, "jwks_uri": is.URL + "/.well-known/jwks.json"})
	})
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		if is.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		is.jwksFetches.Add(1)
		writeJSON(w, is.JWKS())
	})
	is.server = httptest.NewServer(mux)
	is.URL = is.server.URL
	t.Cleanup(is.server.Close)
	is.AddKey(t, "RS256")
	return is
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// AddKey makes a key for alg and publishes it beside the others.
func (is *Issuer) AddKey(t testing.TB, alg string) *Key {
	t.Helper()
	k := &Key{Alg: alg}
	var err error
	switch alg {
	case "RS256", "RS384", "RS512":
		k.RSA, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		k.EC, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ES384":
		k.EC, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	default:
		t.Fatalf("oidctest: no keys for alg %s", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	is.mu.Lock()
	defer is.mu.Unlock()
	is.seq++
	k.KID = fmt.Sprintf("%s-key-%d", alg, is.seq)
	is.published = append(is.published, k)
	is.all[k.KID] = k
	return k
}

// Rotate publishes a new key for alg and retires every other one.
func (is *Issuer) Rotate(t testing.TB, alg string) *Key {
	t.Helper()
	k := is.AddKey(t, alg)
	is.mu.Lock()
	is.published = []*Key{k}
	is.mu.Unlock()
	return k
}

// Keys returns the published keys, oldest first.
func (is *Issuer) Keys() []*Key {
	is.mu.Lock()
	defer is.mu.Unlock()
	return append([]*Key(nil), is.published...)
}

// SetDown makes the discovery document and key set answer 503 (true) or serve again.
func (is *Issuer) SetDown(down bool) { is.down.Store(down) }

// JWKSFetches counts the key set's successful fetches.
func (is *Issuer) JWKSFetches() int64 { return is.jwksFetches.Load() }

// JWKS returns the published key set.
func (is *Issuer) JWKS() map[string]any {
	var keys []map[string]any
	for _, k := range is.Keys() {
		keys = append(keys, k.JWK())
	}
	return map[string]any{"keys": keys}
}

// JWK returns the key's public half as a JWK.
func (k *Key) JWK() map[string]any {
	b64 := base64.RawURLEncoding.EncodeToString
	if k.RSA != nil {
		return map[string]any{"kty": "RSA", "kid": k.KID, "use": "sig", "alg": k.Alg,
			"n": b64(k.RSA.N.Bytes()), "e": b64(big.NewInt(int64(k.RSA.E)).Bytes())}
	}
	size := (k.EC.Curve.Params().BitSize + 7) / 8
	pt, err := k.EC.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		panic(err)
	}
	return map[string]any{"kty": "EC", "kid": k.KID, "use": "sig", "alg": k.Alg,
		"crv": k.EC.Curve.Params().Name, "x": b64(pt[1 : 1+size]), "y": b64(pt[1+size:])}
}

// Claims returns the claims of a Cognito token of this issuer: token_use "id" or "access",
// issued now, valid for an hour.
func (is *Issuer) Claims(use, client string, scopes ...string) map[string]any {
	now := time.Now().Unix()
	c := map[string]any{
		"sub": "2f1d3c1e-8a3b-4f6e-9d2a-000000000001", "iss": is.URL, "token_use": use,
		"auth_time": now, "iat": now, "exp": now + 3600, "jti": "0c2b7a0e-1111-2222-3333-444455556666",
	}
	if use == "id" {
		c["aud"] = client
		c["cognito:username"] = "alice"
		c["email"] = "alice@example.com"
		c["email_verified"] = true
		c["cognito:groups"] = []string{"admins", "readers"}
	} else {
		c["client_id"] = client
		c["username"] = "alice"
		if len(scopes) > 0 {
			s := scopes[0]
			for _, x := range scopes[1:] {
				s += " " + x
			}
			c["scope"] = s
		}
	}
	return c
}

// Sign signs claims with k under the usual header {alg, kid, typ}.
func (is *Issuer) Sign(k *Key, claims map[string]any) string {
	return SignHeader(k, map[string]any{"alg": k.Alg, "kid": k.KID, "typ": "JWT"}, claims)
}

// SignHeader signs claims with k under header as given (whatever alg it names, k's own
// algorithm signs).
func SignHeader(k *Key, header, claims map[string]any) string {
	signed := Encode(header) + "." + Encode(claims)
	return signed + "." + base64.RawURLEncoding.EncodeToString(k.signature([]byte(signed)))
}

// Encode is the base64url encoding of v's JSON.
func Encode(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func (k *Key) signature(data []byte) []byte {
	var hash crypto.Hash
	switch k.Alg {
	case "RS256", "ES256":
		hash = crypto.SHA256
	case "RS384", "ES384":
		hash = crypto.SHA384
	default:
		hash = crypto.SHA512
	}
	h := hash.New()
	h.Write(data)
	digest := h.Sum(nil)
	if k.RSA != nil {
		sig, err := rsa.SignPKCS1v15(rand.Reader, k.RSA, hash, digest)
		if err != nil {
			panic(err)
		}
		return sig
	}
	r, s, err := ecdsa.Sign(rand.Reader, k.EC, digest)
	if err != nil {
		panic(err)
	}
	size := (k.EC.Curve.Params().BitSize + 7) / 8
	out := make([]byte, 2*size)
	r.FillBytes(out[:size])
	s.FillBytes(out[size:])
	return out
}
