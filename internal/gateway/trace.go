package gateway

import (
	"net/http"
	"time"

	"github.com/portico/portico/internal/observe"
	"github.com/portico/portico/internal/runtime"
)

// Tracing (stage tracingEnabled, with a server that exports traces). A traced request records
// OpenTelemetry spans named as X-Ray names API Gateway's: the request ("{apiName}/{stage}",
// kind SERVER), its authorization when the method has any ("Authorizer"), and its backend call
// (kind CLIENT: "Lambda", the HTTP host, or the AWS service). The caller's traceparent (else
// X-Amzn-Trace-Id) is continued; a backend gets both headers naming the integration span as
// its parent, and a function gets the X-Ray form as Lambda-Runtime-Trace-Id.

// startTracing begins the request's trace when its stage is traced. For a stage that is not,
// it costs a type assertion and a nil check.
func (g *Gateway) startTracing(rc *request) {
	t, _ := rc.api.Observe.(*telemetry)
	if t == nil || t.tracer == nil {
		return
	}
	h := rc.r.Header
	sc, ok := observe.FromHeaders(h["Traceparent"], h["Tracestate"], h["X-Amzn-Trace-Id"])
	rc.spans = t.tracer.Start(rc.start, sc, ok)
}

// checkAccessInSpan runs the authorization phase, inside an "Authorizer" span when the request
// is traced and the method has an authorization type.
func (g *Gateway) checkAccessInSpan(rc *request) *gatewayError {
	tr, a := rc.spans, rc.method.AuthorizationType
	if tr == nil || a == "" || a == "NONE" {
		return g.checkAccess(rc)
	}
	s := tr.Add("Authorizer", observe.KindInternal, tr.Root, time.Now())
	if s != nil {
		// A Lambda authorizer's invocation belongs under it.
		tr.Active = s.ID
	}
	err := g.checkAccess(rc)
	tr.Active = observe.SpanID{}
	if s != nil {
		s.End = time.Now()
		s.SetString("aws.api_gateway.authorization_type", a)
		if err != nil {
			s.Error, s.Message = true, err.message
		}
	}
	return err
}

// openIntegrationSpan opens the integration span of a traced request that calls a backend (a
// MOCK calls none) and, for the integrations AWS answers it on (not MOCK nor HTTP_PROXY),
// sets the X-Amzn-Trace-Id response header.
func (rc *request) openIntegrationSpan(in *runtime.Integration) {
	tr := rc.spans
	if in.Kind == runtime.Mock || in.Kind == runtime.Unsupported {
		return
	}
	name := "Lambda"
	switch {
	case in.Kind == runtime.AWSService && in.AWS != nil:
		name = in.AWS.Service
	case (in.Kind == runtime.HTTP || in.Kind == runtime.HTTPProxy) && in.HTTP != nil:
		name = in.HTTP.Host
	}
	rc.intSpan = tr.Add(name, observe.KindClient, tr.Root, time.Now())
	if rc.intSpan != nil {
		tr.Active = rc.intSpan.ID
	}
	if in.Kind != runtime.HTTPProxy {
		b := append(make([]byte, 0, 48), "Root="...)
		b = observe.AppendXRayRoot(b, tr.ID)
		if tr.Sampled {
			b = append(b, ";Sampled=1"...)
		} else {
			b = append(b, ";Sampled=0"...)
		}
		rc.w.Header()["X-Amzn-Trace-Id"] = []string{string(b)}
	}
}

// spanParent is the span a call made now belongs under: the authorizer's or the
// integration's while one is open, else the request's own.
func (rc *request) spanParent() observe.SpanID {
	if a := rc.spans.Active; !a.IsZero() {
		return a
	}
	return rc.spans.Root
}

// downstreamTraceID is the X-Amzn-Trace-Id a function invoked now gets ("" when the request
// is not traced: the runtime then starts a trace of its own).
func (rc *request) downstreamTraceID() string {
	if rc.spans == nil {
		return ""
	}
	return rc.xrayHeader(rc.spanParent())
}

// xrayHeader is the X-Amzn-Trace-Id a traced request sends on: its trace, with parent as the
// Parent span.
func (rc *request) xrayHeader(parent observe.SpanID) string {
	return string(observe.AppendXRay(make([]byte, 0, 80), rc.spans.ID, parent, rc.spans.Sampled))
}

// propagateTrace sets, on a traced request's backend request, traceparent (and the caller's
// tracestate) and X-Amzn-Trace-Id, both naming the integration span as the parent.
func (rc *request) propagateTrace(h http.Header) {
	if rc.spans == nil {
		return
	}
	tr, parent := rc.spans, rc.spanParent()
	h["Traceparent"] = []string{string(observe.AppendTraceparent(make([]byte, 0, 55), tr.ID, parent, tr.Sampled))}
	if tr.State != "" {
		h["Tracestate"] = []string{tr.State}
	} else {
		delete(h, "Tracestate")
	}
	h["X-Amzn-Trace-Id"] = []string{rc.xrayHeader(parent)}
}

// xrayTraceID is $context.xrayTraceId: the X-Ray header of the request's own span when traced,
// else the caller's X-Amzn-Trace-Id.
func (rc *request) xrayTraceID() string {
	if rc.spans != nil {
		return rc.xrayHeader(rc.spans.Root)
	}
	return rc.r.Header.Get("X-Amzn-Trace-Id")
}

// endSpans records the request's span and closes its integration span, then hands the
// trace to the exporter. It runs after the response is written.
func (g *Gateway) endSpans(rc *request) {
	tr := rc.spans
	rc.spans = nil
	end := time.Now()
	o := &rc.obs
	if s := rc.intSpan; s != nil {
		rc.intSpan = nil
		s.End = end
		if !o.intEnd.IsZero() && o.intStatus != 0 {
			s.End = o.intEnd
		}
		s.SetString("aws.api_gateway.integration_type", integrationType(rc.method.Integration.Kind))
		if in := rc.method.Integration; in.Lambda != nil {
			s.SetString("faas.invoked_name", in.Lambda.Function)
		}
		switch {
		case o.intStatus == 0 && o.failure != nil:
			s.Error, s.Message = true, o.failure.message
		case o.intStatus != 0:
			s.SetInt("http.response.status_code", int64(o.intStatus))
			if o.intStatus >= 500 {
				s.Error = true
			}
		}
	}
	name := ""
	if t, _ := rc.api.Observe.(*telemetry); t != nil {
		name = t.segment
	}
	s := tr.AddRoot(name, rc.start)
	if s == nil {
		tr.End()
		return
	}
	s.End = end
	s.SetString("aws.api_gateway.rest_api_id", rc.api.ID)
	s.SetString("aws.api_gateway.stage", rc.api.Stage)
	s.SetString("aws.api_gateway.request_id", rc.requestID)
	s.SetString("http.request.method", rc.r.Method)
	s.SetString("url.path", "/"+rc.api.Stage+rc.path)
	if rc.resource != nil {
		s.SetString("aws.api_gateway.resource_path", rc.resource.Path)
		s.SetString("http.route", rc.resource.Path)
	}
	s.SetString("client.address", clientIP(rc.r))
	status := o.status
	if status == 0 {
		status = http.StatusOK
	}
	s.SetInt("http.response.status_code", int64(status))
	if status >= 500 {
		s.Error = true
		if o.failure != nil {
			s.Message = o.failure.message
		}
	}
	tr.End()
}

// integrationType is the AWS name of an integration kind.
func integrationType(k runtime.IntegrationKind) string {
	switch k {
	case runtime.Mock:
		return "MOCK"
	case runtime.HTTP:
		return "HTTP"
	case runtime.HTTPProxy:
		return "HTTP_PROXY"
	case runtime.Lambda, runtime.AWSService:
		return "AWS"
	case runtime.LambdaProxy:
		return "AWS_PROXY"
	}
	return "UNSUPPORTED"
}
