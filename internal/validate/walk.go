package validate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// maxMessages bounds the messages one body collects: a 10 MB array of wrong items must not
// produce millions of them.
const maxMessages = 100

// JSON types as bits, in json-schema-validator's (alphabetical) order.
const (
	tArray uint8 = 1 << iota
	tBoolean
	tInteger
	tNull
	tNumber
	tObject
	tString
)

var typeNames = []struct {
	bit  uint8
	name string
}{{tArray, "array"}, {tBoolean, "boolean"}, {tInteger, "integer"}, {tNull, "null"}, {tNumber, "number"}, {tObject, "object"}, {tString, "string"}}

// node is one draft 4 schema, compiled from the library's schema into what validation reads.
type node struct {
	ref *node

	types     uint8 // 0: any
	typesText string
	enum      *tape // the enum's values, as the items of an array
	enumText  string

	not                 *node
	allOf, anyOf, oneOf []*node

	props        map[string]*node
	patternProps []patternProp
	noAdditional bool  // additionalProperties: false
	additional   *node // additionalProperties: {schema}
	deps         []dependency
	required     []string
	minProps     int
	maxProps     int // -1: none

	items          *node   // items: {schema}
	tuple          []*node // items: [schemas]
	noExtraItems   bool    // additionalItems: false
	extraItems     *node
	minItems       int
	maxItems       int // -1: none
	unique         bool
	minLen, maxLen int // maxLen -1: none
	pattern        *regexp.Regexp
	format         *jsonschema.Format

	min, max, exMin, exMax, multipleOf *big.Rat
	// intBounds is set when every bound above that is present is an integer within int64:
	// an integer instance is then checked without big.Rat, in ints.
	intBounds                               bool
	iMin, iMax, iExMin, iExMax, iMultipleOf int64
}

type patternProp struct {
	re *regexp.Regexp
	n  *node
}

type dependency struct {
	prop     string
	required []string
	schema   *node
}

// build converts a compiled schema (and everything it reaches, cycles included) into nodes.
func build(s *jsonschema.Schema, memo map[*jsonschema.Schema]*node) (*node, error) {
	if s == nil {
		return nil, nil
	}
	if n, ok := memo[s]; ok {
		return n, nil
	}
	if s.DraftVersion != 4 {
		return nil, fmt.Errorf("%s: models are JSON Schema draft 4", s.Location)
	}
	n := &node{minProps: 0, maxProps: -1, maxItems: -1, maxLen: -1}
	memo[s] = n
	var err error
	one := func(sub *jsonschema.Schema) *node {
		if err != nil {
			return nil
		}
		var r *node
		r, err = build(sub, memo)
		return r
	}
	list := func(subs []*jsonschema.Schema) []*node {
		var out []*node
		for _, sub := range subs {
			out = append(out, one(sub))
		}
		return out
	}
	n.ref = one(s.Ref)
	if s.Types != nil && !s.Types.IsEmpty() {
		for _, t := range s.Types.ToStrings() {
			for _, tn := range typeNames {
				if tn.name == t {
					n.types |= tn.bit
				}
			}
		}
		if n.types&tNumber != 0 {
			n.types |= tInteger
		}
		var names []string
		for _, tn := range typeNames {
			if n.types&tn.bit != 0 {
				names = append(names, tn.name)
			}
		}
		n.typesText = jsonText(names)
	}
	if s.Enum != nil {
		n.enumText = jsonText(s.Enum.Values)
		n.enum = new(tape)
		if !n.enum.parse([]byte(n.enumText)) {
			return nil, fmt.Errorf("%s: enum %s is not JSON", s.Location, n.enumText)
		}
	}
	n.not = one(s.Not)
	n.allOf, n.anyOf, n.oneOf = list(s.AllOf), list(s.AnyOf), list(s.OneOf)
	if len(s.Properties) > 0 {
		n.props = map[string]*node{}
		for k, sub := range s.Properties {
			n.props[k] = one(sub)
		}
	}
	for re, sub := range s.PatternProperties {
		n.patternProps = append(n.patternProps, patternProp{goRegexp(re), one(sub)})
	}
	sort.Slice(n.patternProps, func(i, j int) bool { return n.patternProps[i].re.String() < n.patternProps[j].re.String() })
	switch a := s.AdditionalProperties.(type) {
	case bool:
		n.noAdditional = !a
	case *jsonschema.Schema:
		n.additional = one(a)
	}
	for prop, d := range s.Dependencies {
		switch d := d.(type) {
		case []string:
			n.deps = append(n.deps, dependency{prop: prop, required: d})
		case *jsonschema.Schema:
			n.deps = append(n.deps, dependency{prop: prop, schema: one(d)})
		}
	}
	sort.Slice(n.deps, func(i, j int) bool { return n.deps[i].prop < n.deps[j].prop })
	n.required = s.Required
	if s.MinProperties != nil {
		n.minProps = *s.MinProperties
	}
	if s.MaxProperties != nil {
		n.maxProps = *s.MaxProperties
	}
	switch it := s.Items.(type) {
	case *jsonschema.Schema:
		n.items = one(it)
	case []*jsonschema.Schema:
		n.tuple = list(it)
	}
	switch a := s.AdditionalItems.(type) {
	case bool:
		n.noExtraItems = !a
	case *jsonschema.Schema:
		n.extraItems = one(a)
	}
	if s.MinItems != nil {
		n.minItems = *s.MinItems
	}
	if s.MaxItems != nil {
		n.maxItems = *s.MaxItems
	}
	n.unique = s.UniqueItems
	if s.MinLength != nil {
		n.minLen = *s.MinLength
	}
	if s.MaxLength != nil {
		n.maxLen = *s.MaxLength
	}
	n.pattern = goRegexp(s.Pattern)
	n.format = s.Format
	n.min, n.max, n.exMin, n.exMax, n.multipleOf = s.Minimum, s.Maximum, s.ExclusiveMinimum, s.ExclusiveMaximum, s.MultipleOf
	n.intBounds = true
	for _, b := range []struct {
		r *big.Rat
		i *int64
	}{{n.min, &n.iMin}, {n.max, &n.iMax}, {n.exMin, &n.iExMin}, {n.exMax, &n.iExMax}, {n.multipleOf, &n.iMultipleOf}} {
		if b.r == nil {
			continue
		}
		if !b.r.IsInt() || !b.r.Num().IsInt64() {
			n.intBounds = false
			break
		}
		*b.i = b.r.Num().Int64()
	}
	return n, err
}

// goRegexp is a compiled pattern as Go's regexp, the library's default engine (models are
// compiled with no other), which matches bytes in place: a key or string of the body is
// matched without a copy.
func goRegexp(re jsonschema.Regexp) *regexp.Regexp {
	if re == nil {
		return nil
	}
	return re.(*regexp.Regexp)
}

// checkCycles refuses a schema that can reach itself without moving into the instance (through
// $ref, not, allOf, anyOf, oneOf or a schema dependency only), such as {"$ref": "#"}: validating
// with it would never end. Cycles through properties or items are fine: each step consumes a
// level of the instance.
func checkCycles(root *node) error {
	const (
		visiting = 1
		done     = 2
	)
	state := map[*node]uint8{}
	var visit func(n *node) bool
	visit = func(n *node) bool {
		if n == nil {
			return true
		}
		switch state[n] {
		case visiting:
			return false
		case done:
			return true
		}
		state[n] = visiting
		next := []*node{n.ref, n.not}
		next = append(next, n.allOf...)
		next = append(next, n.anyOf...)
		next = append(next, n.oneOf...)
		for _, d := range n.deps {
			next = append(next, d.schema)
		}
		for _, m := range next {
			if !visit(m) {
				return false
			}
		}
		state[n] = done
		return true
	}
	var all []*node
	seen := map[*node]bool{}
	var collect func(n *node)
	collect = func(n *node) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		all = append(all, n)
		for _, m := range append([]*node{n.ref, n.not, n.additional, n.items, n.extraItems}, n.allOf...) {
			collect(m)
		}
		for _, list := range [][]*node{n.anyOf, n.oneOf, n.tuple} {
			for _, m := range list {
				collect(m)
			}
		}
		for _, m := range n.props {
			collect(m)
		}
		for _, pp := range n.patternProps {
			collect(pp.n)
		}
		for _, d := range n.deps {
			collect(d.schema)
		}
	}
	collect(root)
	for _, n := range all {
		if !visit(n) {
			return errors.New("a reference loops back to its own schema without reaching a value")
		}
	}
	return nil
}

// walker validates the body on a tape. With quiet set it only answers valid or not, stopping
// at the first failure; otherwise it collects messages (at most maxMessages). Both answers come
// from the same rules: a loud walk checks subschemas quietly where only their verdict matters.
type walker struct {
	tp    *tape
	quiet bool
	path  []pathTok
	msgs  []located
	// budget bounds the schema visits of one validation: combinators nested over a deep
	// instance could otherwise take exponential time. Exhausting it fails the body.
	budget int
}

// budgetFor allows generously more visits than a body has values.
func budgetFor(bodyLen int) int {
	return 64*bodyLen + 1<<16
}

// errBudget is the detail of a body whose validation was cut off.
const errBudget = "validation of the request body exceeded its work limit"

// pathTok is one step of the pointer to the value being checked: the token of an object key,
// or an array index (key -1).
type pathTok struct {
	key   int
	index int
}

type located struct {
	pointer string
	text    string
}

// full reports whether a loud walk has all the messages it keeps.
func (w *walker) full() bool { return !w.quiet && len(w.msgs) >= maxMessages }

// fail records a message.
func (w *walker) fail(format string, args ...any) {
	if w.quiet || w.full() {
		return
	}
	w.msgs = append(w.msgs, located{pointer: w.pointer(), text: fmt.Sprintf(format, args...)})
}

func (w *walker) pointer() string {
	var b strings.Builder
	for _, t := range w.path {
		b.WriteByte('/')
		if t.key < 0 {
			b.WriteString(strconv.Itoa(t.index))
			continue
		}
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(string(w.tp.text(t.key)), "~", "~0"), "/", "~1"))
	}
	return b.String()
}

// check validates the value at token i against n and reports whether it is valid.
func (w *walker) check(n *node, i int) bool {
	if w.full() {
		return false
	}
	if w.budget--; w.budget < 0 {
		return false
	}
	ok := true
	bad := func() bool {
		ok = false
		return w.quiet || w.full()
	}
	if n.ref != nil && !w.check(n.ref, i) && bad() {
		return false
	}
	t := w.tp.toks[i].kind
	if n.types != 0 && n.types&t == 0 {
		if w.quiet {
			return false
		}
		w.fail("instance type (%s) does not match any allowed primitive type (allowed: %s)", typeName(t), n.typesText)
		if bad() {
			return false
		}
	}
	if n.enum != nil && !inEnum(n.enum, w.tp, i) {
		if w.quiet {
			return false
		}
		w.fail("instance value (%s) not found in enum (possible values: %s)", jsonText(w.tp.decode(i)), n.enumText)
		if bad() {
			return false
		}
	}
	if !w.combinators(n, i) && bad() {
		return false
	}
	switch t {
	case tObject:
		if !w.object(n, i) && bad() {
			return false
		}
	case tArray:
		if !w.array(n, i) && bad() {
			return false
		}
	case tString:
		if !w.str(n, w.tp.text(i)) && bad() {
			return false
		}
	case tInteger, tNumber:
		if !w.number(n, w.tp.text(i)) && bad() {
			return false
		}
	}
	return ok
}

// quietly validates the value at i against n without messages.
func (w *walker) quietly(n *node, i int) bool {
	quiet := w.quiet
	w.quiet = true
	ok := w.check(n, i)
	w.quiet = quiet
	return ok
}

func (w *walker) combinators(n *node, i int) bool {
	ok := true
	if n.not != nil && w.quietly(n.not, i) {
		w.fail("instance matched a schema which it should not have")
		ok = false
	}
	if len(n.allOf) > 0 {
		matched := 0
		for _, sub := range n.allOf {
			if w.quietly(sub, i) {
				matched++
			} else if w.quiet {
				return false
			}
		}
		if matched != len(n.allOf) {
			w.fail("instance failed to match all required schemas (matched only %d out of %d)", matched, len(n.allOf))
			ok = false
		}
	}
	if len(n.anyOf) > 0 {
		any := false
		for _, sub := range n.anyOf {
			if w.quietly(sub, i) {
				any = true
				break
			}
		}
		if !any {
			w.fail("instance failed to match at least one required schema among %d", len(n.anyOf))
			ok = false
		}
	}
	if len(n.oneOf) > 0 {
		matched := 0
		for _, sub := range n.oneOf {
			if w.quietly(sub, i) {
				matched++
			}
		}
		if matched != 1 {
			w.fail("instance failed to match exactly one schema (matched %d out of %d)", matched, len(n.oneOf))
			ok = false
		}
	}
	return ok
}

// object checks the object at token i. Its keys are those of the map encoding/json would
// decode (a repeated key counts once, with its last value), visited in sorted order.
func (w *walker) object(n *node, i int) bool {
	tp := w.tp
	size := len(tp.members(i))
	ok := true
	if size < n.minProps {
		w.fail("object has too few properties (found %d but schema requires at least %d)", size, n.minProps)
		ok = false
	}
	if n.maxProps >= 0 && size > n.maxProps {
		w.fail("object has too many properties (found %d but schema requires at most %d)", size, n.maxProps)
		ok = false
	}
	if missing := missingKeys(tp, i, n.required); missing != nil {
		w.fail("object has missing required properties (%s)", jsonText(missing))
		ok = false
	}
	for _, d := range n.deps {
		if tp.member(i, d.prop) < 0 {
			continue
		}
		if d.schema != nil {
			if !w.check(d.schema, i) {
				ok = false
			}
		} else if missing := missingKeys(tp, i, d.required); missing != nil {
			w.fail("property %q of object has missing property dependencies (schema requires %s; missing: %s)",
				d.prop, jsonText(d.required), jsonText(missing))
			ok = false
		}
	}
	if !ok && w.quiet {
		return false
	}
	if n.props == nil && n.patternProps == nil && !n.noAdditional && n.additional == nil {
		return ok
	}
	var extra []string
	for _, k := range tp.members(i) {
		key := int(k)
		if !w.quiet {
			w.path = append(w.path, pathTok{key: key})
		}
		matched, valid := w.member(n, tp.text(key), key+1)
		if !w.quiet {
			w.path = w.path[:len(w.path)-1]
		}
		if !valid {
			ok = false
		}
		if !matched && n.noAdditional {
			if w.quiet {
				return false
			}
			extra = append(extra, string(tp.text(key)))
		}
		if !ok && (w.quiet || w.full()) {
			return false
		}
	}
	if extra != nil {
		w.fail("object instance has properties which are not allowed by the schema: %s", jsonText(extra))
		ok = false
	}
	return ok
}

// member checks the value at token v, of key k, against the schemas of n that apply to it;
// matched is whether any property or pattern of n names k.
func (w *walker) member(n *node, k []byte, v int) (matched, ok bool) {
	ok = true
	if sub, has := n.props[string(k)]; has {
		matched = true
		if !w.check(sub, v) {
			ok = false
		}
	}
	for _, pp := range n.patternProps {
		if pp.re.Match(k) {
			matched = true
			if !w.check(pp.n, v) {
				ok = false
			}
		}
	}
	if !matched && n.additional != nil && !w.check(n.additional, v) {
		ok = false
	}
	return matched, ok
}

// missingKeys lists, sorted, the names of required that the object at token i lacks.
func missingKeys(tp *tape, i int, required []string) []string {
	var missing []string
	for _, r := range required {
		if tp.member(i, r) < 0 {
			missing = append(missing, r)
		}
	}
	if missing != nil {
		sort.Strings(missing)
	}
	return missing
}

func (w *walker) array(n *node, i int) bool {
	tp := w.tp
	size := int(tp.toks[i].a)
	ok := true
	if size < n.minItems {
		w.fail("array is too short: must have at least %d elements but instance has %d elements", n.minItems, size)
		ok = false
	}
	if n.maxItems >= 0 && size > n.maxItems {
		w.fail("array is too long: must have at most %d elements but instance has %d elements", n.maxItems, size)
		ok = false
	}
	if n.tuple != nil && n.noExtraItems && size > len(n.tuple) {
		w.fail("array only has %d elements allowed, found %d", len(n.tuple), size)
		ok = false
	}
	if n.unique && hasDuplicates(tp, i) {
		w.fail("array must not contain duplicate elements")
		ok = false
	}
	if !ok && w.quiet {
		return false
	}
	if n.items == nil && n.tuple == nil {
		return ok
	}
	for item, idx := i+1, 0; item < int(tp.toks[i].b); item, idx = tp.next(item), idx+1 {
		var sub *node
		switch {
		case n.items != nil:
			sub = n.items
		case idx < len(n.tuple):
			sub = n.tuple[idx]
		default:
			sub = n.extraItems
		}
		if sub == nil {
			continue
		}
		if !w.quiet {
			w.path = append(w.path, pathTok{key: -1, index: idx})
		}
		if !w.check(sub, item) {
			ok = false
		}
		if !w.quiet {
			w.path = w.path[:len(w.path)-1]
		}
		if !ok && (w.quiet || w.full()) {
			return false
		}
	}
	return ok
}

func (w *walker) str(n *node, s []byte) bool {
	ok := true
	if n.minLen > 0 || n.maxLen >= 0 {
		// Lengths count Unicode code points (json-schema-validator counts UTF-16 units; the two
		// agree outside the supplementary planes).
		l := utf8.RuneCount(s)
		if l < n.minLen {
			w.fail("string %s is too short (length: %d, required minimum: %d)", jsonText(string(s)), l, n.minLen)
			ok = false
		}
		if n.maxLen >= 0 && l > n.maxLen {
			w.fail("string %s is too long (length: %d, maximum allowed: %d)", jsonText(string(s)), l, n.maxLen)
			ok = false
		}
	}
	if n.pattern != nil && !n.pattern.Match(s) {
		w.fail("ECMA 262 regex %s does not match input string %s", jsonText(n.pattern.String()), jsonText(string(s)))
		ok = false
	}
	// The library's format checks take any: a string under a format costs a copy.
	if n.format != nil && n.format.Validate != nil && n.format.Validate(string(s)) != nil {
		w.fail("%s", formatMessage(n.format.Name, string(s)))
		ok = false
	}
	return ok
}

func (w *walker) number(n *node, num []byte) bool {
	if n.min == nil && n.max == nil && n.exMin == nil && n.exMax == nil && n.multipleOf == nil {
		return true
	}
	var below, atOrBelowEx, above, atOrAboveEx, notMultiple bool
	if fl, frac, ok := smallDecimal(num); ok && n.intBounds {
		// With fraction, the number lies strictly between fl and fl+1, so against an integer
		// bound b it is below b exactly when fl < b.
		below = n.min != nil && fl < n.iMin
		atOrBelowEx = n.exMin != nil && (fl <= n.iExMin && !frac || frac && fl < n.iExMin)
		above = n.max != nil && (fl > n.iMax && !frac || frac && fl >= n.iMax)
		atOrAboveEx = n.exMax != nil && fl >= n.iExMax
		notMultiple = n.multipleOf != nil && n.iMultipleOf != 0 && (frac || fl%n.iMultipleOf != 0)
	} else {
		r, valid := new(big.Rat).SetString(string(num))
		if !valid {
			return true
		}
		below = n.min != nil && r.Cmp(n.min) < 0
		atOrBelowEx = n.exMin != nil && r.Cmp(n.exMin) <= 0
		above = n.max != nil && r.Cmp(n.max) > 0
		atOrAboveEx = n.exMax != nil && r.Cmp(n.exMax) >= 0
		notMultiple = n.multipleOf != nil && n.multipleOf.Sign() != 0 && !new(big.Rat).Quo(r, n.multipleOf).IsInt()
	}
	if below {
		w.fail("numeric instance is lower than the required minimum (minimum: %s, found: %s)", ratText(n.min), num)
	}
	if atOrBelowEx {
		w.fail("numeric instance is not strictly greater than the required minimum %s", ratText(n.exMin))
	}
	if above {
		w.fail("numeric instance is greater than the required maximum (maximum: %s, found: %s)", ratText(n.max), num)
	}
	if atOrAboveEx {
		w.fail("numeric instance is not strictly lower than the required maximum %s", ratText(n.exMax))
	}
	if notMultiple {
		w.fail("remainder of division is not zero (%s / %s)", num, ratText(n.multipleOf))
	}
	return !(below || atOrBelowEx || above || atOrAboveEx || notMultiple)
}

// smallDecimal reads a number written without exponent whose integer part has at most 18
// digits: fl is its floor, and frac whether it has a non-zero fraction.
func smallDecimal(s []byte) (fl int64, frac, ok bool) {
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		fl = fl*10 + int64(s[i]-'0')
		i++
	}
	if i == 0 || i > 18 {
		return 0, false, false
	}
	if i < len(s) {
		if s[i] != '.' {
			return 0, false, false
		}
		for _, c := range s[i+1:] {
			switch {
			case c == '0':
			case c >= '1' && c <= '9':
				frac = true
			default:
				return 0, false, false
			}
		}
	}
	if neg {
		fl = -fl
		if frac {
			fl--
		}
	}
	return fl, frac, true
}

func formatMessage(format, s string) string {
	q := jsonText(s)
	switch format {
	case "date-time":
		return "string " + q + " is invalid against requested date format(s) [yyyy-MM-dd'T'HH:mm:ssZ, yyyy-MM-dd'T'HH:mm:ss.[0-9]{1,12}Z]"
	case "email":
		return "string " + q + " is not a valid email address"
	case "hostname":
		return "string " + q + " is not a valid hostname"
	case "ipv4":
		return "string " + q + " is not a valid IPv4 address"
	case "ipv6":
		return "string " + q + " is not a valid IPv6 address"
	case "uri":
		return "string " + q + " is not a valid URI"
	case "regex":
		return "string " + q + " is not a valid ECMA 262 regular expression"
	}
	return "string " + q + " is not a valid " + format
}

func typeName(t uint8) string {
	for _, tn := range typeNames {
		if tn.bit == t {
			return tn.name
		}
	}
	return "number"
}

// equal compares the value at i of tape a with the value at j of tape b as JSON values:
// numbers by value (1 equals 1.0), objects whatever the order of their keys.
func equal(a *tape, i int, b *tape, j int) bool {
	x, y := &a.toks[i], &b.toks[j]
	const numeric = tInteger | tNumber
	if x.kind&numeric != 0 && y.kind&numeric != 0 {
		return numEqual(a.text(i), b.text(j), x.kind == tInteger && y.kind == tInteger)
	}
	if x.kind != y.kind {
		return false
	}
	switch x.kind {
	case tString:
		return bytes.Equal(a.text(i), b.text(j))
	case tBoolean:
		return x.a == y.a
	case tArray:
		if x.a != y.a {
			return false
		}
		for i, j = i+1, j+1; i < int(x.b); i, j = a.next(i), b.next(j) {
			if !equal(a, i, b, j) {
				return false
			}
		}
	case tObject:
		// Both key lists are sorted and distinct: equal objects pair them off in order.
		bk := b.members(j)
		if len(bk) != int(x.a) {
			return false
		}
		for n, k := range a.members(i) {
			if !bytes.Equal(a.text(int(k)), b.text(int(bk[n]))) || !equal(a, int(k)+1, b, int(bk[n])+1) {
				return false
			}
		}
	}
	return true
}

// numEqual compares two numbers' texts by value. Integers, written without leading zeros, are
// equal only as the same text or as 0 and -0; others are compared exactly.
func numEqual(x, y []byte, integers bool) bool {
	if bytes.Equal(x, y) {
		return true
	}
	if integers {
		zero := func(s []byte) bool { return string(s) == "0" || string(s) == "-0" }
		return zero(x) && zero(y)
	}
	rx, okx := new(big.Rat).SetString(string(x))
	ry, oky := new(big.Rat).SetString(string(y))
	return okx && oky && rx.Cmp(ry) == 0
}

// inEnum reports whether the value at i of tp equals one of the enum's values, the items of
// the array enum holds.
func inEnum(enum *tape, tp *tape, i int) bool {
	for j := 1; j < len(enum.toks); j = enum.next(j) {
		if equal(tp, i, enum, j) {
			return true
		}
	}
	return false
}

// hasDuplicates reports whether two items of the array at token i are equal: pairwise for
// short arrays, by a canonical key otherwise, so a long array costs linear time.
func hasDuplicates(tp *tape, i int) bool {
	end := int(tp.toks[i].b)
	if tp.toks[i].a <= 16 {
		for x := i + 1; x < end; x = tp.next(x) {
			for y := i + 1; y < x; y = tp.next(y) {
				if equal(tp, x, tp, y) {
					return true
				}
			}
		}
		return false
	}
	seen := make(map[string]struct{}, tp.toks[i].a)
	var key []byte
	for x := i + 1; x < end; x = tp.next(x) {
		key = canonical(key[:0], tp, x)
		if _, dup := seen[string(key)]; dup {
			return true
		}
		seen[string(key)] = struct{}{}
	}
	return false
}

// canonical appends a key that equal values share: numbers normalised, object keys sorted (as
// the tape files them).
func canonical(b []byte, tp *tape, i int) []byte {
	switch t := &tp.toks[i]; t.kind {
	case tObject:
		b = append(b, '{')
		for _, k := range tp.members(i) {
			b = strconv.AppendQuote(b, string(tp.text(int(k))))
			b = append(b, ':')
			b = canonical(b, tp, int(k)+1)
			b = append(b, ',')
		}
		return append(b, '}')
	case tArray:
		b = append(b, '[')
		for j := i + 1; j < int(t.b); j = tp.next(j) {
			b = canonical(b, tp, j)
			b = append(b, ',')
		}
		return append(b, ']')
	case tInteger:
		// The text of an integer is its RatString, but for -0.
		if s := tp.text(i); string(s) != "-0" {
			return append(b, s...)
		}
		return append(b, '0')
	case tNumber:
		if r, ok := new(big.Rat).SetString(string(tp.text(i))); ok {
			return append(b, r.RatString()...)
		}
		return append(b, tp.text(i)...)
	case tString:
		return strconv.AppendQuote(b, string(tp.text(i)))
	case tBoolean:
		if t.a == 1 {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	}
	return append(b, "null"...)
}

// jsonText writes v as compact JSON.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func ratText(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'f', -1, 64)
}
