package compile

import (
	"fmt"
	"net/netip"

	"github.com/portico/portico/internal/auth/policy"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/runtime"
	"github.com/portico/portico/internal/validate"
)

// checks compiles what a deployment asks to be checked before its integrations run: request
// validators with their models, and the API's resource policy.
type checks struct {
	doc    *model.APIDoc
	models *validate.Models
}

func newChecks(apiID string, doc *model.APIDoc) *checks {
	return &checks{doc: doc, models: validate.NewModels(apiID, doc.Models)}
}

// validation compiles a method's request validator: nil when it has none or it checks
// nothing. A validator that cannot run carries Err, so the method answers 500 rather than
// letting unchecked requests through.
func (c *checks) validation(m *model.Method, res *runtime.Resource) *runtime.Validation {
	if m.RequestValidatorId == "" {
		return nil
	}
	rv := c.doc.RequestValidators[m.RequestValidatorId]
	if rv == nil {
		return &runtime.Validation{Err: fmt.Sprintf("request validator %s does not exist", m.RequestValidatorId)}
	}
	if !rv.ValidateRequestBody && !rv.ValidateRequestParameters {
		return nil
	}
	v := &runtime.Validation{}
	if rv.ValidateRequestParameters {
		params, err := validate.RequiredParams(m.RequestParameters)
		if err != nil {
			return &runtime.Validation{Err: err.Error()}
		}
		for _, p := range params {
			switch p.Loc {
			case validate.Header:
				v.Params = append(v.Params, runtime.Source{Kind: runtime.SrcHeader, Name: p.Name})
			case validate.Path:
				v.Params = append(v.Params, runtime.Source{Kind: runtime.SrcPath, Name: p.Name, Index: indexOf(res.ParamNames, p.Name)})
			case validate.Query:
				v.Params = append(v.Params, runtime.Source{Kind: runtime.SrcQuery, Name: p.Name})
			}
		}
	}
	if rv.ValidateRequestBody {
		bv := &runtime.BodyValidation{}
		if len(m.RequestModels) == 0 {
			b, err := c.models.Implicit()
			if err != nil {
				return &runtime.Validation{Err: err.Error()}
			}
			bv.Default = b
		}
		for _, ct := range sortedKeys(m.RequestModels) {
			b, err := c.models.Body(m.RequestModels[ct])
			if err != nil {
				return &runtime.Validation{Err: err.Error()}
			}
			if ct == "$default" {
				bv.Default = b
				continue
			}
			bv.Models = append(bv.Models, runtime.BodyModel{ContentType: runtime.MediaType(ct), Validator: b})
		}
		v.Body = bv
	}
	return v
}

// policy compiles the API's resource policy (nil when it has none). A Portico serves one
// region and account, so the execute-api:/ shorthand is bound with wildcards for both.
func (c *checks) policy() (runtime.ResourcePolicy, error) {
	if c.doc.RestApi.Policy == "" {
		return nil, nil
	}
	p, err := policy.Parse(c.doc.RestApi.Policy)
	if err != nil {
		return nil, fmt.Errorf("resource policy: %w", err)
	}
	return resourcePolicy{p.Bind("*", "*", c.doc.RestApi.Id)}, nil
}

type resourcePolicy struct{ p *policy.Policy }

func (r resourcePolicy) Decide(arn string, ip netip.Addr, key func(string) (string, bool)) runtime.PolicyDecision {
	req := policy.Request{Action: "execute-api:Invoke", Resource: arn, SourceIP: ip, Key: key}
	switch r.p.Evaluate(&req) {
	case policy.Allow:
		return runtime.PolicyAllow
	case policy.ExplicitDeny:
		return runtime.PolicyExplicitDeny
	}
	return runtime.PolicyImplicitDeny
}
