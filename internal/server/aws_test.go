package server

import (
	"testing"
)

func TestAWSIntegrationsCheck(t *testing.T) {
	good := []AWSIntegrations{
		{},
		{LambdaEndpoint: "https://lambda.us-east-1.amazonaws.com", DefaultEndpoint: "http://127.0.0.1:5000",
			Endpoints: map[string]string{"sqs": "http://127.0.0.1:5001"}},
	}
	for _, a := range good {
		if err := a.check(); err != nil {
			t.Errorf("%+v: %v", a, err)
		}
	}
	bad := []AWSIntegrations{
		{LambdaEndpoint: "ftp://x"},
		{DefaultEndpoint: "127.0.0.1:5000"},
		{Endpoints: map[string]string{"sqs": ""}},
		{Endpoints: map[string]string{"": "http://x"}},
	}
	for _, a := range bad {
		if err := a.check(); err == nil {
			t.Errorf("%+v accepted", a)
		}
	}
}

func TestAWSIntegrationsInvoker(t *testing.T) {
	var none AWSIntegrations
	if inv, err := none.invoker("us-east-1", nil); err != nil || inv != nil {
		t.Errorf("no runtime, no endpoint: %v %v", inv, err)
	}
	remote := AWSIntegrations{LambdaEndpoint: "http://127.0.0.1:9001"}
	if inv, err := remote.invoker("us-east-1", nil); err != nil || inv == nil {
		t.Errorf("remote only: %v %v", inv, err)
	}
}
