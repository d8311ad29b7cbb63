package cli

import (
	"errors"
	"flag"
	"io"
	"slices"
	"testing"

	"github.com/portico/portico/internal/server"
)

func TestCognitoFlags(t *testing.T) {
	const arn = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Abc"
	e := &env{stdout: io.Discard, stderr: io.Discard, getenv: func(k string) string {
		return map[string]string{
			"PORTICO_COGNITO_ISSUERS": "eu-west-1_Xyz=https://login.example.com/eu",
			"PORTICO_COGNITO_CLIENTS": "eu-west-1_Xyz=web, eu-west-1_Xyz=cli",
		}[k]
	}}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var cfg server.Config
	if err := cognitoFlags(e, fs, &cfg); err != nil {
		t.Fatal(err)
	}
	if err := fs.Parse([]string{"--cognito-issuer", arn + "=http://127.0.0.1:9000", "--cognito-client", arn + "=app"}); err != nil {
		t.Fatal(err)
	}
	if p := cfg.CognitoPools[arn]; p.Issuer != "http://127.0.0.1:9000" || !slices.Equal(p.ClientIDs, []string{"app"}) {
		t.Errorf("%s: %+v", arn, p)
	}
	if p := cfg.CognitoPools["eu-west-1_Xyz"]; p.Issuer != "https://login.example.com/eu" || !slices.Equal(p.ClientIDs, []string{"web", "cli"}) {
		t.Errorf("eu-west-1_Xyz: %+v", p)
	}
	for _, bad := range [][]string{
		{"--cognito-issuer", arn + "=http://example.com"},     // http off loopback
		{"--cognito-issuer", "us-east-1_Abc"},                 // no URL
		{"--cognito-issuer", "arn:aws:s3:::bucket=https://x"}, // not a pool
		{"--cognito-client", "=app"},
	} {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		if err := cognitoFlags(e, fs, &server.Config{}); err != nil {
			t.Fatal(err)
		}
		if err := fs.Parse(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	badEnv := &env{stdout: io.Discard, stderr: io.Discard, getenv: func(k string) string {
		if k == "PORTICO_COGNITO_ISSUERS" {
			return "pool"
		}
		return ""
	}}
	if err := cognitoFlags(badEnv, flag.NewFlagSet("serve", flag.ContinueOnError), &server.Config{}); !errors.Is(err, errUsage) {
		t.Errorf("bad PORTICO_COGNITO_ISSUERS: %v", err)
	}
}
