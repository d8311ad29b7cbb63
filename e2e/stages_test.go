package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// canaryAPI routes /who to the backend a stage variable names, /ctx answers from a MOCK with
// what the request saw, and /missing names a stage variable no stage defines.
const canaryAPI = `openapi: 3.0.1
info: {title: canary, version: "1"}
paths:
  /who:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: http://${stageVariables.backend}/who
  /ctx:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates: {application/json: '{"canary":$context.isCanaryRequest,"release":"$stageVariables.release"}'}
  /missing:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: http://${stageVariables.nowhere}/x
`

// counting is a backend that counts the requests it answers.
func counting(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		io.WriteString(w, "ok")
	}))
	t.Cleanup(b.Close)
	return b, &n
}

type stageOut struct {
	DeploymentID   string            `json:"deploymentId"`
	Variables      map[string]string `json:"variables"`
	CanarySettings *struct {
		PercentTraffic         float64           `json:"percentTraffic"`
		DeploymentID           string            `json:"deploymentId"`
		StageVariableOverrides map[string]string `json:"stageVariableOverrides"`
	} `json:"canarySettings"`
}

// TestCanaryWithAWSCLI deploys a canary with the stock AWS CLI and counts, at two backends, where
// 10,000 requests go; then changes its share, promotes it as the console does, removes it, and
// checks AWS's validation messages for stage variables and canary settings.
func TestCanaryWithAWSCLI(t *testing.T) {
	a, hitsA := counting(t)
	b, hitsB := counting(t)
	hostA, hostB := strings.TrimPrefix(a.URL, "http://"), strings.TrimPrefix(b.URL, "http://")
	srv := startServer(t, t.TempDir())
	file := filepath.Join(t.TempDir(), "api.yaml")
	os.WriteFile(file, []byte(canaryAPI), 0o600)
	var api struct{ ID string }
	if msg, err := awsCLI(t, srv, &api, "apigateway", "import-rest-api", "--body", "fileb://"+file); err != nil {
		t.Fatalf("import-rest-api: %v\n%s", err, msg)
	}
	cli := func(out any, args ...string) {
		t.Helper()
		if msg, err := awsCLI(t, srv, out, append([]string{"apigateway"}, args...)...); err != nil {
			t.Fatalf("aws apigateway %s: %v\n%s", args[0], err, msg)
		}
	}
	var dep1, dep2 struct{ ID string }
	cli(&dep1, "create-deployment", "--rest-api-id", api.ID, "--stage-name", "prod", "--variables", "backend="+hostA+",release=one")
	cli(&dep2, "create-deployment", "--rest-api-id", api.ID, "--stage-name", "prod",
		"--canary-settings", `{"percentTraffic":30,"stageVariableOverrides":{"backend":"`+hostB+`","release":"two"}}`)
	var st stageOut
	cli(&st, "get-stage", "--rest-api-id", api.ID, "--stage-name", "prod")
	if st.DeploymentID != dep1.ID || st.CanarySettings == nil || st.CanarySettings.DeploymentID != dep2.ID ||
		st.CanarySettings.PercentTraffic != 30 || st.CanarySettings.StageVariableOverrides["backend"] != hostB {
		t.Fatalf("stage after the canary deployment: %+v %+v", st, st.CanarySettings)
	}
	out, errOut, code := portico(t, srv, "stages", api.ID)
	if code != 0 || !strings.Contains(out, "  canary 30%  "+dep2.ID) || !strings.Contains(out, "backend="+hostB+",release=two") {
		t.Fatalf("portico stages: %d\n%s%s", code, out, errOut)
	}
	waitFor(t, "the canary to serve", func() bool {
		invokeHost(t, srv, "GET", api.ID, "prod", "/who", "")
		return hitsB.Load() > 0
	})

	const total, workers = 10000, 8
	hitsA.Store(0)
	hitsB.Store(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < total; i += workers {
				if r := invokeHost(t, srv, "GET", api.ID, "prod", "/who", ""); r.status != 200 {
					t.Errorf("request %d: %d %s", i, r.status, r.body)
					return
				}
			}
		}()
	}
	wg.Wait()
	share := float64(hitsB.Load()) / total * 100
	t.Logf("base backend %d, canary backend %d: canary share %.2f%%", hitsA.Load(), hitsB.Load(), share)
	if hitsA.Load()+hitsB.Load() != total || share < 27 || share > 33 {
		t.Fatalf("canary share %.2f%% (%d + %d), want 30 ± 3", share, hitsA.Load(), hitsB.Load())
	}

	// All traffic to the canary, then promotion as the console sends it.
	cli(nil, "update-stage", "--rest-api-id", api.ID, "--stage-name", "prod", "--patch-operations",
		"op=replace,path=/canarySettings/percentTraffic,value=100")
	waitFor(t, "the canary to take every request", func() bool {
		return invokeHost(t, srv, "GET", api.ID, "prod", "/ctx", "").body == `{"canary":true,"release":"two"}` &&
			invokeHost(t, srv, "GET", api.ID, "prod", "/ctx", "").body == `{"canary":true,"release":"two"}`
	})
	cli(&st, "update-stage", "--rest-api-id", api.ID, "--stage-name", "prod", "--patch-operations",
		"op=replace,path=/canarySettings/percentTraffic,value=0.0",
		"op=copy,from=/canarySettings/deploymentId,path=/deploymentId",
		"op=copy,from=/canarySettings/stageVariableOverrides,path=/variables")
	if st.DeploymentID != dep2.ID || st.Variables["backend"] != hostB || st.Variables["release"] != "two" ||
		st.CanarySettings == nil || st.CanarySettings.PercentTraffic != 0 {
		t.Fatalf("stage after promotion: %+v %+v", st, st.CanarySettings)
	}
	waitFor(t, "the promoted stage", func() bool {
		return invokeHost(t, srv, "GET", api.ID, "prod", "/ctx", "").body == `{"canary":false,"release":"two"}`
	})
	hitsA.Store(0)
	for range 50 {
		invokeHost(t, srv, "GET", api.ID, "prod", "/who", "").want(t, 200, "ok")
	}
	if hitsA.Load() != 0 {
		t.Fatalf("the old backend still got %d requests after promotion", hitsA.Load())
	}

	// While the stage has canary settings, a deployment to it must be a canary one.
	msg, err := awsCLI(t, srv, nil, "apigateway", "create-deployment", "--rest-api-id", api.ID, "--stage-name", "prod")
	if err == nil || !strings.Contains(msg, "Non canary deployment not supported on stage prod because Canary is enabled. Provide CanarySettings in deploymentInput.") {
		t.Fatalf("a plain deployment to a stage with a canary: %v\n%s", err, msg)
	}

	// Removal.
	cli(nil, "update-stage", "--rest-api-id", api.ID, "--stage-name", "prod", "--patch-operations", "op=remove,path=/canarySettings")
	st = stageOut{}
	cli(&st, "get-stage", "--rest-api-id", api.ID, "--stage-name", "prod")
	if st.CanarySettings != nil || st.DeploymentID != dep2.ID {
		t.Fatalf("stage after removal: %+v", st)
	}

	// A stage variable no stage defines in a uri: AWS's 500.
	invokeHost(t, srv, "GET", api.ID, "prod", "/missing", "").want(t, 500, `{"message":"Internal server error"}`)

	// AWS's validation messages.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"create-deployment", "--rest-api-id", api.ID, "--stage-name", "prod", "--variables", "bad-name=x"},
			"Invalid stage variable name: bad-name.  Please use names with only word characters."},
		{[]string{"create-stage", "--rest-api-id", api.ID, "--stage-name", "dev", "--deployment-id", dep1.ID, "--variables", "v="},
			"Invalid stage variable value: .  Please use values with alphanumeric characters and the symbols ' ', -', '.', '_', ':', '/', '?', '&', '=', and ','."},
		{[]string{"update-stage", "--rest-api-id", api.ID, "--stage-name", "prod", "--patch-operations",
			`[{"op":"replace","path":"/variables/v","value":"a<b"}]`}, "Invalid stage variable value: a<b."},
		{[]string{"update-stage", "--rest-api-id", api.ID, "--stage-name", "prod", "--patch-operations",
			`[{"op":"replace","path":"/canarySettings/stageVariableOverrides/x y","value":"1"}]`}, "Invalid stage variable name: x y."},
		{[]string{"create-deployment", "--rest-api-id", api.ID, "--stage-name", "prod", "--canary-settings", "percentTraffic=150"},
			"Canary traffic percentage must be between 0.0 and 100.0"},
		{[]string{"update-stage", "--rest-api-id", api.ID, "--stage-name", "prod", "--patch-operations",
			"op=replace,path=/canarySettings/percentTraffic,value=-1"}, "Canary traffic percentage must be between 0.0 and 100.0"},
		{[]string{"create-deployment", "--rest-api-id", api.ID, "--stage-name", "beta", "--canary-settings", "percentTraffic=10"},
			"Invalid deployment content specified.Stage beta must already be created before making a canary release deployment"},
		{[]string{"update-stage", "--rest-api-id", api.ID, "--stage-name", "prod", "--patch-operations",
			"op=replace,path=/canarySettings/deploymentId,value=nope00"}, "Deployment id does not exist"},
	} {
		msg, err := awsCLI(t, srv, nil, append([]string{"apigateway"}, c.args...)...)
		if err == nil || !strings.Contains(msg, "BadRequestException") || !strings.Contains(msg, c.want) {
			t.Errorf("aws apigateway %s: %v\n%s\nwant %q", strings.Join(c.args[:1], " "), err, msg, c.want)
		}
	}
}

// pngBytes is a small real PNG image.
func pngBytes(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range 16 {
		img.Set(i, i, color.RGBA{R: 200, A: 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// binaryAPI passes /img to a backend that echoes bytes (HTTP_PROXY), /fn to a function that
// does (Lambda proxy), answers /big with 2,400 bytes of text and /echo (HTTP) with the body the
// backend received.
const binaryAPI = `openapi: 3.0.1
info: {title: binary, version: "1"}
paths:
  /img:
    post:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: POST, uri: "http://${stageVariables.backend}/img"}
  /fn:
    post:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: "FUNCTION"}
  /big:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: "200", responseTemplates: {application/json: BIG}}}
  /echo:
    post:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: http
        httpMethod: POST
        uri: "http://${stageVariables.backend}/echo"
        responses: {default: {statusCode: "200"}}
`

// TestBinaryAndCompressionWithAWSCLI turns on binary media types and compression with the stock
// AWS CLI, then sends a PNG through HTTP_PROXY and a Lambda proxy function (the first Accept
// type deciding between bytes and base64), asks for a gzip answer and posts a gzip body.
func TestBinaryAndCompressionWithAWSCLI(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", r.Header.Get("Content-Type"))
		w.Write(b)
	}))
	defer backend.Close()
	srv := startServer(t, t.TempDir())
	z := buildFunctionZip(t, "./testdata/binaryfn")
	var fn struct{ FunctionArn string }
	if msg, err := awsCLI(t, srv, &fn, "lambda", "create-function", "--function-name", "echo-bytes",
		"--runtime", "provided.al2023", "--handler", "bootstrap", "--role", "arn:aws:iam::000000000000:role/lambda",
		"--zip-file", "fileb://"+z); err != nil {
		t.Fatalf("create-function: %v\n%s", err, msg)
	}
	spec := strings.NewReplacer("FUNCTION", "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"+fn.FunctionArn+"/invocations",
		"BIG", strings.TrimSpace(strings.Repeat("portico ", 300))).Replace(binaryAPI)
	file := filepath.Join(t.TempDir(), "api.yaml")
	os.WriteFile(file, []byte(spec), 0o600)
	var api struct{ ID string }
	if msg, err := awsCLI(t, srv, &api, "apigateway", "import-rest-api", "--body", "fileb://"+file); err != nil {
		t.Fatalf("import-rest-api: %v\n%s", err, msg)
	}
	var rest struct {
		BinaryMediaTypes       []string
		MinimumCompressionSize *int64
	}
	if msg, err := awsCLI(t, srv, &rest, "apigateway", "update-rest-api", "--rest-api-id", api.ID, "--patch-operations",
		"op=add,path=/binaryMediaTypes/image~1png", "op=replace,path=/minimumCompressionSize,value=1000"); err != nil {
		t.Fatalf("update-rest-api: %v\n%s", err, msg)
	}
	if len(rest.BinaryMediaTypes) != 1 || rest.BinaryMediaTypes[0] != "image/png" || rest.MinimumCompressionSize == nil || *rest.MinimumCompressionSize != 1000 {
		t.Fatalf("rest api after update: %+v", rest)
	}
	if msg, err := awsCLI(t, srv, nil, "apigateway", "create-deployment", "--rest-api-id", api.ID, "--stage-name", "prod",
		"--variables", "backend="+strings.TrimPrefix(backend.URL, "http://")); err != nil {
		t.Fatalf("create-deployment: %v\n%s", err, msg)
	}
	waitFor(t, "the stage", func() bool { return invokeHost(t, srv, "GET", api.ID, "prod", "/big", "").status == 200 })

	img := pngBytes(t)
	r := invokeHost(t, srv, "POST", api.ID, "prod", "/img", string(img), "Content-Type", "image/png", "Accept", "image/png")
	if r.status != 200 || r.body != string(img) {
		t.Fatalf("PNG through HTTP_PROXY: %d, %d bytes back for %d", r.status, len(r.body), len(img))
	}
	r = invokeHost(t, srv, "POST", api.ID, "prod", "/fn", string(img), "Content-Type", "image/png", "Accept", "image/png, */*")
	if r.status != 200 || r.body != string(img) || r.header.Get("Content-Type") != "image/png" {
		t.Fatalf("PNG through a Lambda proxy function: %d %q, %d bytes back for %d", r.status, r.header.Get("Content-Type"), len(r.body), len(img))
	}
	r = invokeHost(t, srv, "POST", api.ID, "prod", "/fn", string(img), "Content-Type", "image/png", "Accept", "application/json, image/png")
	if r.status != 200 || r.body != base64.StdEncoding.EncodeToString(img) {
		t.Fatalf("a text first Accept gets base64: %d %.60q", r.status, r.body)
	}

	// Compression: a gzip answer over the threshold, a gzip request body decoded before mapping.
	req, _ := http.NewRequest("GET", "http://"+srv.DataAddr+"/restapis/"+api.ID+"/prod/_user_request_/big", nil)
	req.Header.Set("Accept-Encoding", "deflate;q=0.5, gzip")
	resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("answer not compressed: %v", resp.Header)
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(zr); string(b) != strings.TrimSpace(strings.Repeat("portico ", 300)) {
		t.Fatalf("gzip answer decodes to %.60q", b)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	io.WriteString(zw, `{"pet":"dog"}`)
	zw.Close()
	r = invokePath(t, srv, "POST", api.ID, "prod", "/echo", gz.String(), "Content-Encoding", "gzip", "Content-Type", "application/json")
	r.want(t, 200, `{"pet":"dog"}`)
}
