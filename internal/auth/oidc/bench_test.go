package oidc

import (
	"context"
	"testing"

	"github.com/portico/portico/internal/auth/oidc/oidctest"
)

// benchVerify verifies one token per iteration with the issuer's keys already fetched. With
// fresh set, the token is forgotten after each check, so every iteration parses it and checks
// its signature, as for a client's first request; otherwise the repeated token is found among
// the verified ones, as for the requests that follow.
func benchVerify(b *testing.B, alg string, scopes []string, fresh bool) {
	is := oidctest.NewIssuer(b)
	k := is.AddKey(b, alg)
	use := "id"
	if len(scopes) > 0 {
		use = "access"
	}
	tok := is.Sign(k, is.Claims(use, "client-1", scopes...))
	v := NewVerifier(Config{})
	providers := []string{is.URL}
	ctx := context.Background()
	if _, err := v.Verify(ctx, tok, providers, scopes); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if fresh {
			v.verified.remove(tok)
		}
		if _, err := v.Verify(ctx, tok, providers, scopes); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyRS256(b *testing.B)         { benchVerify(b, "RS256", nil, true) }
func BenchmarkVerifyES256(b *testing.B)         { benchVerify(b, "ES256", nil, true) }
func BenchmarkVerifyRS256Repeated(b *testing.B) { benchVerify(b, "RS256", nil, false) }
func BenchmarkVerifyAccessScopes(b *testing.B)  { benchVerify(b, "RS256", []string{"pets/read"}, false) }
