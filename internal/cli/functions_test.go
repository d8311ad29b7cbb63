package cli

import (
	"strings"
	"testing"
)

func TestFunctionFlagsAreChecked(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--function-concurrency", "0"},
		{"serve", "--function-concurrency", "10001"},
		{"serve", "--function-idle-timeout", "10ms"},
	} {
		code, _, errOut := run(args...)
		if code != 2 || !strings.Contains(errOut, "--function-idle-timeout must be at least 1s and --function-concurrency between 1 and 10000") {
			t.Errorf("portico %v: exit %d, stderr %q", args, code, errOut)
		}
	}
	for _, args := range [][]string{
		{"functions"},
		{"functions", "bogus"},
		{"functions", "create", "f"},
		{"functions", "create", "--command", "/bin/true"},
		{"functions", "create", "f", "--command", "/bin/true", "--env", "NOEQUALS"},
		{"functions", "invoke", "f", "--payload", "{not json"},
		{"functions", "logs"},
		{"functions", "list", "extra"},
	} {
		if code, _, errOut := run(args...); code != 2 {
			t.Errorf("portico %v: exit %d, stderr %q", args, code, errOut)
		}
	}
}
