package gateway

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/portico/portico/internal/model"
)

// recordingService answers every call with status and body and keeps the last request.
type recordingService struct {
	mu   sync.Mutex
	req  *http.Request
	body string
}

func newRecordingService(t *testing.T, status int, body string) (*httptest.Server, *recordingService) {
	rec := &recordingService{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.req, rec.body = r, string(b)
		rec.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-Requestid", "svc-1")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, rec
}

func awsMethod(uri, verb string, params, templates map[string]string, responses map[string]*model.IntegrationResponse, statuses ...string) *model.Method {
	m := &model.Method{HttpMethod: "POST", AuthorizationType: "NONE", MethodResponses: map[string]*model.MethodResponse{},
		MethodIntegration: &model.Integration{Type: "AWS", HttpMethod: verb, Uri: uri, RequestParameters: params,
			RequestTemplates: templates, IntegrationResponses: responses,
			Credentials: "arn:aws:iam::123456789012:role/apigw"}}
	for _, s := range statuses {
		m.MethodResponses[s] = &model.MethodResponse{StatusCode: s}
	}
	return m
}

func TestAWSServiceIntegration(t *testing.T) {
	svc, rec := newRecordingService(t, 200, `{"ok":true}`)
	responses := map[string]*model.IntegrationResponse{
		"200": ir("200", "", `{"id":"$input.path('$.ok')"}`, map[string]string{
			"method.response.header.X-Svc": "integration.response.header.X-Amzn-Requestid"}),
		"400": ir("400", "4\\d\\d", "", nil),
	}
	doc := newDoc(
		&model.Resource{Id: "rootrootid", Path: "/"},
		&model.Resource{Id: "sqsid", ParentId: "rootrootid", PathPart: "sqs", Path: "/sqs", ResourceMethods: map[string]*model.Method{
			"POST": awsMethod("arn:aws:apigateway:us-east-1:sqs:action/SendMessage&QueueUrl=${stageVariables.queue}", "GET",
				map[string]string{"integration.request.querystring.MessageBody": "method.request.body"}, nil, responses, "200", "400")}},
		&model.Resource{Id: "ddbid", ParentId: "rootrootid", PathPart: "ddb", Path: "/ddb", ResourceMethods: map[string]*model.Method{
			"POST": awsMethod("arn:aws:apigateway:eu-west-1:dynamodb:action/PutItem", "POST", nil,
				map[string]string{"application/json": `{"TableName":"pets","Item":{"name":{"S":$input.json('$.name')}}}`}, responses, "200", "400")}},
		&model.Resource{Id: "scanid", ParentId: "rootrootid", PathPart: "scan", Path: "/scan", ResourceMethods: map[string]*model.Method{
			// A mapped X-Amz-Target and Content-Type win over the ones the action implies.
			"POST": awsMethod("arn:aws:apigateway:us-east-1:dynamodb:action/Scan", "POST",
				map[string]string{"integration.request.header.X-Amz-Target": "'DynamoDB_20120810.Query'",
					"integration.request.header.Content-Type": "'application/json'"},
				map[string]string{"application/json": `{"TableName":"pets"}`}, responses, "200", "400")}},
		&model.Resource{Id: "s3id", ParentId: "rootrootid", PathPart: "{key}", Path: "/{key}", ResourceMethods: map[string]*model.Method{
			"POST": awsMethod("arn:aws:apigateway:us-east-1:s3:path/bucket/{key}", "PUT",
				map[string]string{"integration.request.path.key": "method.request.path.key",
					"integration.request.header.Content-Type": "'text/plain'"}, nil, responses, "200", "400")}},
	)
	e := newEnv(t, Options{AWS: AWSServices{DefaultEndpoint: svc.URL, AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}})
	e.deploy(doc, "dep1", "prod", map[string]string{"queue": "http://q/1/pets"})

	t.Run("query protocol action", func(t *testing.T) {
		r := e.do("POST", e.pathURL(apiID, "prod", "/sqs"), "", strings.NewReader("hello"), nil)
		if r.status != 200 || r.body != `{"id":"true"}` || r.header.Get("X-Svc") != "svc-1" {
			t.Fatalf("got %d %s %v", r.status, r.body, r.header)
		}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if rec.req.Method != "GET" || rec.req.URL.RequestURI() != "/?Action=SendMessage&QueueUrl=http://q/1/pets&MessageBody=hello" {
			t.Errorf("request %s %s", rec.req.Method, rec.req.URL.RequestURI())
		}
		auth := rec.req.Header.Get("Authorization")
		if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") || !strings.Contains(auth, "/us-east-1/sqs/aws4_request") {
			t.Errorf("Authorization %q", auth)
		}
		if rec.req.Header.Get("X-Amz-Date") == "" {
			t.Error("no X-Amz-Date")
		}
	})
	t.Run("json protocol action", func(t *testing.T) {
		r := e.do("POST", e.pathURL(apiID, "prod", "/ddb"), "", strings.NewReader(`{"name":"rex"}`), map[string]string{"Content-Type": "application/json"})
		if r.status != 200 {
			t.Fatalf("got %d %s", r.status, r.body)
		}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if got := rec.req.Header.Get("X-Amz-Target"); got != "DynamoDB_20120810.PutItem" {
			t.Errorf("X-Amz-Target %q", got)
		}
		if got := rec.req.Header.Get("Content-Type"); got != "application/x-amz-json-1.0" {
			t.Errorf("Content-Type %q", got)
		}
		if rec.body != `{"TableName":"pets","Item":{"name":{"S":"rex"}}}` || rec.req.URL.RequestURI() != "/" {
			t.Errorf("request %s %s", rec.req.URL.RequestURI(), rec.body)
		}
		if !strings.Contains(rec.req.Header.Get("Authorization"), "/eu-west-1/dynamodb/aws4_request") {
			t.Errorf("Authorization %q", rec.req.Header.Get("Authorization"))
		}
	})
	t.Run("mapped X-Amz-Target", func(t *testing.T) {
		r := e.do("POST", e.pathURL(apiID, "prod", "/scan"), "", strings.NewReader(`{}`), nil)
		if r.status != 200 {
			t.Fatalf("got %d %s", r.status, r.body)
		}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if rec.req.Header.Get("X-Amz-Target") != "DynamoDB_20120810.Query" || rec.req.Header.Get("Content-Type") != "application/json" ||
			rec.req.URL.RequestURI() != "/" || rec.body != `{"TableName":"pets"}` {
			t.Errorf("request %s %v %s", rec.req.URL.RequestURI(), rec.req.Header, rec.body)
		}
	})
	t.Run("path style", func(t *testing.T) {
		r := e.do("POST", e.pathURL(apiID, "prod", "/a.txt"), "", strings.NewReader("content"), nil)
		if r.status != 200 {
			t.Fatalf("got %d %s", r.status, r.body)
		}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if rec.req.Method != "PUT" || rec.req.URL.RequestURI() != "/bucket/a.txt" || rec.body != "content" {
			t.Errorf("request %s %s %s", rec.req.Method, rec.req.URL.RequestURI(), rec.body)
		}
		if rec.req.Header.Get("X-Amz-Content-Sha256") == "" || rec.req.Header.Get("Content-Type") != "text/plain" {
			t.Errorf("headers %v", rec.req.Header)
		}
	})
}

func TestAWSServiceFailures(t *testing.T) {
	svc, _ := newRecordingService(t, 400, `{"__type":"ValidationException"}`)
	responses := map[string]*model.IntegrationResponse{"200": ir("200", "", "", nil), "400": ir("400", "4\\d\\d", "", nil)}
	doc := newDoc(&model.Resource{Id: "rootrootid", Path: "/", ResourceMethods: map[string]*model.Method{
		"POST": awsMethod("arn:aws:apigateway:us-east-1:dynamodb:action/GetItem", "POST", nil, nil, responses, "200", "400")}})
	e := newEnv(t, Options{AWS: AWSServices{Endpoints: map[string]string{"dynamodb": svc.URL}}})
	e.deploy(doc, "dep1", "prod", nil)
	r := e.do("POST", e.pathURL(apiID, "prod", "/"), "", strings.NewReader(`{}`), nil)
	if r.status != 400 || r.body != `{"__type":"ValidationException"}` {
		t.Errorf("service error: %d %s", r.status, r.body)
	}

	// An endpoint that does not answer is a configuration error (500).
	e2 := newEnv(t, Options{AWS: AWSServices{DefaultEndpoint: "http://127.0.0.1:1"}})
	e2.deploy(doc, "dep1", "prod", nil)
	if r := e2.do("POST", e2.pathURL(apiID, "prod", "/"), "", strings.NewReader(`{}`), nil); r.status != 500 {
		t.Errorf("unreachable: %d %s", r.status, r.body)
	}
}

// lockedBuffer is a log destination safe for the gateway's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestAWSServiceCredentialsRoleLogged(t *testing.T) {
	var logs lockedBuffer
	responses := map[string]*model.IntegrationResponse{"200": ir("200", "", "", nil)}
	doc := newDoc(&model.Resource{Id: "rootrootid", Path: "/", ResourceMethods: map[string]*model.Method{
		"POST": awsMethod("arn:aws:apigateway:us-east-1:sqs:action/ListQueues", "POST", nil, nil, responses, "200")}})
	e := newEnv(t, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	e.deploy(doc, "dep1", "prod", nil)
	if got := logs.String(); !strings.Contains(got, "integration credentials are not assumed") ||
		!strings.Contains(got, "credentials=arn:aws:iam::123456789012:role/apigw") {
		t.Errorf("load log: %s", got)
	}
}
