package e2e

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/portico/portico/internal/server"
)

var rewrite = flag.Bool("rewrite", false, "rewrite golden files under testdata/")

// eventVolatile are the values of a proxy event that change per run, normalised for the
// golden file.
var eventVolatile = []*regexp.Regexp{
	regexp.MustCompile(`("(?:requestId|extendedRequestId|requestTime|domainName|domainPrefix|apiId|deploymentId|resourceId|Host|X-Forwarded-Port|X-Amzn-Trace-Id)":\[?)"[^"]*"`),
	regexp.MustCompile(`("requestTimeEpoch":)\d+`),
}

func normaliseEvent(t *testing.T, raw string) string {
	t.Helper()
	if !json.Valid([]byte(raw)) {
		t.Fatalf("the function saw an event that is not JSON: %s", raw)
	}
	for _, re := range eventVolatile {
		raw = re.ReplaceAllString(raw, `$1"…"`)
	}
	var b bytes.Buffer
	json.Indent(&b, []byte(raw), "", "  ")
	return b.String() + "\n"
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *rewrite {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -rewrite to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// An aws-lambda-go handler created with the stock AWS CLI behind AWS_PROXY and AWS (non-proxy)
// integrations imported from OpenAPI: the proxy event it sees is AWS's, key for key; a
// non-proxy call maps its request and response through templates, and a function error is
// selected by its errorMessage.
func TestLambdaIntegrations(t *testing.T) {
	srv := startServer(t, t.TempDir())
	z := buildFunctionZip(t, "./testdata/eventfn")
	var fn struct{ FunctionArn string }
	if stderr, err := awsCLI(t, srv, &fn, "lambda", "create-function", "--function-name", "events",
		"--runtime", "provided.al2023", "--handler", "bootstrap", "--role", "arn:aws:iam::000000000000:role/lambda",
		"--zip-file", "fileb://"+z); err != nil {
		t.Fatalf("create-function: %v\n%s", err, stderr)
	}
	uri := "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:${stageVariables.fn}/invocations"
	spec := `{"openapi":"3.0.1","info":{"title":"events","version":"1"},"paths":{
	  "/events/{id}":{"x-amazon-apigateway-any-method":{
	    "parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"}}],
	    "x-amazon-apigateway-integration":{"type":"aws_proxy","httpMethod":"POST","uri":"` + uri + `"}}},
	  "/mapped":{"post":{
	    "responses":{"200":{"description":"ok"},"400":{"description":"bad"}},
	    "x-amazon-apigateway-integration":{"type":"aws","httpMethod":"POST","uri":"` + uri + `",
	      "requestTemplates":{"application/json":"{\"fail\":$input.json('$.fail'),\"who\":\"$input.params('who')\"}"},
	      "responses":{
	        "default":{"statusCode":"200","responseTemplates":{"application/json":"{\"got\":$input.json('$.echo.who')}"}},
	        "Invalid.*":{"statusCode":"400","responseTemplates":{"application/json":"{\"error\":\"$input.path('$.errorMessage')\"}"}}}}}},
	  "/async":{"post":{
	    "responses":{"202":{"description":"queued"}},
	    "x-amazon-apigateway-integration":{"type":"aws","httpMethod":"POST","uri":"` + uri + `",
	      "requestParameters":{"integration.request.header.X-Amz-Invocation-Type":"'Event'"},
	      "responses":{"default":{"statusCode":"202","responseTemplates":{"application/json":"{\"queued\":\"$input.body\"}"}}}}}}}}`
	specFile := filepath.Join(t.TempDir(), "api.json")
	os.WriteFile(specFile, []byte(spec), 0o600)
	var api struct{ ID string }
	if stderr, err := awsCLI(t, srv, &api, "apigateway", "import-rest-api", "--body", "fileb://"+specFile); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	if stderr, err := awsCLI(t, srv, nil, "apigateway", "create-deployment", "--rest-api-id", api.ID,
		"--stage-name", "prod", "--variables", "fn=events"); err != nil {
		t.Fatalf("deploy: %v\n%s", err, stderr)
	}
	var r response
	waitFor(t, "the deployed stage", func() bool {
		r = invokePath(t, srv, "POST", api.ID, "prod", "/events/7%20x?a=1&a=2&b=two%20words", `{"name":"rex"}`,
			"Content-Type", "application/json", "User-Agent", "e2e/1.0", "X-Amzn-Trace-Id", "Root=1-00000000-000000000000000000000000")
		return r.status != 403 && r.status != 404
	})
	if r.status != 200 || r.header.Values("X-Seen")[0] != "a" || len(r.header.Values("X-Seen")) != 2 {
		t.Fatalf("proxy: %d %v %s", r.status, r.header, r.body)
	}
	compareGolden(t, filepath.Join("testdata", "lambdaint", "proxy_event.json"), normaliseEvent(t, r.body))

	r = invokePath(t, srv, "GET", api.ID, "prod", "/events/1", "", "User-Agent", "e2e/1.0", "X-Amzn-Trace-Id", "Root=1-00000000-000000000000000000000000")
	if r.status != 200 {
		t.Fatalf("proxy GET: %d %s", r.status, r.body)
	}
	compareGolden(t, filepath.Join("testdata", "lambdaint", "proxy_event_get.json"), normaliseEvent(t, r.body))

	invokePath(t, srv, "POST", api.ID, "prod", "/mapped?who=ann", `{}`, "Content-Type", "application/json").want(t, 200, `{"got":"ann"}`)
	invokePath(t, srv, "POST", api.ID, "prod", "/mapped", `{"fail":"Invalid pet"}`, "Content-Type", "application/json").
		want(t, 400, `{"error":"Invalid pet"}`)
	// X-Amz-Invocation-Type 'Event' queues the invocation: the integration answer is empty ($input.body reads it as {}).
	invokePath(t, srv, "POST", api.ID, "prod", "/async", `{"fail":"later"}`, "Content-Type", "application/json").
		want(t, 202, `{"queued":"{}"}`)
	// An error no pattern selects takes the default response, its body the Lambda error.
	r = invokePath(t, srv, "POST", api.ID, "prod", "/mapped", `{"fail":"other"}`, "Content-Type", "application/json")
	if r.status != 200 || !strings.HasPrefix(r.body, `{"got":`) {
		t.Fatalf("unselected error: %d %s", r.status, r.body)
	}
}

// A function that a server does not have is invoked on the Lambda Invoke API named by
// --lambda-endpoint, signed with SigV4: here a second Portico whose Lambda API runs it.
func TestRemoteLambdaEndpoint(t *testing.T) {
	remote := startServer(t, t.TempDir())
	z := buildFunctionZip(t, "./testdata/eventfn")
	if stderr, err := awsCLI(t, remote, nil, "lambda", "create-function", "--function-name", "remote-events",
		"--runtime", "provided.al2023", "--handler", "bootstrap", "--role", "arn:aws:iam::000000000000:role/lambda",
		"--zip-file", "fileb://"+z); err != nil {
		t.Fatalf("create-function: %v\n%s", err, stderr)
	}
	srv := startServer(t, t.TempDir(), func(c *server.Config) {
		c.AWS.LambdaEndpoint = "http://" + remote.AdminAddr
		c.AWS.LambdaAccessKeyID, c.AWS.LambdaSecretAccessKey = testKeyID, testSecret
	})
	spec := `{"openapi":"3.0.1","info":{"title":"remote","version":"1"},"paths":{"/r":{"get":{
	  "x-amazon-apigateway-integration":{"type":"aws_proxy","httpMethod":"POST",
	    "uri":"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:remote-events/invocations"}}}}}`
	specFile := filepath.Join(t.TempDir(), "api.json")
	os.WriteFile(specFile, []byte(spec), 0o600)
	var api struct{ ID string }
	if stderr, err := awsCLI(t, srv, &api, "apigateway", "import-rest-api", "--body", "fileb://"+specFile); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	if stderr, err := awsCLI(t, srv, nil, "apigateway", "create-deployment", "--rest-api-id", api.ID, "--stage-name", "prod"); err != nil {
		t.Fatalf("deploy: %v\n%s", err, stderr)
	}
	var r response
	waitFor(t, "the deployed stage", func() bool {
		r = invokePath(t, srv, "GET", api.ID, "prod", "/r?q=1", "")
		return r.status != 403 && r.status != 404
	})
	var ev struct {
		Resource       string
		RequestContext struct{ APIID string }
	}
	if r.status != 200 || json.Unmarshal([]byte(r.body), &ev) != nil || ev.Resource != "/r" || ev.RequestContext.APIID != api.ID {
		t.Fatalf("remote invocation: %d %s", r.status, r.body)
	}

	// Wrong credentials: the remote API refuses the signature, the caller gets AWS's 502.
	bad := startServer(t, t.TempDir(), func(c *server.Config) {
		c.AWS.LambdaEndpoint = "http://" + remote.AdminAddr
		c.AWS.LambdaAccessKeyID, c.AWS.LambdaSecretAccessKey = testKeyID, "wrong"
	})
	if stderr, err := awsCLI(t, bad, &api, "apigateway", "import-rest-api", "--body", "fileb://"+specFile); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	if stderr, err := awsCLI(t, bad, nil, "apigateway", "create-deployment", "--rest-api-id", api.ID, "--stage-name", "prod"); err != nil {
		t.Fatalf("deploy: %v\n%s", err, stderr)
	}
	waitFor(t, "the deployed stage", func() bool {
		r = invokePath(t, bad, "GET", api.ID, "prod", "/r", "")
		return r.status != 403 && r.status != 404
	})
	r.want(t, 502, `{"message":"Internal server error"}`)
}
