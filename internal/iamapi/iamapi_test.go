package iamapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/portico/portico/internal/observe/audit"
	"github.com/portico/portico/internal/store/bolt"
)

var rewrite = flag.Bool("rewrite", false, "rewrite testdata/exchanges.txt")

// TestExchanges replays a session of IAM calls and compares each answer (status and XML, ids
// normalised) with testdata/exchanges.txt.
func TestExchanges(t *testing.T) {
	st, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 11, 22, 3, 4, 5, 0, time.UTC)
	h := New(st, Options{AccountID: "111122223333", Credentials: map[string]string{"AKIAADMIN": "admin-secret"}, Now: func() time.Time { return now }})
	srv := httptest.NewServer(h)
	defer srv.Close()
	calls := []string{
		"Action=CreateUser&UserName=dana&Path=/team/",
		"Action=CreateUser&UserName=Dana",
		"Action=CreateUser&UserName=bad%20name",
		"Action=GetUser&UserName=dana",
		"Action=GetUser",
		"Action=ListUsers",
		"Action=PutUserPolicy&UserName=dana&PolicyName=p&PolicyDocument=" + url.QueryEscape(`{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}]}`),
		"Action=PutUserPolicy&UserName=dana&PolicyName=q&PolicyDocument=" + url.QueryEscape(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`),
		"Action=GetUserPolicy&UserName=dana&PolicyName=p",
		"Action=ListUserPolicies&UserName=dana",
		"Action=DeleteUser&UserName=dana",
		"Action=DeleteUserPolicy&UserName=dana&PolicyName=p",
		"Action=DeleteUserPolicy&UserName=dana&PolicyName=p",
		"Action=DeleteAccessKey&UserName=dana&AccessKeyId=AKIANONE",
		"Action=ListAccessKeys&UserName=nobody",
		"Action=CreateGroup&GroupName=g",
		"Action=CreateRole&RoleName=r",
		"Action=CreateRole&RoleName=reader&Path=/svc/&AssumeRolePolicyDocument=" + url.QueryEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}`),
		"Action=CreateRole&RoleName=READER&AssumeRolePolicyDocument=" + url.QueryEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}`),
		"Action=GetRole&RoleName=reader",
		"Action=PutRolePolicy&RoleName=reader&PolicyName=get&PolicyDocument=" + url.QueryEscape(`{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}]}`),
		"Action=ListRoles",
		"Action=ListRolePolicies&RoleName=reader",
		"Action=GetRolePolicy&RoleName=reader&PolicyName=get",
		"Action=DeleteRole&RoleName=reader",
		"Action=DeleteRolePolicy&RoleName=reader&PolicyName=get",
		"Action=DeleteRole&RoleName=reader",
		"Action=GetRole&RoleName=reader",
		"Action=DeleteUser&UserName=dana",
	}
	ids := regexp.MustCompile(`(AIDA|AKIA|AROA)[A-Z2-7]{16,17}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	var got strings.Builder
	for _, body := range calls {
		req, _ := http.NewRequest("POST", srv.URL+"/", strings.NewReader(body+"&Version=2010-05-08"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		sum := payloadHash(body + "&Version=2010-05-08")
		if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKIAADMIN", SecretAccessKey: "admin-secret"}, req, sum, "iam", "us-east-1", now); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got.WriteString(body + "\n----\n" + resp.Status + "\n" + ids.ReplaceAllString(string(b), "<id>") + "\n\n")
	}
	const golden = "testdata/exchanges.txt"
	if *rewrite {
		if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != string(want) {
		t.Errorf("answers differ from %s (run with -rewrite to see):\n%s", golden, got.String())
	}
}

func TestRefusesOtherSigners(t *testing.T) {
	st, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h := New(st, Options{AccountID: "111122223333", Credentials: map[string]string{"AKIAADMIN": "admin-secret"}})
	req := httptest.NewRequest("POST", "http://h/", strings.NewReader("Action=ListUsers"))
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKIAOTHER", SecretAccessKey: "x"}, req, payloadHash("Action=ListUsers"), "iam", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 403 || !strings.Contains(w.Body.String(), "<Code>InvalidClientTokenId</Code>") {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if SignedFor(req) != "iam" {
		t.Fatalf("SignedFor = %q", SignedFor(req))
	}
}

func payloadHash(body string) string {
	s := sha256.Sum256([]byte(body))
	return hex.EncodeToString(s[:])
}

// TestAudit: the calls that change something are in the audit log, with the ids they created
// and never a secret.
func TestAudit(t *testing.T) {
	st, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	path := filepath.Join(t.TempDir(), "audit.log")
	l, err := audit.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	h := New(st, Options{AccountID: "111122223333", Credentials: map[string]string{"AKIAADMIN": "admin-secret"}, Audit: l})
	var secret string
	for _, body := range []string{"Action=CreateUser&UserName=erin", "Action=CreateAccessKey&UserName=erin", "Action=ListUsers", "Action=DeleteUser&UserName=erin"} {
		req := httptest.NewRequest("POST", "http://h/", strings.NewReader(body))
		if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKIAADMIN", SecretAccessKey: "admin-secret"}, req, payloadHash(body), "iam", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if _, rest, ok := strings.Cut(w.Body.String(), "<SecretAccessKey>"); ok {
			secret, _, _ = strings.Cut(rest, "<")
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3 || secret == "" || strings.Contains(string(b), secret) {
		t.Fatalf("audit log (secret %q):\n%s", secret, b)
	}
	var last audit.Entry
	if err := json.Unmarshal([]byte(lines[2]), &last); err != nil {
		t.Fatal(err)
	}
	if last.EventName != "DeleteUser" || last.Status != 409 || last.ErrorCode != "DeleteConflict" || last.AccessKeyID != "AKIAADMIN" ||
		last.RequestParameters["UserName"] != "erin" {
		t.Fatalf("last entry: %+v", last)
	}
	var created audit.Entry
	json.Unmarshal([]byte(lines[1]), &created)
	if created.EventName != "CreateAccessKey" || !strings.HasPrefix(created.ResponseElements["accessKeyId"].(string), "AKIA") {
		t.Fatalf("CreateAccessKey entry: %+v", created)
	}
}
