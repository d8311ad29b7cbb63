package vtl

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// velocityJars are Debian's Apache Velocity 1.7 (package velocity) and its dependencies.
var velocityJars = []string{
	"/usr/share/java/velocity-1.7.jar",
	"/usr/share/java/commons-collections3.jar",
	"/usr/share/java/commons-lang.jar",
}

// velocityDifferences are golden cases, by template, where Portico deliberately differs from
// stock Velocity 1.7 (see the package notes).
var velocityDifferences = map[string]string{
	"#foreach($x $list)#end":                                 "a #foreach without 'in' is a parse error, not an empty loop",
	"#set($a = 99999999999999999999)":                        "integers are 64-bit; Velocity falls back to BigInteger",
	"#set($a.b() = 1)":                                       "#set into a method call is a parse error, not ignored",
	"#set($a = -$n)#set($b = -2.5)#set($c = 3 - -2)$a $b $c": "unary minus on any expression",
	"#foreach($i in [1..1001])#end":                          "API Gateway's limit of 1000 iterations",
	"#set($r = [1..100000000])":                              "ranges are bounded",
	"#set($r = [-9223372036854775807..9223372036854775807])": "ranges are bounded",
	"$o.items[1] $o[x] $o.items[":                            "a '[' that starts no index is text, not a parse error",
	`#set($s = "héllo 😀!")$s.length() $s.substring(1, 3) $s.indexOf("l") $s.charAt(6)$s.charAt(7) $s.substring(8)`:                                    "half a surrogate pair cannot be printed in UTF-8",
	`#set($s = "a,b,,c,,")$s.split(",") $s.split(",").size() $s.split(",", -1).size() $s.split(",", 2)#set($e = "")$e.split(",").size() $s.split("")`: "split() gives a list that prints, not a Java array",
}

// TestAgainstVelocity17 renders every golden case that needs no host object and no limit with
// Apache Velocity 1.7 itself, configured as API Gateway runs it (a null reference prints as
// nothing), and compares the output with Portico's. It needs java, javac and Debian's velocity
// package; without them it is skipped.
func TestAgainstVelocity17(t *testing.T) {
	if _, err := exec.LookPath("javac"); err != nil {
		t.Skip("javac not installed")
	}
	for _, j := range velocityJars {
		if _, err := os.Stat(j); err != nil {
			t.Skipf("%s not installed (Debian package velocity)", j)
		}
	}
	dir := t.TempDir()
	cp := strings.Join(append(velocityJars, dir), ":")
	if out, err := exec.Command("javac", "-d", dir, "-cp", cp, "testdata/velocity17/VelocityRender.java").CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	files, _ := filepath.Glob("testdata/*.txt")
	type compared struct {
		file, comment, template, got string
	}
	var cases []compared
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range parseGolden(t, string(data)) {
			if strings.Contains(c.template, "$host") || len(c.args) > 0 && !(len(c.args) == 1 && c.has("vars")) {
				continue
			}
			name := fmt.Sprintf("c%03d", len(cases))
			if err := os.WriteFile(filepath.Join(dir, name+".vtl"), []byte(c.template), 0o644); err != nil {
				t.Fatal(err)
			}
			if c.vars != "" {
				if err := os.WriteFile(filepath.Join(dir, name+".json"), []byte(c.vars), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			comment := strings.SplitN(strings.TrimSpace(c.comment), "\n", 2)[0]
			cases = append(cases, compared{file: f, comment: comment, template: c.template, got: c.run(t)})
		}
	}
	if out, err := exec.Command("java", "-cp", cp, "VelocityRender", dir).CombinedOutput(); err != nil {
		t.Fatalf("java: %v\n%s", err, out)
	}
	for i, c := range cases {
		name := filepath.Join(dir, fmt.Sprintf("c%03d", i))
		want, err := os.ReadFile(name + ".out")
		if err != nil {
			exc, _ := os.ReadFile(name + ".err")
			want = []byte("error: " + string(exc))
		}
		failed := strings.HasPrefix(c.got, "parse error:") || strings.HasPrefix(c.got, "render error:")
		same := string(want) == c.got || failed && strings.HasPrefix(string(want), "error: ")
		if reason, ok := velocityDifferences[c.template]; ok {
			if same {
				t.Errorf("%s %q: listed as a difference (%s) but agrees with Velocity", c.file, c.template, reason)
			}
			continue
		}
		if !same {
			t.Errorf("%s %s\n--- template ---\n%s\n--- Portico ---\n%s\n--- Velocity 1.7 ---\n%s", c.file, c.comment, c.template, c.got, want)
		}
	}
	t.Logf("compared %d cases with Velocity 1.7", len(cases))
}
