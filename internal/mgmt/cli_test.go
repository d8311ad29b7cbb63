package mgmt

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// awsCLI runs the stock AWS CLI against the test server and decodes its JSON output.
func awsCLI(t *testing.T, e *env, secret string, args ...string) (map[string]any, string, error) {
	t.Helper()
	cmd := exec.Command("aws", append([]string{"--endpoint-url", e.url, "--output", "json", "apigateway"}, args...)...)
	cmd.Env = append(os.Environ(),
		"AWS_ACCESS_KEY_ID="+testKey, "AWS_SECRET_ACCESS_KEY="+secret, "AWS_DEFAULT_REGION="+testRegion,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, stderr.String(), err
	}
	var m map[string]any
	if len(out) > 0 {
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("aws %v: output %q is not JSON: %v", args, out, err)
		}
	}
	return m, stderr.String(), nil
}

func TestAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("the aws CLI is not installed; CI must install it")
		}
		t.Skip("aws CLI not installed")
	}
	if testing.Short() {
		t.Skip("the AWS CLI takes seconds per call")
	}
	e := newEnv(t)
	api, stderr, err := awsCLI(t, e, testSecret, "create-rest-api", "--name", "cli-api")
	if err != nil {
		t.Fatalf("create-rest-api: %v %s", err, stderr)
	}
	id := api["id"].(string)
	root := api["rootResourceId"].(string)
	res, stderr, err := awsCLI(t, e, testSecret, "create-resource", "--rest-api-id", id, "--parent-id", root, "--path-part", "{proxy+}")
	if err != nil {
		t.Fatalf("create-resource: %v %s", err, stderr)
	}
	rid := res["id"].(string)
	for _, args := range [][]string{
		{"put-method", "--rest-api-id", id, "--resource-id", rid, "--http-method", "ANY", "--authorization-type", "NONE"},
		{"put-integration", "--rest-api-id", id, "--resource-id", rid, "--http-method", "ANY", "--type", "HTTP_PROXY", "--integration-http-method", "ANY", "--uri", "http://127.0.0.1:9999/{proxy}"},
		{"create-deployment", "--rest-api-id", id, "--stage-name", "dev"},
		{"update-stage", "--rest-api-id", id, "--stage-name", "dev", "--patch-operations", "op=replace,path=/*/*/throttling/rateLimit,value=50"},
		{"get-gateway-response", "--rest-api-id", id, "--response-type", "DEFAULT_4XX"},
		{"get-account"},
	} {
		if _, stderr, err := awsCLI(t, e, testSecret, args...); err != nil {
			t.Fatalf("%s: %v %s", args[0], err, stderr)
		}
	}
	list, _, err := awsCLI(t, e, testSecret, "get-resources", "--rest-api-id", id, "--embed", "methods")
	if err != nil || len(list["items"].([]any)) != 2 {
		t.Fatalf("get-resources: %v %v", err, list)
	}
	_, stderr, err = awsCLI(t, e, testSecret, "get-rest-api", "--rest-api-id", "missing000")
	if err == nil || !strings.Contains(stderr, "NotFoundException") || !strings.Contains(stderr, "Invalid API identifier specified "+testAcct+":missing000") {
		t.Fatalf("get-rest-api of a missing id: %v %s", err, stderr)
	}
	_, stderr, err = awsCLI(t, e, "wrong-secret", "get-rest-apis")
	if err == nil || !strings.Contains(stderr, "InvalidSignatureException") {
		t.Fatalf("wrong secret: %v %s", err, stderr)
	}
}
