package jsonpath

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var rewrite = flag.Bool("rewrite", false, "rewrite golden files under testdata/ with the current output")

// block is one test case of a golden file: a directive line, input lines, "----", output lines,
// ended by a blank line.
type block struct {
	line      int
	directive string
	args      map[string]string
	input     string
	output    string
}

func readBlocks(t *testing.T, path string) ([]block, []string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	var blocks []block
	for i := 0; i < len(lines); {
		if l := lines[i]; l == "" || strings.HasPrefix(l, "#") {
			i++
			continue
		}
		f := strings.Fields(lines[i])
		b := block{line: i + 1, directive: f[0], args: map[string]string{}}
		for _, a := range f[1:] {
			k, v, _ := strings.Cut(a, "=")
			b.args[k] = v
		}
		i++
		var in []string
		for i < len(lines) && lines[i] != "----" {
			in = append(in, lines[i])
			i++
		}
		if i == len(lines) {
			t.Fatalf("%s:%d: no ---- separator", path, b.line)
		}
		i++
		var out []string
		for i < len(lines) && lines[i] != "" {
			out = append(out, lines[i])
			i++
		}
		b.input, b.output = strings.Join(in, "\n"), strings.Join(out, "\n")
		blocks = append(blocks, b)
	}
	return blocks, lines
}

// writeBlocks rewrites path with each block's output replaced by got[i].
func writeBlocks(t *testing.T, path string, blocks []block, got []string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	var out []string
	bi := 0
	for i := 0; i < len(lines); {
		if bi < len(blocks) && i+1 == blocks[bi].line {
			for lines[i] != "----" {
				out = append(out, lines[i])
				i++
			}
			out = append(out, "----")
			i++
			for i < len(lines) && lines[i] != "" {
				i++
			}
			if got[bi] != "" {
				out = append(out, got[bi])
			}
			bi++
			continue
		}
		out = append(out, lines[i])
		i++
	}
	if err := os.WriteFile(path, []byte(strings.Join(out, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
