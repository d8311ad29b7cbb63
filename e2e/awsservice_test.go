package e2e

import (
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/portico/portico/internal/server"
)

// startMoto runs moto_server (AWS service look-alikes) on a free loopback port until the test
// ends and returns its URL.
func startMoto(t *testing.T) string {
	t.Helper()
	bin := needTool(t, "moto_server")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", port)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-exited })
	url := "http://127.0.0.1:" + port
	waitFor(t, "moto_server", func() bool {
		select {
		case <-exited:
			t.Fatal("moto_server exited")
		default:
		}
		resp, err := http.Get(url + "/moto-api/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return url
}

// motoCall sends one call straight to moto; the Authorization scope names the service.
func motoCall(t *testing.T, url, service, contentType, target, body string) string {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/", strings.NewReader(body))
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/"+service+
		"/aws4_request, SignedHeaders=host, Signature=0")
	req.Header.Set("Content-Type", contentType)
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("moto %s: %d %s", service, resp.StatusCode, b)
	}
	return string(b)
}

// SQS and DynamoDB actions through AWS integrations imported from OpenAPI, on a server
// configured with moto_server as the AWS endpoint and credentials to sign with.
func TestAWSServiceIntegrationsOnMoto(t *testing.T) {
	moto := startMoto(t)
	motoCall(t, moto, "sqs", "application/x-www-form-urlencoded", "", "Action=CreateQueue&QueueName=orders")
	motoCall(t, moto, "dynamodb", "application/x-amz-json-1.0", "DynamoDB_20120810.CreateTable",
		`{"TableName":"pets","KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],`+
			`"AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}`)
	srv := startServer(t, t.TempDir(), func(c *server.Config) {
		c.AWS.DefaultEndpoint = moto
		c.AWS.AccessKeyID, c.AWS.SecretAccessKey = "AKIDTEST", "secret"
	})
	spec := `{"openapi":"3.0.1","info":{"title":"services","version":"1"},"paths":{
	  "/orders":{"post":{"responses":{"200":{"description":"ok"}},
	    "x-amazon-apigateway-integration":{"type":"aws","httpMethod":"POST",
	      "uri":"arn:aws:apigateway:us-east-1:sqs:action/SendMessage&QueueUrl=${stageVariables.queue}",
	      "credentials":"arn:aws:iam::000000000000:role/apigw",
	      "requestParameters":{"integration.request.querystring.MessageBody":"method.request.body"},
	      "responses":{"default":{"statusCode":"200"}}}}},
	  "/pets/{id}":{
	    "parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"}}],
	    "put":{"responses":{"200":{"description":"ok"}},
	      "x-amazon-apigateway-integration":{"type":"aws","httpMethod":"POST","uri":"arn:aws:apigateway:us-east-1:dynamodb:action/PutItem",
	        "requestTemplates":{"application/json":"{\"TableName\":\"pets\",\"Item\":{\"id\":{\"S\":\"$input.params('id')\"},\"name\":{\"S\":$input.json('$.name')}}}"},
	        "responses":{"default":{"statusCode":"200","responseTemplates":{"application/json":"{\"stored\":\"$input.params('id')\"}"}}}}},
	    "get":{"responses":{"200":{"description":"ok"},"404":{"description":"none"}},
	      "x-amazon-apigateway-integration":{"type":"aws","httpMethod":"POST","uri":"arn:aws:apigateway:us-east-1:dynamodb:action/GetItem",
	        "requestTemplates":{"application/json":"{\"TableName\":\"pets\",\"Key\":{\"id\":{\"S\":\"$input.params('id')\"}}}"},
	        "responses":{"default":{"statusCode":"200","responseTemplates":{"application/json":
	          "#if($input.path('$.Item'))$input.json('$.Item.name.S')#else#set($context.responseOverride.status = 404){}#end"}}}}}}}}`
	specFile := filepath.Join(t.TempDir(), "api.json")
	os.WriteFile(specFile, []byte(spec), 0o600)
	var api struct{ ID string }
	if stderr, err := awsCLI(t, srv, &api, "apigateway", "import-rest-api", "--body", "fileb://"+specFile); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	if stderr, err := awsCLI(t, srv, nil, "apigateway", "create-deployment", "--rest-api-id", api.ID,
		"--stage-name", "prod", "--variables", "queue="+moto+"/123456789012/orders"); err != nil {
		t.Fatalf("deploy: %v\n%s", err, stderr)
	}
	var r response
	waitFor(t, "the deployed stage", func() bool {
		r = invokePath(t, srv, "POST", api.ID, "prod", "/orders", `{"order":1}`)
		return r.status != 403 && r.status != 404
	})
	if r.status != 200 || !strings.Contains(r.body, "MessageId") {
		t.Fatalf("SendMessage: %d %s", r.status, r.body)
	}
	if got := motoCall(t, moto, "sqs", "application/x-www-form-urlencoded", "",
		"Action=ReceiveMessage&QueueUrl="+moto+"/123456789012/orders"); !strings.Contains(got, "order") {
		t.Fatalf("the queue holds %s", got)
	}
	invokePath(t, srv, "PUT", api.ID, "prod", "/pets/7", `{"name":"rex"}`, "Content-Type", "application/json").want(t, 200, `{"stored":"7"}`)
	invokePath(t, srv, "GET", api.ID, "prod", "/pets/7", "").want(t, 200, `"rex"`)
	invokePath(t, srv, "GET", api.ID, "prod", "/pets/8", "").want(t, 404, `{}`)
}
