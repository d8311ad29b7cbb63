package cli

import (
	"strings"
	"testing"
)

func TestThrottleFlagsAreChecked(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--throttle-rate", "0"},
		{"serve", "--throttle-burst", "0"},
		{"serve", "--throttle-rate", "-5"},
	} {
		code, _, errOut := run(args...)
		if code != 2 || !strings.Contains(errOut, "--throttle-rate must be positive and --throttle-burst at least 1") {
			t.Errorf("portico %v: exit %d, stderr %q", args, code, errOut)
		}
	}
	code, _, errOut := run("serve", "--throttle-rate", "fast")
	if code != 2 || !strings.Contains(errOut, "throttle-rate") {
		t.Errorf("portico serve --throttle-rate fast: exit %d, stderr %q", code, errOut)
	}
}
