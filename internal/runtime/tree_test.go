package runtime

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var rewrite = flag.Bool("rewrite", false, "rewrite golden files under testdata/")

// testTree builds the tree the golden file and the fuzz target match against. Each resource gets
// the verbs listed after it.
func testTree(t testing.TB) *Tree {
	tr := NewTree("root")
	routes := []struct{ path, verbs string }{
		{"/", "GET"},
		{"/pets", "GET POST"},
		{"/pets/{petId}", "GET DELETE"},
		{"/pets/{petId}/toys", "ANY"},
		{"/pets/mine", "GET"},
		{"/pets/mine/photo", "PUT"},
		{"/files/{proxy+}", "ANY GET"},
		{"/files", "GET"},
		{"/a/{x}/c", "GET"},
		{"/a/b/d", "GET"},
		{"/empty/child", "GET"}, // /empty itself has no method
		{"/{proxy+}", "ANY"},
		{"/users/{id}/{proxy+}", "POST"},
	}
	for _, r := range routes {
		res, err := tr.Add(r.path, "id"+r.path)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range strings.Fields(r.verbs) {
			verb, _ := ParseVerb(v)
			res.SetMethod(verb, &Method{Verb: verb, Resource: res})
		}
	}
	return tr
}

func describeMatch(tr *Tree, verb, path string) string {
	res, params := tr.Match(path, make([]string, 0, 4))
	if res == nil {
		return "MISSING_AUTHENTICATION_TOKEN (no resource)"
	}
	m := res.Method(verb)
	if m == nil {
		return fmt.Sprintf("MISSING_AUTHENTICATION_TOKEN (%s has no %s)", res.Path, verb)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", res.Path, m.Verb)
	for i, p := range params {
		fmt.Fprintf(&b, " %s=%q", res.ParamNames[i], p)
	}
	return b.String()
}

// TestMatchGolden runs every "VERB path" line of testdata/match.txt and compares the part after
// " => " with what Match answers; -rewrite regenerates it.
func TestMatchGolden(t *testing.T) {
	tr := testTree(t)
	const file = "testdata/match.txt"
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			out.WriteString(line + "\n")
			continue
		}
		input, want, _ := strings.Cut(line, " => ")
		verb, path, _ := strings.Cut(input, " ")
		got := describeMatch(tr, verb, path)
		if !*rewrite && got != want {
			t.Errorf("%s %s:\n got  %s\n want %s", verb, path, got, want)
		}
		out.WriteString(input + " => " + got + "\n")
	}
	f.Close()
	if *rewrite {
		if err := os.WriteFile(file, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAddErrors(t *testing.T) {
	cases := []struct{ paths []string }{
		{[]string{"pets"}},
		{[]string{"/a//b"}},
		{[]string{"/a/res{id}"}},
		{[]string{"/a/{}"}},
		{[]string{"/a/{p+}/b"}},
		{[]string{"/a/{p}", "/a/{q}"}},
		{[]string{"/a/{p}", "/a/{q+}"}},
		{[]string{"/a/{p+}", "/a/{p}"}},
	}
	for _, c := range cases {
		tr := NewTree("r")
		var err error
		for _, p := range c.paths {
			if _, err = tr.Add(p, ""); err != nil {
				break
			}
		}
		if err == nil {
			t.Errorf("Add(%q) accepted an invalid tree", c.paths)
		}
	}
}

func TestAddIsIdempotent(t *testing.T) {
	tr := NewTree("r")
	a, err := tr.Add("/x/{p}/{q+}", "one")
	if err != nil {
		t.Fatal(err)
	}
	b, err := tr.Add("/x/{p}/{q+}", "")
	if err != nil || a != b || b.ID != "one" {
		t.Fatalf("second Add returned %v, %v", b, err)
	}
	if got := strings.Join(a.ParamNames, ","); got != "p,q" || tr.MaxParams != 2 {
		t.Fatalf("ParamNames %q MaxParams %d", got, tr.MaxParams)
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	tr := testTree(t)
	buf := make([]string, 0, 8)
	allocs := testing.AllocsPerRun(100, func() {
		tr.Match("/users/42/a/b/c", buf[:0])
		tr.Match("/pets/7/toys/", buf[:0])
		tr.Match("/nothing/here", buf[:0])
	})
	if allocs != 0 {
		t.Fatalf("Match allocates %v times per run", allocs)
	}
}

// normalise collapses runs of slashes and drops a trailing one, the way matching sees a path.
func normalise(p string) string {
	var b strings.Builder
	prevSlash := false
	for i := 0; i < len(p); i++ {
		if p[i] == '/' {
			if prevSlash {
				continue
			}
			prevSlash = true
		} else {
			prevSlash = false
		}
		b.WriteByte(p[i])
	}
	s := strings.TrimSuffix(b.String(), "/")
	if !strings.HasPrefix(s, "/") {
		s = "/" + s
	}
	return s
}

// FuzzMatch checks that matching never panics and that a matched route's parameters, put back
// into its path template, give the request path again.
func FuzzMatch(f *testing.F) {
	for _, s := range []string{"/", "/pets/1", "/pets/mine/photo", "//pets//1//", "/files/a/b/c/", "/a/b/c",
		"/users/1/x%2Fy/z", "/%00", "/..", "/pets/{petId}", "/a/b/../d", strings.Repeat("/x", 100)} {
		f.Add(s)
	}
	tr := testTree(f)
	f.Fuzz(func(t *testing.T, path string) {
		res, params := tr.Match(path, nil)
		if res == nil {
			return
		}
		if len(params) != len(res.ParamNames) {
			t.Fatalf("%q: %d params for %v", path, len(params), res.ParamNames)
		}
		rebuilt := res.Path
		for i, name := range res.ParamNames {
			v := params[i]
			if v == "" {
				t.Fatalf("%q: empty value for %s", path, name)
			}
			if strings.Contains(rebuilt, "{"+name+"+}") {
				rebuilt = strings.Replace(rebuilt, "{"+name+"+}", v, 1)
			} else {
				if strings.Contains(v, "/") {
					t.Fatalf("%q: %s=%q spans segments", path, name, v)
				}
				rebuilt = strings.Replace(rebuilt, "{"+name+"}", v, 1)
			}
		}
		if normalise(rebuilt) != normalise(path) {
			t.Fatalf("%q matched %s with %q, which rebuilds %q", path, res.Path, params, rebuilt)
		}
	})
}

func BenchmarkMatch(b *testing.B) {
	tr := testTree(b)
	paths := []string{"/pets", "/pets/42", "/pets/42/toys", "/files/a/b/c", "/users/1/x/y", "/nope/x/y/z/w"}
	buf := make([]string, 0, 8)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, _ := tr.Match(paths[i%len(paths)], buf[:0])
		if res != nil {
			res.Method("GET")
		}
	}
}

func TestWalk(t *testing.T) {
	tr := testTree(t)
	seen := map[string]bool{}
	tr.Walk(func(r *Resource, m *Method) { seen[r.Path+" "+m.Verb.String()] = true })
	for _, want := range []string{"/ GET", "/pets POST", "/files/{proxy+} ANY", "/users/{id}/{proxy+} POST", "/{proxy+} ANY"} {
		if !seen[want] {
			t.Errorf("Walk missed %s", want)
		}
	}
	if len(seen) != 16 {
		t.Errorf("Walk visited %d methods: %v", len(seen), seen)
	}
}
