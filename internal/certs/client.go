package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// ClientCertificateValidity is how long a generated client certificate is valid: AWS's 365 days.
const ClientCertificateValidity = 365 * 24 * time.Hour

// Generated is a new client certificate and its key, both PEM.
type Generated struct {
	CertPEM, KeyPEM     string
	NotBefore, NotAfter time.Time
}

// GenerateClientCertificate makes the self-signed certificate the gateway presents to HTTPS
// backends for the client certificate id: a backend trusts exactly this certificate (its
// pemEncodedCertificate) to know a call comes through the gateway. It may sign nothing else, so
// it is its own trust anchor for TLS clients only.
func GenerateClientCertificate(id string, now time.Time) (*Generated, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	notBefore := now.UTC().Truncate(time.Second)
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			Organization:       []string{"Portico"},
			OrganizationalUnit: []string{"ApiGateway"},
			CommonName:         "ClientCertificateId:" + id,
		},
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(ClientCertificateValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return &Generated{
		CertPEM:   string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		KeyPEM:    string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})),
		NotBefore: tmpl.NotBefore,
		NotAfter:  tmpl.NotAfter,
	}, nil
}

// ClientCert is a client's certificate as $context.identity.clientCert shows it.
type ClientCert struct {
	PEM, SubjectDN, IssuerDN, SerialNumber, NotBefore, NotAfter string
}

// Describe renders c in AWS's spelling: distinguished names as "C=US,O=Example,CN=name" in
// the certificate's order, the serial number in decimal, and dates as OpenSSL prints them
// ("Aug 29 00:28:21 2020 GMT").
func Describe(c *x509.Certificate) ClientCert {
	return ClientCert{
		PEM:          string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})),
		SubjectDN:    DN(rdns(c.RawSubject, c.Subject)),
		IssuerDN:     DN(rdns(c.RawIssuer, c.Issuer)),
		SerialNumber: c.SerialNumber.String(),
		NotBefore:    opensslTime(c.NotBefore),
		NotAfter:     opensslTime(c.NotAfter),
	}
}

// rdns returns the name's attributes in the order the certificate holds them.
func rdns(raw []byte, parsed pkix.Name) pkix.RDNSequence {
	var seq pkix.RDNSequence
	if rest, err := asn1.Unmarshal(raw, &seq); err == nil && len(rest) == 0 {
		return seq
	}
	return parsed.ToRDNSequence()
}

var attrNames = map[string]string{
	"2.5.4.3": "CN", "2.5.4.5": "SERIALNUMBER", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST",
	"2.5.4.9": "STREET", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.17": "POSTALCODE",
	"0.9.2342.19200300.100.1.25": "DC", "0.9.2342.19200300.100.1.1": "UID",
	"1.2.840.113549.1.9.1": "EMAILADDRESS",
}

// DN renders a distinguished name as comma-separated TYPE=value pairs in sequence order;
// commas, plus signs and the like in values are escaped as RFC 4514 does.
func DN(seq pkix.RDNSequence) string {
	var b strings.Builder
	for _, rdn := range seq {
		for _, atv := range rdn {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			name, ok := attrNames[atv.Type.String()]
			if !ok {
				name = atv.Type.String()
			}
			b.WriteString(name)
			b.WriteByte('=')
			b.WriteString(escapeDN(fmt.Sprint(atv.Value)))
		}
	}
	return b.String()
}

func escapeDN(v string) string {
	if !strings.ContainsAny(v, `,+"\<>;=`) && !strings.HasPrefix(v, " ") && !strings.HasPrefix(v, "#") && !strings.HasSuffix(v, " ") {
		return v
	}
	var b strings.Builder
	for i, r := range v {
		if strings.ContainsRune(`,+"\<>;=`, r) || (i == 0 && (r == ' ' || r == '#')) || (i == len(v)-1 && r == ' ') {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func opensslTime(t time.Time) string { return t.UTC().Format("Jan _2 15:04:05 2006 GMT") }
