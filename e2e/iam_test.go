package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/portico/portico/internal/server"
)

// identitiesYAML gives alice GET and POST on /pets of stage prod, bob nothing, and a role
// session GET everywhere.
const identitiesYAML = `
users:
  - name: alice
    accessKeys:
      - {accessKeyId: AKIAALICE00000000001, secretAccessKey: alice-secret-0000000000000000000000000000}
    policies:
      pets:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Action: execute-api:Invoke, Resource: "arn:aws:execute-api:us-east-1:*:*/prod/*/pets"}
          - {Effect: Allow, Action: execute-api:Invoke, Resource: "arn:aws:execute-api:us-east-1:*:*/prod/GET/event"}
  - name: bob
    accessKeys:
      - {accessKeyId: AKIABOB0000000000001, secretAccessKey: bob-secret-00000000000000000000000000000}
roles:
  - name: reader
    policies:
      read: '{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:*:*:*/*/GET/*"}]}'
    sessions:
      - {name: job-7, accessKeyId: ASIAREADER0000000001, secretAccessKey: reader-secret-000000000000000000000000, sessionToken: FwoGZXIvYXdzEJr-session-token-7}
`

// TestIAMAuthorization protects routes with AWS_IAM, everything created with the stock AWS
// CLI; callers sign with aws-sdk-go-v2's signer (header and presigned URL) and with botocore's
// SigV4Auth and SigV4QueryAuth. It checks what templates and a Lambda proxy event see of the
// caller, AWS's refusals, a reload of the identities file, and that identities survive a
// restart.
func TestIAMAuthorization(t *testing.T) {
	dir := t.TempDir()
	idFile := filepath.Join(t.TempDir(), "identities.yaml")
	if err := os.WriteFile(idFile, []byte(identitiesYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	withIdentities := func(c *server.Config) { c.IdentitiesFile = idFile }
	srv := startServer(t, dir, withIdentities)
	cli := func(out any, args ...string) {
		t.Helper()
		if stderr, err := awsCLI(t, srv, out, append([]string{"apigateway"}, args...)...); err != nil {
			t.Fatalf("aws %v: %v\n%s", args, err, stderr)
		}
	}
	z := buildFunctionZip(t, "./testdata/eventfn")
	if stderr, err := awsCLI(t, srv, nil, "lambda", "create-function", "--function-name", "eventfn",
		"--runtime", "provided.al2023", "--handler", "bootstrap", "--role", "arn:aws:iam::000000000000:role/lambda",
		"--zip-file", "fileb://"+z); err != nil {
		t.Fatalf("create-function: %v\n%s", err, stderr)
	}
	var api struct{ Id, RootResourceId string }
	cli(&api, "create-rest-api", "--name", "iam-guarded")
	var pets, event struct{ Id string }
	cli(&pets, "create-resource", "--rest-api-id", api.Id, "--parent-id", api.RootResourceId, "--path-part", "pets")
	cli(&event, "create-resource", "--rest-api-id", api.Id, "--parent-id", api.RootResourceId, "--path-part", "event")
	for _, verb := range []string{"GET", "POST"} {
		cli(nil, "put-method", "--rest-api-id", api.Id, "--resource-id", pets.Id, "--http-method", verb, "--authorization-type", "AWS_IAM")
		cli(nil, "put-method-response", "--rest-api-id", api.Id, "--resource-id", pets.Id, "--http-method", verb, "--status-code", "200")
		cli(nil, "put-integration", "--rest-api-id", api.Id, "--resource-id", pets.Id, "--http-method", verb,
			"--type", "MOCK", "--request-templates", `{"application/json":"{\"statusCode\": 200}"}`)
		cli(nil, "put-integration-response", "--rest-api-id", api.Id, "--resource-id", pets.Id, "--http-method", verb,
			"--status-code", "200", "--response-templates",
			`{"application/json":"$context.identity.userArn $context.identity.caller $context.identity.accessKey $context.identity.accountId"}`)
	}
	cli(nil, "put-method", "--rest-api-id", api.Id, "--resource-id", event.Id, "--http-method", "GET", "--authorization-type", "AWS_IAM")
	cli(nil, "put-integration", "--rest-api-id", api.Id, "--resource-id", event.Id, "--http-method", "GET", "--type", "AWS_PROXY",
		"--integration-http-method", "POST",
		"--uri", "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:eventfn/invocations")
	cli(nil, "create-deployment", "--rest-api-id", api.Id, "--stage-name", "prod")

	base := "http://" + srv.DataAddr + "/restapis/" + api.Id + "/prod/_user_request_"
	waitFor(t, "the deployment", func() bool {
		return invokePath(t, srv, "GET", api.Id, "prod", "/pets", "").status == 403
	})
	alice := aws.Credentials{AccessKeyID: "AKIAALICE00000000001", SecretAccessKey: "alice-secret-0000000000000000000000000000"}
	session := aws.Credentials{AccessKeyID: "ASIAREADER0000000001", SecretAccessKey: "reader-secret-000000000000000000000000", SessionToken: "FwoGZXIvYXdzEJr-session-token-7"}
	aliceSees := "arn:aws:iam::000000000000:user/alice "
	sessionSees := "arn:aws:sts::000000000000:assumed-role/reader/job-7 AROA"

	// Unsigned: AWS's answer to a request without credentials.
	r := invokePath(t, srv, "GET", api.Id, "prod", "/pets", "")
	if r.status != 403 || r.body != `{"message":"Missing Authentication Token"}` || r.header.Get("x-amzn-ErrorType") != "MissingAuthenticationTokenException" {
		t.Fatalf("unsigned: %d %s %v", r.status, r.body, r.header)
	}

	// aws-sdk-go-v2, Authorization header and presigned URL.
	if r := goSigned(t, "GET", base+"/pets", "", alice, time.Now()); r.status != 200 || !strings.HasPrefix(r.body, aliceSees) ||
		!strings.HasSuffix(r.body, " AKIAALICE00000000001 000000000000") {
		t.Fatalf("go signer: %d %s", r.status, r.body)
	}
	if r := goSigned(t, "POST", base+"/pets?x=1&y=a%20b", `{"pet":"cat"}`, alice, time.Now()); r.status != 200 {
		t.Fatalf("go signer, POST with a body and a query: %d %s", r.status, r.body)
	}
	if r := goSigned(t, "GET", base+"/pets", "", session, time.Now()); r.status != 200 || !strings.HasPrefix(r.body, sessionSees) {
		t.Fatalf("go signer, role session: %d %s", r.status, r.body)
	}
	u := goPresigned(t, base+"/pets?X-Amz-Expires=60", alice, time.Now())
	if r := do(t, "GET", u, "", ""); r.status != 200 || !strings.HasPrefix(r.body, aliceSees) {
		t.Fatalf("go presigned: %d %s", r.status, r.body)
	}
	if r := do(t, "GET", goPresigned(t, base+"/pets?X-Amz-Expires=60", alice, time.Now().Add(-2*time.Minute)), "", ""); r.status != 403 ||
		!strings.HasPrefix(r.body, `{"message":"Signature expired: `) {
		t.Fatalf("expired presigned URL: %d %s", r.status, r.body)
	}

	// botocore, as boto3-based clients sign.
	for _, c := range []struct {
		name, method, path, body, mode string
		creds                          aws.Credentials
		status                         int
		prefix                         string
	}{
		{"SigV4Auth", "GET", "/pets", "", "header", alice, 200, aliceSees},
		{"SigV4Auth with a body", "POST", "/pets?q=a%20b&r=%2F", `{"pet":"dog"}`, "header", alice, 200, aliceSees},
		{"SigV4Auth, session token", "GET", "/pets", "", "header", session, 200, sessionSees},
		{"SigV4QueryAuth", "GET", "/pets", "", "query", alice, 200, aliceSees},
		{"SigV4QueryAuth, session token", "GET", "/pets", "", "query", session, 200, sessionSees},
		{"not allowed", "GET", "/pets", "", "header", aws.Credentials{AccessKeyID: "AKIABOB0000000000001", SecretAccessKey: "bob-secret-00000000000000000000000000000"},
			403, `{"Message":"User: arn:aws:iam::000000000000:user/bob is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:000000000000:` + api.Id + `/prod/GET/pets"}`},
		{"wrong secret", "GET", "/pets", "", "header", aws.Credentials{AccessKeyID: alice.AccessKeyID, SecretAccessKey: "guess"},
			403, `{"message":"The request signature we calculated does not match the signature you provided.`},
		{"unknown key", "GET", "/pets", "", "header", aws.Credentials{AccessKeyID: "AKIANOBODY0000000001", SecretAccessKey: "x"},
			403, `{"message":"The security token included in the request is invalid."}`},
	} {
		status, body := botocoreSigned(t, c.method, base+c.path, c.body, c.mode, c.creds)
		if status != c.status || !strings.HasPrefix(body, c.prefix) {
			t.Errorf("botocore %s: %d %s, want %d %s…", c.name, status, body, c.status, c.prefix)
		}
	}

	// The Lambda proxy event carries the caller.
	r = goSigned(t, "GET", base+"/event", "", alice, time.Now())
	var ev events.APIGatewayProxyRequest
	if r.status != 200 || json.Unmarshal([]byte(r.body), &ev) != nil {
		t.Fatalf("event: %d %s", r.status, r.body)
	}
	id := ev.RequestContext.Identity
	if id.UserArn != "arn:aws:iam::000000000000:user/alice" || id.AccessKey != alice.AccessKeyID || id.AccountID != "000000000000" ||
		!strings.HasPrefix(id.Caller, "AIDA") || id.User != id.Caller {
		t.Errorf("event identity = %+v", id)
	}

	// The file read again: bob may now GET /pets.
	bobFile := strings.Replace(identitiesYAML, "secretAccessKey: bob-secret-00000000000000000000000000000}", "secretAccessKey: bob-secret-00000000000000000000000000000}\n    policies:\n      p: {Statement: [{Effect: Allow, Action: 'execute-api:*', Resource: '*'}]}", 1)
	if err := os.WriteFile(idFile, []byte(bobFile), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := srv.ReloadIdentities(); err != nil {
		t.Fatal(err)
	}
	bob := aws.Credentials{AccessKeyID: "AKIABOB0000000000001", SecretAccessKey: "bob-secret-00000000000000000000000000000"}
	waitFor(t, "bob's new policy", func() bool { return goSigned(t, "GET", base+"/pets", "", bob, time.Now()).status == 200 })

	// Identities are kept in the store: they survive a restart without the file.
	stopServer(t, srv)
	srv = startServer(t, dir)
	base = "http://" + srv.DataAddr + "/restapis/" + api.Id + "/prod/_user_request_"
	waitFor(t, "the restarted stage", func() bool {
		return goSigned(t, "GET", base+"/pets", "", alice, time.Now()).status == 200
	})
	// The admin credentials are the account's root, allowed everything.
	root := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
	if r := goSigned(t, "POST", base+"/pets", "", root, time.Now()); r.status != 200 || !strings.HasPrefix(r.body, "arn:aws:iam::000000000000:root 000000000000 ") {
		t.Fatalf("root: %d %s", r.status, r.body)
	}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// goSigned sends a request signed by aws-sdk-go-v2's SigV4 signer for execute-api.
func goSigned(t *testing.T, method, url, body string, c aws.Credentials, at time.Time) response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), c, req, sha256Hex([]byte(body)), "execute-api", "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	resp, err := invokeClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(b)}
}

// goPresigned presigns a GET with aws-sdk-go-v2's signer.
func goPresigned(t *testing.T, url string, c aws.Credentials, at time.Time) string {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	u, _, err := v4.NewSigner().PresignHTTP(context.Background(), c, req, sha256Hex(nil), "execute-api", "us-east-1", at)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// botocoreSigned signs and sends a request with botocore (testdata/sigv4_sign.py).
func botocoreSigned(t *testing.T, method, url, body, mode string, c aws.Credentials) (int, string) {
	t.Helper()
	py := needTool(t, "python3")
	cmd := exec.Command(py, "testdata/sigv4_sign.py", method, url, body, mode)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+c.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+c.SecretAccessKey,
		"AWS_SESSION_TOKEN="+c.SessionToken, "AWS_REGION=us-east-1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sigv4_sign.py: %v\n%s", err, stderr.String())
	}
	status, rest, _ := strings.Cut(string(out), "\n")
	n, err := strconv.Atoi(status)
	if err != nil {
		t.Fatalf("sigv4_sign.py printed %q", out)
	}
	return n, rest
}
