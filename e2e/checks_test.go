package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	"github.com/portico/portico/internal/server"
)

// browser sends requests the way a browser on origin would, from local address ip.
type browser struct {
	client *http.Client
	origin string
}

func newBrowser(ip, origin string) *browser {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &browser{origin: origin, client: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		}}}}
}

func (b *browser) do(t *testing.T, srv *server.Server, method, apiID, path, body string, hdr ...string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://"+srv.DataAddr+"/restapis/"+apiID+"/prod/_user_request_"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", b.origin)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(out)}
}

const petStoreModel = `{"$schema":"http://json-schema.org/draft-04/schema#","title":"PetStoreModel","type":"object",
"required":["price","type"],"properties":{"id":{"type":"integer"},"type":{"type":"string","enum":["dog","cat","fish"]},
"name":{"type":"string"},"price":{"type":"number","minimum":25.0,"maximum":500.0}}}`

// TestRequestChecks builds an API with the SDK (a validated POST, a resource policy that admits
// only 127.0.0.1 to /pets), enables CORS with `portico cors`, and calls it like a browser.
func TestRequestChecks(t *testing.T) {
	srv := startServer(t, t.TempDir())
	c := sdk(srv)
	ctx := context.Background()
	policy := `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"},
	 {"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*/GET/pets",
	  "Condition":{"NotIpAddress":{"aws:SourceIp":["127.0.0.1/32","::1/128"]}}}]}`
	api, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("checks"), Policy: aws.String(policy)})
	if err != nil {
		t.Fatal(err)
	}
	pets, err := c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: api.Id, ParentId: api.RootResourceId, PathPart: aws.String("pets")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateModel(ctx, &apigateway.CreateModelInput{RestApiId: api.Id, Name: aws.String("PetStoreModel"),
		ContentType: aws.String("application/json"), Schema: aws.String(petStoreModel)}); err != nil {
		t.Fatal(err)
	}
	rv, err := c.CreateRequestValidator(ctx, &apigateway.CreateRequestValidatorInput{RestApiId: api.Id, Name: aws.String("all"),
		ValidateRequestBody: true, ValidateRequestParameters: true})
	if err != nil {
		t.Fatal(err)
	}
	mock := func(verb, body string, m *apigateway.PutMethodInput) {
		t.Helper()
		m.RestApiId, m.ResourceId, m.HttpMethod, m.AuthorizationType = api.Id, pets.Id, aws.String(verb), aws.String("NONE")
		steps := []error{}
		_, err := c.PutMethod(ctx, m)
		steps = append(steps, err)
		_, err = c.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: api.Id, ResourceId: pets.Id, HttpMethod: aws.String(verb), StatusCode: aws.String("200")})
		steps = append(steps, err)
		_, err = c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: api.Id, ResourceId: pets.Id, HttpMethod: aws.String(verb),
			Type: types.IntegrationTypeMock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}})
		steps = append(steps, err)
		_, err = c.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: api.Id, ResourceId: pets.Id, HttpMethod: aws.String(verb),
			StatusCode: aws.String("200"), ResponseTemplates: map[string]string{"application/json": body}})
		steps = append(steps, err)
		for _, err := range steps {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	mock("GET", `[{"type":"dog"}]`, &apigateway.PutMethodInput{})
	mock("POST", `{"stored":true}`, &apigateway.PutMethodInput{RequestValidatorId: rv.Id,
		RequestParameters: map[string]bool{"method.request.querystring.store": true},
		RequestModels:     map[string]string{"application/json": "PetStoreModel"}})

	const origin = "https://app.example"
	stdout, stderr, code := portico(t, srv, "cors", *api.Id, "--resource", "/pets", "--origins", origin, "--stage", "prod")
	if code != 0 {
		t.Fatalf("portico cors: %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "Access-Control-Allow-Origin added to the 200 responses of GET, POST") {
		t.Errorf("portico cors said:\n%s", stdout)
	}
	local, other := newBrowser("127.0.0.1", origin), newBrowser("127.0.0.2", origin)
	waitFor(t, "the deployment", func() bool {
		return local.do(t, srv, "OPTIONS", *api.Id, "/pets", "", "Access-Control-Request-Method", "POST").status == 200
	})

	t.Run("preflight", func(t *testing.T) {
		r := other.do(t, srv, "OPTIONS", *api.Id, "/pets", "", "Access-Control-Request-Method", "POST",
			"Access-Control-Request-Headers", "content-type")
		r.want(t, 200, "")
		for h, v := range map[string]string{"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Methods": "GET,POST,OPTIONS",
			"Access-Control-Allow-Headers": "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token"} {
			if got := r.header.Get(h); got != v {
				t.Errorf("%s = %q, want %q", h, got, v)
			}
		}
	})
	t.Run("allowed caller", func(t *testing.T) {
		r := local.do(t, srv, "GET", *api.Id, "/pets", "")
		r.want(t, 200, `[{"type":"dog"}]`)
		if r.header.Get("Access-Control-Allow-Origin") != origin {
			t.Errorf("GET lacks the CORS header: %v", r.header)
		}
	})
	t.Run("IP-restricted 403 carries CORS", func(t *testing.T) {
		r := other.do(t, srv, "GET", *api.Id, "/pets", "")
		r.want(t, 403, "")
		var body struct{ Message string }
		if err := json.Unmarshal([]byte(r.body), &body); err != nil ||
			!strings.HasPrefix(body.Message, "User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:") ||
			!strings.HasSuffix(body.Message, ":"+*api.Id+"/prod/GET/pets with an explicit deny") {
			t.Errorf("body %s", r.body)
		}
		if r.header.Get("X-Amzn-Errortype") != "AccessDeniedException" || r.header.Get("Access-Control-Allow-Origin") != origin {
			t.Errorf("headers %v", r.header)
		}
	})
	t.Run("missing token 403 carries CORS", func(t *testing.T) {
		r := local.do(t, srv, "GET", *api.Id, "/nothing-here", "")
		r.want(t, 403, `{"message":"Missing Authentication Token"}`)
		if r.header.Get("Access-Control-Allow-Origin") != origin {
			t.Errorf("headers %v", r.header)
		}
	})
	t.Run("validation", func(t *testing.T) {
		cases := []struct {
			path, body string
			status     int
			want       string
		}{
			{"/pets?store=1", `{"type":"dog","price":249.99}`, 200, `{"stored":true}`},
			{"/pets", `{"type":"dog","price":249.99}`, 400, `{"message":"Missing required request parameters: [store]"}`},
			{"/pets?store=1", `{"type":"bird","price":249.99}`, 400, `{"message":"Invalid request body"}`},
			{"/pets?store=1", `{"price":0.5}`, 400, `{"message":"Invalid request body"}`},
		}
		for _, tc := range cases {
			r := local.do(t, srv, "POST", *api.Id, tc.path, tc.body, "Content-Type", "application/json")
			r.want(t, tc.status, tc.want)
			if tc.status == 400 && (r.header.Get("X-Amzn-Errortype") != "BadRequestException" || r.header.Get("Access-Control-Allow-Origin") != origin) {
				t.Errorf("%s: headers %v", tc.body, r.header)
			}
		}
	})
}

// TestCORSSeveralOrigins checks what `portico cors` creates for more than one origin: the
// preflight echoes a listed Origin from a template, and error answers echo the caller's.
func TestCORSSeveralOrigins(t *testing.T) {
	srv := startServer(t, t.TempDir())
	c := sdk(srv)
	ctx := context.Background()
	api, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("cors")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutGatewayResponse(ctx, &apigateway.PutGatewayResponseInput{RestApiId: api.Id, ResponseType: types.GatewayResponseTypeDefault4xx,
		StatusCode: aws.String("418"), ResponseParameters: map[string]string{"gatewayresponse.header.X-Kept": "'yes'"}}); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"cors", *api.Id},
		{"cors", *api.Id, "--resource", "/", "--origins", "*,https://a.example"},
		{"cors", *api.Id, "--resource", "/", "--origins", "https://a.example'"},
		{"cors", *api.Id, "--resource", "/", "--origins", ","},
	} {
		if _, _, code := portico(t, srv, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if _, stderr, code := portico(t, srv, "cors", *api.Id, "--resource", "/nope"); code != 1 || !strings.Contains(stderr, "has no resource /nope") {
		t.Errorf("unknown resource: %d %s", code, stderr)
	}
	stdout, stderr, code := portico(t, srv, "cors", *api.Id, "--resource", "/", "--origins", "https://a.example, https://b.example",
		"--methods", "get,post", "--headers", "Content-Type")
	if code != 0 {
		t.Fatalf("portico cors: %d %s%s", code, stdout, stderr)
	}
	// Running it again replaces the OPTIONS method rather than failing.
	if _, stderr, code := portico(t, srv, "cors", *api.Id, "--resource", "/", "--origins", "https://a.example,https://b.example",
		"--methods", "get,post", "--headers", "Content-Type"); code != 0 {
		t.Fatalf("second run: %d %s", code, stderr)
	}
	ir, err := c.GetIntegrationResponse(ctx, &apigateway.GetIntegrationResponseInput{RestApiId: api.Id, ResourceId: api.RootResourceId,
		HttpMethod: aws.String("OPTIONS"), StatusCode: aws.String("200")})
	if err != nil {
		t.Fatal(err)
	}
	tmpl := ir.ResponseTemplates["application/json"]
	if !strings.Contains(tmpl, `$origin == "https://a.example" || $origin == "https://b.example"`) ||
		!strings.Contains(tmpl, "$context.responseOverride.header.Access-Control-Allow-Origin = $origin") {
		t.Errorf("template %q", tmpl)
	}
	if ir.ResponseParameters["method.response.header.Access-Control-Allow-Methods"] != "'GET,POST,OPTIONS'" ||
		ir.ResponseParameters["method.response.header.Vary"] != "'Origin'" ||
		ir.ResponseParameters["method.response.header.Access-Control-Allow-Headers"] != "'Content-Type'" {
		t.Errorf("parameters %v", ir.ResponseParameters)
	}
	in, err := c.GetIntegration(ctx, &apigateway.GetIntegrationInput{RestApiId: api.Id, ResourceId: api.RootResourceId, HttpMethod: aws.String("OPTIONS")})
	if err != nil || in.Type != types.IntegrationTypeMock || in.RequestTemplates["application/json"] != `{"statusCode": 200}` {
		t.Errorf("integration %+v %v", in, err)
	}
	if _, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("prod")}); err != nil {
		t.Fatal(err)
	}
	listed, unlisted := newBrowser("127.0.0.1", "https://b.example"), newBrowser("127.0.0.1", "https://evil.example")
	waitFor(t, "the deployment", func() bool { return listed.do(t, srv, "OPTIONS", *api.Id, "/", "").status == 200 })
	r := listed.do(t, srv, "OPTIONS", *api.Id, "/", "", "Access-Control-Request-Method", "POST")
	if r.header.Get("Access-Control-Allow-Origin") != "https://b.example" || r.header.Get("Vary") != "Origin" ||
		r.header.Get("Access-Control-Allow-Methods") != "GET,POST,OPTIONS" {
		t.Errorf("listed origin's preflight: %d %v", r.status, r.header)
	}
	r = unlisted.do(t, srv, "OPTIONS", *api.Id, "/", "", "Access-Control-Request-Method", "POST")
	if r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("unlisted origin's preflight: %d %v", r.status, r.header)
	}
	r = unlisted.do(t, srv, "GET", *api.Id, "/missing", "")
	if r.status != 418 || r.header.Get("Access-Control-Allow-Origin") != "https://evil.example" || r.header.Get("X-Kept") != "yes" {
		t.Errorf("error answer: %d %v", r.status, r.header)
	}
	gr, err := c.GetGatewayResponse(ctx, &apigateway.GetGatewayResponseInput{RestApiId: api.Id, ResponseType: types.GatewayResponseTypeDefault4xx})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(gr.StatusCode) != "418" || gr.ResponseParameters["gatewayresponse.header.X-Kept"] != "'yes'" ||
		gr.ResponseParameters["gatewayresponse.header.Access-Control-Allow-Origin"] != "method.request.header.Origin" {
		t.Errorf("DEFAULT_4XX %+v", gr)
	}
}

// TestChecksWithAWSCLI sets a request validator and a resource policy with the stock AWS CLI.
func TestChecksWithAWSCLI(t *testing.T) {
	srv := startServer(t, t.TempDir())
	cli := func(out any, args ...string) {
		t.Helper()
		if stderr, err := awsCLI(t, srv, out, append([]string{"apigateway"}, args...)...); err != nil {
			t.Fatalf("aws %v: %v\n%s", args, err, stderr)
		}
	}
	var api struct{ Id, RootResourceId string }
	cli(&api, "create-rest-api", "--name", "cli-checks")
	var rv struct{ Id string }
	cli(&rv, "create-request-validator", "--rest-api-id", api.Id, "--name", "params", "--validate-request-parameters")
	cli(nil, "put-method", "--rest-api-id", api.Id, "--resource-id", api.RootResourceId, "--http-method", "GET",
		"--authorization-type", "NONE", "--request-validator-id", rv.Id, "--request-parameters", "method.request.querystring.q=true")
	cli(nil, "put-method-response", "--rest-api-id", api.Id, "--resource-id", api.RootResourceId, "--http-method", "GET", "--status-code", "200")
	cli(nil, "put-integration", "--rest-api-id", api.Id, "--resource-id", api.RootResourceId, "--http-method", "GET",
		"--type", "MOCK", "--request-templates", `{"application/json":"{\"statusCode\": 200}"}`)
	cli(nil, "put-integration-response", "--rest-api-id", api.Id, "--resource-id", api.RootResourceId, "--http-method", "GET",
		"--status-code", "200", "--response-templates", `{"application/json":"{\"hello\":\"world\"}"}`)
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke",` +
		`"Resource":"execute-api:/*","Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.1"}}}]}`
	cli(nil, "update-rest-api", "--rest-api-id", api.Id, "--patch-operations", "op=replace,path=/policy,value='"+policy+"'")
	stderr, err := awsCLI(t, srv, nil, "apigateway", "update-rest-api", "--rest-api-id", api.Id,
		"--patch-operations", `op=replace,path=/policy,value='{"Statement":[]}'`)
	if err == nil || !strings.Contains(stderr, "BadRequestException") || !strings.Contains(stderr, "Invalid policy document") {
		t.Errorf("an empty policy was accepted: %v %s", err, stderr)
	}
	cli(nil, "create-deployment", "--rest-api-id", api.Id, "--stage-name", "prod")

	local, other := newBrowser("127.0.0.1", "https://x.example"), newBrowser("127.0.0.2", "https://x.example")
	waitFor(t, "the deployment", func() bool { return local.do(t, srv, "GET", api.Id, "/?q=1", "").status == 200 })
	local.do(t, srv, "GET", api.Id, "/?q=1", "").want(t, 200, `{"hello":"world"}`)
	local.do(t, srv, "GET", api.Id, "/", "").want(t, 400, `{"message":"Missing required request parameters: [q]"}`)
	r := other.do(t, srv, "GET", api.Id, "/?q=1", "")
	r.want(t, 403, "")
	if !strings.HasSuffix(r.body, ":"+api.Id+`/prod/GET/"}`) || strings.Contains(r.body, "explicit deny") {
		t.Errorf("body %s", r.body)
	}
}
