package gateway

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"testing"
	"time"

	"github.com/portico/portico/internal/certs"
)

// The proxy event's identity.clientCert carries AWS's keys, with the values templates see.
func TestClientCertInEvent(t *testing.T) {
	g, err := certs.GenerateClientCertificate("evt123", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	pair, _ := tls.X509KeyPair([]byte(g.CertPEM), []byte(g.KeyPEM))
	leaf, _ := x509.ParseCertificate(pair.Certificate[0])
	rc := &request{clientCert: leaf}
	b := append(rc.appendClientCert([]byte("{")), '}')
	var got struct {
		ClientCert struct {
			ClientCertPem, SubjectDN, IssuerDN, SerialNumber string
			Validity                                         struct{ NotBefore, NotAfter string }
		}
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	c := got.ClientCert
	if c.ClientCertPem != g.CertPEM || c.SubjectDN != "O=Portico,OU=ApiGateway,CN=ClientCertificateId:evt123" ||
		c.IssuerDN != c.SubjectDN || c.SerialNumber != leaf.SerialNumber.String() ||
		c.Validity.NotBefore != "Jan  2 03:04:05 2026 GMT" || c.Validity.NotAfter != "Jan  2 03:04:05 2027 GMT" {
		t.Fatalf("%+v", c)
	}
	if tc := rc.clientCertContext(); tc.SubjectDN != c.SubjectDN || tc.NotAfter != c.Validity.NotAfter {
		t.Fatalf("template context %+v", tc)
	}
	if (&request{}).clientCertContext() != nil {
		t.Fatal("a request without mutual TLS has a clientCert")
	}
}
