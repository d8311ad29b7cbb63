package oidc_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/auth/oidc"
	"github.com/portico/portico/internal/auth/oidc/oidctest"
)

// clock is a settable clock starting at the real time, as the issuer's tokens do.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Now().UnixNano())
	return c
}
func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func newVerifier(c *clock, pools map[string]oidc.Pool) *oidc.Verifier {
	return oidc.NewVerifier(oidc.Config{Pools: pools, Now: c.now, RefreshInterval: 10 * time.Second})
}

func TestVerifyAlgorithmsAndClaims(t *testing.T) {
	is := oidctest.NewIssuer(t)
	v := newVerifier(newClock(), nil)
	keys := map[string]*oidctest.Key{}
	for _, alg := range []string{"RS256", "RS384", "RS512", "ES256", "ES384"} {
		keys[alg] = is.AddKey(t, alg)
	}
	for alg, k := range keys {
		t.Run(alg, func(t *testing.T) {
			claims := is.Claims("id", "client-1")
			claims["exp"] = 1900000000
			claims["address"] = map[string]any{"locality": "Lyon"}
			claims["nothing"] = nil
			c, err := v.Verify(context.Background(), is.Sign(k, claims), []string{is.URL}, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{
				"iss":              is.URL,
				"token_use":        "id",
				"aud":              "client-1",
				"email_verified":   "true",
				"cognito:groups":   "admins,readers",
				"cognito:username": "alice",
				"exp":              "Sun Mar 17 17:46:40 UTC 2030",
				"address":          `{"locality":"Lyon"}`,
				"nothing":          "",
			}
			for name, w := range want {
				if got := c.Values[name]; got != w {
					t.Errorf("claim %s = %q, want %q", name, got, w)
				}
			}
			if got := c.Values["auth_time"]; got != strings.TrimSpace(got) || strings.Contains(got, "UTC") {
				t.Errorf("auth_time = %q, want its number", got)
			}
		})
	}
}

func TestAccessTokenScopes(t *testing.T) {
	is := oidctest.NewIssuer(t)
	k := is.Keys()[0]
	v := newVerifier(newClock(), nil)
	tok := is.Sign(k, is.Claims("access", "client-1", "pets/read", "openid"))
	c, err := v.Verify(context.Background(), "x"+tok[1:], []string{is.URL}, []string{"pets/read"})
	if err == nil {
		t.Fatalf("a token with a changed first byte verified: %v", c)
	}
	for _, scopes := range [][]string{{"pets/read"}, {"pets/write", "openid"}} {
		c, err := v.Verify(context.Background(), tok, []string{is.URL}, scopes)
		if err != nil {
			t.Fatalf("scopes %q: %v", scopes, err)
		}
		if got := strings.Join(c.Scopes, " "); got != "pets/read openid" {
			t.Errorf("scopes = %q", got)
		}
	}
	if _, err := v.Verify(context.Background(), tok, []string{is.URL}, []string{"pets/write"}); !errors.Is(err, oidc.ErrInsufficientScope) {
		t.Errorf("missing scope: err = %v, want ErrInsufficientScope", err)
	}
}

// TestAdversarial: every token here must be refused, with the kind of error the gateway maps
// to AWS's answer.
func TestAdversarial(t *testing.T) {
	is := oidctest.NewIssuer(t)
	other := oidctest.NewIssuer(t)
	rsaKey := is.Keys()[0]
	ecKey := is.AddKey(t, "ES256")
	v := newVerifier(newClock(), nil)
	now := time.Now().Unix()
	providers := []string{is.URL}

	with := func(use string, edit func(map[string]any)) map[string]any {
		c := is.Claims(use, "client-1", "pets/read")
		if edit != nil {
			edit(c)
		}
		return c
	}
	good := is.Sign(rsaKey, with("id", nil))
	parts := strings.Split(good, ".")
	pubDER, err := x509.MarshalPKIXPublicKey(&rsaKey.RSA.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	hs256 := func(secret []byte) string {
		signed := oidctest.Encode(map[string]any{"alg": "HS256", "kid": rsaKey.KID, "typ": "JWT"}) + "." + parts[1]
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(signed))
		return signed + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	tampered := with("id", nil)
	tampered["cognito:groups"] = []string{"root"}

	cases := []struct {
		name   string
		token  string
		scopes []string
		want   error
	}{
		{"empty", "", nil, oidc.ErrInvalidToken},
		{"garbage", "not a token", nil, oidc.ErrInvalidToken},
		{"two parts", parts[0] + "." + parts[1], nil, oidc.ErrInvalidToken},
		{"four parts", good + ".x", nil, oidc.ErrInvalidToken},
		{"expired", is.Sign(rsaKey, with("id", func(c map[string]any) { c["exp"] = now - 300 })), nil, oidc.ErrInvalidToken},
		{"no exp", is.Sign(rsaKey, with("id", func(c map[string]any) { delete(c, "exp") })), nil, oidc.ErrInvalidToken},
		{"exp as a string", is.Sign(rsaKey, with("id", func(c map[string]any) { c["exp"] = "1900000000" })), nil, oidc.ErrInvalidToken},
		{"not yet valid", is.Sign(rsaKey, with("id", func(c map[string]any) { c["nbf"] = now + 600 })), nil, oidc.ErrInvalidToken},
		{"issued in the future", is.Sign(rsaKey, with("id", func(c map[string]any) { c["iat"] = now + 600 })), nil, oidc.ErrInvalidToken},
		{"wrong issuer", is.Sign(rsaKey, with("id", func(c map[string]any) { c["iss"] = other.URL })), nil, oidc.ErrInvalidToken},
		{"issuer with a trailing slash", is.Sign(rsaKey, with("id", func(c map[string]any) { c["iss"] = is.URL + "/" })), nil, oidc.ErrInvalidToken},
		{"no issuer", is.Sign(rsaKey, with("id", func(c map[string]any) { delete(c, "iss") })), nil, oidc.ErrInvalidToken},
		{"signed by another issuer's key", other.Sign(other.Keys()[0], with("id", func(c map[string]any) {})), nil, oidc.ErrInvalidToken},
		{"no audience", is.Sign(rsaKey, with("id", func(c map[string]any) { delete(c, "aud") })), nil, oidc.ErrInvalidToken},
		{"access token without client_id", is.Sign(rsaKey, with("access", func(c map[string]any) { delete(c, "client_id") })), []string{"pets/read"}, oidc.ErrInvalidToken},
		{"access token where an ID token is needed", is.Sign(rsaKey, with("access", nil)), nil, oidc.ErrInvalidToken},
		{"ID token where scopes are needed", good, []string{"pets/read"}, oidc.ErrInvalidToken},
		{"refresh token_use", is.Sign(rsaKey, with("refresh", nil)), nil, oidc.ErrInvalidToken},
		{"missing scope", is.Sign(rsaKey, with("access", nil)), []string{"pets/write"}, oidc.ErrInsufficientScope},
		{"scope as a prefix", is.Sign(rsaKey, with("access", nil)), []string{"pets"}, oidc.ErrInsufficientScope},
		{"unknown kid", oidctest.SignHeader(rsaKey, map[string]any{"alg": "RS256", "kid": "nobody"}, with("id", nil)), nil, oidc.ErrInvalidToken},
		{"no kid", oidctest.SignHeader(rsaKey, map[string]any{"alg": "RS256"}, with("id", nil)), nil, oidc.ErrInvalidToken},
		{"alg none", oidctest.Encode(map[string]any{"alg": "none", "kid": rsaKey.KID}) + "." + parts[1] + ".", nil, oidc.ErrInvalidToken},
		{"alg none with a signature", oidctest.Encode(map[string]any{"alg": "none", "kid": rsaKey.KID}) + "." + parts[1] + "." + parts[2], nil, oidc.ErrInvalidToken},
		{"alg None", oidctest.Encode(map[string]any{"alg": "None", "kid": rsaKey.KID}) + "." + parts[1] + ".", nil, oidc.ErrInvalidToken},
		{"HS256 signed with the public key (PEM)", hs256(pubPEM), nil, oidc.ErrInvalidToken},
		{"HS256 signed with the public key (DER)", hs256(pubDER), nil, oidc.ErrInvalidToken},
		{"HS256 signed with the modulus", hs256(rsaKey.RSA.N.Bytes()), nil, oidc.ErrInvalidToken},
		{"ES256 naming an RSA key", oidctest.SignHeader(ecKey, map[string]any{"alg": "ES256", "kid": rsaKey.KID}, with("id", nil)), nil, oidc.ErrInvalidToken},
		{"RS256 naming an EC key", oidctest.SignHeader(rsaKey, map[string]any{"alg": "RS256", "kid": ecKey.KID}, with("id", nil)), nil, oidc.ErrInvalidToken},
		{"RS384 header over an RS256 key", oidctest.SignHeader(rsaKey, map[string]any{"alg": "RS384", "kid": rsaKey.KID}, with("id", nil)), nil, oidc.ErrInvalidToken},
		{"critical extension", oidctest.SignHeader(rsaKey, map[string]any{"alg": "RS256", "kid": rsaKey.KID, "crit": []string{"exp"}}, with("id", nil)), nil, oidc.ErrInvalidToken},
		{"tampered payload", parts[0] + "." + oidctest.Encode(tampered) + "." + parts[2], nil, oidc.ErrInvalidToken},
		{"tampered header", oidctest.Encode(map[string]any{"alg": "RS256", "kid": rsaKey.KID, "typ": "at+jwt"}) + "." + parts[1] + "." + parts[2], nil, oidc.ErrInvalidToken},
		{"signature cut short", good[:len(good)-4], nil, oidc.ErrInvalidToken},
		{"signature not base64url", good[:len(good)-1] + "*", nil, oidc.ErrInvalidToken},
		{"padded base64", parts[0] + "=." + parts[1] + "." + parts[2], nil, oidc.ErrInvalidToken},
		{"payload not JSON", parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte("[1,2]")) + "." + parts[2], nil, oidc.ErrInvalidToken},
		{"header not JSON", base64.RawURLEncoding.EncodeToString([]byte("{")) + "." + parts[1] + "." + parts[2], nil, oidc.ErrInvalidToken},
		{"huge token", strings.Repeat("a", 20000) + "." + parts[1] + "." + parts[2], nil, oidc.ErrInvalidToken},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(context.Background(), tc.token, providers, tc.scopes)
			if err == nil {
				t.Fatalf("accepted: %v", c.Values)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	// The good token still passes after all that: nothing above poisoned the caches.
	if _, err := v.Verify(context.Background(), good, providers, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), parts[0]+"."+oidctest.Encode(tampered)+"."+parts[2], providers, nil); err == nil {
		t.Fatal("tampered payload accepted after the original was cached")
	}
}

// TestKeyRotation rotates the issuer's keys mid-test: the new key's tokens verify once the key
// set is refetched, and the retired key's tokens are refused, cached or not.
func TestKeyRotation(t *testing.T) {
	is := oidctest.NewIssuer(t)
	clk := newClock()
	v := newVerifier(clk, nil)
	ctx := context.Background()
	old := is.Keys()[0]
	oldTok := is.Sign(old, is.Claims("id", "c"))
	if _, err := v.Verify(ctx, oldTok, []string{is.URL}, nil); err != nil {
		t.Fatal(err)
	}
	fresh := is.Rotate(t, "ES256")
	long := is.Claims("id", "c")
	long["exp"] = time.Now().Add(4 * time.Hour).Unix()
	newTok := is.Sign(fresh, long)
	// Within the refresh interval the unknown kid does not make a fetch.
	if _, err := v.Verify(ctx, newTok, []string{is.URL}, nil); !errors.Is(err, oidc.ErrInvalidToken) {
		t.Fatalf("new key before refresh: err = %v", err)
	}
	if n := is.JWKSFetches(); n != 1 {
		t.Fatalf("%d key set fetches, want 1", n)
	}
	clk.advance(11 * time.Second)
	if _, err := v.Verify(ctx, newTok, []string{is.URL}, nil); err != nil {
		t.Fatalf("new key after refresh: %v", err)
	}
	if _, err := v.Verify(ctx, oldTok, []string{is.URL}, nil); !errors.Is(err, oidc.ErrInvalidToken) {
		t.Fatalf("retired key's cached token: err = %v", err)
	}
	// Keys older than MaxKeyAge are refetched in the background while the old ones serve.
	clk.advance(2 * time.Hour)
	before := is.JWKSFetches()
	if _, err := v.Verify(ctx, newTok, []string{is.URL}, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return is.JWKSFetches() > before })
}

// TestUnknownKidFlood: many tokens with unknown kids, at once and one after another, make at
// most one fetch per refresh interval.
func TestUnknownKidFlood(t *testing.T) {
	is := oidctest.NewIssuer(t)
	clk := newClock()
	v := newVerifier(clk, nil)
	k := is.AddKey(t, "ES256") // cheaper to sign with than RSA
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := oidctest.SignHeader(k, map[string]any{"alg": "ES256", "kid": "flood-" + string(rune('a'+i%26))}, is.Claims("id", "c"))
			if _, err := v.Verify(context.Background(), tok, []string{is.URL}, nil); err == nil {
				t.Error("unknown kid accepted")
			}
		}()
	}
	wg.Wait()
	if n := is.JWKSFetches(); n != 1 {
		t.Fatalf("%d key set fetches for 50 concurrent unknown kids, want 1", n)
	}
	clk.advance(11 * time.Second)
	for i := range 20 {
		tok := oidctest.SignHeader(k, map[string]any{"alg": "ES256", "kid": "again-" + string(rune('a'+i))}, is.Claims("id", "c"))
		v.Verify(context.Background(), tok, []string{is.URL}, nil)
	}
	if n := is.JWKSFetches(); n != 2 {
		t.Fatalf("%d key set fetches, want 2", n)
	}
}

// TestKeysUnreachable: an issuer whose keys cannot be fetched refuses every token, and serves
// again once it is back and the refresh interval has passed.
func TestKeysUnreachable(t *testing.T) {
	is := oidctest.NewIssuer(t)
	clk := newClock()
	v := newVerifier(clk, nil)
	tok := is.Sign(is.Keys()[0], is.Claims("id", "c"))
	is.SetDown(true)
	if _, err := v.Verify(context.Background(), tok, []string{is.URL}, nil); !errors.Is(err, oidc.ErrKeysUnavailable) {
		t.Fatalf("issuer down: err = %v", err)
	}
	is.SetDown(false)
	if _, err := v.Verify(context.Background(), tok, []string{is.URL}, nil); !errors.Is(err, oidc.ErrKeysUnavailable) {
		t.Fatalf("within the refresh interval: err = %v", err)
	}
	clk.advance(11 * time.Second)
	if _, err := v.Verify(context.Background(), tok, []string{is.URL}, nil); err != nil {
		t.Fatalf("issuer back: %v", err)
	}

	// A provider on a port nobody listens on.
	dead := newVerifier(clk, map[string]oidc.Pool{"arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Dead": {Issuer: "http://127.0.0.1:1"}})
	tok = is.Sign(is.Keys()[0], map[string]any{"iss": "http://127.0.0.1:1", "exp": time.Now().Unix() + 60, "token_use": "id", "aud": "c"})
	if _, err := dead.Verify(context.Background(), tok, []string{"arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Dead"}, nil); !errors.Is(err, oidc.ErrKeysUnavailable) {
		t.Fatalf("unreachable: err = %v", err)
	}
}

// TestPools: a pool ARN pointed at a local issuer, by ARN and by pool id; client ids.
func TestPools(t *testing.T) {
	is := oidctest.NewIssuer(t)
	k := is.Keys()[0]
	arn := "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbC123"
	ctx := context.Background()
	for _, key := range []string{arn, "eu-west-1_AbC123"} {
		v := newVerifier(newClock(), map[string]oidc.Pool{key: {Issuer: is.URL, ClientIDs: []string{"app-1"}}})
		if _, err := v.Verify(ctx, is.Sign(k, is.Claims("id", "app-1")), []string{arn}, nil); err != nil {
			t.Fatalf("pool %s: %v", key, err)
		}
		if _, err := v.Verify(ctx, is.Sign(k, is.Claims("access", "app-1", "s")), []string{arn}, []string{"s"}); err != nil {
			t.Fatalf("pool %s, access token: %v", key, err)
		}
		if _, err := v.Verify(ctx, is.Sign(k, is.Claims("id", "app-2")), []string{arn}, nil); !errors.Is(err, oidc.ErrInvalidToken) {
			t.Fatalf("pool %s, another client: err = %v", key, err)
		}
		if _, err := v.Verify(ctx, is.Sign(k, is.Claims("access", "app-2", "s")), []string{arn}, []string{"s"}); !errors.Is(err, oidc.ErrInvalidToken) {
			t.Fatalf("pool %s, another client's access token: err = %v", key, err)
		}
		// A Cognito pool's tokens must say what they are.
		c := is.Claims("id", "app-1")
		delete(c, "token_use")
		if _, err := v.Verify(ctx, is.Sign(k, c), []string{arn}, nil); !errors.Is(err, oidc.ErrInvalidToken) {
			t.Fatalf("pool %s, no token_use: err = %v", key, err)
		}
	}
	// An issuer-URL provider takes tokens without token_use as what the method needs.
	v := newVerifier(newClock(), nil)
	c := map[string]any{"iss": is.URL, "exp": time.Now().Unix() + 60, "aud": []string{"api", "other"}, "scp": []string{"read"}}
	tok := is.Sign(k, c)
	if _, err := v.Verify(ctx, tok, []string{is.URL}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, tok, []string{is.URL}, []string{"read"}); err != nil {
		t.Fatal(err)
	}
	// The token's issuer must be among the authorizer's providers.
	if _, err := v.Verify(ctx, tok, []string{arn}, nil); !errors.Is(err, oidc.ErrInvalidToken) {
		t.Fatalf("other provider: err = %v", err)
	}
	if _, err := v.Verify(ctx, tok, []string{"not a provider"}, nil); !errors.Is(err, oidc.ErrProvider) {
		t.Fatalf("unusable provider: err = %v", err)
	}
}

func TestCheckProvider(t *testing.T) {
	for p, ok := range map[string]bool{
		"arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEf": true,
		"https://login.example.com/realm":                                      true,
		"http://127.0.0.1:9000":                                                true,
		"http://localhost:9000/issuer":                                         true,
		"http://example.com":                                                   false,
		"https://":                                                             false,
		"https://user:pw@example.com":                                          false,
		"ftp://example.com":                                                    false,
		"arn:aws:cognito-idp:us-east-1:123456789012:userpool/eu-west-1_AbCdEf": false,
		"arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_":       false,
		"arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_a/../b": false,
		"arn:aws:lambda:us-east-1:123456789012:function:f":                     false,
		"us-east-1_AbCdEf": false,
	} {
		if err := oidc.CheckProvider(p, nil); (err == nil) != ok {
			t.Errorf("CheckProvider(%q) = %v, want ok %v", p, err, ok)
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCheckPools(t *testing.T) {
	good := map[string]oidc.Pool{
		"arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC": {Issuer: "http://127.0.0.1:9000"},
		"eu-west-1_Xyz":                   {Issuer: "https://login.example.com/eu", ClientIDs: []string{"web"}},
		"https://login.example.com/realm": {ClientIDs: []string{"api"}},
	}
	if err := oidc.CheckPools(good); err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]oidc.Pool{
		"arn:aws:s3:::bucket":    {Issuer: "https://x.example"},
		"pool":                   {Issuer: "https://x.example"},
		"us-east-1_AbC":          {Issuer: "http://x.example"},
		"http://x.example/realm": {},
		"us-east-1_AbC/../../x":  {Issuer: "https://x.example"},
		"eu-west-1_Q":            {Issuer: "not a url"},
	} {
		if err := oidc.CheckPools(map[string]oidc.Pool{name: p}); !errors.Is(err, oidc.ErrProvider) {
			t.Errorf("%q %+v: err = %v", name, p, err)
		}
	}
}

// TestClaimsJSON: the proxy event's claims object is valid JSON with every claim, keys sorted.
func TestClaimsJSON(t *testing.T) {
	is := oidctest.NewIssuer(t)
	v := newVerifier(newClock(), nil)
	claims := is.Claims("id", "c")
	claims["name"] = "A \"quoted\" <name> & more\n"
	c, err := v.Verify(context.Background(), is.Sign(is.Keys()[0], claims), []string{is.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := c.JSON()
	var got map[string]string
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if !maps.Equal(got, c.Values) {
		t.Errorf("JSON %s, values %v", b, c.Values)
	}
	if !strings.Contains(string(b), `"name":"A \"quoted\" <name> & more\n"`) || !strings.HasPrefix(string(b), `{"aud":"c","auth_time":`) {
		t.Errorf("JSON %s", b)
	}
}
