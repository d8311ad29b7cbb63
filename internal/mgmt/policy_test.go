package mgmt

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/smithy-go"
)

// A resource policy the data plane could not evaluate is refused when it is set, and the API
// is left as it was.
func TestResourcePolicyIsChecked(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	good := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke",` +
		`"Resource":"execute-api:/*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}}}]}`
	api := must(e.client.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("p"), Policy: aws.String(good)})).ok(t)
	if aws.ToString(api.Policy) != good {
		t.Errorf("policy = %q", aws.ToString(api.Policy))
	}
	for _, bad := range []string{
		`not json`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}}]}`,
		`{"Statement":[{"Effect":"Permit","Principal":"*","Action":"*","Resource":"*"}]}`,
	} {
		_, err := e.client.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("bad"), Policy: aws.String(bad)})
		checkPolicyError(t, err)
		_, err = e.client.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: api.Id,
			PatchOperations: []types.PatchOperation{pop(types.OpReplace, "/policy", bad)}})
		checkPolicyError(t, err)
	}
	got := must(e.client.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: api.Id})).ok(t)
	if aws.ToString(got.Policy) != good {
		t.Errorf("a refused update changed the policy to %q", aws.ToString(got.Policy))
	}
	must(e.client.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: api.Id,
		PatchOperations: []types.PatchOperation{pop(types.OpReplace, "/policy", "")}})).ok(t)
}

func checkPolicyError(t *testing.T, err error) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "BadRequestException" ||
		!strings.HasPrefix(ae.ErrorMessage(), "Invalid policy document. Please check the policy syntax and try again.") {
		t.Errorf("error = %v", err)
	}
}

// Imports carry policies too (x-amazon-apigateway-policy): the same check applies.
func TestImportedPolicyIsChecked(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	doc := func(policy string) []byte {
		return []byte(`{"openapi":"3.0.1","info":{"title":"p","version":"1"},"paths":{},"x-amazon-apigateway-policy":` + policy + `}`)
	}
	bad := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}}]}`
	good := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"}]}`
	_, err := e.client.ImportRestApi(ctx, &apigateway.ImportRestApiInput{Body: doc(bad)})
	checkPolicyError(t, err)
	api := must(e.client.ImportRestApi(ctx, &apigateway.ImportRestApiInput{Body: doc(good)})).ok(t)
	if !strings.Contains(aws.ToString(api.Policy), "execute-api:/*") {
		t.Errorf("imported policy %q", aws.ToString(api.Policy))
	}
	_, err = e.client.PutRestApi(ctx, &apigateway.PutRestApiInput{RestApiId: api.Id, Mode: types.PutModeOverwrite, Body: doc(bad)})
	checkPolicyError(t, err)
	got := must(e.client.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: api.Id})).ok(t)
	if !strings.Contains(aws.ToString(got.Policy), "execute-api:/*") {
		t.Errorf("a refused put changed the policy to %q", aws.ToString(got.Policy))
	}
}
