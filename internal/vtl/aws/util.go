package aws

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/portico/portico/internal/jsonpath"
	"github.com/portico/portico/internal/vtl"
)

// util is $util. It holds no state, so one value serves every render.
type util struct{}

var theUtil = &util{}

func (*util) Property(string) (any, bool) { return nil, false }

func (*util) Call(method string, args []any) (any, error) {
	if len(args) != 1 {
		return nil, vtl.ErrNoMethod
	}
	if args[0] == nil {
		// A Java method handed null returns null (parseJson would throw; null renders the same).
		return nil, nil
	}
	s := vtl.ToString(args[0])
	switch method {
	case "escapeJavaScript":
		return same(args[0], s, EscapeJavaScript(s)), nil
	case "parseJson":
		v, err := jsonpath.Decode([]byte(s), model{})
		if err != nil {
			return nil, fmt.Errorf("$util.parseJson: %v", err)
		}
		return v, nil
	case "urlEncode":
		return same(args[0], s, URLEncode(s)), nil
	case "urlDecode":
		return URLDecode(s)
	case "base64Encode":
		return base64.StdEncoding.EncodeToString([]byte(s)), nil
	case "base64Decode":
		return base64Decode(s)
	}
	return nil, vtl.ErrNoMethod
}

// same returns arg itself when the function left its string unchanged, so the common case of
// nothing to escape costs no new boxed value.
func same(arg any, in, out string) any {
	if _, ok := arg.(string); ok && in == out {
		return arg
	}
	return out
}

// EscapeJavaScript escapes s as Apache Commons Lang's escapeJavaScript does, which is what
// API Gateway's $util.escapeJavaScript runs: \" \\ \' \/ and \b \f \n \r \t, other control
// characters and everything beyond ASCII as \uXXXX (upper-case hex, UTF-16 code units).
func EscapeJavaScript(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '\'' || c == '/' {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for _, r := range s {
		switch {
		case r == '"' || r == '\\' || r == '\'' || r == '/':
			b = append(b, '\\', byte(r))
		case r == '\b':
			b = append(b, '\\', 'b')
		case r == '\f':
			b = append(b, '\\', 'f')
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\r':
			b = append(b, '\\', 'r')
		case r == '\t':
			b = append(b, '\\', 't')
		case r < 0x20 || (r > 0x7f && r < 0x10000):
			b = append(b, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
		case r >= 0x10000:
			hi, lo := utf16.EncodeRune(r)
			for _, u := range []rune{hi, lo} {
				b = append(b, '\\', 'u', hex[u>>12&0xf], hex[u>>8&0xf], hex[u>>4&0xf], hex[u&0xf])
			}
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return string(b)
}

// URLEncode is Java's URLEncoder.encode(s, "UTF-8"): letters, digits and . - * _ stay, a space
// becomes +, every other byte %XX.
func URLEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + len(s)/2)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == '*', c == '_':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		}
	}
	return b.String()
}

var errURLDecode = errors.New("$util.urlDecode: incomplete or bad % escape")

// URLDecode is Java's URLDecoder.decode(s, "UTF-8"): + is a space, %XX a byte; a bad escape
// throws.
func URLDecode(s string) (string, error) {
	if !strings.ContainsAny(s, "+%") {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			b = append(b, ' ')
		case '%':
			if i+2 >= len(s) {
				return "", errURLDecode
			}
			h, ok1 := unhex(s[i+1])
			l, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return "", errURLDecode
			}
			b = append(b, h<<4|l)
			i += 2
		default:
			b = append(b, c)
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// base64Decode accepts standard and URL-safe base64, with or without padding; a string that is
// neither throws.
func base64Decode(s string) (string, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			// Java decodes the bytes as UTF-8, replacing what is not.
			return strings.ToValidUTF8(string(b), "\uFFFD"), nil
		}
	}
	return "", errors.New("$util.base64Decode: not base64")
}
