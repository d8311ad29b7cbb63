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

// TestPorticoImport imports and deploys in one step with the portico CLI and calls the printed URL.
func TestPorticoImport(t *testing.T) {
	srv := startServer(t, t.TempDir())
	out, errOut, code := portico(t, srv, "import", "../examples/petstore.yaml", "--name", "renamed", "--stage", "v1")
	if code != 0 {
		t.Fatalf("portico import: exit %d\n%s%s", code, out, errOut)
	}
	fields := strings.Fields(out)
	var apiID string
	for i, f := range fields {
		if f == "API" && i+1 < len(fields) {
			apiID = fields[i+1]
		}
	}
	if len(apiID) != 10 || !strings.Contains(out, "/restapis/"+apiID+"/v1/_user_request_/") || !strings.Contains(out, apiID+".execute-api.localhost:") {
		t.Fatalf("portico import printed:\n%s", out)
	}
	waitFor(t, "deployment", func() bool { return invokeHost(t, srv, "GET", apiID, "v1", "/pets", "").status == 200 })
	list, _, _ := portico(t, srv, "apis")
	if !strings.Contains(list, "renamed") {
		t.Fatalf("portico apis after import --name:\n%s", list)
	}
	if _, errOut, code := portico(t, srv, "export", apiID, "--stage", "nosuch"); code != 1 || !strings.Contains(errOut, "NotFoundException") {
		t.Fatalf("export of an unknown stage: exit %d %s", code, errOut)
	}
}
