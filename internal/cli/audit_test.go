package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	"github.com/portico/portico/internal/observe/audit"
	"github.com/portico/portico/internal/server"
)

// TestAuditLog makes real signed calls (create, update, delete, a secret-bearing create, a read
// and a refused call) and reads them back from the audit log, then through `portico audit`.
func TestAuditLog(t *testing.T) {
	dir := t.TempDir()
	cfg := server.Defaults()
	cfg.Listen, cfg.AdminListen, cfg.DataDir = "127.0.0.1:0", "127.0.0.1:0", dir
	cfg.AccessKeyID, cfg.SecretAccessKey = "AKIDAUDITTEST0000001", "auditsecret"
	srv, err := server.Start(cfg, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	ctx := context.Background()
	endpoint := "http://" + srv.AdminAddr
	c := newClient(endpoint, "us-east-1", cfg.AccessKeyID, cfg.SecretAccessKey)

	api, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("audited")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: api.Id,
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/description"), Value: aws.String("now described")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetRestApis(ctx, &apigateway.GetRestApisInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String("k"), Value: aws.String("supersecretkeyvalue12345")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteRestApi(ctx, &apigateway.DeleteRestApiInput{RestApiId: api.Id}); err != nil {
		t.Fatal(err)
	}
	bad := newClient(endpoint, "us-east-1", cfg.AccessKeyID, "wrongsecret")
	if _, err := bad.DeleteRestApi(ctx, &apigateway.DeleteRestApiInput{RestApiId: aws.String("abcdefghij")}); err == nil {
		t.Fatal("a wrongly signed call succeeded")
	}

	raw, err := os.ReadFile(filepath.Join(dir, audit.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("supersecretkeyvalue12345")) {
		t.Error("the audit log holds an API key value")
	}
	var got []audit.Entry
	if _, err := audit.Read(bytes.NewReader(raw), time.Time{}, func(e *audit.Entry) error { got = append(got, *e); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		op     string
		status int
		code   string
	}{
		{"CreateRestApi", 201, ""},
		{"UpdateRestApi", 200, ""},
		{"CreateApiKey", 201, ""},
		{"DeleteRestApi", 202, ""},
		{"DeleteRestApi", 403, "InvalidSignatureException"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d (reads are not audited):\n%s", len(got), len(want), raw)
	}
	for i, w := range want {
		e := got[i]
		if e.EventName != w.op || e.Status != w.status || e.ErrorCode != w.code || e.AccessKeyID != cfg.AccessKeyID ||
			e.SourceIPAddress != "127.0.0.1" || e.RequestID == "" || time.Since(e.EventTime) > time.Minute {
			t.Errorf("entry %d: %+v, want %s %d %q", i, e, w.op, w.status, w.code)
		}
	}
	if got[0].RequestParameters["name"] != "audited" || got[0].ResponseElements["id"] != *api.Id {
		t.Errorf("create: parameters %v, response %v", got[0].RequestParameters, got[0].ResponseElements)
	}
	if got[1].RequestParameters["restApiId"] != *api.Id || got[1].RequestParameters["patchOperations"] == nil {
		t.Errorf("update: parameters %v", got[1].RequestParameters)
	}
	if got[2].RequestParameters["value"] != "***" {
		t.Errorf("create api key: value recorded as %v", got[2].RequestParameters["value"])
	}
	if got[4].ErrorMessage == "" {
		t.Errorf("refused call without its message: %+v", got[4])
	}

	code, out, errOut := run("audit", "--data-dir", dir)
	if code != 0 || strings.Count(out, "\n") != 6 || !strings.Contains(out, "InvalidSignatureException") || !strings.Contains(out, "CreateApiKey") {
		t.Errorf("portico audit: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = run("audit", "--data-dir", dir, "--json", "--since", time.Now().Add(time.Hour).Format(time.RFC3339))
	if code != 0 || out != "" {
		t.Errorf("portico audit --since in the future: exit %d\n%s", code, out)
	}
	code, out, _ = run("audit", "--data-dir", dir, "--json", "--since", "1h")
	if code != 0 || strings.Count(out, "\n") != 5 || json.Valid([]byte(strings.Split(out, "\n")[0])) == false {
		t.Errorf("portico audit --json --since 1h: exit %d\n%s", code, out)
	}
	if code, _, errOut := run("audit", "--since", "yesterday"); code != 2 || !strings.Contains(errOut, "--since") {
		t.Errorf("bad --since: exit %d %s", code, errOut)
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"":                     {},
		"90m":                  now.Add(-90 * time.Minute),
		"2026-01-02":           time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC),
		"2026-01-02T03:04:05Z": time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	} {
		if got, err := parseSince(in, now); err != nil || !got.Equal(want) {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"-1h", "soon", "2026-13-01"} {
		if _, err := parseSince(in, now); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}
