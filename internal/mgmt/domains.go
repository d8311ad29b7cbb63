package mgmt

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/portico/portico/internal/certs"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

// Custom domain names and their base path mappings are account-level documents the data plane
// follows without a deployment. Certificates are named as on AWS, by an ACM ARN, which Portico
// resolves to files in its certificate directory (package certs); a certificate uploaded in the
// request (certificateBody) is refused. Where AWS is not documented: a domain name is kept in
// lower case; its certificate must cover it; regionalDomainName (REGIONAL) or
// distributionDomainName (EDGE) is the domain name itself, as Portico serves it directly.

var domainNamePattern = regexp.MustCompile(`^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

var securityPolicies = []string{"TLS_1_0", "TLS_1_2"}

func loadDomain(tx store.Tx, name string) (*model.DomainName, error) {
	var d model.DomainName
	if err := tx.Get(store.KindDomainName, strings.ToLower(name), &d); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, notFound("Invalid domain name identifier specified")
		}
		return nil, err
	}
	return &d, nil
}

type createDomainNameInput struct {
	DomainName              *string                        `json:"domainName"`
	CertificateName         string                         `json:"certificateName"`
	CertificateBody         string                         `json:"certificateBody"`
	CertificatePrivateKey   string                         `json:"certificatePrivateKey"`
	CertificateChain        string                         `json:"certificateChain"`
	CertificateArn          string                         `json:"certificateArn"`
	RegionalCertificateName string                         `json:"regionalCertificateName"`
	RegionalCertificateArn  string                         `json:"regionalCertificateArn"`
	EndpointConfiguration   *model.EndpointConfiguration   `json:"endpointConfiguration"`
	Tags                    map[string]string              `json:"tags"`
	SecurityPolicy          string                         `json:"securityPolicy"`
	MutualTlsAuthentication *model.MutualTlsAuthentication `json:"mutualTlsAuthentication"`
	Policy                  string                         `json:"policy"`
	RoutingMode             string                         `json:"routingMode"`
}

func (s *server) createDomainName(c *call) (int, any, error) {
	var in createDomainNameInput
	if err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	if in.DomainName == nil {
		return 0, nil, &apiError{http.StatusBadRequest, "ValidationException", "1 validation error detected: Value null at 'createDomainNameInput.domainName' failed to satisfy constraint: Member must not be null"}
	}
	if in.CertificateBody != "" || in.CertificatePrivateKey != "" || in.CertificateChain != "" {
		return 0, nil, badRequest("Uploading a certificate (certificateBody) is not supported by Portico: put {name}.crt and {name}.key in the certificate directory and pass certificateArn or regionalCertificateArn arn:aws:acm:%s:%s:certificate/{name}", s.opts.Region, s.opts.AccountID)
	}
	if in.Policy != "" {
		return 0, nil, badRequest("Private custom domain names (policy) are not supported by Portico")
	}
	if in.RoutingMode != "" && in.RoutingMode != "BASE_PATH_MAPPING_ONLY" {
		return 0, nil, badRequest("Portico supports routingMode BASE_PATH_MAPPING_ONLY only")
	}
	d := &model.DomainName{
		DomainName:              strings.ToLower(*in.DomainName),
		CertificateName:         in.CertificateName,
		CertificateArn:          in.CertificateArn,
		RegionalCertificateName: in.RegionalCertificateName,
		RegionalCertificateArn:  in.RegionalCertificateArn,
		EndpointConfiguration:   in.EndpointConfiguration,
		SecurityPolicy:          in.SecurityPolicy,
		MutualTlsAuthentication: in.MutualTlsAuthentication,
		Tags:                    in.Tags,
		DomainNameStatus:        "AVAILABLE",
		RoutingMode:             "BASE_PATH_MAPPING_ONLY",
	}
	if !domainNamePattern.MatchString(d.DomainName) || len(d.DomainName) > 253 {
		return 0, nil, badRequest("Invalid domain name: %s", *in.DomainName)
	}
	if d.EndpointConfiguration == nil || len(d.EndpointConfiguration.Types) == 0 {
		d.EndpointConfiguration = &model.EndpointConfiguration{Types: []string{"EDGE"}}
	}
	if d.SecurityPolicy == "" {
		d.SecurityPolicy = "TLS_1_2"
	}
	if err := s.checkDomain(d); err != nil {
		return 0, nil, err
	}
	d.DomainNameArn = fmt.Sprintf("arn:aws:apigateway:%s::/domainnames/%s", s.opts.Region, d.DomainName)
	d.CertificateUploadDate = model.Now()
	err := s.st.Update(func(tx store.Tx) error {
		if _, err := loadDomain(tx, d.DomainName); err == nil {
			return badRequest("The domain name you provided already exists.")
		}
		return tx.Put(store.KindDomainName, d.DomainName, d)
	})
	return http.StatusCreated, d, err
}

// checkDomain validates what a domain asks for against the files it names, and fills in what
// follows from them: the host names it answers at and the truststore's warnings.
func (s *server) checkDomain(d *model.DomainName) error {
	ec := d.EndpointConfiguration
	if len(ec.Types) != 1 {
		return badRequest("A domain name has exactly one endpoint type")
	}
	if !contains(endpointTypes, ec.Types[0]) {
		return enumError(ec.Types[0], "domainName.endpointConfiguration.types.member", endpointTypes)
	}
	if ec.Types[0] == "PRIVATE" {
		return badRequest("Private custom domain names are not supported by Portico")
	}
	if !contains(securityPolicies, d.SecurityPolicy) {
		return enumError(d.SecurityPolicy, "domainName.securityPolicy", securityPolicies)
	}
	regional := ec.Types[0] == "REGIONAL"
	d.RegionalDomainName, d.DistributionDomainName = "", ""
	if regional {
		d.RegionalDomainName = d.DomainName
	} else {
		d.DistributionDomainName = d.DomainName
	}
	arn := d.CertificateRef()
	if arn == "" {
		if regional {
			return badRequest("A regional certificate is required: set regionalCertificateArn")
		}
		return badRequest("A certificate is required: set certificateArn")
	}
	name, err := certs.CertificateName(arn, s.opts.Region, s.opts.AccountID)
	if err != nil {
		return badRequest("%s", err.Error())
	}
	pair, err := certs.Dir(s.opts.CertDir).LoadPair(name)
	if errors.Is(err, certs.ErrNotFound) {
		return badRequest("Invalid certificate ARN: %s. Certificate not found.", arn)
	}
	if err != nil {
		return badRequest("Certificate %s cannot be used: %v", arn, err)
	}
	host := d.DomainName
	if rest, ok := strings.CutPrefix(host, "*."); ok {
		host = "wildcard." + rest
	}
	if leaf, err := x509.ParseCertificate(pair.Certificate[0]); err != nil || leaf.VerifyHostname(host) != nil {
		return badRequest("The certificate %s does not cover the domain name %s", arn, d.DomainName)
	}
	if m := d.MutualTlsAuthentication; m != nil {
		m.TruststoreWarnings = nil
		if m.TruststoreUri == "" {
			d.MutualTlsAuthentication = nil
			return nil
		}
		if !regional {
			return badRequest("Mutual TLS authentication is only supported for REGIONAL domain names")
		}
		ts, err := certs.Dir(s.opts.CertDir).LoadTruststore(m.TruststoreUri)
		if err != nil {
			return badRequest("%s", err.Error())
		}
		m.TruststoreWarnings = ts.Warnings
	}
	return nil
}

func (s *server) getDomainName(c *call) (int, any, error) {
	var out *model.DomainName
	err := s.st.View(func(tx store.Tx) error {
		d, err := loadDomain(tx, c.p["domain"])
		out = d
		return err
	})
	return http.StatusOK, out, err
}

func (s *server) getDomainNames(c *call) (int, any, error) {
	var all []*model.DomainName
	err := s.st.View(func(tx store.Tx) error {
		return tx.List(store.KindDomainName, "", func(_ string, raw []byte) error {
			var d model.DomainName
			if err := json.Unmarshal(raw, &d); err != nil {
				return err
			}
			all = append(all, &d)
			return nil
		})
	})
	if err != nil {
		return 0, nil, err
	}
	out, err := paginate(c, all, func(d *model.DomainName) string { return d.DomainName })
	return http.StatusOK, out, err
}

func (s *server) updateDomainName(c *call) (int, any, error) {
	var out *model.DomainName
	err := s.st.Update(func(tx store.Tx) error {
		d, err := loadDomain(tx, c.p["domain"])
		if err != nil {
			return err
		}
		mtls := func() *model.MutualTlsAuthentication {
			if d.MutualTlsAuthentication == nil {
				d.MutualTlsAuthentication = &model.MutualTlsAuthentication{}
			}
			return d.MutualTlsAuthentication
		}
		rules := []patchRule{
			replaceString("/certificateName", &d.CertificateName),
			replaceString("/certificateArn", &d.CertificateArn),
			replaceString("/regionalCertificateName", &d.RegionalCertificateName),
			replaceString("/regionalCertificateArn", &d.RegionalCertificateArn),
			replaceString("/securityPolicy", &d.SecurityPolicy),
			{path: "/endpointConfiguration/types/0", ops: replaceOnly, apply: func(p patch) error {
				d.EndpointConfiguration = &model.EndpointConfiguration{Types: []string{p.value}}
				return nil
			}},
			{path: "/mutualTlsAuthentication/truststoreUri", ops: replaceOnly, apply: func(p patch) error {
				mtls().TruststoreUri = p.value
				return nil
			}},
			{path: "/mutualTlsAuthentication/truststoreVersion", ops: replaceOnly, apply: func(p patch) error {
				mtls().TruststoreVersion = p.value
				return nil
			}},
		}
		if err := applyPatch(c, "updateDomainNameInput", rules); err != nil {
			return err
		}
		if err := s.checkDomain(d); err != nil {
			return err
		}
		d.CertificateUploadDate = model.Now()
		out = d
		return tx.Put(store.KindDomainName, d.DomainName, d)
	})
	return http.StatusOK, out, err
}

// deleteDomainName removes the domain and its base path mappings.
func (s *server) deleteDomainName(c *call) (int, any, error) {
	err := s.st.Update(func(tx store.Tx) error {
		d, err := loadDomain(tx, c.p["domain"])
		if err != nil {
			return err
		}
		var keys []string
		if err := tx.List(store.KindBasePathMapping, d.DomainName+"/", func(key string, _ []byte) error {
			keys = append(keys, key)
			return nil
		}); err != nil {
			return err
		}
		for _, k := range keys {
			if err := tx.Delete(store.KindBasePathMapping, k); err != nil {
				return err
			}
		}
		return tx.Delete(store.KindDomainName, d.DomainName)
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, nil, nil
}

// basePathPattern is what a base path may hold: AWS's URL-safe characters, in one or more
// segments.
var basePathPattern = regexp.MustCompile(`^[A-Za-z0-9$\-_.+!*'()]+(/[A-Za-z0-9$\-_.+!*'()]+)*$`)

// normBasePath returns the stored spelling of a base path: "(none)" for the root mapping.
func normBasePath(p string) (string, error) {
	if p == "" || p == model.NoBasePath {
		return model.NoBasePath, nil
	}
	if !basePathPattern.MatchString(p) {
		return "", badRequest("Invalid base path: '%s'. A base path holds letters, digits and $-_.+!*'() in segments separated by single slashes, without a slash at either end", p)
	}
	return p, nil
}

func loadMapping(tx store.Tx, domain, basePath string) (*model.BasePathMapping, error) {
	var m model.BasePathMapping
	if err := tx.Get(store.KindBasePathMapping, store.Key(domain, basePath), &m); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, notFound("Invalid base path mapping identifier specified")
		}
		return nil, err
	}
	return &m, nil
}

// checkMappingTarget refuses a mapping to an API or stage that does not exist. A stage of ""
// or "(none)" leaves the stage to the request's first path segment after the base path.
func (s *server) checkMappingTarget(tx store.Tx, m *model.BasePathMapping) error {
	if _, err := s.loadDoc(tx, m.RestApiId); err != nil {
		return badRequest("Invalid REST API identifier specified")
	}
	if m.Stage == model.NoBasePath {
		m.Stage = ""
	}
	if m.Stage != "" {
		if _, err := loadStage(tx, m.RestApiId, m.Stage); err != nil {
			return badRequest("Invalid stage identifier specified")
		}
	}
	return nil
}

type createBasePathMappingInput struct {
	BasePath  string  `json:"basePath"`
	RestApiId *string `json:"restApiId"`
	Stage     string  `json:"stage"`
}

func (s *server) createBasePathMapping(c *call) (int, any, error) {
	var in createBasePathMappingInput
	if err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	if in.RestApiId == nil {
		return 0, nil, &apiError{http.StatusBadRequest, "ValidationException", "1 validation error detected: Value null at 'createBasePathMappingInput.restApiId' failed to satisfy constraint: Member must not be null"}
	}
	bp, err := normBasePath(in.BasePath)
	if err != nil {
		return 0, nil, err
	}
	m := &model.BasePathMapping{BasePath: bp, RestApiId: *in.RestApiId, Stage: in.Stage}
	err = s.st.Update(func(tx store.Tx) error {
		d, err := loadDomain(tx, c.p["domain"])
		if err != nil {
			return err
		}
		if err := s.checkMappingTarget(tx, m); err != nil {
			return err
		}
		if _, err := loadMapping(tx, d.DomainName, bp); err == nil {
			return conflict("Base path already exists for this domain name")
		}
		return tx.Put(store.KindBasePathMapping, store.Key(d.DomainName, bp), m)
	})
	return http.StatusCreated, m, err
}

func (s *server) getBasePathMapping(c *call) (int, any, error) {
	var out *model.BasePathMapping
	err := s.st.View(func(tx store.Tx) error {
		d, err := loadDomain(tx, c.p["domain"])
		if err != nil {
			return err
		}
		out, err = loadMapping(tx, d.DomainName, c.p["basepath"])
		return err
	})
	return http.StatusOK, out, err
}

func (s *server) getBasePathMappings(c *call) (int, any, error) {
	var all []*model.BasePathMapping
	err := s.st.View(func(tx store.Tx) error {
		d, err := loadDomain(tx, c.p["domain"])
		if err != nil {
			return err
		}
		return tx.List(store.KindBasePathMapping, d.DomainName+"/", func(_ string, raw []byte) error {
			var m model.BasePathMapping
			if err := json.Unmarshal(raw, &m); err != nil {
				return err
			}
			all = append(all, &m)
			return nil
		})
	})
	if err != nil {
		return 0, nil, err
	}
	sort.Slice(all, func(i, j int) bool { return all[i].BasePath < all[j].BasePath })
	out, err := paginate(c, all, func(m *model.BasePathMapping) string { return m.BasePath })
	return http.StatusOK, out, err
}

func (s *server) updateBasePathMapping(c *call) (int, any, error) {
	var out *model.BasePathMapping
	err := s.st.Update(func(tx store.Tx) error {
		d, err := loadDomain(tx, c.p["domain"])
		if err != nil {
			return err
		}
		m, err := loadMapping(tx, d.DomainName, c.p["basepath"])
		if err != nil {
			return err
		}
		old := m.BasePath
		rules := []patchRule{
			{path: "/basePath", ops: replaceOnly, apply: func(p patch) error {
				bp, err := normBasePath(p.value)
				m.BasePath = bp
				return err
			}},
			replaceString("/restApiId", &m.RestApiId),
			replaceString("/stage", &m.Stage),
		}
		if err := applyPatch(c, "updateBasePathMappingInput", rules); err != nil {
			return err
		}
		if err := s.checkMappingTarget(tx, m); err != nil {
			return err
		}
		if m.BasePath != old {
			if _, err := loadMapping(tx, d.DomainName, m.BasePath); err == nil {
				return conflict("Base path already exists for this domain name")
			}
			if err := tx.Delete(store.KindBasePathMapping, store.Key(d.DomainName, old)); err != nil {
				return err
			}
		}
		out = m
		return tx.Put(store.KindBasePathMapping, store.Key(d.DomainName, m.BasePath), m)
	})
	return http.StatusOK, out, err
}

func (s *server) deleteBasePathMapping(c *call) (int, any, error) {
	err := s.st.Update(func(tx store.Tx) error {
		d, err := loadDomain(tx, c.p["domain"])
		if err != nil {
			return err
		}
		if _, err := loadMapping(tx, d.DomainName, c.p["basepath"]); err != nil {
			return err
		}
		return tx.Delete(store.KindBasePathMapping, store.Key(d.DomainName, c.p["basepath"]))
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, nil, nil
}
