package mgmt

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"

	"github.com/portico/portico/internal/model"
)

// echoTester answers what it was asked, so the test sees the wire format both ways.
type echoTester struct{ fail bool }

func (e echoTester) TestInvokeMethod(_ context.Context, doc *model.APIDoc, resourceID, verb string, in *model.TestInvokeMethodRequest) (*model.TestInvokeMethodResponse, error) {
	if e.fail {
		return nil, errors.New("the API cannot be run: compile: bad")
	}
	return &model.TestInvokeMethodResponse{Status: 201, Body: doc.RestApi.Name + " " + resourceID + " " + verb + " " + in.PathWithQueryString + " " + in.Body,
		Headers: map[string]string{"X-Stage-Color": in.StageVariables["color"]}, MultiValueHeaders: map[string][]string{"X-Stage-Color": {in.StageVariables["color"]}},
		Log: "Execution log for request x\n", Latency: 7}, nil
}

// TestTestInvokeMethod calls TestInvokeMethod through the SDK: the request reaches the tester
// with the method's current document, the answer comes back in AWS's shape, and a method that
// does not exist or a server without a tester answer AWS's errors.
func TestTestInvokeMethod(t *testing.T) {
	for _, c := range []struct {
		name   string
		tester MethodTester
	}{{"wired", echoTester{}}, {"unwired", nil}, {"failing", echoTester{fail: true}}} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			srv := httptest.NewServer(New(e.st, Options{Region: testRegion, AccountID: testAcct,
				Credentials: map[string]string{testKey: testSecret}, MethodTester: c.tester}))
			t.Cleanup(srv.Close)
			client := apigateway.New(apigateway.Options{BaseEndpoint: aws.String(srv.URL), Region: testRegion,
				Credentials: credentials.NewStaticCredentialsProvider(testKey, testSecret, ""), RetryMaxAttempts: 1})
			apiID, petsID := buildAPI(t, e)
			in := &apigateway.TestInvokeMethodInput{RestApiId: aws.String(apiID), ResourceId: aws.String(petsID),
				HttpMethod: aws.String("GET"), PathWithQueryString: aws.String("/pets?x=1"), Body: aws.String("{}"),
				StageVariables: map[string]string{"color": "blue"}}
			out, err := client.TestInvokeMethod(context.Background(), in)
			switch c.name {
			case "wired":
				if err != nil {
					t.Fatal(err)
				}
				if out.Status != 201 || aws.ToString(out.Body) != "petstore "+petsID+" GET /pets?x=1 {}" || out.Latency != 7 ||
					out.Headers["X-Stage-Color"] != "blue" || aws.ToString(out.Log) == "" {
					t.Errorf("answer %+v", out)
				}
			case "unwired":
				wantAPIError(t, err, "BadRequestException", "TestInvokeMethod is not available on this server")
			case "failing":
				wantAPIError(t, err, "BadRequestException", "the API cannot be run: compile: bad")
			}
			in.HttpMethod = aws.String("DELETE")
			_, err = client.TestInvokeMethod(context.Background(), in)
			wantAPIError(t, err, "NotFoundException", "Invalid Method identifier specified")
		})
	}
}
