package gateway

import (
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/model"
)

// startMoto runs moto_server (AWS service look-alikes) on a free loopback port until the test
// ends, and returns its URL. The test is skipped where moto_server is not installed.
func startMoto(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		t.Skip("moto_server is not installed")
	}
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
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if resp, err := http.Get(url + "/moto-api/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return url
			}
		}
		select {
		case <-exited:
			t.Fatal("moto_server exited")
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			t.Fatal("moto_server did not start within 30s")
		}
	}
}

// callMoto sends one call to moto directly; the Authorization header's scope names the service.
func callMoto(t *testing.T, url, service, path, contentType, target, body string) string {
	t.Helper()
	req, _ := http.NewRequest("POST", url+path, strings.NewReader(body))
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

func TestAWSServicesOnMoto(t *testing.T) {
	moto := startMoto(t)
	const form = "application/x-www-form-urlencoded"
	callMoto(t, moto, "sqs", "/", form, "", "Action=CreateQueue&QueueName=orders")
	queueURL := moto + "/123456789012/orders"
	callMoto(t, moto, "dynamodb", "/", "application/x-amz-json-1.0", "DynamoDB_20120810.CreateTable",
		`{"TableName":"pets","KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],`+
			`"AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}`)

	ok := func(template string) map[string]*model.IntegrationResponse {
		return map[string]*model.IntegrationResponse{"200": ir("200", "", template, nil), "400": ir("400", `4\d\d`, "", nil)}
	}
	doc := newDoc(
		&model.Resource{Id: "rootrootid", Path: "/"},
		&model.Resource{Id: "ordersid", ParentId: "rootrootid", PathPart: "orders", Path: "/orders", ResourceMethods: map[string]*model.Method{
			// Action style: the message from the body, the queue from a stage variable.
			"POST": awsMethod("arn:aws:apigateway:us-east-1:sqs:action/SendMessage&QueueUrl=${stageVariables.queue}", "POST",
				map[string]string{"integration.request.querystring.MessageBody": "method.request.body"}, nil, ok(""), "200", "400"),
			// Path style, as AWS's SQS tutorial writes it: a form built by the template.
			"PUT": awsMethod("arn:aws:apigateway:us-east-1:sqs:path/123456789012/orders", "POST",
				map[string]string{"integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"},
				map[string]string{"application/json": "Action=SendMessage&MessageBody=$util.urlEncode($input.body)"}, ok(""), "200", "400")}},
		&model.Resource{Id: "filesid", ParentId: "rootrootid", PathPart: "files", Path: "/files"},
		&model.Resource{Id: "fileid", ParentId: "filesid", PathPart: "{key}", Path: "/files/{key}", ResourceMethods: map[string]*model.Method{
			// S3 path style: the object key from the route, its type from the client.
			"PUT": awsMethod("arn:aws:apigateway:us-east-1:s3:path/photos/{key}", "PUT",
				map[string]string{"integration.request.path.key": "method.request.path.key",
					"integration.request.header.Content-Type": "method.request.header.Content-Type"}, nil, ok(""), "200", "400"),
			"GET": awsMethod("arn:aws:apigateway:us-east-1:s3:path/photos/{key}", "GET",
				map[string]string{"integration.request.path.key": "method.request.path.key"}, nil,
				map[string]*model.IntegrationResponse{"200": ir("200", "", "", map[string]string{
					"method.response.header.Content-Type": "integration.response.header.Content-Type"}),
					"404": ir("404", "404", `{"missing":"$input.params('key')"}`, nil)}, "200", "404")}},
		&model.Resource{Id: "petsid", ParentId: "rootrootid", PathPart: "pets", Path: "/pets"},
		&model.Resource{Id: "petid", ParentId: "petsid", PathPart: "{id}", Path: "/pets/{id}", ResourceMethods: map[string]*model.Method{
			"PUT": awsMethod("arn:aws:apigateway:us-east-1:dynamodb:action/PutItem", "POST", nil,
				map[string]string{"application/json": `{"TableName":"pets","Item":{"id":{"S":"$input.params('id')"},"name":{"S":$input.json('$.name')}}}`},
				ok(`{"stored":"$input.params('id')"}`), "200", "400"),
			"POST": awsMethod("arn:aws:apigateway:us-east-1:dynamodb:action/GetItem", "POST", nil,
				map[string]string{"application/json": `{"TableName":"$input.params('table')","Key":{"id":{"S":"$input.params('id')"}}}`},
				ok(`{"id":"$input.path('$.Item.id.S')","name":"$input.path('$.Item.name.S')"}`), "200", "400")}},
	)
	e := newEnv(t, Options{AWS: AWSServices{DefaultEndpoint: moto, AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"}})
	e.deploy(doc, "dep1", "prod", map[string]string{"queue": queueURL})

	t.Run("SQS SendMessage action", func(t *testing.T) {
		r := e.do("POST", e.pathURL(apiID, "prod", "/orders"), "", strings.NewReader(`{"order":1} & more`), nil)
		if r.status != 200 || !strings.Contains(r.body, "MessageId") {
			t.Fatalf("got %d %s", r.status, r.body)
		}
		r = e.do("PUT", e.pathURL(apiID, "prod", "/orders"), "", strings.NewReader(`{"order":2}`), nil)
		if r.status != 200 || !strings.Contains(r.body, "MessageId") {
			t.Fatalf("path style: %d %s", r.status, r.body)
		}
		got := callMoto(t, moto, "sqs", "/123456789012/orders", form, "", "Action=ReceiveMessage&MaxNumberOfMessages=10")
		for _, want := range []string{"{&quot;order&quot;:1} &amp; more", "{&quot;order&quot;:2}"} {
			if !strings.Contains(got, want) && !strings.Contains(got, strings.ReplaceAll(want, "&quot;", `"`)) {
				t.Errorf("queue lacks %s: %s", want, got)
			}
		}
	})
	t.Run("S3 path style", func(t *testing.T) {
		req, _ := http.NewRequest("PUT", moto+"/photos", nil)
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0")
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
			t.Fatalf("create bucket: %v %v", err, resp)
		} else {
			resp.Body.Close()
		}
		r := e.do("PUT", e.pathURL(apiID, "prod", "/files/a.txt"), "", strings.NewReader("hello s3"), map[string]string{"Content-Type": "text/plain"})
		if r.status != 200 {
			t.Fatalf("put: %d %s", r.status, r.body)
		}
		r = e.do("GET", e.pathURL(apiID, "prod", "/files/a.txt"), "", nil, nil)
		if r.status != 200 || r.body != "hello s3" || r.header.Get("Content-Type") != "text/plain" {
			t.Fatalf("get: %d %s %v", r.status, r.body, r.header)
		}
		r = e.do("GET", e.pathURL(apiID, "prod", "/files/none.txt"), "", nil, nil)
		if r.status != 404 || r.body != `{"missing":"none.txt"}` {
			t.Fatalf("missing object: %d %s", r.status, r.body)
		}
	})
	t.Run("DynamoDB PutItem and GetItem", func(t *testing.T) {
		r := e.do("PUT", e.pathURL(apiID, "prod", "/pets/7"), "", strings.NewReader(`{"name":"rex"}`), map[string]string{"Content-Type": "application/json"})
		if r.status != 200 || r.body != `{"stored":"7"}` {
			t.Fatalf("put: %d %s", r.status, r.body)
		}
		r = e.do("POST", e.pathURL(apiID, "prod", "/pets/7?table=pets"), "", nil, nil)
		if r.status != 200 || r.body != `{"id":"7","name":"rex"}` {
			t.Fatalf("get: %d %s", r.status, r.body)
		}
		r = e.do("POST", e.pathURL(apiID, "prod", "/pets/7?table=nope"), "", nil, nil)
		if r.status != 400 || !strings.Contains(r.body, "ResourceNotFoundException") {
			t.Fatalf("missing table: %d %s", r.status, r.body)
		}
	})
}
