package domain

import (
	"bufio"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/portico/portico/internal/model"
)

// testDomain compiles mappings written "basePath apiId stage" ("-" for no stage).
func testDomain(lines ...string) *Domain {
	var ms []model.BasePathMapping
	for _, l := range lines {
		f := strings.Fields(l)
		m := model.BasePathMapping{BasePath: f[0], RestApiId: f[1]}
		if f[2] != "-" {
			m.Stage = f[2]
		}
		ms = append(ms, m)
	}
	s := newSet(nil, Options{Logger: slog.New(slog.DiscardHandler)})
	return s.compile(&model.DomainName{DomainName: "api.example.com"}, ms, nil, &readings{})
}

// TestRoute reads testdata/route.txt: "mapping: basePath api stage" lines set up a domain,
// then "path -> result" lines check where a path goes ("403" when nowhere; "(empty)" is the
// empty path).
func TestRoute(t *testing.T) {
	f, err := os.Open("testdata/route.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var mappings []string
	var d *Domain
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			continue
		case strings.HasPrefix(line, "mapping:"):
			if d != nil {
				mappings, d = nil, nil
			}
			mappings = append(mappings, strings.TrimSpace(strings.TrimPrefix(line, "mapping:")))
		default:
			if d == nil {
				d = testDomain(mappings...)
			}
			path, want, ok := strings.Cut(line, " -> ")
			if !ok {
				t.Fatalf("line %d: want 'path -> result'", n)
			}
			if path == "(empty)" {
				path = ""
			}
			got := "403"
			if r, ok := d.Route(path); ok {
				got = fmt.Sprintf("api=%s stage=%s path=%q basePath=%s", r.APIID, r.Stage, r.Path, r.BasePath)
			}
			if got != strings.TrimSpace(want) {
				t.Errorf("line %d: %s -> %s, want %s", n, path, got, want)
			}
		}
	}
}

func TestLookup(t *testing.T) {
	s := newSet(nil, Options{Logger: slog.New(slog.DiscardHandler)})
	exact := s.compile(&model.DomainName{DomainName: "api.example.com"}, nil, nil, &readings{})
	wild := s.compile(&model.DomainName{DomainName: "*.example.com"}, nil, nil, &readings{})
	s.table.Store(&table{exact: map[string]*Domain{"api.example.com": exact}, wildcard: map[string]*Domain{"example.com": wild}})
	for host, want := range map[string]*Domain{
		"api.example.com":       exact,
		"API.Example.COM:8443":  exact,
		"api.example.com.":      exact,
		"pay.example.com":       wild,
		"a.b.example.com":       nil, // a wildcard covers one label
		"example.com":           nil,
		"api.execute-api.local": nil,
		"":                      nil,
		"[::1]:443":             nil,
	} {
		if got := s.Lookup(host); got != want {
			t.Errorf("Lookup(%q) = %v, want %v", host, got, want)
		}
	}
}

// FuzzRoute checks that routing any path never panics and that a route's path is what follows
// its base path (and stage) in the request path.
func FuzzRoute(f *testing.F) {
	for _, p := range []string{"/", "", "/orders", "/orders/1", "/v1/orders/items/prod/x", "//", "/orders//x", "/%2F"} {
		f.Add(p)
	}
	d := testDomain("(none) root prod", "orders shop prod", "v1/orders/items items -", "v1 one -")
	f.Fuzz(func(t *testing.T, path string) {
		r, ok := d.Route(path)
		if !ok {
			return
		}
		prefix := ""
		if r.BasePath != model.NoBasePath {
			prefix = "/" + r.BasePath
		}
		if r.APIID == "items" || r.APIID == "one" {
			prefix += "/" + r.Stage
		}
		if prefix+r.Path != path && !(r.Path == "" && prefix == path) {
			t.Fatalf("%q routed to base %q stage %q path %q", path, r.BasePath, r.Stage, r.Path)
		}
	})
}
