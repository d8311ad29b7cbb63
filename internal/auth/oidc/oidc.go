// Package oidc verifies the JSON Web Tokens that COGNITO_USER_POOLS authorizers accept: it
// resolves an authorizer's providers to OpenID Connect issuers, keeps each issuer's signing keys
// (found through {issuer}/.well-known/openid-configuration and its jwks_uri), checks a token's
// signature and claims, and hands back the claims as REST APIs present them.
//
// Providers: a Cognito user pool ARN (arn:aws:cognito-idp:REGION:ACCOUNT:userpool/POOL_ID)
// stands for AWS's issuer https://cognito-idp.REGION.amazonaws.com/POOL_ID unless the
// configuration points the pool (by ARN or by id) at another issuer URL. As a Portico extension a
// provider may also be an issuer URL itself: https://..., or http:// on a loopback host only.
//
// Checks, and the choices made where AWS leaves one open:
//
//   - Signatures: RS256, RS384, RS512 (RSA keys of 2048 bits or more), ES256 (P-256) and ES384
//     (P-384). alg "none", HS* and anything else is refused; so is a header with "crit", a token
//     without "kid", a key whose kty, crv, alg or use does not fit the token's alg.
//   - Keys: fetched when an issuer is first needed, refetched when a token names a kid the set
//     lacks (at most once per RefreshInterval per issuer, so a flood of unknown kids cannot hammer
//     the issuer; concurrent refreshes share one fetch) and, in the background, once the set is
//     older than MaxKeyAge (the old keys serve until the new ones arrive; a failed refetch keeps
//     them). Each fetch has 1.5 s and reads at most 150,000 bytes, as HTTP API JWT authorizers.
//     An issuer whose keys were never fetched refuses every token with ErrKeysUnavailable.
//   - Time: exp is required and must be after now; nbf and iat, when present, must not be after
//     now; each with ClockSkew (60 s by default) of tolerance.
//   - iss must be one of the providers' issuers, exactly.
//   - token_use (AWS's REST rule): a method with authorizationScopes needs an access token whose
//     space-separated "scope" claim holds at least one of them; a method without needs an ID
//     token. An issuer-URL provider's tokens may lack token_use; they are then taken as the kind
//     the method needs, and their scopes read from "scope" or "scp".
//   - Audience: aud (ID tokens) or client_id (access tokens) must be present, and must be one of
//     the pool's ClientIDs when the configuration lists any; AWS accepts every app client of the
//     pool, which is the default.
//   - Claims (Claims.Values): strings as they are; exp and iat as "Mon Jan 02 15:04:05 UTC 2006"
//     as REST APIs show them; other numbers as their JSON text; booleans "true"/"false"; arrays
//     their elements joined with ","; objects compact JSON; null "".
//
// A token whose signature has been verified is remembered (by its exact text, up to
// maxVerified tokens) until it expires or its key leaves the issuer's set, so a client that
// repeats its token costs a map lookup and the claim checks, not an RSA verification.
package oidc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// The kinds of failure Verify reports; each error it returns wraps one of them.
var (
	// ErrInvalidToken: the token is malformed, badly signed, expired, from another issuer, or of
	// the wrong kind or audience. AWS answers 401 Unauthorized.
	ErrInvalidToken = errors.New("invalid token")
	// ErrInsufficientScope: the token is valid but holds none of the method's scopes.
	ErrInsufficientScope = errors.New("insufficient scope")
	// ErrKeysUnavailable: the issuer's signing keys could not be fetched.
	ErrKeysUnavailable = errors.New("signing keys unavailable")
	// ErrProvider: no provider of the authorizer names a usable issuer.
	ErrProvider = errors.New("unusable provider")
)

// Pool configures one provider.
type Pool struct {
	// Issuer is the issuer URL that stands for the pool; empty means AWS's
	// https://cognito-idp.REGION.amazonaws.com/POOL_ID.
	Issuer string
	// ClientIDs, when set, are the only audiences (aud / client_id) accepted.
	ClientIDs []string
}

// Config configures a Verifier. The zero value verifies against AWS's Cognito issuers.
type Config struct {
	// Pools maps a user pool ARN, a pool id (us-east-1_Abc) or an issuer URL to its settings.
	Pools map[string]Pool
	// Client fetches discovery documents and key sets; nil means a client of its own.
	Client *http.Client
	// ClockSkew is the tolerance on exp, nbf and iat; 0 means 60 s.
	ClockSkew time.Duration
	// RefreshInterval is the least time between two fetches of one issuer's keys; 0 means 10 s.
	RefreshInterval time.Duration
	// MaxKeyAge is how long fetched keys serve before a background refetch; 0 means 1 h.
	MaxKeyAge time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Verifier checks tokens against their issuers' keys. It is safe for concurrent use.
type Verifier struct {
	pools           map[string]Pool
	client          *http.Client
	skew            time.Duration
	refreshInterval time.Duration
	maxKeyAge       time.Duration
	now             func() time.Time

	mu      sync.Mutex
	issuers map[string]*issuer // by issuer URL

	providers sync.Map // provider string -> *provider (or error)
	verified  verifiedCache
}

// provider is one resolved entry of an authorizer's providerARNs.
type provider struct {
	issuer    *issuer
	clientIDs []string
	cognito   bool // a pool ARN: its tokens must say token_use
}

// NewVerifier returns a Verifier configured by cfg.
func NewVerifier(cfg Config) *Verifier {
	v := &Verifier{
		pools:           cfg.Pools,
		client:          cfg.Client,
		skew:            cfg.ClockSkew,
		refreshInterval: cfg.RefreshInterval,
		maxKeyAge:       cfg.MaxKeyAge,
		now:             cfg.Now,
		issuers:         map[string]*issuer{},
	}
	if v.client == nil {
		v.client = &http.Client{Timeout: fetchTimeout}
	}
	if v.skew == 0 {
		v.skew = 60 * time.Second
	}
	if v.refreshInterval == 0 {
		v.refreshInterval = 10 * time.Second
	}
	if v.maxKeyAge == 0 {
		v.maxKeyAge = time.Hour
	}
	if v.now == nil {
		v.now = time.Now
	}
	v.verified.entries = map[string]*verifiedToken{}
	return v
}

// CheckProvider reports whether p names an issuer a Verifier can use, without fetching
// anything; the management API can refuse a bad providerARNs entry with it.
func CheckProvider(p string, pools map[string]Pool) error {
	_, _, err := resolve(p, pools)
	return err
}

// CheckPools checks a configuration's pools: each is named by a user pool ARN, a pool id or an
// issuer URL, and points at an issuer URL Portico can fetch keys from.
func CheckPools(pools map[string]Pool) error {
	for name, pool := range pools {
		switch {
		case strings.HasPrefix(name, "arn:"):
			if _, _, err := parsePoolARN(name); err != nil {
				return err
			}
		case strings.Contains(name, "://"):
			if err := checkURL(name); err != nil {
				return fmt.Errorf("%w: %q: %v", ErrProvider, name, err)
			}
		default:
			region, _, ok := strings.Cut(name, "_")
			if !ok || region == "" || strings.ContainsAny(name, "/?#%:") {
				return fmt.Errorf("%w: %q is neither a user pool ARN, a pool id nor an issuer URL", ErrProvider, name)
			}
		}
		if pool.Issuer != "" {
			if err := checkURL(pool.Issuer); err != nil {
				return fmt.Errorf("%w: issuer of %s %q: %v", ErrProvider, name, pool.Issuer, err)
			}
		}
	}
	return nil
}

// resolve turns a provider into its issuer URL.
func resolve(p string, pools map[string]Pool) (iss string, pool Pool, err error) {
	if strings.HasPrefix(p, "arn:") {
		region, id, err := parsePoolARN(p)
		if err != nil {
			return "", Pool{}, err
		}
		pool, ok := pools[p]
		if !ok {
			pool = pools[id]
		}
		iss = pool.Issuer
		if iss == "" {
			iss = "https://cognito-idp." + region + ".amazonaws.com/" + id
		}
		if err := checkURL(iss); err != nil {
			return "", Pool{}, fmt.Errorf("%w: issuer of %s: %v", ErrProvider, p, err)
		}
		return iss, pool, nil
	}
	if err := checkURL(p); err != nil {
		return "", Pool{}, fmt.Errorf("%w: %q is neither a user pool ARN nor an issuer URL: %v", ErrProvider, p, err)
	}
	pool = pools[p]
	if pool.Issuer != "" && pool.Issuer != p {
		return "", Pool{}, fmt.Errorf("%w: issuer URL %s is configured with another issuer", ErrProvider, p)
	}
	return p, pool, nil
}

// parsePoolARN reads arn:aws:cognito-idp:REGION:ACCOUNT:userpool/POOL_ID.
func parsePoolARN(arn string) (region, id string, err error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[2] != "cognito-idp" || parts[3] == "" || !strings.HasPrefix(parts[5], "userpool/") {
		return "", "", fmt.Errorf("%w: %q is not a Cognito user pool ARN", ErrProvider, arn)
	}
	region, id = parts[3], strings.TrimPrefix(parts[5], "userpool/")
	// A pool id is REGION_SUFFIX; anything else would make a strange issuer URL.
	if !strings.HasPrefix(id, region+"_") || strings.ContainsAny(id, "/?#%") || len(id) == len(region)+1 {
		return "", "", fmt.Errorf("%w: %q does not name a user pool of %s", ErrProvider, arn, region)
	}
	return region, id, nil
}

// checkURL accepts https URLs, and http ones on a loopback host (a local issuer).
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return errors.New("not an issuer URL")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		switch u.Hostname() {
		case "127.0.0.1", "::1", "localhost":
			return nil
		}
		return errors.New("http is accepted on loopback hosts only")
	}
	return errors.New("not an http(s) URL")
}

// provider returns p resolved, remembered for the next call.
func (v *Verifier) provider(p string) (*provider, error) {
	if r, ok := v.providers.Load(p); ok {
		if pr, ok := r.(*provider); ok {
			return pr, nil
		}
		return nil, r.(error)
	}
	iss, pool, err := resolve(p, v.pools)
	if err != nil {
		v.providers.Store(p, err)
		return nil, err
	}
	pr := &provider{issuer: v.issuer(iss), clientIDs: pool.ClientIDs, cognito: strings.HasPrefix(p, "arn:")}
	v.providers.Store(p, pr)
	return pr, nil
}

// issuer returns the one key holder of an issuer URL.
func (v *Verifier) issuer(url string) *issuer {
	v.mu.Lock()
	defer v.mu.Unlock()
	is, ok := v.issuers[url]
	if !ok {
		is = &issuer{url: url, v: v}
		v.issuers[url] = is
	}
	return is
}

// Verify checks token for a method protected by an authorizer with these providers and with
// the method's authorizationScopes, and returns the token's claims. The claims are shared:
// callers must not change them.
func (v *Verifier) Verify(ctx context.Context, token string, providers, scopes []string) (*Claims, error) {
	if token == "" {
		return nil, fmt.Errorf("%w: no token", ErrInvalidToken)
	}
	now := v.now()
	c, pr, err := v.verifiedClaims(ctx, token, providers, now)
	if err != nil {
		return nil, err
	}
	if err := v.checkClaims(c, pr, scopes, now); err != nil {
		return nil, err
	}
	return c, nil
}

// verifiedClaims returns the claims of a token whose signature is good, and the provider
// whose issuer signed it.
func (v *Verifier) verifiedClaims(ctx context.Context, token string, providers []string, now time.Time) (*Claims, *provider, error) {
	if e := v.verified.get(token); e != nil {
		if pr := v.providerOf(e.claims.Issuer, providers); pr != nil && pr.issuer == e.issuer && e.issuer.stillHas(e.key) {
			return e.claims, pr, nil
		}
		v.verified.remove(token)
	}
	t, err := parseToken(token)
	if err != nil {
		return nil, nil, err
	}
	pr := v.providerOf(t.claims.Issuer, providers)
	if pr == nil {
		if len(providers) > 0 && !v.anyUsable(providers) {
			return nil, nil, fmt.Errorf("%w: none of %q", ErrProvider, providers)
		}
		return nil, nil, fmt.Errorf("%w: issuer %q is not one of the authorizer's", ErrInvalidToken, t.claims.Issuer)
	}
	// Time first: an expired token is refused without fetching keys for it.
	if err := v.checkTime(t.claims, now); err != nil {
		return nil, nil, err
	}
	key, err := pr.issuer.key(ctx, t.kid)
	if err != nil {
		return nil, nil, err
	}
	if err := t.verify(key); err != nil {
		return nil, nil, err
	}
	v.verified.put(token, &verifiedToken{claims: t.claims, issuer: pr.issuer, key: key})
	return t.claims, pr, nil
}

// providerOf returns the provider whose issuer is iss.
func (v *Verifier) providerOf(iss string, providers []string) *provider {
	if iss == "" {
		return nil
	}
	for _, p := range providers {
		pr, err := v.provider(p)
		if err == nil && pr.issuer.url == iss {
			return pr
		}
	}
	return nil
}

func (v *Verifier) anyUsable(providers []string) bool {
	for _, p := range providers {
		if _, err := v.provider(p); err == nil {
			return true
		}
	}
	return false
}

func (v *Verifier) checkTime(c *Claims, now time.Time) error {
	if c.Expires.IsZero() {
		return fmt.Errorf("%w: no exp", ErrInvalidToken)
	}
	if !now.Before(c.Expires.Add(v.skew)) {
		return fmt.Errorf("%w: expired at %s", ErrInvalidToken, c.Expires.UTC().Format(time.RFC3339))
	}
	if !c.NotBefore.IsZero() && now.Add(v.skew).Before(c.NotBefore) {
		return fmt.Errorf("%w: not valid before %s", ErrInvalidToken, c.NotBefore.UTC().Format(time.RFC3339))
	}
	if !c.IssuedAt.IsZero() && now.Add(v.skew).Before(c.IssuedAt) {
		return fmt.Errorf("%w: issued in the future, at %s", ErrInvalidToken, c.IssuedAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// checkClaims applies the per-method checks: time, token kind, audience and scopes.
func (v *Verifier) checkClaims(c *Claims, pr *provider, scopes []string, now time.Time) error {
	if err := v.checkTime(c, now); err != nil {
		return err
	}
	want := "id"
	if len(scopes) > 0 {
		want = "access"
	}
	use := c.TokenUse
	if use == "" && !pr.cognito {
		use = want
	}
	if use != want {
		return fmt.Errorf("%w: token_use %q where the method needs an %s token", ErrInvalidToken, c.TokenUse, want)
	}
	if err := checkAudience(c, use, pr.clientIDs); err != nil {
		return err
	}
	if len(scopes) == 0 {
		return nil
	}
	for _, s := range scopes {
		for _, have := range c.Scopes {
			if s == have {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: the token holds none of %q", ErrInsufficientScope, scopes)
}

// checkAudience checks aud (ID tokens) or client_id (access tokens; aud when a token of an
// issuer-URL provider has no client_id).
func checkAudience(c *Claims, use string, clientIDs []string) error {
	var got []string
	switch {
	case use == "id":
		got = c.Audience
	case c.ClientID != "":
		got = c.clientIDs[:]
	case c.TokenUse == "":
		got = c.Audience
	}
	if len(got) == 0 {
		return fmt.Errorf("%w: no audience", ErrInvalidToken)
	}
	if len(clientIDs) == 0 {
		return nil
	}
	for _, a := range got {
		for _, id := range clientIDs {
			if a == id {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: audience %q is not an accepted client", ErrInvalidToken, got)
}
