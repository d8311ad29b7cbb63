package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// fetchTimeout bounds each of the two fetches (discovery, key set), as HTTP API JWT
	// authorizers do.
	fetchTimeout = 1500 * time.Millisecond
	// maxDocumentBytes bounds a discovery document or key set.
	maxDocumentBytes = 150000
)

// publicKey is one usable key of a key set.
type publicKey struct {
	kid, kty, crv, alg string
	rsa                *rsa.PublicKey
	ec                 *ecdsa.PublicKey
}

// keySet is an issuer's keys as of one fetch; never changed once published.
type keySet struct {
	byKID   map[string]*publicKey
	fetched time.Time
}

// issuer holds one issuer's keys.
type issuer struct {
	url  string
	v    *Verifier
	keys atomic.Pointer[keySet]

	mu          sync.Mutex
	inflight    *fetchCall // the fetch under way, which every caller waits for
	lastAttempt time.Time
	lastErr     error
}

type fetchCall struct {
	done chan struct{}
	err  error
}

// stillHas reports whether k is still in the issuer's current set.
func (is *issuer) stillHas(k *publicKey) bool {
	ks := is.current()
	return ks != nil && ks.byKID[k.kid] == k
}

// current returns the issuer's keys, starting a background refetch when they are old.
func (is *issuer) current() *keySet {
	ks := is.keys.Load()
	if ks != nil && is.v.now().Sub(ks.fetched) > is.v.maxKeyAge {
		is.refresh(false)
	}
	return ks
}

// key returns the key named kid, fetching the issuer's keys when it has none, when kid is
// unknown (rate-limited), or, in the background, when they are old.
func (is *issuer) key(ctx context.Context, kid string) (*publicKey, error) {
	ks := is.current()
	if ks != nil {
		if k := ks.byKID[kid]; k != nil {
			return k, nil
		}
	}
	call := is.refresh(true)
	if call != nil {
		select {
		case <-call.done:
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %v", ErrKeysUnavailable, ctx.Err())
		}
	}
	ks = is.keys.Load()
	if ks == nil {
		is.mu.Lock()
		err := is.lastErr
		is.mu.Unlock()
		return nil, fmt.Errorf("%w: %s: %v", ErrKeysUnavailable, is.url, err)
	}
	if k := ks.byKID[kid]; k != nil {
		return k, nil
	}
	return nil, fmt.Errorf("%w: kid %q is not among the keys of %s", ErrInvalidToken, kid, is.url)
}

// refresh starts a fetch unless one is under way (it returns that one) or the last began less
// than RefreshInterval ago (it returns nil). A fetch runs on its own, so a caller that gives
// up does not cancel it for the others.
func (is *issuer) refresh(force bool) *fetchCall {
	is.mu.Lock()
	defer is.mu.Unlock()
	if is.inflight != nil {
		return is.inflight
	}
	now := is.v.now()
	if !is.lastAttempt.IsZero() && now.Sub(is.lastAttempt) < is.v.refreshInterval {
		return nil
	}
	if !force && is.keys.Load() == nil {
		return nil
	}
	is.lastAttempt = now
	call := &fetchCall{done: make(chan struct{})}
	is.inflight = call
	go func() {
		ks, err := is.fetch()
		is.mu.Lock()
		if err == nil {
			is.keys.Store(ks)
		}
		// A failed refetch keeps the keys already held.
		is.lastErr = err
		call.err = err
		is.inflight = nil
		is.mu.Unlock()
		close(call.done)
	}()
	return call
}

// fetch reads the discovery document, then the key set it names.
func (is *issuer) fetch() (*keySet, error) {
	var disc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := is.getJSON(strings.TrimSuffix(is.url, "/")+"/.well-known/openid-configuration", &disc); err != nil {
		return nil, err
	}
	if disc.Issuer != is.url {
		return nil, fmt.Errorf("discovery document names issuer %q", disc.Issuer)
	}
	if err := checkURL(disc.JWKSURI); err != nil {
		return nil, fmt.Errorf("jwks_uri %q: %v", disc.JWKSURI, err)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := is.getJSON(disc.JWKSURI, &set); err != nil {
		return nil, err
	}
	ks := &keySet{byKID: make(map[string]*publicKey, len(set.Keys)), fetched: is.v.now()}
	for _, raw := range set.Keys {
		k, err := parseJWK(raw)
		if err != nil {
			continue // a key Portico cannot use verifies nothing; the others still serve
		}
		if _, dup := ks.byKID[k.kid]; !dup {
			ks.byKID[k.kid] = k
		}
	}
	if len(ks.byKID) == 0 {
		return nil, errors.New("the key set holds no usable signing key")
	}
	return ks, nil
}

func (is *issuer) getJSON(url string, into any) error {
	ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := is.v.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxDocumentBytes+1))
	if err != nil {
		return fmt.Errorf("GET %s: %v", url, err)
	}
	if len(b) > maxDocumentBytes {
		return fmt.Errorf("GET %s: larger than %d bytes", url, maxDocumentBytes)
	}
	if err := json.Unmarshal(b, into); err != nil {
		return fmt.Errorf("GET %s: %v", url, err)
	}
	return nil
}

// parseJWK reads one signing key (RFC 7517/7518).
func parseJWK(raw []byte) (*publicKey, error) {
	var j struct {
		Kty, Kid, Use, Alg, Crv string
		N, E, X, Y              string
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, err
	}
	if j.Kid == "" {
		return nil, errors.New("no kid")
	}
	if j.Use != "" && j.Use != "sig" {
		return nil, errors.New("not a signing key")
	}
	if j.Alg != "" {
		a, ok := algorithms[j.Alg]
		if !ok || a.kty != j.Kty {
			return nil, fmt.Errorf("alg %q", j.Alg)
		}
	}
	k := &publicKey{kid: j.Kid, kty: j.Kty, alg: j.Alg, crv: j.Crv}
	switch j.Kty {
	case "RSA":
		n, err := b64Int(j.N)
		if err != nil {
			return nil, err
		}
		e, err := b64Int(j.E)
		if err != nil {
			return nil, err
		}
		if n.BitLen() < 2048 || !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 || e.Bit(0) == 0 {
			return nil, errors.New("weak or malformed RSA key")
		}
		k.rsa = &rsa.PublicKey{N: n, E: int(e.Int64())}
	case "EC":
		var curve elliptic.Curve
		size := 0
		switch j.Crv {
		case "P-256":
			curve, size = elliptic.P256(), 32
		case "P-384":
			curve, size = elliptic.P384(), 48
		default:
			return nil, fmt.Errorf("curve %q", j.Crv)
		}
		x, err1 := base64.RawURLEncoding.DecodeString(j.X)
		y, err2 := base64.RawURLEncoding.DecodeString(j.Y)
		if err1 != nil || err2 != nil || len(x) != size || len(y) != size {
			return nil, errors.New("malformed EC point")
		}
		// ParseUncompressedPublicKey refuses points off the curve.
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, x...), y...))
		if err != nil {
			return nil, err
		}
		k.ec = pub
	default:
		return nil, fmt.Errorf("kty %q", j.Kty)
	}
	return k, nil
}

func b64Int(s string) (*big.Int, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, errors.New("malformed base64url integer")
	}
	return new(big.Int).SetBytes(b), nil
}

// maxVerified bounds the tokens remembered as verified.
const maxVerified = 10000

// verifiedToken is a token whose signature checked out with key.
type verifiedToken struct {
	claims *Claims
	issuer *issuer
	key    *publicKey
}

// verifiedCache remembers verified tokens by their exact text.
type verifiedCache struct {
	mu      sync.RWMutex
	entries map[string]*verifiedToken
}

func (c *verifiedCache) get(token string) *verifiedToken {
	c.mu.RLock()
	e := c.entries[token]
	c.mu.RUnlock()
	return e
}

func (c *verifiedCache) put(token string, e *verifiedToken) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxVerified {
		// Full: drop expired tokens, and if none are, an arbitrary tenth.
		now := e.issuer.v.now()
		for k, old := range c.entries {
			if now.After(old.claims.Expires.Add(e.issuer.v.skew)) {
				delete(c.entries, k)
			}
		}
		for k := range c.entries {
			if len(c.entries) < maxVerified*9/10 {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[token] = e
}

func (c *verifiedCache) remove(token string) {
	c.mu.Lock()
	delete(c.entries, token)
	c.mu.Unlock()
}
