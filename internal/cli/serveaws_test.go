package cli

import (
	"errors"
	"flag"
	"io"
	"testing"

	"github.com/portico/portico/internal/server"
)

func TestAWSIntegrationFlags(t *testing.T) {
	e := &env{stdout: io.Discard, stderr: io.Discard, getenv: func(k string) string {
		return map[string]string{
			"PORTICO_AWS_ENDPOINTS":            "dynamodb=http://127.0.0.1:8000, http://127.0.0.1:5000",
			"PORTICO_AWS_ACCESS_KEY_ID":        "AKID",
			"PORTICO_AWS_SECRET_ACCESS_KEY":    "secret",
			"PORTICO_LAMBDA_ACCESS_KEY_ID":     "LKID",
			"PORTICO_LAMBDA_SECRET_ACCESS_KEY": "lsecret",
		}[k]
	}}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var a server.AWSIntegrations
	if err := awsIntegrationFlags(e, fs, &a); err != nil {
		t.Fatal(err)
	}
	if err := fs.Parse([]string{"--aws-endpoint", "SQS=http://127.0.0.1:5001", "--lambda-endpoint", "http://127.0.0.1:9001"}); err != nil {
		t.Fatal(err)
	}
	if a.Endpoints["sqs"] != "http://127.0.0.1:5001" || a.Endpoints["dynamodb"] != "http://127.0.0.1:8000" ||
		a.DefaultEndpoint != "http://127.0.0.1:5000" || a.LambdaEndpoint != "http://127.0.0.1:9001" ||
		a.AccessKeyID != "AKID" || a.SecretAccessKey != "secret" || a.LambdaAccessKeyID != "LKID" || a.LambdaSecretAccessKey != "lsecret" {
		t.Errorf("%+v", a)
	}
	if err := fs.Parse([]string{"--aws-endpoint", "=http://x"}); err == nil {
		t.Error("an endpoint without a service was accepted")
	}
	bad := &env{stdout: io.Discard, stderr: io.Discard, getenv: func(k string) string {
		if k == "PORTICO_AWS_ENDPOINTS" {
			return "sqs="
		}
		return ""
	}}
	if err := awsIntegrationFlags(bad, flag.NewFlagSet("serve", flag.ContinueOnError), &a); !errors.Is(err, errUsage) {
		t.Errorf("bad PORTICO_AWS_ENDPOINTS: %v", err)
	}
}
