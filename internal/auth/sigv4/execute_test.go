package sigv4

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// keyring is a Credentials of fixed keys.
type keyring map[string]Credential

func (k keyring) Credential(id string) (Credential, bool) {
	c, ok := k[id]
	return c, ok
}

// executeVerifier checks as the data plane does: execute-api, 5 minutes of skew, unsigned
// payloads allowed, mismatches explained.
func executeVerifier(now time.Time) *Verifier {
	return &Verifier{Service: "execute-api", Region: "us-east-1", MaxSkew: 5 * time.Minute,
		AllowUnsignedPayload: true, ExplainMismatch: true, Now: func() time.Time { return now }}
}

func TestCheckExecuteAPI(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	v := executeVerifier(now)
	ring := keyring{
		"AKIDUSER": {Secret: "user-secret"},
		"ASIATEMP": {Secret: "temp-secret", SessionToken: "token-1", Expires: now.Add(time.Hour)},
		"ASIAOLD":  {Secret: "old-secret", SessionToken: "token-2", Expires: now.Add(-time.Second)},
	}
	signer := v4.NewSigner()
	sign := func(r *http.Request, c aws.Credentials, payload string, at time.Time) {
		t.Helper()
		if err := signer.SignHTTP(context.Background(), c, r, payload, "execute-api", "us-east-1", at); err != nil {
			t.Fatal(err)
		}
	}
	user := aws.Credentials{AccessKeyID: "AKIDUSER", SecretAccessKey: "user-secret"}
	temp := aws.Credentials{AccessKeyID: "ASIATEMP", SecretAccessKey: "temp-secret", SessionToken: "token-1"}
	body := []byte(`{"pet":"cat"}`)
	cases := []struct {
		name  string
		build func() *http.Request
		want  string // error code, "" for accepted
	}{
		{"user", func() *http.Request {
			r := httptest.NewRequest("POST", "http://h/restapis/a/prod/_user_request_/pets?b=2&a=1", nil)
			sign(r, user, hashOf(body), now)
			return r
		}, ""},
		{"temporary credentials", func() *http.Request {
			r := httptest.NewRequest("POST", "http://h/pets", nil)
			sign(r, temp, hashOf(body), now)
			return r
		}, ""},
		{"session token missing", func() *http.Request {
			r := httptest.NewRequest("POST", "http://h/pets", nil)
			sign(r, temp, hashOf(body), now)
			r.Header.Del("X-Amz-Security-Token")
			return r
		}, "UnrecognizedClientException"},
		{"session token of a permanent key", func() *http.Request {
			r := httptest.NewRequest("POST", "http://h/pets", nil)
			sign(r, aws.Credentials{AccessKeyID: "AKIDUSER", SecretAccessKey: "user-secret", SessionToken: "x"}, hashOf(body), now)
			return r
		}, "UnrecognizedClientException"},
		{"wrong session token", func() *http.Request {
			r := httptest.NewRequest("POST", "http://h/pets", nil)
			sign(r, aws.Credentials{AccessKeyID: "ASIATEMP", SecretAccessKey: "temp-secret", SessionToken: "token-9"}, hashOf(body), now)
			return r
		}, "UnrecognizedClientException"},
		{"expired temporary credentials", func() *http.Request {
			r := httptest.NewRequest("POST", "http://h/pets", nil)
			sign(r, aws.Credentials{AccessKeyID: "ASIAOLD", SecretAccessKey: "old-secret", SessionToken: "token-2"}, hashOf(body), now)
			return r
		}, "ExpiredTokenException"},
		{"unsigned payload", func() *http.Request {
			r := httptest.NewRequest("POST", "http://h/pets", nil)
			r.Header.Set("X-Amz-Content-Sha256", UnsignedPayload)
			sign(r, user, UnsignedPayload, now)
			return r
		}, ""},
		{"outside the 5 minute skew", func() *http.Request {
			r := httptest.NewRequest("POST", "http://h/pets", nil)
			sign(r, user, hashOf(body), now.Add(-6*time.Minute))
			return r
		}, "InvalidSignatureException"},
		{"inside the 5 minute skew", func() *http.Request {
			r := httptest.NewRequest("POST", "http://h/pets", nil)
			sign(r, user, hashOf(body), now.Add(4*time.Minute))
			return r
		}, ""},
		{"another host", func() *http.Request {
			r := httptest.NewRequest("POST", "http://h/pets", nil)
			sign(r, user, hashOf(body), now)
			r.Host = "other"
			return r
		}, "InvalidSignatureException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key, err := v.Check(tc.build(), ring, func() ([]byte, error) { return body, nil })
			if got := code(err); got != tc.want {
				t.Fatalf("code = %q (%v), want %q", got, err, tc.want)
			}
			if tc.want == "" && key == "" {
				t.Fatal("no key returned")
			}
		})
	}
}

func TestCheckPresignedExecuteAPI(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	v := executeVerifier(now)
	ring := keyring{"AKIDUSER": {Secret: "user-secret"}, "ASIATEMP": {Secret: "temp-secret", SessionToken: "tok"}}
	presign := func(c aws.Credentials, payload string, at time.Time, expires string) string {
		r := httptest.NewRequest("GET", "http://h/prod/pets?x=1&X-Amz-Expires="+expires, nil)
		u, _, err := v4.NewSigner().PresignHTTP(context.Background(), c, r, payload, "execute-api", "us-east-1", at)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	user := aws.Credentials{AccessKeyID: "AKIDUSER", SecretAccessKey: "user-secret"}
	for _, tc := range []struct {
		name, url, want string
	}{
		{"empty body hash", presign(user, hashOf(nil), now, "60"), ""},
		{"unsigned payload", presign(user, UnsignedPayload, now, "60"), ""},
		{"session token in the query", presign(aws.Credentials{AccessKeyID: "ASIATEMP", SecretAccessKey: "temp-secret", SessionToken: "tok"}, hashOf(nil), now, "60"), ""},
		{"replayed after expiry", presign(user, hashOf(nil), now.Add(-61*time.Second), "60"), "InvalidSignatureException"},
		{"signed for the future", presign(user, hashOf(nil), now.Add(10*time.Minute), "900"), "InvalidSignatureException"},
		{"tampered query", strings.Replace(presign(user, hashOf(nil), now, "60"), "x=1", "x=2", 1), "InvalidSignatureException"},
		{"longer expiry than signed", strings.Replace(presign(user, hashOf(nil), now, "60"), "X-Amz-Expires=60", "X-Amz-Expires=600", 1), "InvalidSignatureException"},
		{"no signature", strings.Replace(presign(user, hashOf(nil), now, "60"), "X-Amz-Signature=", "X-Amz-Other=", 1), "IncompleteSignatureException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Check(httptest.NewRequest("GET", tc.url, nil), ring, func() ([]byte, error) { return nil, nil })
			if got := code(err); got != tc.want {
				t.Fatalf("code = %q (%v), want %q", got, err, tc.want)
			}
		})
	}
}

func TestExplainMismatch(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	v := executeVerifier(now)
	r := httptest.NewRequest("GET", "http://h/prod/pets", nil)
	c := aws.Credentials{AccessKeyID: "AKIDUSER", SecretAccessKey: "wrong"}
	if err := v4.NewSigner().SignHTTP(context.Background(), c, r, hashOf(nil), "execute-api", "us-east-1", now); err != nil {
		t.Fatal(err)
	}
	_, err := v.Check(r, keyring{"AKIDUSER": {Secret: "user-secret"}}, func() ([]byte, error) { return nil, nil })
	var e *Error
	if !errors.As(err, &e) {
		t.Fatal(err)
	}
	want := MsgSignatureMismach + "\n\nThe Canonical String for this request should have been\n'GET\n/prod/pets\n\nhost:h\nx-amz-date:20260304T050607Z\n\nhost;x-amz-date\n" + hashOf(nil) +
		"'\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20260304T050607Z\n20260304/us-east-1/execute-api/aws4_request\n"
	if !strings.HasPrefix(e.Message, want) || !strings.HasSuffix(e.Message, "'\n") {
		t.Fatalf("message:\n%s\nwant prefix:\n%s", e.Message, want)
	}
}

// TestKeyCacheFollowsRotation: a signing key cached for a secret is not used once the secret
// changes.
func TestKeyCacheFollowsRotation(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	v := executeVerifier(now)
	signed := func(secret string) *http.Request {
		r := httptest.NewRequest("GET", "http://h/prod/pets", nil)
		if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AK", SecretAccessKey: secret}, r, hashOf(nil), "execute-api", "us-east-1", now); err != nil {
			t.Fatal(err)
		}
		return r
	}
	noBody := func() ([]byte, error) { return nil, nil }
	if _, err := v.Check(signed("one"), keyring{"AK": {Secret: "one"}}, noBody); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Check(signed("one"), keyring{"AK": {Secret: "two"}}, noBody); code(err) != "InvalidSignatureException" {
		t.Fatalf("old secret accepted after rotation: %v", err)
	}
	if _, err := v.Check(signed("two"), keyring{"AK": {Secret: "two"}}, noBody); err != nil {
		t.Fatal(err)
	}
}

func FuzzParseQuery(f *testing.F) {
	f.Add("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20260101%2Fus-east-1%2Fexecute-api%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00")
	f.Add("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=////&X-Amz-Expires=-1")
	f.Add("X-Amz-Signature=&X-Amz-Credential=%zz")
	f.Fuzz(func(t *testing.T, raw string) {
		q, _ := url.ParseQuery(raw)
		a, exp, err := ParseQuery(q)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Status() != http.StatusForbidden {
				t.Fatalf("error %v is not an *Error", err)
			}
			return
		}
		if a.AccessKeyID == "" || a.Signature == "" || len(a.SignedHeaders) == 0 || exp < time.Second || exp > 7*24*time.Hour {
			t.Fatalf("accepted %q as %+v, %v", raw, a, exp)
		}
		// Whatever parses, a request carrying it is still refused without the secret.
		r := httptest.NewRequest("GET", "http://h/p", nil)
		r.URL.RawQuery = q.Encode()
		if _, err := executeVerifier(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)).Check(r, keyring{"AK": {Secret: "s"}}, func() ([]byte, error) { return nil, nil }); err == nil {
			t.Fatalf("forged presigned URL accepted: %q", raw)
		}
	})
}

func BenchmarkCheckExecuteAPI(b *testing.B) {
	now := time.Now().UTC()
	v := executeVerifier(now)
	ring := keyring{akid: {Secret: secret}}
	body := []byte(`{"name":"pets","description":"a benchmark body"}`)
	req := httptest.NewRequest("POST", "http://abc123.execute-api.localhost:8080/prod/pets/42?limit=5&position=x", nil)
	req.Header.Set("Content-Type", "application/json")
	creds := aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hashOf(body), "execute-api", "us-east-1", now); err != nil {
		b.Fatal(err)
	}
	read := func() ([]byte, error) { return body, nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Check(req, ring, read); err != nil {
			b.Fatal(err)
		}
	}
}
