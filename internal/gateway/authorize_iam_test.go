package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/portico/portico/internal/auth/iam"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/bolt"
)

// staticIdentities serves one Directory.
type staticIdentities struct{ d atomic.Pointer[iam.Directory] }

func (s *staticIdentities) Directory() *iam.Directory { return s.d.Load() }

const iamAccount = "123456789012"

// iamEnv is a gateway with identities and an API whose methods are AWS_IAM, behind a resource
// policy that denies mallory everything and allows the user "policyonly" GET /pets.
func iamEnv(t testing.TB, now time.Time) (*env, *staticIdentities) {
	ids := &staticIdentities{}
	invoke := func(res string) map[string]string {
		return map[string]string{"invoke": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"` + res + `"}]}`}
	}
	d, err := iam.Build(iamAccount, map[string]string{"AKIAROOT0000000000": "root-secret"}, iam.Identities{
		Users: []model.IAMUser{
			{UserName: "alice", UserId: "AIDAALICE", Arn: "arn:aws:iam::" + iamAccount + ":user/alice",
				AccessKeys: []model.IAMAccessKey{{AccessKeyId: "AKIAALICE000000000", SecretAccessKey: "alice-secret", Status: "Active"},
					{AccessKeyId: "AKIAALICEOLD000000", SecretAccessKey: "old-secret", Status: "Inactive"}},
				Policies: invoke("arn:aws:execute-api:eu-west-1:*:*/test/*")},
			{UserName: "bob", UserId: "AIDABOB", Arn: "arn:aws:iam::" + iamAccount + ":user/bob",
				AccessKeys: []model.IAMAccessKey{{AccessKeyId: "AKIABOB00000000000", SecretAccessKey: "bob-secret", Status: "Active"}},
				Policies:   invoke("arn:aws:execute-api:eu-west-1:*:*/test/GET/other")},
			{UserName: "mallory", UserId: "AIDAMALLORY", Arn: "arn:aws:iam::" + iamAccount + ":user/mallory",
				AccessKeys: []model.IAMAccessKey{{AccessKeyId: "AKIAMALLORY0000000", SecretAccessKey: "mallory-secret", Status: "Active"}},
				Policies:   invoke("*")},
			{UserName: "policyonly", UserId: "AIDAPOLICYONLY", Arn: "arn:aws:iam::" + iamAccount + ":user/policyonly",
				AccessKeys: []model.IAMAccessKey{{AccessKeyId: "AKIAPOLICYONLY0000", SecretAccessKey: "po-secret", Status: "Active"}}},
		},
		Roles: []model.IAMRole{{RoleName: "reader", RoleId: "AROAREADER", Arn: "arn:aws:iam::" + iamAccount + ":role/reader",
			Policies: invoke("arn:aws:execute-api:*:*:*/*/GET/*"),
			Sessions: []model.IAMRoleSession{
				{SessionName: "job-7", AccessKeyId: "ASIAREADER00000000", SecretAccessKey: "reader-secret", SessionToken: "token-7"},
				{SessionName: "job-0", AccessKeyId: "ASIAREADEROLD00000", SecretAccessKey: "reader-old", SessionToken: "token-0", Expiration: now.Add(-time.Minute)},
			}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ids.d.Store(d)
	e := newEnv(t.(*testing.T), Options{Region: "eu-west-1", AccountID: iamAccount, Identities: ids})
	echo := `{"userArn":"$context.identity.userArn","caller":"$context.identity.caller","user":"$context.identity.user","accessKey":"$context.identity.accessKey","accountId":"$context.identity.accountId"}`
	ok := map[string]*model.IntegrationResponse{"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": echo}}}
	method := func(verb string) *model.Method {
		m := mockMethod(verb, `{"statusCode": 200}`, ok, "200")
		m.AuthorizationType = "AWS_IAM"
		return m
	}
	// /echo sends the body it got back, to show that the body read for the signature still
	// reaches the integration.
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(w, r.Body) }))
	t.Cleanup(backend.Close)
	echoBody := proxyMethod("POST", "POST", backend.URL, nil, 0)
	echoBody.AuthorizationType = "AWS_IAM"
	doc := newDoc(&model.Resource{Id: "pets01", Path: "/pets", ResourceMethods: map[string]*model.Method{"GET": method("GET"), "POST": method("POST")}},
		&model.Resource{Id: "echo01", Path: "/echo", ResourceMethods: map[string]*model.Method{"POST": echoBody}})
	doc.RestApi.Policy = `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::` + iamAccount + `:user/mallory"},"Action":"execute-api:Invoke","Resource":"execute-api:/*"},
	  {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + iamAccount + `:user/policyonly"},"Action":"execute-api:Invoke","Resource":"execute-api:/test/GET/pets"}]}`
	e.deploy(doc, "dep001", "test", nil)
	return e, ids
}

func payloadHash(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestAuthorizeIAM(t *testing.T) {
	now := time.Now().UTC()
	e, _ := iamEnv(t, now)
	url := e.pathURL(apiID, "test", "/pets")
	echo := e.pathURL(apiID, "test", "/echo")
	arn := "arn:aws:execute-api:eu-west-1:" + iamAccount + ":" + apiID + "/test/"
	signer := v4.NewSigner()
	type creds = aws.Credentials
	alice := creds{AccessKeyID: "AKIAALICE000000000", SecretAccessKey: "alice-secret"}
	session := creds{AccessKeyID: "ASIAREADER00000000", SecretAccessKey: "reader-secret", SessionToken: "token-7"}
	// signed builds a request signed with c at the given time, then lets tamper change it.
	signed := func(method, u string, body []byte, c creds, at time.Time, tamper func(*http.Request)) *http.Request {
		r, err := http.NewRequest(method, u, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if err := signer.SignHTTP(context.Background(), c, r, payloadHash(body), "execute-api", "eu-west-1", at); err != nil {
			t.Fatal(err)
		}
		if tamper != nil {
			tamper(r)
		}
		return r
	}
	presigned := func(c creds, at time.Time, expires string, tamper func(string) string) *http.Request {
		r, _ := http.NewRequest("GET", url+"?X-Amz-Expires="+expires, nil)
		u, _, err := signer.PresignHTTP(context.Background(), c, r, payloadHash(nil), "execute-api", "eu-west-1", at)
		if err != nil {
			t.Fatal(err)
		}
		if tamper != nil {
			u = tamper(u)
		}
		r, _ = http.NewRequest("GET", u, nil)
		return r
	}
	denied := func(user, verb string, explicit bool) string {
		msg := "User: arn:aws:iam::" + iamAccount + ":user/" + user + " is not authorized to perform: execute-api:Invoke on resource: " + arn + verb + "/pets"
		if explicit {
			msg += " with an explicit deny"
		}
		return `{"Message":"` + msg + `"}`
	}
	aliceIdentity := `{"userArn":"arn:aws:iam::123456789012:user/alice","caller":"AIDAALICE","user":"AIDAALICE","accessKey":"AKIAALICE000000000","accountId":"123456789012"}`
	const invalidToken = `{"message":"The security token included in the request is invalid."}`
	cases := []struct {
		name      string
		req       *http.Request
		status    int
		body      string // exact, or a prefix when it ends in "…"
		errorType string
	}{
		{"no authentication", func() *http.Request { r, _ := http.NewRequest("GET", url, nil); return r }(),
			403, `{"message":"Missing Authentication Token"}`, "MissingAuthenticationTokenException"},
		{"user, signed header", signed("GET", url, nil, alice, now, nil), 200, aliceIdentity, ""},
		{"user, presigned URL", presigned(alice, now, "60", nil), 200, aliceIdentity, ""},
		{"user, host-style URL", func() *http.Request {
			u, host := e.hostURL(apiID, "/test/pets")
			r, _ := http.NewRequest("GET", u, nil)
			r.Host = host
			if err := signer.SignHTTP(context.Background(), alice, r, payloadHash(nil), "execute-api", "eu-west-1", now); err != nil {
				t.Fatal(err)
			}
			return r
		}(), 200, aliceIdentity, ""},
		{"body signed", signed("POST", echo, []byte(`{"pet":"cat"}`), alice, now, nil), 200, `{"pet":"cat"}`, ""},
		{"unsigned payload", signed("POST", echo, []byte(`"x"`), alice, now, func(r *http.Request) {
			r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
			signer.SignHTTP(context.Background(), alice, r, "UNSIGNED-PAYLOAD", "execute-api", "eu-west-1", now)
		}), 200, `"x"`, ""},
		{"role session", signed("GET", url, nil, session, now, nil), 200,
			`{"userArn":"arn:aws:sts::123456789012:assumed-role/reader/job-7","caller":"AROAREADER:job-7","user":"AROAREADER:job-7","accessKey":"ASIAREADER00000000","accountId":"123456789012"}`, ""},
		{"root (admin credentials)", signed("GET", url, nil, creds{AccessKeyID: "AKIAROOT0000000000", SecretAccessKey: "root-secret"}, now, nil), 200,
			`{"userArn":"arn:aws:iam::123456789012:root","caller":"123456789012","user":"123456789012","accessKey":"AKIAROOT0000000000","accountId":"123456789012"}`, ""},
		{"resource policy allows a user without identity policy", signed("GET", url, nil, creds{AccessKeyID: "AKIAPOLICYONLY0000", SecretAccessKey: "po-secret"}, now, nil), 200, "…", ""},
		{"wrong secret", signed("GET", url, nil, creds{AccessKeyID: alice.AccessKeyID, SecretAccessKey: "guess"}, now, nil),
			403, `{"message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'GET\n/restapis/…`, "InvalidSignatureException"},
		{"tampered query", signed("GET", url+"?limit=1", nil, alice, now, func(r *http.Request) { r.URL.RawQuery = "limit=2" }),
			403, `{"message":"The request signature we calculated does not match…`, "InvalidSignatureException"},
		{"tampered body", signed("POST", echo, []byte(`{"pet":"cat"}`), alice, now, func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader(`{"pet":"dog"}`))
		}), 403, `{"message":"The request signature we calculated does not match…`, "InvalidSignatureException"},
		{"signature over another host", signed("GET", url, nil, alice, now, func(r *http.Request) { r.Host = "elsewhere.example" }),
			403, `{"message":"The request signature we calculated does not match…`, "InvalidSignatureException"},
		{"presigned URL replayed after expiry", presigned(alice, now.Add(-2*time.Minute), "60", nil),
			403, `{"message":"Signature expired: …`, "InvalidSignatureException"},
		{"presigned URL with its expiry lengthened", presigned(alice, now.Add(-2*time.Minute), "60", func(u string) string {
			return strings.Replace(u, "X-Amz-Expires=60", "X-Amz-Expires=600", 1)
		}), 403, `{"message":"The request signature we calculated does not match…`, "InvalidSignatureException"},
		{"date outside the clock skew", signed("GET", url, nil, alice, now.Add(-6*time.Minute), nil),
			403, `{"message":"Signature expired: …`, "InvalidSignatureException"},
		{"date in the future", signed("GET", url, nil, alice, now.Add(6*time.Minute), nil),
			403, `{"message":"Signature not yet current: …`, "InvalidSignatureException"},
		{"unknown access key", signed("GET", url, nil, creds{AccessKeyID: "AKIANOBODY00000000", SecretAccessKey: "x"}, now, nil),
			403, invalidToken, "AccessDeniedException"},
		{"inactive access key", signed("GET", url, nil, creds{AccessKeyID: "AKIAALICEOLD000000", SecretAccessKey: "old-secret"}, now, nil),
			403, invalidToken, "AccessDeniedException"},
		{"invalid session token", signed("GET", url, nil, creds{AccessKeyID: session.AccessKeyID, SecretAccessKey: session.SecretAccessKey, SessionToken: "forged"}, now, nil),
			403, invalidToken, "AccessDeniedException"},
		{"session token missing", signed("GET", url, nil, creds{AccessKeyID: session.AccessKeyID, SecretAccessKey: session.SecretAccessKey}, now, nil),
			403, invalidToken, "AccessDeniedException"},
		{"expired temporary credentials", signed("GET", url, nil, creds{AccessKeyID: "ASIAREADEROLD00000", SecretAccessKey: "reader-old", SessionToken: "token-0"}, now, nil),
			403, `{"message":"The security token included in the request is expired"}`, "ExpiredTokenException"},
		{"malformed authorization", func() *http.Request {
			r, _ := http.NewRequest("GET", url, nil)
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAALICE000000000/20260101/eu-west-1/execute-api/aws4_request")
			return r
		}(), 403, `{"message":"Authorization header requires 'Signature' parameter. …`, "IncompleteSignatureException"},
		{"identity without permission", signed("GET", url, nil, creds{AccessKeyID: "AKIABOB00000000000", SecretAccessKey: "bob-secret"}, now, nil),
			403, denied("bob", "GET", false), "AccessDeniedException"},
		{"role not allowed to POST", signed("POST", url, nil, session, now, nil),
			403, `{"Message":"User: arn:aws:sts::123456789012:assumed-role/reader/job-7 is not authorized to perform: execute-api:Invoke on resource: ` + arn + `POST/pets"}`, "AccessDeniedException"},
		{"explicit deny in the resource policy", signed("GET", url, nil, creds{AccessKeyID: "AKIAMALLORY0000000", SecretAccessKey: "mallory-secret"}, now, nil),
			403, denied("mallory", "GET", true), "AccessDeniedException"},
		{"resource policy allows GET only", signed("POST", url, nil, creds{AccessKeyID: "AKIAPOLICYONLY0000", SecretAccessKey: "po-secret"}, now, nil),
			403, denied("policyonly", "POST", false), "AccessDeniedException"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := http.DefaultClient.Do(c.req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body := string(b)
			match := body == c.body
			if prefix, ok := strings.CutSuffix(c.body, "…"); ok {
				match = strings.HasPrefix(body, prefix)
			}
			if resp.StatusCode != c.status || !match || resp.Header.Get("X-Amzn-Errortype") != c.errorType {
				t.Errorf("got %d %s %q\nwant %d %s %q", resp.StatusCode, body, resp.Header.Get("X-Amzn-Errortype"), c.status, c.body, c.errorType)
			}
			if !json.Valid(b) {
				t.Errorf("body is not JSON: %s", b)
			}
		})
	}
}

// TestIAMAllowsInvalidateCache: the question the response cache asks, answered from the
// caller's identity policies.
func TestIAMAllowsInvalidateCache(t *testing.T) {
	now := time.Now().UTC()
	e, ids := iamEnv(t, now)
	d, err := iam.Build(iamAccount, nil, iam.Identities{Users: []model.IAMUser{
		{UserName: "ops", UserId: "AIDAOPS", Arn: "arn:aws:iam::" + iamAccount + ":user/ops",
			AccessKeys: []model.IAMAccessKey{{AccessKeyId: "AKIAOPS00000000000", SecretAccessKey: "ops-secret", Status: "Active"}},
			Policies:   map[string]string{"cache": `{"Statement":[{"Effect":"Allow","Action":["execute-api:Invoke","execute-api:InvalidateCache"],"Resource":"arn:aws:execute-api:*:*:*/test/GET/pets"}]}`}},
		{UserName: "dev", UserId: "AIDADEV", Arn: "arn:aws:iam::" + iamAccount + ":user/dev",
			AccessKeys: []model.IAMAccessKey{{AccessKeyId: "AKIADEV00000000000", SecretAccessKey: "dev-secret", Status: "Active"}},
			Policies:   map[string]string{"invoke": `{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}]}`}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ids.d.Store(d)
	api := e.gw.table.Lookup(apiID, "test")
	for _, c := range []struct {
		name string
		sign *aws.Credentials
		want bool
	}{
		{"allowed", &aws.Credentials{AccessKeyID: "AKIAOPS00000000000", SecretAccessKey: "ops-secret"}, true},
		{"invoke only", &aws.Credentials{AccessKeyID: "AKIADEV00000000000", SecretAccessKey: "dev-secret"}, false},
		{"unsigned", nil, false},
		{"wrong secret", &aws.Credentials{AccessKeyID: "AKIAOPS00000000000", SecretAccessKey: "x"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, _ := http.NewRequest("GET", e.pathURL(apiID, "test", "/pets"), nil)
			r.RequestURI = r.URL.RequestURI()
			if c.sign != nil {
				if err := v4.NewSigner().SignHTTP(context.Background(), *c.sign, r, payloadHash(nil), "execute-api", "eu-west-1", now); err != nil {
					t.Fatal(err)
				}
			}
			rc := newRequest(nopWriter{}, r)
			defer rc.release()
			rc.api, rc.path = api, "/pets"
			if err := e.gw.checkPayload(rc); err != nil {
				t.Fatal(err)
			}
			if got := e.gw.iamAllows(rc, iam.ActionInvalidateCache); got != c.want {
				t.Fatalf("iamAllows = %v, want %v", got, c.want)
			}
		})
	}
}

type nopWriter struct{}

func (nopWriter) Header() http.Header         { return http.Header{} }
func (nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (nopWriter) WriteHeader(int)             {}

// BenchmarkAuthorizeIAM serves a signed GET through an AWS_IAM MOCK method (signature, identity
// policy and resource policy) next to the same method without authorization.
func BenchmarkAuthorizeIAM(b *testing.B) {
	st, err := bolt.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ids := &staticIdentities{}
	d, err := iam.Build(iamAccount, nil, iam.Identities{Users: []model.IAMUser{{UserName: "alice", UserId: "AIDAALICE",
		Arn:        "arn:aws:iam::" + iamAccount + ":user/alice",
		AccessKeys: []model.IAMAccessKey{{AccessKeyId: "AKIAALICE000000000", SecretAccessKey: "alice-secret", Status: "Active"}},
		Policies:   map[string]string{"p": `{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:*:*:*/prod/GET/*"}]}`}}}})
	if err != nil {
		b.Fatal(err)
	}
	ids.d.Store(d)
	ok := map[string]*model.IntegrationResponse{"200": ir("200", "", `{"ok":true}`, nil)}
	open := mockMethod("GET", `{"statusCode": 200}`, ok, "200")
	guarded := mockMethod("GET", `{"statusCode": 200}`, ok, "200")
	guarded.AuthorizationType = "AWS_IAM"
	doc := newDoc(&model.Resource{Id: "ope001", Path: "/open", ResourceMethods: map[string]*model.Method{"GET": open}},
		&model.Resource{Id: "iam001", Path: "/iam", ResourceMethods: map[string]*model.Method{"GET": guarded}})
	doc.RestApi.Policy = `{"Statement":[{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::` + iamAccount + `:user/mallory"},"Action":"execute-api:Invoke","Resource":"execute-api:/*"},
	  {"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*/GET/open"}]}`
	err = st.Update(func(tx store.Tx) error {
		tx.Put(store.KindRestAPI, apiID, doc)
		tx.Put(store.KindDeployment, store.Key(apiID, "dep001"), model.DeploymentRecord{Deployment: model.Deployment{Id: "dep001"}, APIID: apiID, Snapshot: doc})
		return tx.Put(store.KindStage, store.Key(apiID, "prod"), model.StageRecord{APIID: apiID, Stage: model.Stage{StageName: "prod", DeploymentId: "dep001"}})
	})
	if err != nil {
		b.Fatal(err)
	}
	gw, err := New(st, Options{Region: "us-east-1", AccountID: iamAccount, Identities: ids, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer gw.Close()
	for _, path := range []string{"/open", "/iam"} {
		b.Run(strings.TrimPrefix(path, "/"), func(b *testing.B) {
			url := "http://" + apiID + ".execute-api.localhost/prod" + path + "?limit=5"
			signed := httptest.NewRequest("GET", url, nil)
			creds := aws.Credentials{AccessKeyID: "AKIAALICE000000000", SecretAccessKey: "alice-secret"}
			if err := v4.NewSigner().SignHTTP(context.Background(), creds, signed, payloadHash(nil), "execute-api", "us-east-1", time.Now()); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest("GET", url, nil)
				req.Header = signed.Header
				w := httptest.NewRecorder()
				gw.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}

// TestIAMCrossAccount: a caller of another account needs an Allow from its own policies and
// from the resource policy.
func TestIAMCrossAccount(t *testing.T) {
	now := time.Now().UTC()
	ids := &staticIdentities{}
	d, err := iam.Build("999999999999", nil, iam.Identities{Users: []model.IAMUser{{UserName: "guest", UserId: "AIDAGUEST",
		Arn:        "arn:aws:iam::999999999999:user/guest",
		AccessKeys: []model.IAMAccessKey{{AccessKeyId: "AKIAGUEST000000000", SecretAccessKey: "guest-secret", Status: "Active"}},
		Policies:   map[string]string{"p": `{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}]}`}}}})
	if err != nil {
		t.Fatal(err)
	}
	ids.d.Store(d)
	e := newEnv(t, Options{Region: "eu-west-1", AccountID: iamAccount, Identities: ids})
	ok := map[string]*model.IntegrationResponse{"200": ir("200", "", "ok", nil)}
	method := func(verb string) *model.Method {
		m := mockMethod(verb, `{"statusCode": 200}`, ok, "200")
		m.AuthorizationType = "AWS_IAM"
		return m
	}
	doc := newDoc(&model.Resource{Id: "pets01", Path: "/pets", ResourceMethods: map[string]*model.Method{"GET": method("GET"), "POST": method("POST")}})
	doc.RestApi.Policy = `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"999999999999"},"Action":"execute-api:Invoke","Resource":"execute-api:/*/GET/*"}]}`
	e.deploy(doc, "dep001", "test", nil)
	guest := aws.Credentials{AccessKeyID: "AKIAGUEST000000000", SecretAccessKey: "guest-secret"}
	send := func(verb string) (int, string) {
		r, _ := http.NewRequest(verb, e.pathURL(apiID, "test", "/pets"), nil)
		if err := v4.NewSigner().SignHTTP(context.Background(), guest, r, payloadHash(nil), "execute-api", "eu-west-1", now); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b)
	}
	if status, body := send("GET"); status != 200 || body != "ok" {
		t.Errorf("both allow: %d %s", status, body)
	}
	want := `{"Message":"User: arn:aws:iam::999999999999:user/guest is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:eu-west-1:` + iamAccount + `:` + apiID + `/test/POST/pets"}`
	if status, body := send("POST"); status != 403 || body != want {
		t.Errorf("identity allows, resource policy silent: %d %s", status, body)
	}
}
