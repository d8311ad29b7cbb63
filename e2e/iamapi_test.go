package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// TestIAMAPIWithAWSCLI manages an AWS_IAM caller with the stock `aws iam` commands: a user, an
// access key and an inline policy made on the management endpoint let the key call the method;
// the lists and reads answer as IAM does; deleting the key takes the access away, and AWS's
// conflicts and missing entities are answered.
func TestIAMAPIWithAWSCLI(t *testing.T) {
	srv := startServer(t, t.TempDir())
	iamCLI := func(out any, args ...string) string {
		t.Helper()
		stderr, err := awsCLI(t, srv, out, append([]string{"iam"}, args...)...)
		if err != nil {
			return stderr
		}
		return ""
	}
	must := func(out any, args ...string) {
		t.Helper()
		if stderr := iamCLI(out, args...); stderr != "" {
			t.Fatalf("aws iam %v: %s", args, stderr)
		}
	}
	apigw := func(out any, args ...string) {
		t.Helper()
		if stderr, err := awsCLI(t, srv, out, append([]string{"apigateway"}, args...)...); err != nil {
			t.Fatalf("aws apigateway %v: %v\n%s", args, err, stderr)
		}
	}
	var api struct{ Id, RootResourceId string }
	apigw(&api, "create-rest-api", "--name", "iam-api")
	apigw(nil, "put-method", "--rest-api-id", api.Id, "--resource-id", api.RootResourceId, "--http-method", "GET", "--authorization-type", "AWS_IAM")
	apigw(nil, "put-method-response", "--rest-api-id", api.Id, "--resource-id", api.RootResourceId, "--http-method", "GET", "--status-code", "200")
	apigw(nil, "put-integration", "--rest-api-id", api.Id, "--resource-id", api.RootResourceId, "--http-method", "GET",
		"--type", "MOCK", "--request-templates", `{"application/json":"{\"statusCode\": 200}"}`)
	apigw(nil, "put-integration-response", "--rest-api-id", api.Id, "--resource-id", api.RootResourceId, "--http-method", "GET",
		"--status-code", "200", "--response-templates", `{"application/json":"$context.identity.userArn"}`)
	apigw(nil, "create-deployment", "--rest-api-id", api.Id, "--stage-name", "prod")
	url := "http://" + srv.DataAddr + "/restapis/" + api.Id + "/prod/_user_request_/"

	var user struct {
		User struct{ UserName, UserId, Arn, Path string }
	}
	must(&user, "create-user", "--user-name", "carol", "--path", "/ops/")
	if user.User.Arn != "arn:aws:iam::000000000000:user/ops/carol" || !strings.HasPrefix(user.User.UserId, "AIDA") || user.User.Path != "/ops/" {
		t.Fatalf("create-user answered %+v", user)
	}
	if stderr := iamCLI(nil, "create-user", "--user-name", "CAROL"); !strings.Contains(stderr, "EntityAlreadyExists") ||
		!strings.Contains(stderr, "User with name CAROL already exists.") {
		t.Fatalf("duplicate user: %s", stderr)
	}
	var key struct {
		AccessKey struct{ AccessKeyId, SecretAccessKey, Status, UserName string }
	}
	must(&key, "create-access-key", "--user-name", "carol")
	if key.AccessKey.Status != "Active" || len(key.AccessKey.SecretAccessKey) != 40 || key.AccessKey.UserName != "carol" {
		t.Fatalf("create-access-key answered %+v", key)
	}
	carol := aws.Credentials{AccessKeyID: key.AccessKey.AccessKeyId, SecretAccessKey: key.AccessKey.SecretAccessKey}
	waitFor(t, "the deployment and the key", func() bool {
		return goSigned(t, "GET", url, "", carol, time.Now()).status == 403 &&
			strings.Contains(goSigned(t, "GET", url, "", carol, time.Now()).body, "is not authorized to perform")
	})

	const doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:*:*:*/prod/GET/*"}]}`
	if stderr := iamCLI(nil, "put-user-policy", "--user-name", "carol", "--policy-name", "bad", "--policy-document", `{"Statement":[{"Effect":"Perhaps"}]}`); !strings.Contains(stderr, "MalformedPolicyDocument") {
		t.Fatalf("bad policy: %s", stderr)
	}
	must(nil, "put-user-policy", "--user-name", "carol", "--policy-name", "invoke", "--policy-document", doc)
	waitFor(t, "the policy", func() bool {
		r := goSigned(t, "GET", url, "", carol, time.Now())
		return r.status == 200 && r.body == "arn:aws:iam::000000000000:user/ops/carol"
	})

	var users struct{ Users []struct{ UserName string } }
	must(&users, "list-users")
	if len(users.Users) != 1 || users.Users[0].UserName != "carol" {
		t.Fatalf("list-users answered %+v", users)
	}
	var keys struct {
		AccessKeyMetadata []struct{ AccessKeyId, Status string }
	}
	must(&keys, "list-access-keys", "--user-name", "carol")
	if len(keys.AccessKeyMetadata) != 1 || keys.AccessKeyMetadata[0].AccessKeyId != carol.AccessKeyID {
		t.Fatalf("list-access-keys answered %+v", keys)
	}
	var got struct {
		PolicyName     string
		PolicyDocument struct{ Version string }
	}
	must(&got, "get-user-policy", "--user-name", "carol", "--policy-name", "invoke")
	if got.PolicyName != "invoke" || got.PolicyDocument.Version != "2012-10-17" {
		t.Fatalf("get-user-policy answered %+v", got)
	}
	var names struct{ PolicyNames []string }
	must(&names, "list-user-policies", "--user-name", "carol")
	if len(names.PolicyNames) != 1 || names.PolicyNames[0] != "invoke" {
		t.Fatalf("list-user-policies answered %+v", names)
	}

	if stderr := iamCLI(nil, "delete-user", "--user-name", "carol"); !strings.Contains(stderr, "DeleteConflict") {
		t.Fatalf("delete-user with keys: %s", stderr)
	}
	must(nil, "delete-access-key", "--user-name", "carol", "--access-key-id", carol.AccessKeyID)
	waitFor(t, "the key's removal", func() bool {
		return goSigned(t, "GET", url, "", carol, time.Now()).body == `{"message":"The security token included in the request is invalid."}`
	})
	must(nil, "delete-user-policy", "--user-name", "carol", "--policy-name", "invoke")
	must(nil, "delete-user", "--user-name", "carol")
	if stderr := iamCLI(nil, "get-user", "--user-name", "carol"); !strings.Contains(stderr, "NoSuchEntity") ||
		!strings.Contains(stderr, "The user with name carol cannot be found.") {
		t.Fatalf("get-user after delete: %s", stderr)
	}
	// The management API is unchanged by the IAM API sharing its listener.
	var apis struct{ Items []struct{ Id string } }
	apigw(&apis, "get-rest-apis")
	if len(apis.Items) != 1 {
		t.Fatalf("get-rest-apis answered %+v", apis)
	}
}
