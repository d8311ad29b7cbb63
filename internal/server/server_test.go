package server

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testConfig(dir string) Config {
	cfg := Defaults()
	cfg.Listen, cfg.AdminListen, cfg.DataDir = "127.0.0.1:0", "127.0.0.1:0", dir
	return cfg
}

// TestGeneratedCredentials: the first start generates a key pair, keeps it with mode 0600 and
// prints the AWS CLI lines once; the next start reuses it silently.
func TestGeneratedCredentials(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var banner bytes.Buffer
	srv, err := Start(testConfig(dir), log, &banner)
	if err != nil {
		t.Fatal(err)
	}
	first := srv.Credentials
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(first.AccessKeyID) != 20 || len(first.SecretAccessKey) != 40 {
		t.Fatalf("generated %+v", first)
	}
	for _, want := range []string{"export AWS_ACCESS_KEY_ID=" + first.AccessKeyID, "export AWS_SECRET_ACCESS_KEY=" + first.SecretAccessKey, "aws --endpoint-url http://127.0.0.1:"} {
		if !strings.Contains(banner.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, banner.String())
		}
	}
	fi, err := os.Stat(filepath.Join(dir, CredentialsFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v %v", fi, err)
	}

	banner.Reset()
	srv, err = Start(testConfig(dir), log, &banner)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	if srv.Credentials != first || banner.Len() != 0 {
		t.Fatalf("second start: %+v, banner %q", srv.Credentials, banner.String())
	}
	resp, err := http.Get("http://" + srv.AdminAddr + HealthPath)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("health: %v %v", resp, err)
	}
	resp.Body.Close()
}

func TestConfiguredCredentialsMustBePaired(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.AccessKeyID = "AKIAONLYONE"
	if _, err := Start(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard); err == nil || !strings.Contains(err.Error(), "both") {
		t.Fatalf("Start with half a key pair: %v", err)
	}
}
