package oidc

import (
	"encoding/base64"
	"strings"
	"testing"
)

// FuzzParseToken: the token parser never panics, and what it accepts is a compact JWS of an
// accepted alg with a kid, an exp-typed claims set and the signed part it read.
func FuzzParseToken(f *testing.F) {
	enc := base64.RawURLEncoding.EncodeToString
	f.Add(enc([]byte(`{"alg":"RS256","kid":"k"}`)) + "." + enc([]byte(`{"iss":"https://i","exp":1900000000,"aud":["a"],"scope":"a b"}`)) + "." + enc([]byte("sig")))
	f.Add(enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(`{}`)) + ".")
	f.Add(enc([]byte(`{"alg":"ES256","kid":"k","crit":["x"]}`)) + "." + enc([]byte(`{"exp":"1"}`)) + ".AA")
	f.Add(enc([]byte(`{"alg":"RS256","kid":"k"}`)) + "." + enc([]byte(`{"exp":1e400,"scp":["x",1],"cognito:groups":[{"a":null}]}`)) + ".AA")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := parseToken(s)
		if err != nil {
			return
		}
		if _, ok := algorithms[tok.alg]; !ok || tok.kid == "" || len(tok.signature) == 0 {
			t.Fatalf("accepted alg %q kid %q signature %d bytes", tok.alg, tok.kid, len(tok.signature))
		}
		if !strings.HasPrefix(s, tok.signed+".") || strings.Count(s, ".") != 2 {
			t.Fatalf("signed part %q of %q", tok.signed, s)
		}
		if tok.claims == nil || tok.claims.Values == nil {
			t.Fatal("no claims")
		}
	})
}

// FuzzParseJWK: a key set entry never panics the parser, and an accepted key is usable.
func FuzzParseJWK(f *testing.F) {
	f.Add(`{"kty":"RSA","kid":"k","n":"AQAB","e":"AQAB"}`)
	f.Add(`{"kty":"EC","kid":"k","crv":"P-256","x":"AA","y":"AA"}`)
	f.Add(`{"kty":"oct","kid":"k","k":"c2VjcmV0"}`)
	f.Fuzz(func(t *testing.T, s string) {
		k, err := parseJWK([]byte(s))
		if err != nil {
			return
		}
		if k.kid == "" || (k.rsa == nil) == (k.ec == nil) {
			t.Fatalf("accepted an unusable key: %+v", k)
		}
		if k.rsa != nil && k.rsa.N.BitLen() < 2048 {
			t.Fatal("accepted a weak RSA key")
		}
	})
}
