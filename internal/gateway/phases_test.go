package gateway

import "testing"

func TestHostAPI(t *testing.T) {
	g := &Gateway{hostTail: ".execute-api.localhost"}
	cases := []struct {
		host, want string
		ok         bool
	}{
		{"abc123.execute-api.localhost", "abc123", true},
		{"abc123.execute-api.localhost:8080", "abc123", true},
		{"ABC.Execute-Api.LocalHost:1", "ABC", true},
		{".execute-api.localhost", "", false},
		{"a.b.execute-api.localhost", "", false},
		{"abc.execute-api.localhost.evil", "", false},
		{"localhost:8080", "", false},
		{"[::1]:8080", "", false},
		{"", "", false},
	}
	for _, c := range cases {
		got, ok := g.hostAPI(c.host)
		if got != c.want || ok != c.ok {
			t.Errorf("hostAPI(%q) = %q, %v", c.host, got, ok)
		}
	}
}

func TestSplitSegment(t *testing.T) {
	cases := []struct{ in, seg, rest string }{
		{"/prod/a/b", "prod", "/a/b"},
		{"/prod/", "prod", "/"},
		{"/prod", "prod", ""},
		{"/", "", ""},
		{"", "", ""},
		{"prod/x", "", ""},
	}
	for _, c := range cases {
		seg, rest := splitSegment(c.in)
		if seg != c.seg || rest != c.rest {
			t.Errorf("splitSegment(%q) = %q, %q", c.in, seg, rest)
		}
	}
}
