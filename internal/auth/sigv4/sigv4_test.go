package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	akid   = "AKIDEXAMPLE"
	secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
)

// result is what the test server saw: the verification outcome of one request.
type result struct {
	key string
	err error
}

func newServer(t *testing.T, v *Verifier) (*httptest.Server, chan result) {
	t.Helper()
	ch := make(chan result, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		k, err := v.Verify(r, body)
		ch <- result{k, err}
	}))
	t.Cleanup(srv.Close)
	return srv, ch
}

func verifier(now time.Time) *Verifier {
	return &Verifier{
		Service: "apigateway",
		Region:  "us-east-1",
		Secret: func(id string) (string, bool) {
			if id == akid {
				return secret, true
			}
			return "", false
		},
		Now: func() time.Time { return now },
	}
}

func hashOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

type signOpts struct {
	key, secret, region, service string
	at                           time.Time
	tamper                       func(*http.Request)
}

func send(t *testing.T, srv *httptest.Server, ch chan result, method, path string, body []byte, o signOpts) result {
	t.Helper()
	if o.key == "" {
		o.key, o.secret = akid, secret
	}
	if o.region == "" {
		o.region = "us-east-1"
	}
	if o.service == "" {
		o.service = "apigateway"
	}
	req, err := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Custom", "  a   b  ")
	req.Header.Set("X-Tabbed", "c\t d")
	creds := aws.Credentials{AccessKeyID: o.key, SecretAccessKey: o.secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hashOf(body), o.service, o.region, o.at); err != nil {
		t.Fatal(err)
	}
	if o.tamper != nil {
		o.tamper(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return <-ch
}

func code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err != nil {
		return "other: " + err.Error()
	}
	return ""
}

func TestVerifySDKSigned(t *testing.T) {
	now := time.Now().UTC()
	srv, ch := newServer(t, verifier(now))
	body := []byte(`{"name":"pets"}`)
	cases := []struct {
		name, method, path string
		body               []byte
		o                  signOpts
		wantCode           string
	}{
		{"get", "GET", "/restapis", nil, signOpts{}, ""},
		{"query sorted and encoded", "GET", "/restapis?limit=2&position=a%2Bb&embed=methods&embed=a", nil, signOpts{}, ""},
		{"escaped path segment", "DELETE", "/restapis/abc/gatewayresponses/a%2Fb%20c", nil, signOpts{}, ""},
		{"path with reserved chars", "GET", "/tags/arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Frestapis%2Fx", nil, signOpts{}, ""},
		{"post body", "POST", "/restapis", body, signOpts{}, ""},
		{"skew just inside", "GET", "/restapis", nil, signOpts{at: now.Add(-14 * time.Minute)}, ""},
		{"expired", "GET", "/restapis", nil, signOpts{at: now.Add(-16 * time.Minute)}, "InvalidSignatureException"},
		{"future", "GET", "/restapis", nil, signOpts{at: now.Add(16 * time.Minute)}, "InvalidSignatureException"},
		{"unknown key", "GET", "/restapis", nil, signOpts{key: "AKIDOTHER", secret: "x"}, "UnrecognizedClientException"},
		{"wrong secret", "GET", "/restapis", nil, signOpts{key: akid, secret: "nope"}, "InvalidSignatureException"},
		{"wrong region", "GET", "/restapis", nil, signOpts{region: "eu-west-1"}, "InvalidSignatureException"},
		{"wrong service", "GET", "/restapis", nil, signOpts{service: "s3"}, "InvalidSignatureException"},
		{"unsigned", "GET", "/restapis", nil, signOpts{tamper: func(r *http.Request) { r.Header.Del("Authorization") }}, "MissingAuthenticationTokenException"},
		{"tampered body", "POST", "/restapis", body, signOpts{tamper: func(r *http.Request) {
			b := []byte(`{"name":"cats"}`)
			r.Body = io.NopCloser(bytes.NewReader(b))
			r.ContentLength = int64(len(b))
			r.Header.Del("X-Amz-Content-Sha256")
		}}, "InvalidSignatureException"},
		{"tampered body, stale hash header", "POST", "/restapis", body, signOpts{tamper: func(r *http.Request) {
			b := []byte(`{"name":"cats"}`)
			r.Body = io.NopCloser(bytes.NewReader(b))
			r.ContentLength = int64(len(b))
		}}, "InvalidSignatureException"},
		{"tampered query", "GET", "/restapis?limit=2", nil, signOpts{tamper: func(r *http.Request) { r.URL.RawQuery = "limit=3" }}, "InvalidSignatureException"},
		{"tampered path", "GET", "/restapis/a", nil, signOpts{tamper: func(r *http.Request) { r.URL.Path = "/restapis/b" }}, "InvalidSignatureException"},
		{"tampered method", "GET", "/restapis", nil, signOpts{tamper: func(r *http.Request) { r.Method = "DELETE" }}, "InvalidSignatureException"},
		{"tampered signed header", "GET", "/restapis", nil, signOpts{tamper: func(r *http.Request) { r.Header.Set("X-Custom", "z") }}, "InvalidSignatureException"},
		{"path signed normalized, as botocore does", "GET", "/restapis/x", nil, signOpts{tamper: func(r *http.Request) { r.URL.Path = "/restapis//./x" }}, ""},
		{"unsigned header added", "GET", "/restapis", nil, signOpts{tamper: func(r *http.Request) { r.Header.Set("X-Other", "z") }}, ""},
		{"garbage authorization", "GET", "/restapis", nil, signOpts{tamper: func(r *http.Request) { r.Header.Set("Authorization", "Bearer abc") }}, "IncompleteSignatureException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.o.at.IsZero() {
				tc.o.at = now
			}
			res := send(t, srv, ch, tc.method, tc.path, tc.body, tc.o)
			if got := code(res.err); got != tc.wantCode {
				t.Fatalf("code = %q (%v), want %q", got, res.err, tc.wantCode)
			}
			if tc.wantCode == "" && res.key != akid {
				t.Fatalf("key = %q", res.key)
			}
		})
	}
}

func TestMessages(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 30, 0, 0, time.UTC)
	srv, ch := newServer(t, verifier(now))
	res := send(t, srv, ch, "GET", "/restapis", nil, signOpts{at: now.Add(-20 * time.Minute)})
	want := "Signature expired: 20260102T031000Z is now earlier than 20260102T031500Z (20260102T033000Z - 15 min.)"
	if res.err.(*Error).Message != want {
		t.Fatalf("message = %q, want %q", res.err.(*Error).Message, want)
	}
	res = send(t, srv, ch, "GET", "/restapis", nil, signOpts{at: now, key: akid, secret: "bad"})
	if res.err.(*Error).Message != MsgSignatureMismach {
		t.Fatalf("message = %q", res.err.(*Error).Message)
	}
}

func TestAnyRegion(t *testing.T) {
	now := time.Now().UTC()
	v := verifier(now)
	v.Region = ""
	srv, ch := newServer(t, v)
	if res := send(t, srv, ch, "GET", "/restapis", nil, signOpts{at: now, region: "ap-south-2"}); res.err != nil {
		t.Fatal(res.err)
	}
}

func TestPresigned(t *testing.T) {
	now := time.Now().UTC()
	srv, ch := newServer(t, verifier(now))
	for _, tc := range []struct {
		name   string
		at     time.Time
		tamper bool
		want   string
	}{
		{"valid", now, false, ""},
		{"expired", now.Add(-2 * time.Hour), false, "InvalidSignatureException"},
		{"tampered", now, true, "InvalidSignatureException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", srv.URL+"/restapis?limit=5&X-Amz-Expires=900", nil)
			creds := aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret}
			u, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, hashOf(nil), "apigateway", "us-east-1", tc.at)
			if err != nil {
				t.Fatal(err)
			}
			if tc.tamper {
				u = strings.Replace(u, "limit=5", "limit=6", 1)
			}
			resp, err := http.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := code((<-ch).err); got != tc.want {
				t.Fatalf("code = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNormalizePath(t *testing.T) {
	for in, want := range map[string]string{
		"/":           "/",
		"//a//b/":     "/a/b/",
		"/a/./b/../c": "/a/c",
		"/..":         "/",
		"/a%2F.":      "/a%2F.",
	} {
		if got := normalizePath(in); got != want {
			t.Errorf("normalizePath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseAuthorization(t *testing.T) {
	a, err := ParseAuthorization("AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/apigateway/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcd")
	if err != nil {
		t.Fatal(err)
	}
	if a.AccessKeyID != "AK" || a.Date != "20260101" || a.Region != "us-east-1" || a.Service != "apigateway" ||
		strings.Join(a.SignedHeaders, ";") != "host;x-amz-date" || a.Signature != "abcd" {
		t.Fatalf("parsed %+v", a)
	}
	for _, bad := range []string{
		"",
		"AWS4-HMAC-SHA256",
		"AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/apigateway/aws4_request",
		"AWS4-HMAC-SHA256 Credential=AK/2026/us-east-1/apigateway/aws4_request, SignedHeaders=host, Signature=a",
		"AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/apigateway/other, SignedHeaders=host, Signature=a",
		"AWS4-HMAC-SHA256 Credential=AK, SignedHeaders=host, Signature=a",
		"AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/apigateway/aws4_request, SignedHeaders=, Signature=a",
		"AWS4-HMAC-SHA256 junk",
	} {
		if _, err := ParseAuthorization(bad); code(err) == "" || strings.HasPrefix(code(err), "other") {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}

func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/apigateway/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcd")
	f.Add("AWS4-HMAC-SHA256 Credential=/////, SignedHeaders=;;, Signature=")
	f.Add("AWS4-HMAC-SHA256 ,,,===")
	f.Fuzz(func(t *testing.T, h string) {
		a, err := ParseAuthorization(h)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Status() != http.StatusForbidden {
				t.Fatalf("error %v is not an *Error", err)
			}
			return
		}
		if a.AccessKeyID == "" || len(a.SignedHeaders) == 0 {
			t.Fatalf("accepted %q as %+v", h, a)
		}
	})
}

func FuzzVerify(f *testing.F) {
	f.Add("/restapis/a%2Fb", "limit=1&x=%zz", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/apigateway/aws4_request, SignedHeaders=host, Signature=00", "20260101T000000Z")
	v := verifier(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	f.Fuzz(func(t *testing.T, path, query, auth, date string) {
		r := httptest.NewRequest("GET", "http://h/", nil)
		r.URL.Path, r.URL.RawPath, r.URL.RawQuery, r.RequestURI = path, "", query, ""
		r.Header.Set("Authorization", auth)
		r.Header.Set("X-Amz-Date", date)
		if _, err := v.Verify(r, nil); err == nil {
			t.Fatalf("forged request accepted: %q %q %q", path, query, auth)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	now := time.Now().UTC()
	v := verifier(now)
	body := []byte(`{"name":"pets","description":"a benchmark body"}`)
	req := httptest.NewRequest("POST", "http://127.0.0.1:8081/restapis/abc/resources/def?limit=5&position=x", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	creds := aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hashOf(body), "apigateway", "us-east-1", now); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(req, body); err != nil {
			b.Fatal(err)
		}
	}
}
