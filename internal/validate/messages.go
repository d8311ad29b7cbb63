package validate

import (
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

type located struct {
	pointer string
	text    string
}

// messages flattens a validation error into AWS's messages, ordered by instance pointer, then
// text.
func (b *Body) messages(verr *jsonschema.ValidationError, doc any) []string {
	var out []located
	b.collect(verr, doc, &out)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].pointer != out[j].pointer {
			return out[i].pointer < out[j].pointer
		}
		return out[i].text < out[j].text
	})
	texts := make([]string, 0, len(out))
	for i, m := range out {
		if i > 0 && m == out[i-1] {
			continue
		}
		texts = append(texts, m.text)
	}
	return texts
}

func (b *Body) collect(e *jsonschema.ValidationError, doc any, out *[]located) {
	switch e.ErrorKind.(type) {
	case *kind.Schema, *kind.Group, *kind.Reference:
		for _, c := range e.Causes {
			b.collect(c, doc, out)
		}
		return
	}
	inst := instanceAt(doc, e.InstanceLocation)
	*out = append(*out, located{pointer: pointer(e.InstanceLocation), text: b.message(e, inst)})
}

// message words one failed keyword as json-schema-validator does.
func (b *Body) message(e *jsonschema.ValidationError, inst any) string {
	switch k := e.ErrorKind.(type) {
	case *kind.Type:
		want := map[string]bool{}
		for _, t := range k.Want {
			want[t] = true
			if t == "number" {
				want["integer"] = true
			}
		}
		names := make([]string, 0, len(want))
		for t := range want {
			names = append(names, t)
		}
		sort.Strings(names)
		return fmt.Sprintf("instance type (%s) does not match any allowed primitive type (allowed: %s)",
			typeName(inst), jsonText(names))
	case *kind.Enum:
		return fmt.Sprintf("instance value (%s) not found in enum (possible values: %s)", jsonText(inst), jsonText(k.Want))
	case *kind.Required:
		missing := append([]string(nil), k.Missing...)
		sort.Strings(missing)
		return fmt.Sprintf("object has missing required properties (%s)", jsonText(missing))
	case *kind.AdditionalProperties:
		props := append([]string(nil), k.Properties...)
		sort.Strings(props)
		return "object instance has properties which are not allowed by the schema: " + jsonText(props)
	case *kind.MinProperties:
		return fmt.Sprintf("object has too few properties (found %d but schema requires at least %d)", k.Got, k.Want)
	case *kind.MaxProperties:
		return fmt.Sprintf("object has too many properties (found %d but schema requires at most %d)", k.Got, k.Want)
	case *kind.Dependency:
		missing := append([]string(nil), k.Missing...)
		sort.Strings(missing)
		var requires []string
		if s := b.byLocation[e.SchemaURL]; s != nil {
			requires, _ = s.Dependencies[k.Prop].([]string)
		}
		return fmt.Sprintf("property %q of object has missing property dependencies (schema requires %s; missing: %s)",
			k.Prop, jsonText(requires), jsonText(missing))
	case *kind.MinItems:
		return fmt.Sprintf("array is too short: must have at least %d elements but instance has %d elements", k.Want, k.Got)
	case *kind.MaxItems:
		return fmt.Sprintf("array is too long: must have at most %d elements but instance has %d elements", k.Want, k.Got)
	case *kind.AdditionalItems:
		allowed := 0
		if a, ok := inst.([]any); ok {
			allowed = len(a) - k.Count
		}
		return fmt.Sprintf("array only has %d elements allowed, found %d", allowed, allowed+k.Count)
	case *kind.UniqueItems:
		return "array must not contain duplicate elements"
	case *kind.MinLength:
		return fmt.Sprintf("string %s is too short (length: %d, required minimum: %d)", jsonText(inst), k.Got, k.Want)
	case *kind.MaxLength:
		return fmt.Sprintf("string %s is too long (length: %d, maximum allowed: %d)", jsonText(inst), k.Got, k.Want)
	case *kind.Pattern:
		return fmt.Sprintf("ECMA 262 regex %s does not match input string %s", jsonText(k.Want), jsonText(k.Got))
	case *kind.Format:
		return formatMessage(k, inst)
	case *kind.Minimum:
		return fmt.Sprintf("numeric instance is lower than the required minimum (minimum: %s, found: %s)", ratText(k.Want), numText(inst, k.Got))
	case *kind.Maximum:
		return fmt.Sprintf("numeric instance is greater than the required maximum (maximum: %s, found: %s)", ratText(k.Want), numText(inst, k.Got))
	case *kind.ExclusiveMinimum:
		return fmt.Sprintf("numeric instance is not strictly greater than the required minimum %s", ratText(k.Want))
	case *kind.ExclusiveMaximum:
		return fmt.Sprintf("numeric instance is not strictly lower than the required maximum %s", ratText(k.Want))
	case *kind.MultipleOf:
		return fmt.Sprintf("remainder of division is not zero (%s / %s)", numText(inst, k.Got), ratText(k.Want))
	case *kind.Not:
		return "instance matched a schema which it should not have"
	case *kind.AllOf:
		total := len(e.Causes)
		if s := b.byLocation[e.SchemaURL]; s != nil {
			total = len(s.AllOf)
		}
		return fmt.Sprintf("instance failed to match all required schemas (matched only %d out of %d)", total-len(e.Causes), total)
	case *kind.AnyOf:
		return fmt.Sprintf("instance failed to match at least one required schema among %d", len(e.Causes))
	case *kind.OneOf:
		total, matched := len(e.Causes), 0
		if s := b.byLocation[e.SchemaURL]; s != nil {
			total = len(s.OneOf)
			if k.Subschemas != nil {
				for _, sub := range s.OneOf {
					if sub.Validate(inst) == nil {
						matched++
					}
				}
			}
		}
		return fmt.Sprintf("instance failed to match exactly one schema (matched %d out of %d)", matched, total)
	case *kind.FalseSchema:
		return "schema does not allow any value"
	}
	return e.ErrorKind.LocalizedString(printer)
}

var printer = message.NewPrinter(language.English)

func formatMessage(k *kind.Format, inst any) string {
	s := jsonText(inst)
	switch k.Want {
	case "date-time":
		return "string " + s + " is invalid against requested date format(s) [yyyy-MM-dd'T'HH:mm:ssZ, yyyy-MM-dd'T'HH:mm:ss.[0-9]{1,12}Z]"
	case "email":
		return "string " + s + " is not a valid email address"
	case "hostname":
		return "string " + s + " is not a valid hostname"
	case "ipv4":
		return "string " + s + " is not a valid IPv4 address"
	case "ipv6":
		return "string " + s + " is not a valid IPv6 address"
	case "uri":
		return "string " + s + " is not a valid URI"
	case "regex":
		return "string " + s + " is not a valid ECMA 262 regular expression"
	}
	return "string " + s + " is not a valid " + k.Want
}

// typeName is json-schema-validator's name for a value's type: integer for a number written
// without a fraction or exponent.
func typeName(v any) string {
	switch n := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case json.Number:
		if strings.ContainsAny(string(n), ".eE") {
			return "number"
		}
		return "integer"
	}
	return "number"
}

// jsonText writes v as compact JSON.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// numText is the instance as written, or r when the instance is not a number.
func numText(inst any, r *big.Rat) string {
	if n, ok := inst.(json.Number); ok {
		return string(n)
	}
	return ratText(r)
}

func ratText(r *big.Rat) string {
	if r == nil {
		return "null"
	}
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// instanceAt follows an instance location into doc.
func instanceAt(doc any, loc []string) any {
	for _, tok := range loc {
		switch v := doc.(type) {
		case map[string]any:
			doc = v[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(v) {
				return nil
			}
			doc = v[i]
		default:
			return nil
		}
	}
	return doc
}

// pointer writes an instance location as a JSON pointer.
func pointer(loc []string) string {
	var b strings.Builder
	for _, tok := range loc {
		b.WriteByte('/')
		tok = strings.ReplaceAll(tok, "~", "~0")
		b.WriteString(strings.ReplaceAll(tok, "/", "~1"))
	}
	return b.String()
}
