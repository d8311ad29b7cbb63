package jsonesc

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func TestAppend(t *testing.T) {
	for _, c := range []struct {
		in   string // the text after the backslash
		want string
		next int
		ok   bool
	}{
		{`"x`, `"`, 1, true},
		{`\`, `\`, 1, true},
		{`/`, `/`, 1, true},
		{`b`, "\b", 1, true},
		{`f`, "\f", 1, true},
		{`n`, "\n", 1, true},
		{`r`, "\r", 1, true},
		{`t`, "\t", 1, true},
		{`u00e9`, "é", 5, true},
		{`u00E9!`, "é", 5, true},
		{`ud83d\ude00`, "😀", 11, true},     // a surrogate pair is one rune
		{`ud83d`, "\uFFFD", 5, true},       // a high half alone
		{`ud83dx`, "\uFFFD", 5, true},      // followed by something else, left to be read
		{`ud83d\u0041`, "\uFFFD", 5, true}, // followed by an escape that is not a low half
		{`ude00`, "\uFFFD", 5, true},       // a low half alone
		{`ud83d\uzzzz`, "\uFFFD", 5, true}, // a broken escape after it is left to be read (and refused)
		{`u12`, "", 0, false},
		{`u12g4`, "", 0, false},
		{`x`, "", 0, false},
		{``, "", 0, false},
	} {
		got, next, ok := Append([]byte("<"), []byte(c.in), 0)
		if ok != c.ok || (ok && (string(got) != "<"+c.want || next != c.next)) || (!ok && string(got) != "<") {
			t.Errorf("Append(%q) = %q, %d, %v; want %q, %d, %v", c.in, got, next, ok, "<"+c.want, c.next, c.ok)
		}
	}
}

// unquote reads the inside of a JSON string as encoding/json does, escapes through Append.
func unquote(data []byte) (string, bool) {
	var b []byte
	for i := 0; i < len(data); {
		switch c := data[i]; {
		case c == '"' || c < 0x20:
			return "", false
		case c == '\\':
			var ok bool
			if b, i, ok = Append(b, data, i+1); !ok {
				return "", false
			}
		default:
			r, size := utf8.DecodeRune(data[i:])
			b = utf8.AppendRune(b, r) // invalid UTF-8 reads as U+FFFD
			i += size
		}
	}
	return string(b), true
}

// FuzzAppend checks that strings unescaped through Append read as encoding/json reads them.
func FuzzAppend(f *testing.F) {
	for _, s := range []string{`a\"b`, `\u00e9`, `\ud83d\ude00`, `\ud83d`, `\ud83d\u0041`, `\ude00x`, "\xff", `\q`, `\u12`, `\/\b\f\n\r\t`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		quoted := append(append([]byte{'"'}, in...), '"')
		var want string
		wantOK := json.Unmarshal(quoted, &want) == nil
		got, ok := unquote(in)
		if ok != wantOK || got != want {
			t.Fatalf("%q: got %q, %v; encoding/json %q, %v", in, got, ok, want, wantOK)
		}
	})
}
