package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func run(args ...string) (int, string, string) {
	var o, e bytes.Buffer
	code := Run(context.Background(), args, func(string) string { return "" }, &o, &e)
	return code, o.String(), e.String()
}

func TestHelpOnEveryCommand(t *testing.T) {
	for name := range commands {
		code, out, errOut := run(name, "--help")
		if code != 0 || !strings.HasPrefix(out, "Usage: portico "+name) || strings.Count(out, "Usage:") != 1 || errOut != "" {
			t.Errorf("portico %s --help: exit %d\n%s%s", name, code, out, errOut)
		}
	}
	if code, out, _ := run("--help"); code != 0 || !strings.Contains(out, "import") {
		t.Errorf("portico --help: exit %d\n%s", code, out)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"nosuch"}, `unknown command "nosuch"`},
		{[]string{"import"}, "want exactly one FILE"},
		{[]string{"deploy", "abc"}, "want one API id and --stage"},
		{[]string{"export", "abc", "--stage", "s", "--format", "raml"}, "--format must be oas30 or swagger"},
		{[]string{"serve", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"serve", "--log-level", "loud"}, "--log-level"},
		{[]string{"stages"}, "want one API id"},
	} {
		code, _, errOut := run(tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("portico %v: exit %d, stderr %q, want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}

func TestMissingCredentialsIsClear(t *testing.T) {
	code, _, errOut := run("apis", "--data-dir", t.TempDir())
	if code != 1 || !strings.Contains(errOut, "no admin credentials") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

func TestFlagsAfterArguments(t *testing.T) {
	code, _, errOut := run("deploy", "abc", "--stage", "prod", "--endpoint", "::bad", "--data-dir", t.TempDir())
	if code != 1 || !strings.Contains(errOut, "no admin credentials") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}
