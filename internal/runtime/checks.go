package runtime

import "net/netip"

// Validation is a method's compiled request validator (rest-api-model.md §7).
type Validation struct {
	// Params are the required parameters checked when the validator validates parameters,
	// in the order AWS names missing ones; each Source is SrcHeader, SrcPath or SrcQuery.
	Params []Source
	// Body is set when the validator validates bodies.
	Body *BodyValidation
	// Err explains why the validator cannot run (a model that does not compile): the method
	// then answers 500.
	Err string
}

// BodyValidation chooses the model a request body is checked against.
type BodyValidation struct {
	// Models are keyed by media type; Default is the "$default" model (nil when none).
	Models  []BodyModel
	Default BodyValidator
}

// BodyModel is the model of one media type.
type BodyModel struct {
	ContentType string
	Validator   BodyValidator
}

// BodyValidator checks a body against one compiled model and returns AWS's detail string
// ($context.error.validationErrorString) when it fails.
type BodyValidator interface {
	Validate(body []byte) (detail string, ok bool)
}

// For returns the validator for a request Content-Type: its media type's model, else the
// $default one, else nil (the body is not validated).
func (b *BodyValidation) For(contentType string) BodyValidator {
	mt := MediaType(contentType)
	for i := range b.Models {
		if b.Models[i].ContentType == mt {
			return b.Models[i].Validator
		}
	}
	return b.Default
}

// PolicyDecision is the outcome of a resource policy for one request.
type PolicyDecision uint8

const (
	PolicyImplicitDeny PolicyDecision = iota
	PolicyAllow
	PolicyExplicitDeny
)

// ResourcePolicy is an API's compiled resource policy.
type ResourcePolicy interface {
	// Decide evaluates execute-api:Invoke on methodARN for a caller at sourceIP; key supplies
	// other condition keys by lower-cased name.
	Decide(methodARN string, sourceIP netip.Addr, key func(string) (string, bool)) PolicyDecision
}
