// Package jsonesc decodes the escape sequences of JSON strings, for Portico's purpose-built JSON
// readers (request validation's and the mapping templates'), which differ in what else they
// accept but must read escapes alike.
package jsonesc

import (
	"unicode/utf16"
	"unicode/utf8"
)

// Append decodes the escape sequence that starts at data[i], just after its backslash, appends
// what it stands for to b, and returns b and the index just past the sequence. The \u escape of
// a UTF-16 high surrogate takes the \u escape of the low half that follows it; a half without
// its other reads as U+FFFD, as encoding/json reads it, and what follows it is left to be read
// on its own. ok is false for a sequence JSON does not have (nothing is appended).
func Append(b, data []byte, i int) (out []byte, next int, ok bool) {
	if i >= len(data) {
		return b, i, false
	}
	switch data[i] {
	case '"', '\\', '/':
		return append(b, data[i]), i + 1, true
	case 'b':
		return append(b, '\b'), i + 1, true
	case 'f':
		return append(b, '\f'), i + 1, true
	case 'n':
		return append(b, '\n'), i + 1, true
	case 'r':
		return append(b, '\r'), i + 1, true
	case 't':
		return append(b, '\t'), i + 1, true
	case 'u':
		r, ok := hex4(data, i+1)
		if !ok {
			return b, i, false
		}
		i += 5
		if utf16.IsSurrogate(r) {
			lo, ok := lowHalf(data, i)
			if dec := utf16.DecodeRune(r, lo); ok && dec != utf8.RuneError {
				r = dec
				i += 6
			} else {
				r = utf8.RuneError
			}
		}
		return utf8.AppendRune(b, r), i, true
	}
	return b, i, false
}

// lowHalf reads a \uXXXX escape at data[i].
func lowHalf(data []byte, i int) (rune, bool) {
	if i+1 >= len(data) || data[i] != '\\' || data[i+1] != 'u' {
		return 0, false
	}
	return hex4(data, i+2)
}

// hex4 reads the four hexadecimal digits at data[i].
func hex4(data []byte, i int) (rune, bool) {
	if i+4 > len(data) {
		return 0, false
	}
	var r rune
	for _, c := range data[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
