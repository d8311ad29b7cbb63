package mgmt

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the golden files under testdata/ with the current output")

// TestGolden replays the request scripts in testdata/*.txt and compares each answer with the
// recorded one. A script is a list of blocks:
//
//	request METHOD /path [as=name]
//	<JSON body, possibly empty>
//	----
//	<status, error type and pretty-printed body>
//
// Generated ids are replaced by {name} (the API's root resource is {root}) and timestamps by 0,
// so recorded answers are stable; {name} in a request path or body is replaced by the id.
func TestGolden(t *testing.T) {
	files, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, fi := range files {
		if !strings.HasSuffix(fi.Name(), ".txt") {
			continue
		}
		t.Run(fi.Name(), func(t *testing.T) { runGolden(t, "testdata/"+fi.Name()) })
	}
}

type goldenBlock struct {
	directive, body, want string
}

func parseGolden(t *testing.T, text string) []goldenBlock {
	var out []goldenBlock
	for _, chunk := range strings.Split(strings.TrimSpace(text), "\n\nrequest ") {
		chunk = strings.TrimPrefix(chunk, "request ")
		head, want, ok := strings.Cut(chunk, "\n----\n")
		if !ok {
			head, ok = strings.CutSuffix(chunk, "\n----")
			if !ok {
				t.Fatalf("block without ----: %q", chunk)
			}
		}
		directive, body, _ := strings.Cut(head, "\n")
		out = append(out, goldenBlock{directive: directive, body: body, want: want})
	}
	return out
}

var datesRe = regexp.MustCompile(`"(createdDate|lastUpdatedDate)": \d+`)

func runGolden(t *testing.T, file string) {
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	ids := map[string]string{} // name → id
	subst := func(s string) string {
		for name, id := range ids {
			s = strings.ReplaceAll(s, "{"+name+"}", id)
		}
		return s
	}
	unsubst := func(s string) string {
		names := make([]string, 0, len(ids))
		for n := range ids {
			names = append(names, n)
		}
		sort.Slice(names, func(i, j int) bool { return len(ids[names[i]]) > len(ids[names[j]]) })
		for _, n := range names {
			s = strings.ReplaceAll(s, ids[n], "{"+n+"}")
		}
		return datesRe.ReplaceAllString(s, `"$1": 0`)
	}
	var out strings.Builder
	failed := false
	for _, b := range parseGolden(t, string(raw)) {
		f := strings.Fields(b.directive)
		if len(f) < 2 {
			t.Fatalf("bad directive %q", b.directive)
		}
		resp, body := e.raw(t, f[0], subst(f[1]), []byte(subst(b.body)), testSecret)
		var doc map[string]any
		if json.Unmarshal(body, &doc) == nil {
			if len(f) > 2 && strings.HasPrefix(f[2], "as=") {
				ids[strings.TrimPrefix(f[2], "as=")] = fmt.Sprint(doc["id"])
			}
			if root, ok := doc["rootResourceId"].(string); ok {
				ids["root"] = root
			}
		}
		got := fmt.Sprint(resp.StatusCode)
		if et := resp.Header.Get("x-amzn-ErrorType"); et != "" {
			got += " " + et
		}
		if len(body) > 0 {
			var pretty bytes.Buffer
			if json.Indent(&pretty, body, "", "  ") == nil {
				body = pretty.Bytes()
			}
			got += "\n" + unsubst(string(body))
		}
		if got != b.want && !*rewrite {
			t.Errorf("%s\n--- got\n%s\n--- want\n%s", b.directive, got, b.want)
			failed = true
		}
		fmt.Fprintf(&out, "request %s\n%s\n----\n%s\n\n", b.directive, b.body, got)
	}
	if *rewrite {
		if err := os.WriteFile(file, []byte(strings.TrimSpace(strings.ReplaceAll(out.String(), "\n\n----", "\n----"))+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if failed {
		t.Log("run with -rewrite to accept the new output")
	}
}
