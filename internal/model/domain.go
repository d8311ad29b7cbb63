package model

// DomainName is AWS's DomainName: a custom host name that serves API stages through its base
// path mappings, with the certificate presented for it and, optionally, mutual TLS.
type DomainName struct {
	DomainName               string                   `json:"domainName"`
	DomainNameId             string                   `json:"domainNameId,omitempty"`
	DomainNameArn            string                   `json:"domainNameArn,omitempty"`
	CertificateName          string                   `json:"certificateName,omitempty"`
	CertificateArn           string                   `json:"certificateArn,omitempty"`
	CertificateUploadDate    Epoch                    `json:"certificateUploadDate,omitzero"`
	RegionalDomainName       string                   `json:"regionalDomainName,omitempty"`
	RegionalHostedZoneId     string                   `json:"regionalHostedZoneId,omitempty"`
	RegionalCertificateName  string                   `json:"regionalCertificateName,omitempty"`
	RegionalCertificateArn   string                   `json:"regionalCertificateArn,omitempty"`
	DistributionDomainName   string                   `json:"distributionDomainName,omitempty"`
	DistributionHostedZoneId string                   `json:"distributionHostedZoneId,omitempty"`
	EndpointConfiguration    *EndpointConfiguration   `json:"endpointConfiguration,omitempty"`
	DomainNameStatus         string                   `json:"domainNameStatus,omitempty"`
	DomainNameStatusMessage  string                   `json:"domainNameStatusMessage,omitempty"`
	SecurityPolicy           string                   `json:"securityPolicy,omitempty"`
	MutualTlsAuthentication  *MutualTlsAuthentication `json:"mutualTlsAuthentication,omitempty"`
	RoutingMode              string                   `json:"routingMode,omitempty"`
	Tags                     map[string]string        `json:"tags,omitempty"`
}

// MutualTlsAuthentication names the truststore of client certificate authorities a domain
// requires its clients to present a certificate from.
type MutualTlsAuthentication struct {
	TruststoreUri      string   `json:"truststoreUri,omitempty"`
	TruststoreVersion  string   `json:"truststoreVersion,omitempty"`
	TruststoreWarnings []string `json:"truststoreWarnings,omitempty"`
}

// CertificateRef returns the certificate the domain is served with: the regional one when set,
// else the edge one.
func (d *DomainName) CertificateRef() string {
	if d.RegionalCertificateArn != "" {
		return d.RegionalCertificateArn
	}
	return d.CertificateArn
}

// BasePathMapping routes the requests of a domain whose path starts with BasePath to an API
// stage. BasePath "(none)" is the mapping at the domain's root; Stage "" makes the stage the
// first path segment after the base path.
type BasePathMapping struct {
	BasePath  string `json:"basePath"`
	RestApiId string `json:"restApiId"`
	Stage     string `json:"stage,omitempty"`
}

// NoBasePath is how AWS spells the empty base path, in answers and in URLs.
const NoBasePath = "(none)"

// ClientCertificate is AWS's ClientCertificate: a certificate the gateway presents to HTTPS
// backends of the stages that name it, so they can tell its calls from others.
type ClientCertificate struct {
	ClientCertificateId   string            `json:"clientCertificateId"`
	Description           string            `json:"description,omitempty"`
	PemEncodedCertificate string            `json:"pemEncodedCertificate"`
	CreatedDate           Epoch             `json:"createdDate,omitzero"`
	ExpirationDate        Epoch             `json:"expirationDate,omitzero"`
	Tags                  map[string]string `json:"tags,omitempty"`
}

// ClientCertificateRecord is a client certificate as stored, with its private key (PEM), which
// no answer carries.
type ClientCertificateRecord struct {
	Certificate   ClientCertificate `json:"certificate"`
	PrivateKeyPem string            `json:"privateKeyPem"`
}
