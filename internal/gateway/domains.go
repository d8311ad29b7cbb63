package gateway

import (
	"github.com/portico/portico/internal/certs"
	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/integration/httpproxy"
	"github.com/portico/portico/internal/observe"
	awsvtl "github.com/portico/portico/internal/vtl/aws"
)

// customDomain returns the custom domain a Host header names; nil when there is none, at the
// cost of one pointer load when no domain exists.
func (g *Gateway) customDomain(host string) *domain.Domain {
	if g.opts.Domains == nil {
		return nil
	}
	return g.opts.Domains.Lookup(host)
}

// routeDomain finds the API stage a custom domain maps the request to (domain.Route: the
// longest base path). A path no mapping takes answers 403 Forbidden, as an unknown stage does.
// A domain that requires mutual TLS refuses a request without a certificate from its
// truststore with 403 Forbidden, as AWS does, logging AWS's reason.
func (g *Gateway) routeDomain(rc *request, d *domain.Domain, raw string) (apiID, stage string, err *gatewayError) {
	rc.domain = d
	cert, verr := d.VerifyClient(rc.r.TLS)
	if verr != nil {
		g.log.Info("mutual TLS refused the request: Access denied", "domainName", d.Name, "reason", verr.Error(), "requestId", rc.requestID)
		return "", "", errForbidden
	}
	rc.clientCert = cert
	rt, ok := d.Route(raw)
	if !ok {
		return "", "", errForbidden
	}
	rc.path, rc.basePath = rt.Path, rt.BasePath
	return rt.APIID, rt.Stage, nil
}

// upstreamFor is the client of the stage's HTTP integrations: the one presenting the stage's
// client certificate when it names one that exists, else the shared one.
func (g *Gateway) upstreamFor(rc *request) *httpproxy.Client {
	if id := rc.api.ClientCertificateID; id != "" && g.opts.Domains != nil {
		if c := g.opts.Domains.Upstream(id); c != nil {
			return c
		}
	}
	return g.upstream
}

// clientCertContext is $context.identity.clientCert (nil without mutual TLS).
func (rc *request) clientCertContext() *awsvtl.ClientCert {
	if rc.clientCert == nil {
		return nil
	}
	c := certs.Describe(rc.clientCert)
	return &awsvtl.ClientCert{ClientCertPem: c.PEM, SubjectDN: c.SubjectDN, IssuerDN: c.IssuerDN,
		SerialNumber: c.SerialNumber, NotBefore: c.NotBefore, NotAfter: c.NotAfter}
}

// appendClientCert writes the proxy event's identity.clientCert.
func (rc *request) appendClientCert(b []byte) []byte {
	c := rc.clientCertContext()
	if c == nil {
		return append(b, `"clientCert":null`...)
	}
	b = append(b, `"clientCert":{"clientCertPem":`...)
	b = observe.AppendJSONString(b, c.ClientCertPem)
	b = append(b, `,"issuerDN":`...)
	b = observe.AppendJSONString(b, c.IssuerDN)
	b = append(b, `,"serialNumber":`...)
	b = observe.AppendJSONString(b, c.SerialNumber)
	b = append(b, `,"subjectDN":`...)
	b = observe.AppendJSONString(b, c.SubjectDN)
	b = append(b, `,"validity":{"notAfter":`...)
	b = observe.AppendJSONString(b, c.NotAfter)
	b = append(b, `,"notBefore":`...)
	b = observe.AppendJSONString(b, c.NotBefore)
	return append(b, `}}`...)
}
