package server

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
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

// A relative data directory is made absolute at start: function workers run in their code's
// directory, where a relative path to their executable would not resolve.
func TestRelativeDataDir(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	srv, err := Start(testConfig("data"), slog.New(slog.DiscardHandler), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	if want := filepath.Join(dir, "data"); srv.Config.DataDir != want {
		t.Errorf("data dir %q, want %q", srv.Config.DataDir, want)
	}
}
