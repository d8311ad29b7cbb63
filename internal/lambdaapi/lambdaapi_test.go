package lambdaapi

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/portico/portico/internal/functions"
	"github.com/portico/portico/internal/store/bolt"
)

const (
	keyID  = "AKIDPORTICOTEST"
	secret = "portico-test-secret"
)

var handlerZip string // path of a zip holding the aws-lambda-go test function as bootstrap

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "portico-lambdaapi-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin := filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-o", bin, "../functions/testdata/handler")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the test function: %v\n%s", err, out)
		os.Exit(1)
	}
	handlerZip = filepath.Join(dir, "function.zip")
	if err := zipFile(bin, handlerZip); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func zipFile(bin, dst string) error {
	data, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return err
	}
	w.Write(data)
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(dst, buf.Bytes(), 0o600)
}

// serve starts the runtime and the API on a real listener and returns its URL.
func serve(t *testing.T) (string, *functions.Runtime) {
	t.Helper()
	dir := t.TempDir()
	st, err := bolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := functions.New(st, functions.Options{DataDir: dir, Region: "us-east-1", AccountID: "000000000000"})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: New(rt, Options{Region: "us-east-1", Credentials: map[string]string{keyID: secret}})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close(); rt.Close(); st.Close() })
	return "http://" + ln.Addr().String(), rt
}

// awsCLI runs the stock AWS CLI and decodes its JSON output into out.
func awsCLI(t *testing.T, url string, out any, args ...string) (string, error) {
	t.Helper()
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI is not installed")
	}
	cmd := exec.Command(bin, append([]string{"--endpoint-url", url, "--output", "json"}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "AWS_ACCESS_KEY_ID=" + keyID,
		"AWS_SECRET_ACCESS_KEY=" + secret, "AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_MAX_ATTEMPTS=1"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if err == nil && out != nil && stdout.Len() > 0 {
		if jerr := json.Unmarshal(stdout.Bytes(), out); jerr != nil {
			t.Fatalf("aws %v: output is not JSON: %v\n%s", args, jerr, stdout.String())
		}
	}
	return stderr.String(), err
}

func mustCLI(t *testing.T, url string, out any, args ...string) {
	t.Helper()
	if stderr, err := awsCLI(t, url, out, args...); err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
}

func TestAWSCLILifecycle(t *testing.T) {
	url, _ := serve(t)
	var cfg map[string]any
	mustCLI(t, url, &cfg, "lambda", "create-function", "--function-name", "hello", "--runtime", "provided.al2023",
		"--handler", "bootstrap", "--role", "arn:aws:iam::000000000000:role/lambda", "--zip-file", "fileb://"+handlerZip,
		"--environment", "Variables={GREETING=hi}", "--timeout", "5")
	if cfg["FunctionArn"] != "arn:aws:lambda:us-east-1:000000000000:function:hello" || cfg["Timeout"] != 5.0 || cfg["State"] != "Active" {
		t.Fatalf("create: %v", cfg)
	}

	out := filepath.Join(t.TempDir(), "out.json")
	var inv map[string]any
	mustCLI(t, url, &inv, "lambda", "invoke", "--function-name", "hello",
		"--payload", `{"op":"echo"}`, "--log-type", "Tail", out)
	if inv["StatusCode"] != 200.0 || inv["ExecutedVersion"] != "$LATEST" {
		t.Fatalf("invoke: %v", inv)
	}
	logs, _ := base64.StdEncoding.DecodeString(inv["LogResult"].(string))
	if !bytes.Contains(logs, []byte("REPORT RequestId:")) {
		t.Errorf("LogResult: %s", logs)
	}
	var res map[string]any
	b, _ := os.ReadFile(out)
	json.Unmarshal(b, &res)
	if res["greeting"] != "hi" || res["name"] != "hello" {
		t.Fatalf("payload %s", b)
	}

	mustCLI(t, url, &inv, "lambda", "invoke", "--function-name", "hello",
		"--payload", `{"op":"error","text":"bad thing"}`, out)
	if inv["FunctionError"] != "Unhandled" {
		t.Fatalf("error invoke: %v", inv)
	}
	b, _ = os.ReadFile(out)
	if !bytes.Contains(b, []byte(`"errorMessage":"bad thing"`)) {
		t.Fatalf("error payload %s", b)
	}
	mustCLI(t, url, &inv, "lambda", "invoke", "--function-name", "hello", "--invocation-type", "Event", out)
	if inv["StatusCode"] != 202.0 {
		t.Fatalf("Event: %v", inv)
	}
	mustCLI(t, url, &inv, "lambda", "invoke", "--function-name", "hello", "--invocation-type", "DryRun", out)
	if inv["StatusCode"] != 204.0 {
		t.Fatalf("DryRun: %v", inv)
	}

	mustCLI(t, url, &cfg, "lambda", "update-function-configuration", "--function-name", "hello",
		"--environment", "Variables={GREETING=hello}", "--memory-size", "512")
	if cfg["MemorySize"] != 512.0 {
		t.Fatalf("update: %v", cfg)
	}
	mustCLI(t, url, &inv, "lambda", "invoke", "--function-name", "arn:aws:lambda:us-east-1:000000000000:function:hello",
		"--payload", `{"op":"echo"}`, out)
	b, _ = os.ReadFile(out)
	json.Unmarshal(b, &res)
	if res["greeting"] != "hello" || res["memory"] != "512" {
		t.Fatalf("after update: %s", b)
	}
	mustCLI(t, url, &cfg, "lambda", "update-function-code", "--function-name", "hello", "--zip-file", "fileb://"+handlerZip)

	var got map[string]any
	mustCLI(t, url, &got, "lambda", "put-function-concurrency", "--function-name", "hello", "--reserved-concurrent-executions", "3")
	mustCLI(t, url, &got, "lambda", "get-function", "--function-name", "hello")
	if c, _ := got["Concurrency"].(map[string]any); c["ReservedConcurrentExecutions"] != 3.0 {
		t.Fatalf("get-function: %v", got)
	}
	loc, _ := got["Code"].(map[string]any)["Location"].(string)
	if _, err := os.Stat(filepath.Join(strings.TrimPrefix(loc, "file://"), "bootstrap")); err != nil {
		t.Fatalf("Code.Location %q: %v", loc, err)
	}
	mustCLI(t, url, nil, "lambda", "delete-function-concurrency", "--function-name", "hello")

	mustCLI(t, url, &got, "lambda", "add-permission", "--function-name", "hello", "--statement-id", "apigw",
		"--action", "lambda:InvokeFunction", "--principal", "apigateway.amazonaws.com",
		"--source-arn", "arn:aws:execute-api:us-east-1:000000000000:abc/*/GET/pets")
	var st map[string]any
	json.Unmarshal([]byte(got["Statement"].(string)), &st)
	if st["Sid"] != "apigw" || st["Principal"].(map[string]any)["Service"] != "apigateway.amazonaws.com" {
		t.Fatalf("statement: %v", got)
	}
	if stderr, err := awsCLI(t, url, nil, "lambda", "add-permission", "--function-name", "hello", "--statement-id", "apigw",
		"--action", "lambda:InvokeFunction", "--principal", "apigateway.amazonaws.com"); err == nil || !strings.Contains(stderr, "ResourceConflictException") {
		t.Fatalf("duplicate sid: %v %s", err, stderr)
	}
	mustCLI(t, url, &got, "lambda", "get-policy", "--function-name", "hello")
	if !strings.Contains(got["Policy"].(string), `"Sid":"apigw"`) {
		t.Fatalf("policy: %v", got)
	}
	mustCLI(t, url, nil, "lambda", "remove-permission", "--function-name", "hello", "--statement-id", "apigw")

	var list struct{ Functions []map[string]any }
	mustCLI(t, url, &list, "lambda", "list-functions")
	if len(list.Functions) != 1 || list.Functions[0]["FunctionName"] != "hello" {
		t.Fatalf("list: %v", list)
	}
	mustCLI(t, url, nil, "lambda", "delete-function", "--function-name", "hello")
	stderr, err := awsCLI(t, url, nil, "lambda", "get-function", "--function-name", "hello")
	if err == nil || !strings.Contains(stderr, "ResourceNotFoundException") || !strings.Contains(stderr, "Function not found: arn:aws:lambda:us-east-1:000000000000:function:hello") {
		t.Fatalf("after delete: %v %s", err, stderr)
	}
}

func TestAWSCLIRefusesBadZip(t *testing.T) {
	url, _ := serve(t)
	bad := filepath.Join(t.TempDir(), "bad.zip")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("main")
	w.Write([]byte("x"))
	zw.Close()
	os.WriteFile(bad, buf.Bytes(), 0o600)
	stderr, err := awsCLI(t, url, nil, "lambda", "create-function", "--function-name", "bad", "--runtime", "provided.al2",
		"--handler", "x", "--role", "arn:aws:iam::000000000000:role/r", "--zip-file", "fileb://"+bad)
	if err == nil || !strings.Contains(stderr, "InvalidParameterValueException") {
		t.Fatalf("%v %s", err, stderr)
	}
}

// signed sends a request signed for the lambda service.
func signed(t *testing.T, method, url string, body []byte, hdr map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	sum := sha256Hex(body)
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret},
		req, sum, "lambda", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestErrorShapes(t *testing.T) {
	url, rt := serve(t)
	if _, err := rt.Create(functions.CreateInput{Function: functions.Function{FunctionName: "f", Command: "/bin/true"}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, method, path string
		body               string
		hdr                map[string]string
		status             int
		typ, msg           string
	}{
		{"not found", "GET", "/2015-03-31/functions/nope", "", nil, 404, "ResourceNotFoundException",
			`{"Type":"User","message":"Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope"}`},
		{"bad json", "POST", "/2015-03-31/functions", "{", nil, 400, "InvalidRequestContentException", ""},
		{"unknown field", "POST", "/2015-03-31/functions", `{"FunctionName":"x","Bogus":1}`, nil, 400, "InvalidParameterValueException", ""},
		{"s3 code", "POST", "/2015-03-31/functions", `{"FunctionName":"x","Runtime":"provided.al2","Code":{"S3Bucket":"b","S3Key":"k"}}`, nil, 400, "InvalidParameterValueException", ""},
		{"exists", "POST", "/2015-03-31/functions", `{"FunctionName":"f","PorticoCommand":"/bin/true"}`, nil, 409, "ResourceConflictException", ""},
		{"timeout", "PUT", "/2015-03-31/functions/f/configuration", `{"Timeout":901}`, nil, 400, "InvalidParameterValueException", ""},
		{"bad invoke json", "POST", "/2015-03-31/functions/f/invocations", `{x`, nil, 400, "InvalidRequestContentException", ""},
		{"log type", "POST", "/2015-03-31/functions/f/invocations", `{}`, map[string]string{"X-Amz-Log-Type": "All"}, 400, "InvalidParameterValueException", ""},
		{"throttled", "POST", "/2015-03-31/functions/f/invocations", `{}`, nil, 429, "TooManyRequestsException",
			`{"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded","Type":"User","message":"Rate Exceeded."}`},
		{"unknown op", "GET", "/2015-03-31/nothing", "", nil, 404, "UnknownOperationException", ""},
	} {
		if tc.name == "throttled" {
			if _, err := rt.PutConcurrency("f", 0); err != nil {
				t.Fatal(err)
			}
		}
		resp := signed(t, tc.method, url+tc.path, []byte(tc.body), tc.hdr)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || resp.Header.Get("X-Amzn-ErrorType") != tc.typ {
			t.Errorf("%s: %d %s %s", tc.name, resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), b)
		}
		if tc.msg != "" && strings.TrimSpace(string(b)) != tc.msg {
			t.Errorf("%s: body %s, want %s", tc.name, b, tc.msg)
		}
	}
	// Unsigned.
	resp, err := http.Get(url + "/2015-03-31/functions/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 || resp.Header.Get("X-Amzn-ErrorType") != "MissingAuthenticationTokenException" {
		t.Errorf("unsigned: %d %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func FuzzRoute(f *testing.F) {
	dir := f.TempDir()
	st, err := bolt.Open(dir)
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	rt, err := functions.New(st, functions.Options{DataDir: dir, Region: "us-east-1", AccountID: "000000000000"})
	if err != nil {
		f.Fatal(err)
	}
	defer rt.Close()
	h := New(rt, Options{Region: "us-east-1"})
	for _, s := range []string{"/2015-03-31/functions/f/policy/x", "/2017-10-31/functions/%2F/concurrency", "/2015-03-31/functions/"} {
		f.Add("GET", s, []byte(`{}`))
	}
	f.Fuzz(func(t *testing.T, method, path string, body []byte) {
		r, err := http.NewRequest(method, "http://x"+path, nil)
		if err != nil || r.URL.Path == "" {
			return
		}
		// A cancelled context: a followed log or an invocation answers at once.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		h.route(&discard{h: http.Header{}}, r.WithContext(ctx), body)
	})
}

type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}
