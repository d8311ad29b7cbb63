package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"

	"github.com/portico/portico/internal/server"
)

// TestSTSAssumeRoleWithAWSCLI: `aws sts assume-role` gives temporary credentials of a role of
// the identities file; a call signed with them (and its session token) acts as the session, and
// the session outlives a restart that reads the file again. A role made with `aws iam
// create-role` works the same way, and deleting it ends its sessions.
func TestSTSAssumeRoleWithAWSCLI(t *testing.T) {
	dir := t.TempDir()
	idFile := filepath.Join(t.TempDir(), "identities.yaml")
	if err := os.WriteFile(idFile, []byte(`
roles:
  - name: deployer
    policies:
      get: {Statement: [{Effect: Allow, Action: execute-api:Invoke, Resource: "arn:aws:execute-api:*:*:*/*/GET/*"}]}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	withFile := func(c *server.Config) { c.IdentitiesFile = idFile }
	srv := startServer(t, dir, withFile)
	ctx := context.Background()
	c := sdk(srv)
	api, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("sts")})
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"GET", "DELETE"} {
		if _, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: api.RootResourceId,
			HttpMethod: aws.String(verb), AuthorizationType: aws.String("AWS_IAM")}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: api.Id, ResourceId: api.RootResourceId,
			HttpMethod: aws.String(verb), StatusCode: aws.String("200")}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: api.Id, ResourceId: api.RootResourceId,
			HttpMethod: aws.String(verb), Type: "MOCK", RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: api.Id, ResourceId: api.RootResourceId,
			HttpMethod: aws.String(verb), StatusCode: aws.String("200"),
			ResponseTemplates: map[string]string{"application/json": "$context.identity.userArn $context.identity.caller"}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("prod")}); err != nil {
		t.Fatal(err)
	}

	var out struct {
		Credentials     struct{ AccessKeyId, SecretAccessKey, SessionToken, Expiration string }
		AssumedRoleUser struct{ Arn, AssumedRoleId string }
	}
	if stderr, err := awsCLI(t, srv, &out, "sts", "assume-role", "--role-arn", "arn:aws:iam::000000000000:role/deployer",
		"--role-session-name", "ci-42", "--duration-seconds", "900"); err != nil {
		t.Fatalf("assume-role: %v\n%s", err, stderr)
	}
	if out.AssumedRoleUser.Arn != "arn:aws:sts::000000000000:assumed-role/deployer/ci-42" || !strings.HasPrefix(out.Credentials.AccessKeyId, "ASIA") {
		t.Fatalf("assume-role answered %+v", out)
	}
	exp, err := time.Parse(time.RFC3339, out.Credentials.Expiration)
	if err != nil || exp.Sub(time.Now()) > 901*time.Second || exp.Sub(time.Now()) < 800*time.Second {
		t.Fatalf("expiration %q", out.Credentials.Expiration)
	}
	if stderr, err := awsCLI(t, srv, nil, "sts", "assume-role", "--role-arn", "arn:aws:iam::000000000000:role/nobody",
		"--role-session-name", "x1"); err == nil || !strings.Contains(stderr, "AccessDenied") {
		t.Fatalf("unknown role: %v %s", err, stderr)
	}

	session := aws.Credentials{AccessKeyID: out.Credentials.AccessKeyId, SecretAccessKey: out.Credentials.SecretAccessKey,
		SessionToken: out.Credentials.SessionToken}
	url := func() string { return "http://" + srv.DataAddr + "/restapis/" + *api.Id + "/prod/_user_request_/" }
	waitFor(t, "the session's access", func() bool {
		r := goSigned(t, "GET", url(), "", session, time.Now())
		return r.status == 200 && r.body == "arn:aws:sts::000000000000:assumed-role/deployer/ci-42 "+out.AssumedRoleUser.AssumedRoleId
	})
	if r := goSigned(t, "DELETE", url(), "", session, time.Now()); r.status != 403 ||
		!strings.Contains(r.body, "User: arn:aws:sts::000000000000:assumed-role/deployer/ci-42 is not authorized") {
		t.Fatalf("DELETE: %d %s", r.status, r.body)
	}
	noToken := session
	noToken.SessionToken = ""
	if r := goSigned(t, "GET", url(), "", noToken, time.Now()); r.status != 403 ||
		r.body != `{"message":"The security token included in the request is invalid."}` {
		t.Fatalf("without the token: %d %s", r.status, r.body)
	}

	// A restart reads the file again, which rewrites the role; its session stays.
	stopServer(t, srv)
	srv = startServer(t, dir, withFile)
	waitFor(t, "the session after a restart", func() bool { return goSigned(t, "GET", url(), "", session, time.Now()).status == 200 })

	// A role made with aws iam: assumed, used, then deleted, which ends its session.
	cli := func(out any, args ...string) {
		t.Helper()
		if stderr, err := awsCLI(t, srv, out, args...); err != nil {
			t.Fatalf("aws %v: %v\n%s", args, err, stderr)
		}
	}
	cli(nil, "iam", "create-role", "--role-name", "api-made", "--assume-role-policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}`)
	cli(nil, "iam", "put-role-policy", "--role-name", "api-made", "--policy-name", "all", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}]}`)
	cli(&out, "sts", "assume-role", "--role-arn", "arn:aws:iam::000000000000:role/api-made", "--role-session-name", "s1")
	made := aws.Credentials{AccessKeyID: out.Credentials.AccessKeyId, SecretAccessKey: out.Credentials.SecretAccessKey,
		SessionToken: out.Credentials.SessionToken}
	waitFor(t, "the new role's session", func() bool { return goSigned(t, "DELETE", url(), "", made, time.Now()).status == 200 })
	cli(nil, "iam", "delete-role-policy", "--role-name", "api-made", "--policy-name", "all")
	cli(nil, "iam", "delete-role", "--role-name", "api-made")
	waitFor(t, "the session's end", func() bool {
		return goSigned(t, "GET", url(), "", made, time.Now()).body == `{"message":"The security token included in the request is invalid."}`
	})
}
