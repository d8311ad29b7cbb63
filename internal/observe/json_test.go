package observe

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzAppendJSONString checks that every string is written as a JSON string that decodes to it
// (invalid UTF-8 becomes U+FFFD, as encoding/json does).
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "Missing Authentication Token", "quote \" back \\ nl \n cr \r tab \t nul \x00", "\xff\xfe", "é✓"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := AppendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%q encodes as invalid JSON %s: %v", s, b, err)
		}
		if utf8.ValidString(s) && back != s {
			t.Fatalf("%q round-trips as %q", s, back)
		}
	})
}
