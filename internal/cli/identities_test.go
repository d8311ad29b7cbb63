package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeRefusesABadIdentitiesFile: serve does not start on an identities file it cannot use,
// and says which and why.
func TestServeRefusesABadIdentitiesFile(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "identities.yaml")
	if err := os.WriteFile(bad, []byte("users: [{name: 'no spaces allowed'}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		bad: "not a valid IAM name",
		filepath.Join(t.TempDir(), "missing.yaml"): "no such file",
	} {
		code, _, errOut := run("serve", "--identities", file, "--data-dir", t.TempDir(),
			"--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0")
		if code == 0 || !strings.Contains(errOut, "identities") || !strings.Contains(errOut, want) {
			t.Errorf("serve --identities %s: exit %d, stderr %q", file, code, errOut)
		}
	}
}

func TestWatchFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "identities.yaml")
	if err := os.WriteFile(path, []byte("users: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	defer close(done)
	changed := watchFile(path, time.Millisecond, done)
	select {
	case <-changed:
		t.Fatal("a change reported before any")
	case <-time.After(20 * time.Millisecond):
	}
	if err := os.WriteFile(path, []byte("users: [{name: a}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("the change was not seen")
	}
	// A removed file is no change; its return with other content is.
	os.Remove(path)
	if err := os.WriteFile(path, []byte("users: [{name: b}, {name: c}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("the new file was not seen")
	}
}
