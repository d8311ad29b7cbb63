package certs

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCertificateName(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:acm:us-east-1:000000000000:certificate/api":      "api",
		"arn:aws:acm:us-east-1:000000000000:certificate/a.b-c":    "a.b-c",
		"arn:aws:acm:eu-west-1:000000000000:certificate/api":      "Invalid certificate ARN: arn:aws:acm:eu-west-1:000000000000:certificate/api. Certificate must be in 'us-east-1'.",
		"arn:aws:acm:us-east-1:111111111111:certificate/api":      "Cross-account certificate references are not allowed.",
		"arn:aws:acm:us-east-1:000000000000:certificate/../x":     "Invalid certificate ARN: arn:aws:acm:us-east-1:000000000000:certificate/../x",
		"arn:aws:acm:us-east-1:000000000000:certificate/":         "Invalid certificate ARN: arn:aws:acm:us-east-1:000000000000:certificate/",
		"arn:aws:iam::000000000000:server-certificate/x":          "Invalid certificate ARN: arn:aws:iam::000000000000:server-certificate/x",
		"arn:aws:acm:us-east-1:000000000000:private-key/whatever": "Invalid certificate ARN: arn:aws:acm:us-east-1:000000000000:private-key/whatever",
	} {
		got, err := CertificateName(arn, "us-east-1", "000000000000")
		if err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("%s: %q, want %q", arn, got, want)
		}
	}
}

func TestTruststorePath(t *testing.T) {
	d := Dir("/etc/portico/certs")
	for uri, want := range map[string]string{
		"s3://bucket/key.pem":        "/etc/portico/certs/truststores/bucket/key.pem",
		"s3://bucket/a/b/c.pem":      "/etc/portico/certs/truststores/bucket/a/b/c.pem",
		"file:///srv/ca.pem":         "/srv/ca.pem",
		"s3://bucket/../../../etc/x": "Invalid truststore URI: s3://bucket/../../../etc/x",
		"s3://bucket":                "Invalid truststore URI: s3://bucket. It must be s3://bucket/key",
		"https://bucket/key":         "Invalid truststore URI: https://bucket/key. It must be s3://bucket/key",
		"file://relative.pem":        "a file:// truststore URI needs an absolute path: file://relative.pem",
	} {
		got, err := d.TruststorePath(uri)
		if err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("%s: %q, want %q", uri, got, want)
		}
	}
}

func TestGeneratedCertificateIsUsable(t *testing.T) {
	now := time.Date(2026, 11, 22, 1, 2, 3, 0, time.UTC)
	g, err := GenerateClientCertificate("abc123", now)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair([]byte(g.CertPEM), []byte(g.KeyPEM))
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(pair.Certificate[0])
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	// A backend that trusts the certificate itself accepts it as a client's.
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: now.Add(time.Hour), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatal(err)
	}
	if g.NotAfter.Sub(g.NotBefore) != ClientCertificateValidity || !g.NotBefore.Equal(now) {
		t.Errorf("validity %v .. %v", g.NotBefore, g.NotAfter)
	}
	d := Describe(leaf)
	if d.SubjectDN != "O=Portico,OU=ApiGateway,CN=ClientCertificateId:abc123" || d.IssuerDN != d.SubjectDN {
		t.Errorf("DNs %q %q", d.SubjectDN, d.IssuerDN)
	}
	if d.NotBefore != "Nov 22 01:02:03 2026 GMT" || d.NotAfter != "Nov 22 01:02:03 2027 GMT" {
		t.Errorf("validity %q %q", d.NotBefore, d.NotAfter)
	}
	if d.PEM != g.CertPEM {
		t.Error("clientCertPem differs from the certificate")
	}
}

func TestDN(t *testing.T) {
	seq := pkix.RDNSequence{
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 6}, Value: "US"}},
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 10}, Value: "Example, Inc."}},
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: " padded "}},
		{{Type: asn1.ObjectIdentifier{1, 2, 3}, Value: "x"}},
	}
	if got, want := DN(seq), `C=US,O=Example\, Inc.,CN=\ padded\ ,1.2.3=x`; got != want {
		t.Errorf("%s, want %s", got, want)
	}
}

func TestParseTruststore(t *testing.T) {
	now := time.Now()
	g, err := GenerateClientCertificate("ca", now.Add(-2*ClientCertificateValidity))
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := GenerateClientCertificate("ca2", now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseTruststore([]byte(g.CertPEM), now); err == nil || !strings.Contains(err.Error(), "no usable") {
		t.Errorf("expired only: %v", err)
	}
	junk := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("junk")}))
	ts, err := ParseTruststore([]byte(g.CertPEM+fresh.CertPEM+fresh.KeyPEM+junk), now)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts.Warnings) != 3 || !strings.Contains(ts.Warnings[0], "has expired") ||
		!strings.Contains(ts.Warnings[1], "PRIVATE KEY") || !strings.Contains(ts.Warnings[2], "cannot be parsed") {
		t.Errorf("warnings %q", ts.Warnings)
	}
}

func TestLoadPairNotFound(t *testing.T) {
	if _, err := Dir(t.TempDir()).LoadPair("absent"); err != ErrNotFound {
		t.Errorf("%v, want ErrNotFound", err)
	}
	if _, err := Dir(filepath.Join(t.TempDir(), "x")).LoadPair("../etc"); err != ErrNotFound {
		t.Errorf("%v, want ErrNotFound", err)
	}
}

// FuzzReferences checks that no ARN or truststore URI panics or names a file outside the
// certificate directory.
func FuzzReferences(f *testing.F) {
	for _, s := range []string{"arn:aws:acm:us-east-1:000000000000:certificate/api", "s3://b/k", "s3://b/../../x", "file:///x", ""} {
		f.Add(s)
	}
	d := Dir("/certs")
	f.Fuzz(func(t *testing.T, s string) {
		if name, err := CertificateName(s, "us-east-1", "000000000000"); err == nil && !safeName(name) {
			t.Fatalf("%q gave the unsafe name %q", s, name)
		}
		if p, err := d.TruststorePath(s); err == nil && !strings.HasPrefix(s, "file://") && !strings.HasPrefix(p, "/certs/truststores/") {
			t.Fatalf("%q resolved outside the directory: %s", s, p)
		}
	})
}
