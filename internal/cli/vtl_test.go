package cli

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestVTLRender(t *testing.T) {
	dir := t.TempDir()
	tpl := writeFile(t, dir, "t.vtl", `#set($root = $input.path('$'))
{"name": "$input.params('name')", "id": "$input.params('id')", "ua": "$context.identity.userAgent",
 "stage": "$context.stage", "url": "$stageVariables.url", "who": "$context.authorizer.principalId/$context.authorizer.n",
 "items": [#foreach($i in $root.items)"$util.escapeJavaScript($i)"#if($foreach.hasNext),#end#end],
 "body": $input.json('$'), "time": "$context.requestTime", "proto": "$context.protocol"}`)
	body := writeFile(t, dir, "body.json", `{"items": ["a'b", "c"]}`)
	ctx := writeFile(t, dir, "ctx.json", `{"stage": "prod", "requestTimeEpoch": 1583349317000, "authorizer": {"principalId": "u1", "n": 2}}`)
	code, out, errOut := run("vtl", "render", tpl, "--body", body,
		"--params", `{"path": {"id": "7"}, "querystring": {"name": ["x", "y"]}, "header": {"User-Agent": "curl/8"}}`,
		"--context", "@"+ctx, "--stage-variables", `{"url": "example.com"}`)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := `{"name": "y", "id": "7", "ua": "curl/8",
 "stage": "prod", "url": "example.com", "who": "u1/2",
 "items": ["a\'b","c"],
 "body": {"items":["a'b","c"]}, "time": "04/Mar/2020:19:15:17 +0000", "proto": "HTTP/1.1"}`
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
	if errOut != "" {
		t.Errorf("stderr: %q", errOut)
	}
}

func TestVTLTraceAndOverrides(t *testing.T) {
	dir := t.TempDir()
	tpl := writeFile(t, dir, "t.vtl", `#set($n = 2)
#if($n > 1)big#elseif($n == 1)one#end
#foreach($x in ["a", "b"])$x#end
#set($context.responseOverride.status = 404)
#set($context.responseOverride.header.X-Why = "gone")
#set($context.requestOverride.querystring.q = ["1", "2"])`)
	code, out, errOut := run("vtl", "render", tpl, "--trace")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if out != "bigab" {
		t.Errorf("output %q", out)
	}
	for _, want := range []string{
		`1:1 #set($n = 2) = 2`,
		`2:1 #if($n > 1) -> true`,
		`3:1 #foreach($x in ["a", "b"]) over 2 items: [a, b]`,
		`3:1 #foreach($x in ["a", "b"]) [0] "a"`,
		`3:1 #foreach($x in ["a", "b"]) [1] "b"`,
		`4:1 #set($context.responseOverride.status = 404) = 404`,
		`requestOverride.querystring.q: 1, 2`,
		`responseOverride.header.X-Why: gone`,
		`responseOverride.status: 404`,
	} {
		if !strings.Contains(errOut, want+"\n") {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

func TestVTLErrors(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.vtl", "#if($a\n")
	failing := writeFile(t, dir, "fail.vtl", "$input.json('$')")
	notJSON := writeFile(t, dir, "body.txt", `{"a": `)
	good := writeFile(t, dir, "good.vtl", "ok")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"vtl"}, 2, "want: vtl render TEMPLATE"},
		{[]string{"vtl", "parse", good}, 2, "want: vtl render TEMPLATE"},
		{[]string{"vtl", "render", filepath.Join(dir, "nope.vtl")}, 1, "no such file"},
		{[]string{"vtl", "render", bad}, 1, "bad.vtl:"},
		{[]string{"vtl", "render", failing, "--body", notJSON}, 1, "Could not parse request body into json"},
		{[]string{"vtl", "render", good, "--context", `{"nope": 1}`}, 2, `--context: json: unknown field "nope"`},
		{[]string{"vtl", "render", good, "--params", `{"header": {"a": 1}}`}, 2, "a string or a list of strings"},
		{[]string{"vtl", "render", good, "--stage-variables", `[1]`}, 2, "--stage-variables"},
		{[]string{"vtl", "render", good, "--params", "@" + filepath.Join(dir, "nope.json")}, 1, "--params"},
	} {
		code, _, errOut := run(tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("portico %v: exit %d, stderr %q; want %d and %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
}

var rewrite = flag.Bool("rewrite", false, "rewrite testdata/vtl/*.out with the current output")

// TestVTLGolden renders AWS's documented examples in testdata/vtl through the command, as a
// user would: NAME.vtl with NAME.json as the body and the arguments in NAME.args (one per line)
// must print NAME.out exactly.
func TestVTLGolden(t *testing.T) {
	tpls, err := filepath.Glob("testdata/vtl/*.vtl")
	if err != nil || len(tpls) == 0 {
		t.Fatalf("no templates: %v", err)
	}
	for _, tpl := range tpls {
		base := strings.TrimSuffix(tpl, ".vtl")
		args := []string{"vtl", "render", tpl, "--context", `{"requestId": "r1", "requestTimeEpoch": 1}`}
		if _, err := os.Stat(base + ".json"); err == nil {
			args = append(args, "--body", base+".json")
		}
		if extra, err := os.ReadFile(base + ".args"); err == nil {
			args = append(args, strings.Split(strings.TrimSpace(string(extra)), "\n")...)
		}
		code, out, errOut := run(args...)
		if code != 0 {
			t.Errorf("%s: exit %d: %s", tpl, code, errOut)
			continue
		}
		if *rewrite {
			if err := os.WriteFile(base+".out", []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(base + ".out")
		if err != nil {
			t.Fatal(err)
		}
		if out != string(want) {
			t.Errorf("%s:\n%s\nwant:\n%s", tpl, out, want)
		}
	}
}
