package mgmt

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// Models that request validation could not use are refused with AWS's messages, and a refused
// update leaves the model as it was.
func TestModelSchemasAreChecked(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	api := must(e.client.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("m")})).ok(t)
	create := func(name, schema string) error {
		_, err := e.client.CreateModel(ctx, &apigateway.CreateModelInput{RestApiId: api.Id, Name: aws.String(name),
			ContentType: aws.String("application/json"), Schema: aws.String(schema)})
		return err
	}
	pet := `{"type":"object","required":["name"],"properties":{"name":{"type":"string"}}}`
	if err := create("Pet", pet); err != nil {
		t.Fatal(err)
	}
	if err := create("Pets", `{"type":"array","items":{"$ref":"https://apigateway.amazonaws.com/restapis/`+*api.Id+`/models/Pet"}}`); err != nil {
		t.Fatal(err)
	}
	const prefix = "Invalid model specified: Validation Result: warnings : [], errors : ["
	for name, c := range map[string]struct{ schema, reason string }{
		"Elsewhere": {`{"$ref":"https://example.com/pet.json"}`, "Model reference must be in canonical form"},
		"Dangling":  {`{"$ref":"https://apigateway.amazonaws.com/restapis/` + *api.Id + `/models/Nope"}`, "Invalid model schema specified"},
		"NoNames":   {`{"type":"object","required":[]}`, "Invalid model schema specified"},
	} {
		wantAPIError(t, create(name, c.schema), "BadRequestException", prefix+c.reason+"]")
	}
	_, err := e.client.UpdateModel(ctx, &apigateway.UpdateModelInput{RestApiId: api.Id, ModelName: aws.String("Pet"),
		PatchOperations: []types.PatchOperation{pop(types.OpReplace, "/schema", `{"type":"nonsense"}`)}})
	wantAPIError(t, err, "BadRequestException", prefix+"Invalid model schema specified]")
	got := must(e.client.GetModel(ctx, &apigateway.GetModelInput{RestApiId: api.Id, ModelName: aws.String("Pet")})).ok(t)
	if aws.ToString(got.Schema) != pet {
		t.Errorf("a refused update changed the schema to %s", aws.ToString(got.Schema))
	}
}
