package aws

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/portico/portico/internal/vtl"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the golden files in testdata/ with the current output")

// The golden files hold blocks ended by a line "####":
//
//	request NAME        a Request as JSON (TestRequest's fields), used by later renders
//	body NAME           a payload, exact
//	render [request=NAME] [body=NAME] [overrides]
//	template text
//	----
//	expected output, or "parse error: ..." / "render error: ..."; with overrides, followed by
//	the overrides the template set
//	docjson             the output AWS's documentation shows for the render before it: the
//	                    render's output must be JSON equal to it (AWS's pages pretty-print)
//
// Lines starting with # between blocks are comments. Text is exact: the newline before ----
// and before #### belongs to the format.
type block struct {
	kind, name string
	args       []string
	text, want string
	start      int // offset of the expected output, for rewriting
	end        int
}

// TestRequest is a Request as golden files and `portico vtl render` spell it.
type TestRequest struct {
	Path           map[string]string   `json:"path"`
	Querystring    map[string][]string `json:"querystring"`
	Header         map[string][]string `json:"header"`
	StageVariables map[string]string   `json:"stageVariables"`
	Context        Context             `json:"context"`
}

func parseBlocks(t *testing.T, data string) []block {
	t.Helper()
	var out []block
	off := 0
	for off < len(data) {
		line, _, _ := strings.Cut(data[off:], "\n")
		if line == "" || strings.HasPrefix(line, "#") {
			off += len(line) + 1
			continue
		}
		f := strings.Fields(line)
		b := block{kind: f[0], args: f[1:]}
		if len(f) > 1 && (b.kind == "request" || b.kind == "body") {
			b.name = f[1]
		}
		off += len(line) + 1
		end := strings.Index(data[off:], "\n####\n")
		if end < 0 {
			t.Fatalf("block %q: no ####", line)
		}
		body := data[off : off+end]
		if b.kind == "render" {
			tpl, want, ok := strings.Cut(body, "\n----\n")
			if !ok {
				if strings.HasSuffix(body, "\n----") {
					tpl, want = strings.TrimSuffix(body, "\n----"), ""
				} else {
					t.Fatalf("block %q: no ----", line)
				}
			}
			b.text, b.want = tpl, want
			b.start, b.end = off+len(tpl)+len("\n----\n"), off+end
		} else {
			b.text = body
		}
		out = append(out, b)
		off += end + len("\n####\n")
	}
	return out
}

func (b *block) arg(name string) (string, bool) {
	for _, a := range b.args {
		k, v, _ := strings.Cut(a, "=")
		if k == name {
			return v, true
		}
	}
	return "", false
}

func runFile(t *testing.T, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blocks := parseBlocks(t, string(data))
	reqs := map[string]*Request{}
	bodies := map[string]string{}
	var out bytes.Buffer
	last := 0
	var lastOutput string
	for i := range blocks {
		b := &blocks[i]
		switch b.kind {
		case "request":
			var tr TestRequest
			dec := json.NewDecoder(strings.NewReader(b.text))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&tr); err != nil {
				t.Fatalf("%s: request %s: %v", path, b.name, err)
			}
			reqs[b.name] = &Request{PathParams: tr.Path, Query: tr.Querystring, Header: tr.Header, StageVariables: tr.StageVariables, Context: tr.Context}
		case "body":
			bodies[b.name] = b.text
		case "docjson":
			var got, want any
			if err := json.Unmarshal([]byte(lastOutput), &got); err != nil {
				t.Errorf("%s: output before docjson is not JSON: %v\n%s", path, err, lastOutput)
				continue
			}
			if err := json.Unmarshal([]byte(b.text), &want); err != nil {
				t.Fatalf("%s: docjson: %v", path, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: output differs from AWS's documented output\ngot:\n%s\nwant:\n%s", path, lastOutput, b.text)
			}
		case "render":
			req := &Request{}
			if n, ok := b.arg("request"); ok {
				if req = reqs[n]; req == nil {
					t.Fatalf("%s: unknown request %q", path, n)
				}
			}
			var body []byte
			if n, ok := b.arg("body"); ok {
				s, found := bodies[n]
				if !found {
					t.Fatalf("%s: unknown body %q", path, n)
				}
				body = []byte(s)
			}
			got := renderCase(b, req, body)
			lastOutput = got
			if *rewrite {
				out.WriteString(string(data[last:b.start]))
				out.WriteString(got)
				last = b.end
			} else if got != b.want {
				t.Errorf("%s: render\n%s\ngot:\n%s\nwant:\n%s", path, b.text, got, b.want)
			}
		default:
			t.Fatalf("%s: unknown block %q", path, b.kind)
		}
	}
	if *rewrite {
		out.WriteString(string(data[last:]))
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func renderCase(b *block, req *Request, body []byte) string {
	tpl, err := vtl.Parse("template", b.text)
	if err != nil {
		return "parse error: " + err.Error()
	}
	var w bytes.Buffer
	ov, err := Render(&w, tpl, req, body)
	if err != nil {
		s := "render error: " + err.Error()
		if errors.Is(err, ErrBody) {
			s += " [ErrBody]"
		}
		return s
	}
	s := w.String()
	if _, ok := b.arg("overrides"); ok {
		s += "\n---- overrides\n" + formatOverrides(ov)
	}
	return s
}

func formatOverrides(o *Overrides) string {
	var b strings.Builder
	for _, g := range []struct {
		name string
		ps   []Param
	}{{"header", o.Header}, {"querystring", o.Querystring}, {"path", o.Path}, {"response.header", o.ResponseHeader}} {
		for _, p := range g.ps {
			fmt.Fprintf(&b, "%s %s=%q\n", g.name, p.Name, p.Values)
		}
	}
	fmt.Fprintf(&b, "status %d", o.Status)
	return b.String()
}

func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { runFile(t, f) })
	}
}

// TestConcurrentRenders renders one template for one Request from many goroutines (run with
// -race): a Request is read-only and each render has its own bindings.
func TestConcurrentRenders(t *testing.T) {
	tpl, err := vtl.Parse("t", benchTemplate)
	if err != nil {
		t.Fatal(err)
	}
	body := benchBody(20)
	var want bytes.Buffer
	if _, err := Render(&want, tpl, benchReq, body); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			for range 20 {
				var w bytes.Buffer
				if _, err := Render(&w, tpl, benchReq, body); err != nil {
					errs <- err
					return
				}
				if w.String() != want.String() {
					errs <- fmt.Errorf("output differs:\n%s", w.String())
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
