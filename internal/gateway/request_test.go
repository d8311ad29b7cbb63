package gateway

import (
	"encoding/base64"
	"regexp"
	"testing"
)

func TestIDs(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	trace := regexp.MustCompile(`^Root=1-5f5e1000-[0-9a-f]{24}$`)
	seen := map[string]bool{}
	for range 1000 {
		id := newRequestID()
		if !uuid.MatchString(id) || seen[id] {
			t.Fatalf("request id %q", id)
		}
		seen[id] = true
		ext := newExtendedID()
		if b, err := base64.URLEncoding.DecodeString(ext); err != nil || len(ext) != 16 || len(b) != 11 {
			t.Fatalf("extended id %q: %v", ext, err)
		}
		if tr := newTraceID(0x5f5e1000); !trace.MatchString(tr) {
			t.Fatalf("trace id %q", tr)
		}
	}
}

func TestIsUUID(t *testing.T) {
	for s, want := range map[string]bool{
		"0f8fad5b-d9cb-469f-a165-70867728950e": true,
		"0F8FAD5B-D9CB-469F-A165-70867728950E": true,
		"0f8fad5b-d9cb-469f-a165-70867728950":  false,
		"0f8fad5bxd9cb-469f-a165-70867728950e": false,
		"0f8fad5b-d9cb-469f-a165-70867728950g": false,
		"":                                     false,
	} {
		if isUUID(s) != want {
			t.Errorf("isUUID(%q) != %v", s, want)
		}
	}
}

func TestQueryValue(t *testing.T) {
	cases := []struct {
		raw, name, want string
		ok              bool
	}{
		{"a=1&b=2", "b", "2", true},
		{"a=1&a=2", "a", "1", true},
		{"q=a+b%2Bc", "q", "a b+c", true},
		{"my%20key=v", "my key", "v", true},
		{"flag", "flag", "", true},
		{"bad=%zz", "bad", "%zz", true},
		{"a=1", "b", "", false},
		{"", "a", "", false},
	}
	for _, c := range cases {
		got, ok := queryValue(c.raw, c.name)
		if got != c.want || ok != c.ok {
			t.Errorf("queryValue(%q, %q) = %q, %v", c.raw, c.name, got, ok)
		}
	}
}
