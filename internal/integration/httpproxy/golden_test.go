package httpproxy

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var rewrite = flag.Bool("rewrite", false, "rewrite golden files under testdata/")

// goldenCase is one block of testdata/responses.txt:
//
//	# comment
//	response [method=HEAD] [close]
//	HTTP/1.1 200 OK\r\n      (input lines are Go-escaped and joined with nothing between them)
//	----
//	what the client made of it
type goldenCase struct {
	comment []string
	args    string
	input   []string
	output  string
}

func readGolden(t *testing.T, path string) []goldenCase {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cases []goldenCase
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); {
		var c goldenCase
		for i < len(lines) && (lines[i] == "" || strings.HasPrefix(lines[i], "#")) {
			if lines[i] != "" {
				c.comment = append(c.comment, lines[i])
			}
			i++
		}
		if i == len(lines) {
			break
		}
		if !strings.HasPrefix(lines[i], "response") {
			t.Fatalf("%s:%d: want a response directive, got %q", path, i+1, lines[i])
		}
		c.args = strings.TrimSpace(strings.TrimPrefix(lines[i], "response"))
		for i++; i < len(lines) && lines[i] != "----"; i++ {
			c.input = append(c.input, lines[i])
		}
		var out []string
		for i++; i < len(lines) && lines[i] != ""; i++ {
			out = append(out, lines[i])
		}
		c.output = strings.Join(out, "\n")
		cases = append(cases, c)
	}
	return cases
}

func writeGolden(t *testing.T, path string, cases []goldenCase) {
	var b strings.Builder
	for i, c := range cases {
		if i > 0 {
			b.WriteString("\n")
		}
		for _, l := range c.comment {
			b.WriteString(l + "\n")
		}
		b.WriteString(strings.TrimSpace("response "+c.args) + "\n")
		for _, l := range c.input {
			b.WriteString(l + "\n")
		}
		b.WriteString("----\n" + c.output + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestResponsesGolden sends one request per case to a raw server that answers with the case's
// bytes, and records what Do returned, the body read to its end, and whether the connection went
// back to the pool.
func TestResponsesGolden(t *testing.T) {
	const path = "testdata/responses.txt"
	cases := readGolden(t, path)
	for i := range cases {
		c := &cases[i]
		name := strconv.Itoa(i)
		if len(c.comment) > 0 {
			name = strings.TrimSpace(strings.TrimPrefix(c.comment[0], "#"))
		}
		t.Run(name, func(t *testing.T) {
			got := runGoldenCase(t, c)
			if *rewrite {
				c.output = got
				return
			}
			if got != c.output {
				t.Errorf("got:\n%s\nwant:\n%s", got, c.output)
			}
		})
	}
	if *rewrite {
		writeGolden(t, path, cases)
	}
}

func runGoldenCase(t *testing.T, c *goldenCase) string {
	var raw strings.Builder
	for _, l := range c.input {
		s, err := strconv.Unquote(`"` + strings.ReplaceAll(l, `"`, `\"`) + `"`)
		if err != nil {
			t.Fatalf("input line %q: %v", l, err)
		}
		raw.WriteString(s)
	}
	method := "GET"
	closeAfter := false
	for _, a := range strings.Fields(c.args) {
		switch {
		case strings.HasPrefix(a, "method="):
			method = strings.TrimPrefix(a, "method=")
		case a == "close":
			closeAfter = true
		default:
			t.Fatalf("unknown argument %q", a)
		}
	}
	resp := raw.String()
	srv := newRawServer(t, func(conn net.Conn, br *bufio.Reader) {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		drain(req)
		conn.Write([]byte(resp))
		if closeAfter {
			return
		}
		// Hold the connection open until the client closes it or the test ends.
		br.ReadByte()
	})
	cl := newTestClient(t, Options{})
	r, err := cl.Do(context.Background(), &Request{Method: method, Scheme: "http", Host: srv.host(), RequestURI: "/"})
	if err != nil {
		return "error: " + strings.ReplaceAll(err.Error(), srv.host(), "HOST")
	}
	var out strings.Builder
	fmt.Fprintf(&out, "status %d\ncontent-length %d\n", r.StatusCode, r.ContentLength)
	keys := make([]string, 0, len(r.Header))
	for k := range r.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range r.Header[k] {
			fmt.Fprintf(&out, "header %s: %q\n", k, v)
		}
	}
	b, err := io.ReadAll(r.Body)
	fmt.Fprintf(&out, "body %q\n", b)
	if err != nil {
		fmt.Fprintf(&out, "body error: %v\n", err)
	}
	r.Body.Close()
	fmt.Fprintf(&out, "pooled %d", cl.idle())
	return out.String()
}
