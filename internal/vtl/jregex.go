package vtl

import (
	"regexp"
	"strings"
	"sync"
)

// Java regular expressions (String.matches, replaceAll, replaceFirst, split) run on Go's
// regexp, which accepts the common syntax and runs in linear time. Constructs RE2 lacks
// (lookaround, backreferences, possessive quantifiers) are an error, as a throw would be.

type regexKey struct {
	pattern string
	whole   bool
}

var (
	regexMu    sync.Mutex
	regexCache = map[regexKey]*regexp.Regexp{}
)

// maxCachedRegexps bounds the cache against templates that build patterns from input.
const maxCachedRegexps = 512

func javaRegexp(pattern string, whole bool) (*regexp.Regexp, error) {
	k := regexKey{pattern, whole}
	regexMu.Lock()
	re := regexCache[k]
	regexMu.Unlock()
	if re != nil {
		return re, nil
	}
	src := pattern
	if whole {
		src = `\A(?:` + pattern + `)\z`
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, throw("invalid regular expression %q: %s", pattern, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	regexMu.Lock()
	if len(regexCache) < maxCachedRegexps {
		regexCache[k] = re
	}
	regexMu.Unlock()
	return re, nil
}

// javaReplace is Matcher.replaceAll / replaceFirst: in the replacement, $n and ${name} insert
// a group and a backslash takes the next character literally. A result longer than maxLen is
// an error, found while it is built.
func javaReplace(re *regexp.Regexp, s, rep string, first bool, maxLen int) (any, error) {
	matches := re.FindAllStringSubmatchIndex(s, -1)
	if len(matches) == 0 {
		return s, nil
	}
	if first {
		matches = matches[:1]
	}
	var b strings.Builder
	last := 0
	groups := re.NumSubexp()
	for _, m := range matches {
		if b.Len() > maxLen {
			return nil, throw("result longer than %d bytes", maxLen)
		}
		b.WriteString(s[last:m[0]])
		for i := 0; i < len(rep); i++ {
			c := rep[i]
			switch c {
			case '\\':
				i++
				if i >= len(rep) {
					return nil, throw("character to be escaped is missing")
				}
				b.WriteByte(rep[i])
			case '$':
				i++
				if i >= len(rep) {
					return nil, throw("illegal group reference: group index is missing")
				}
				g := -1
				if rep[i] == '{' {
					e := strings.IndexByte(rep[i:], '}')
					if e < 0 {
						return nil, throw("named capturing group is missing trailing '}'")
					}
					name := rep[i+1 : i+e]
					g = re.SubexpIndex(name)
					if g < 0 {
						return nil, throw("no group with name {%s}", name)
					}
					i += e
				} else if isDigit(rep[i]) {
					g = int(rep[i] - '0')
					if g > groups {
						return nil, throw("no group %d", g)
					}
					// Java takes further digits while they still name a group.
					for i+1 < len(rep) && isDigit(rep[i+1]) {
						n := g*10 + int(rep[i+1]-'0')
						if n > groups {
							break
						}
						g = n
						i++
					}
				} else {
					return nil, throw("illegal group reference")
				}
				if m[2*g] >= 0 {
					b.WriteString(s[m[2*g]:m[2*g+1]])
				}
			default:
				b.WriteByte(c)
			}
		}
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String(), nil
}

// javaSplit is String.split(regex, limit): a zero-width match at the start yields no leading
// empty string; limit 0 drops trailing empty strings; no match yields the whole string. More
// than maxParts parts is an error.
func javaSplit(s, pattern string, limit int64, maxParts int) (any, error) {
	re, err := javaRegexp(pattern, false)
	if err != nil {
		return nil, err
	}
	var parts []any
	last := 0
	for _, m := range re.FindAllStringIndex(s, maxParts+1) {
		if limit > 0 && int64(len(parts)) == limit-1 {
			break
		}
		if len(parts) >= maxParts {
			return nil, throw("more than %d parts", maxParts)
		}
		if m[1] == 0 {
			continue
		}
		parts = append(parts, s[last:m[0]])
		last = m[1]
	}
	if len(parts) == 0 {
		return &List{Items: []any{s}}, nil
	}
	parts = append(parts, s[last:])
	if limit == 0 {
		for len(parts) > 0 && parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1]
		}
	}
	return &List{Items: parts}, nil
}
