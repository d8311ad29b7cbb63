package validate

import (
	"errors"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/portico/portico/internal/model"
)

// Reasons a model is refused, in AWS's words (CreateModel and UpdateModel answer
// "Invalid model specified: Validation Result: warnings : [], errors : [<reason>]").
var (
	ErrNotCanonical  = errors.New("Model reference must be in canonical form")
	ErrInvalidSchema = errors.New("Invalid model schema specified")
)

// CheckModel reports whether the named model of an API (its models as they would be after the
// change) can be used for validation: JSON, draft 4, every $ref either local ("#...") or the
// canonical address of one of the API's models that exists and compiles.
func CheckModel(apiID string, models map[string]*model.Model, name string) error {
	md := models[name]
	if md == nil {
		return ErrInvalidSchema
	}
	if strings.TrimSpace(md.Schema) == "" {
		return nil
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(md.Schema))
	if err != nil {
		return ErrInvalidSchema
	}
	prefix := ModelURL(apiID, "")
	var bad error
	eachRef(doc, func(ref string) {
		switch {
		case bad != nil, strings.HasPrefix(ref, "#"):
		case !strings.HasPrefix(ref, prefix):
			bad = ErrNotCanonical
		default:
			other, _, _ := strings.Cut(strings.TrimPrefix(ref, prefix), "#")
			if models[other] == nil {
				bad = ErrInvalidSchema
			}
		}
	})
	if bad != nil {
		return bad
	}
	if _, err := NewModels(apiID, models).Body(name); err != nil {
		return ErrInvalidSchema
	}
	return nil
}

// eachRef calls f with every "$ref" string in a schema document.
func eachRef(v any, f func(string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, sub := range x {
			if s, ok := sub.(string); ok && k == "$ref" {
				f(s)
				continue
			}
			eachRef(sub, f)
		}
	case []any:
		for _, sub := range x {
			eachRef(sub, f)
		}
	}
}
