package gateway

import (
	"bytes"
	"errors"
	"net/url"
	"strings"

	"github.com/portico/portico/internal/runtime"
	"github.com/portico/portico/internal/vtl"
	awsvtl "github.com/portico/portico/internal/vtl/aws"
)

// templateRequest returns what mapping templates see of this request ($input.params(),
// $context, $stageVariables), built on first use and shared by the request and response
// templates.
func (rc *request) templateRequest() *awsvtl.Request {
	if rc.tmplReq != nil {
		return rc.tmplReq
	}
	req := &awsvtl.Request{StageVariables: rc.api.StageVariables, Header: rc.r.Header}
	if rc.resource != nil {
		req.PathParams = make(map[string]string, len(rc.resource.ParamNames))
		for i, n := range rc.resource.ParamNames {
			if i < len(rc.params) {
				req.PathParams[n] = rc.params[i]
			}
		}
	}
	if rc.r.URL.RawQuery != "" {
		// A malformed pair is skipped; the rest of the query still counts, as for the mappings.
		req.Query, _ = url.ParseQuery(rc.r.URL.RawQuery)
	}
	c := &req.Context
	c.AccountID = rc.accountID
	c.APIID = rc.api.ID
	c.DeploymentID = rc.api.DeploymentID
	c.DomainName = rc.host
	c.DomainPrefix, _, _ = strings.Cut(rc.host, ".")
	c.ExtendedRequestID = rc.extendedID
	c.HTTPMethod = rc.r.Method
	c.IsCanaryRequest = rc.api.IsCanary
	c.Path = "/" + rc.api.Stage + rc.path
	c.Protocol = "HTTP/1.1"
	c.RequestID = rc.requestID
	c.RequestTime = rc.start.UTC().Format("02/Jan/2006:15:04:05 -0700")
	c.RequestTimeEpoch = rc.start.UnixMilli()
	if rc.resource != nil {
		c.ResourceID = rc.resource.ID
		c.ResourcePath = rc.resource.Path
	}
	c.Stage = rc.api.Stage
	c.Identity.SourceIP = clientIP(rc.r)
	c.Identity.UserAgent = rc.r.UserAgent()
	c.Identity.APIKey, c.Identity.APIKeyID = rc.apiKey, rc.apiKeyID
	rc.fillIdentity(&c.Identity)
	c.Identity.ClientCert = rc.clientCertContext()
	c.BasePathMatched = rc.basePath
	if rc.auth != nil {
		c.Authorizer = rc.auth.templateValue()
	}
	rc.tmplReq = req
	return req
}

// renderRequestTemplate renders a request mapping template over the request body and keeps the
// overrides it sets.
func (g *Gateway) renderRequestTemplate(rc *request, t *runtime.RequestTemplate) ([]byte, *gatewayError) {
	if t.Template == nil {
		return []byte(t.Text), nil
	}
	return g.render(rc, t.Template, templateInput(rc.reqBody, rc.requestBinary()), true)
}

// renderResponseTemplate renders a response mapping template over the integration's answer
// (a MOCK has none: $input reads an empty body) and keeps the overrides it sets.
func (g *Gateway) renderResponseTemplate(rc *request, t *runtime.ResponseTemplate, res *integrationResult) ([]byte, *gatewayError) {
	if t.Template == nil {
		return []byte(t.Text), nil
	}
	binary := res.header != nil && isBinary(rc.api.BinaryMediaTypes, res.header.Get("Content-Type"))
	return g.render(rc, t.Template, templateInput(res.body, binary), false)
}

// render runs one template. A request body that starts like JSON but does not parse answers
// 400 as on AWS when a request template reads it; every other failure is AWS's 500 Internal
// server error, logged with what failed and where.
func (g *Gateway) render(rc *request, t *vtl.Template, body []byte, isRequest bool) ([]byte, *gatewayError) {
	var buf bytes.Buffer
	ov, err := awsvtl.Render(&buf, t, rc.templateRequest(), body)
	if err != nil {
		if isRequest && errors.Is(err, awsvtl.ErrBody) {
			var re *vtl.RenderError
			msg := awsvtl.ErrBody.Error()
			if errors.As(err, &re) && re.Err != nil {
				msg = re.Err.Error()
			}
			return nil, &gatewayError{typ: runtime.BadRequestBody, message: msg}
		}
		if rc.exec != nil {
			rc.exec.Log("Execution failed due to configuration error: Unable to transform " + map[bool]string{true: "request", false: "response"}[isRequest] + ": " + err.Error())
		}
		g.log.Error("execution failed due to a mapping template error", "api", rc.api.ID, "stage", rc.api.Stage,
			"resource", rc.resource.Path, "method", rc.r.Method, "template", t.Name(), "error", err,
			"requestId", rc.requestID)
		return nil, errInternal
	}
	rc.overrides.add(ov)
	return buf.Bytes(), nil
}

// renderRef resolves a $context reference (of a gateway response template, or a context.X
// mapping) that contextVar has no quick answer for, through the same bindings mapping
// templates use (null renders empty); e, when set, is $context.error. ok is false when there
// is nothing to resolve it against.
func (rc *request) renderRef(ref *vtl.Template, e *gatewayError) (string, bool) {
	if ref == nil || rc.api == nil {
		return "", false
	}
	req := *rc.templateRequest()
	if e != nil {
		req.Context.Error = awsvtl.ErrorInfo{Message: e.message, ResponseType: e.typ.String(),
			ValidationErrorString: rc.validationError}
	}
	s, err := ref.RenderString(awsvtl.NewBindings(&req, nil).Scope())
	if err != nil {
		return "", false
	}
	return s, true
}
