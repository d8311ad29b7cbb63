package mgmt

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// FuzzHandler drives the handler with signed requests of any verb, path and body (patch lists
// included) against a populated API. Whatever the input, the answer is a well-formed AWS
// answer and never a 5xx. Paths may name the API, resource and stage as {api}, {res}, {stage}.
func FuzzHandler(f *testing.F) {
	e := newEnv(f)
	ctx := context.Background()
	apiID, petsID := buildAPI(f, e)
	must(e.client.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: &apiID, ResourceId: &petsID, HttpMethod: aws.String("GET"), Type: types.IntegrationTypeMock})).ok(f)
	must(e.client.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &apiID, StageName: aws.String("dev")})).ok(f)
	h := New(e.st, Options{Region: testRegion, AccountID: testAcct, Credentials: map[string]string{testKey: testSecret}})

	seeds := []struct{ method, path, body string }{
		{"PATCH", "/restapis/{api}/stages/{stage}", `{"patchOperations":[{"op":"replace","path":"/*/*/throttling/burstLimit","value":"9"}]}`},
		{"PATCH", "/restapis/{api}/stages/{stage}", `{"patchOperations":[{"op":"copy","from":"/canarySettings/deploymentId","path":"/deploymentId"}]}`},
		{"PATCH", "/restapis/{api}/stages/{stage}", `{"patchOperations":[{"op":"remove","path":"/~1pets/GET"}]}`},
		{"PATCH", "/restapis/{api}", `{"patchOperations":[{"op":"replace","path":"/endpointConfiguration/types/EDGE","value":"REGIONAL"}]}`},
		{"PATCH", "/restapis/{api}/resources/{res}", `{"patchOperations":[{"op":"replace","path":"/pathPart","value":"{x+}"}]}`},
		{"PATCH", "/restapis/{api}/resources/{res}/methods/GET/integration", `{"patchOperations":[{"op":"add","path":"/requestTemplates/a~1b","value":"x"}]}`},
		{"PUT", "/restapis/{api}/resources/{res}/methods/GET/integration", `{"type":"HTTP","uri":"http://[::1","httpMethod":"GET"}`},
		{"POST", "/restapis/{api}/resources/{res}", `{"pathPart":"{a}"}`},
		{"GET", "/restapis?position=%zz&limit=0", ``},
		{"POST", "/restapis/{api}/deployments", `{"stageName":"x","canarySettings":{"percentTraffic":500}}`},
		{"PUT", "/restapis/{api}/gatewayresponses/DEFAULT_4XX", `{"statusCode":"4xx"}`},
		{"DELETE", "/restapis/{api}/models/Empty", ``},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.body)
	}
	f.Fuzz(func(t *testing.T, method, path, body string) {
		path = strings.NewReplacer("{api}", apiID, "{res}", petsID, "{stage}", "dev").Replace(path)
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req, err := http.NewRequest(method, "http://127.0.0.1"+path, bytes.NewReader([]byte(body)))
		if err != nil {
			return // not an HTTP request any client could send
		}
		req.RequestURI = req.URL.RequestURI()
		sum := sha256.Sum256([]byte(body))
		creds := aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "apigateway", testRegion, time.Now()); err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q → %d %s", method, path, body, rec.Code, rec.Body)
		}
		if rec.Header().Get("x-amzn-RequestId") == "" {
			t.Fatal("no x-amzn-RequestId")
		}
		if rec.Code >= 400 {
			var m map[string]string
			if rec.Header().Get("x-amzn-ErrorType") == "" || json.Unmarshal(rec.Body.Bytes(), &m) != nil || m["message"] == "" {
				t.Fatalf("%s %s %q → malformed error %d %s", method, path, body, rec.Code, rec.Body)
			}
		}
	})
}
