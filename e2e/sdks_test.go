package e2e

import (
	"os/exec"
	"strings"
	"testing"
)

// TestBoto3 runs a boto3 deploy script against the management API.
func TestBoto3(t *testing.T) {
	python := needTool(t, "python3")
	if err := exec.Command(python, "-c", "import boto3").Run(); err != nil {
		needTool(t, "boto3-is-not-installed")
	}
	srv := startServer(t, t.TempDir())
	cmd := exec.Command(python, "testdata/boto3_check.py", "../examples/petstore.yaml")
	cmd.Env = toolEnv(srv)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasSuffix(strings.TrimSpace(string(out)), "ok") {
		t.Fatalf("boto3 script: %v\n%s", err, out)
	}
}
