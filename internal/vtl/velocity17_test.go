package vtl

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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

const randomTemplates = 2000

// randomPieces are glued at random into templates. A lone '$', '#', '{' or "##" comes after a
// blank, and #macro after a blank: right after a reference Velocity's lexer treats them in the
// odd ways the package notes list.
var randomPieces = []string{
	"#set($a = 1)", "#set( $b = \"x$a\" )", "  #set($c = [1, 2])", "#if($a == 1)", "#if($nothing)", "#elseif($b)",
	"#else", "#end", "#end", "#{end}", "#{else}", "#foreach($i in $l)", "#foreach($k in $m.keySet())", "#end", "#break",
	"$a", "$!b", "${c}", "$m.k", "$l[0]", "$i", "$k", "$foreach.hasNext", "$velocityCount", "$m", "$l", "$d",
	"\n", "\n", "\n", "  ", "\t", " ", "text", " { ", " } ", ",", "\"q\"", " ## comment\n", "#* c *#", " $ ", " # ",
	" \\$a", " \\#end", "$a.toString()", "$m.get('k')", "#if($foreach.hasNext),#end", "#define($d)D$a#end",
	" #macro(mm $p)[$p]#end", "#mm($a)", "#mm(\"s\")", "$s.substring(1)", "$s.length()", "$s.replaceAll(\"[aeiou]\", \"_\")",
	"$s.split(\",\")[0]", "#set($a = $a + 1)", "#set($n = $a * 2 - 1)$n",
}

// referenceThenSet finds a #set that may follow a reference directly (nothing but the
// reference and blanks between them on the line): Velocity's lexer then stays in a state where
// a later "##" is text and '[' starts an index (see the package notes).
var referenceThenSet = regexp.MustCompile(`\$[^#\n]*#set\(`)

var (
	randomIndents = []string{"", "", "  ", "    ", "\t", " "}
	randomEnds    = []string{"\n", "\n", "", " ", "  \n", "\r\n"}
	randomLeaves  = []string{
		`"id": "$a",`, `"name": "$!b"`, `$m.k`, `${c}`, `{`, `}`, `],`, `"list": $l,`, `$foreach.hasNext`, `$velocityCount`,
		`#set($a = $a + 1)`, `#set($x = "$a-$b")$x`, `#if($foreach.hasNext),#end`, `## note`, `#* note *#`, `text`, `$s.substring(2, 5)`,
		`#define($d)<$a>#end$d`, `#macro(mm $p)[$p]#end#mm($a)`, `#mm("s")`, `#break`, `#set($c = [$a, "x"])`, `$l[1]`,
		`#set($x = $a + 2 * 3)$x`, `#set($x = 7 / 2 - $a % 2)$x`, `#set($x = 1.5 * $a)$x`, `#set($x = $a / 0)[$x]`,
		`#set($x = "$a" + 1)$x`, `#set($x = $s.indexOf("o"))$x`, `$s.replace("l", "L")`, `$s.toUpperCase().substring(1, 4)`,
		`#if($a < 2 && $b)y#else n#end`, `#if($a >= 1 || $nothing)y#end`, `#if($s == "hello,world")eq#end`, `#if($a == "1")s#end`,
		`$m.containsKey("k") $l.contains(1) $l.contains("1")`, `$s.split(",").size()`, `#set($x = $l.size() % 2)$x`,
		`$m.keySet()`, `$m.values()`, `$m.entrySet()`, `#set($x = {"n": $a, "l": [$a, 2.50]})$x`, `$s.matches("[a-z,]+")`,
		`$s.replaceAll("(l+)", "<$1>")`, `$l.get(0).toString().length()`, `#set($x = [1..$a])$x`, `#set($x = $velocityCount + 1)$x`,
	}
)

// randomBlock returns lines of leaves and balanced #if and #foreach blocks.
func randomBlock(rng *rand.Rand, depth int) string {
	var b strings.Builder
	for k := 1 + rng.Intn(4); k > 0; k-- {
		indent := randomIndents[rng.Intn(len(randomIndents))]
		end := randomEnds[rng.Intn(len(randomEnds))]
		switch r := rng.Intn(6); {
		case r == 0 && depth < 3:
			conds := []string{"$a == 1", "$nothing", "$foreach.hasNext", "$l.size() > 1", "!$b"}
			b.WriteString(indent + "#if(" + conds[rng.Intn(len(conds))] + ")" + end + randomBlock(rng, depth+1))
			if rng.Intn(2) == 0 {
				b.WriteString(indent + "#else" + end + randomBlock(rng, depth+1))
			}
			b.WriteString(indent + "#end" + end)
		case r == 1 && depth < 3:
			iters := []string{"$l", "$m", "$m.keySet()", "[1..3]", "$nothing"}
			b.WriteString(indent + "#foreach($i in " + iters[rng.Intn(len(iters))] + ")" + end + randomBlock(rng, depth+1))
			b.WriteString(indent + "#end" + end)
		default:
			b.WriteString(indent + randomLeaves[rng.Intn(len(randomLeaves))] + end)
		}
	}
	return b.String()
}

// TestAgainstVelocity17 renders every golden case that needs no host object and no limit with
// Apache Velocity 1.7 itself, configured as API Gateway runs it (a null reference prints as
// nothing), and compares the output with Portico's; then as many random templates. It needs
// java, javac and Debian's velocity package; without them it is skipped.
func TestAgainstVelocity17(t *testing.T) {
	// CI installs them (.ci/run), so there a missing tool is a failure, not a skip.
	skip := t.Skipf
	if os.Getenv("CI") != "" {
		skip = t.Fatalf
	}
	if _, err := exec.LookPath("javac"); err != nil {
		skip("javac not installed")
	}
	for _, j := range velocityJars {
		if _, err := os.Stat(j); err != nil {
			skip("%s not installed (Debian package velocity)", j)
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
			name := fmt.Sprintf("c%04d", len(cases))
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
	// Random templates from pieces that exercise whitespace, comments, escapes, directives and
	// references next to each other. Most do not parse (unbalanced #end); those must fail in
	// both engines.
	rng := rand.New(rand.NewSource(2))
	const randomVars = `{"l": [1, "two"], "m": {"k": "v", "z": 2}, "s": "hello,world"}`
	for n := 0; n < randomTemplates; n++ {
		var b strings.Builder
		for k := 3 + rng.Intn(14); k > 0; k-- {
			b.WriteString(randomPieces[rng.Intn(len(randomPieces))])
		}
		b.WriteString(".")
		c := goldenCase{template: b.String(), args: []string{"vars"}, vars: randomVars}
		name := fmt.Sprintf("c%04d", len(cases))
		if err := os.WriteFile(filepath.Join(dir, name+".vtl"), []byte(c.template), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".json"), []byte(randomVars), 0o644); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, compared{file: "random", comment: fmt.Sprint("random template ", n), template: c.template, got: c.run(t)})
	}
	// Random templates with balanced blocks, which parse, laid out as JSON templates are.
	for n := 0; n < randomTemplates; n++ {
		c := goldenCase{template: randomBlock(rng, 0) + ".", args: []string{"vars"}, vars: randomVars}
		if referenceThenSet.MatchString(c.template) {
			continue
		}
		name := fmt.Sprintf("c%04d", len(cases))
		if err := os.WriteFile(filepath.Join(dir, name+".vtl"), []byte(c.template), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".json"), []byte(randomVars), 0o644); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, compared{file: "random", comment: fmt.Sprint("random block ", n), template: c.template, got: c.run(t)})
	}
	if out, err := exec.Command("java", "-cp", cp, "VelocityRender", dir).CombinedOutput(); err != nil {
		t.Fatalf("java: %v\n%s", err, out)
	}
	for i, c := range cases {
		name := filepath.Join(dir, fmt.Sprintf("c%04d", i))
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
	t.Logf("compared %d golden and random templates with Velocity 1.7", len(cases))
}
