package domain

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"log/slog"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/portico/portico/internal/model"
)

// BenchmarkLookupNoDomains is what every request pays when no custom domain exists.
func BenchmarkLookupNoDomains(b *testing.B) {
	s := &Set{}
	s.table.Store(&table{})
	b.ReportAllocs()
	for b.Loop() {
		if s.Lookup("abc123defg.execute-api.localhost:8080") != nil {
			b.Fatal("found a domain")
		}
	}
}

// BenchmarkLookupAndRoute finds a domain among 100 and the longest of its 10 base paths.
func BenchmarkLookupAndRoute(b *testing.B) {
	s := &Set{base: baseTLS(nil), log: slog.New(slog.DiscardHandler)}
	t := &table{exact: map[string]*Domain{}, wildcard: map[string]*Domain{}}
	for i := range 100 {
		name := "api" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ".example.com"
		t.exact[name] = s.compile(&model.DomainName{DomainName: name}, nil)
	}
	t.exact["api.example.com"] = testDomain("(none) root prod", "orders o prod", "v1/orders/items i prod", "v1 v prod",
		"users u prod", "v2/users u2 prod", "a a prod", "b b prod", "c c prod", "v1/orders o1 prod")
	s.table.Store(t)
	b.ReportAllocs()
	for b.Loop() {
		d := s.Lookup("api.example.com")
		if r, ok := d.Route("/v1/orders/items/42"); !ok || r.APIID != "i" {
			b.Fatal(r, ok)
		}
	}
}

// BenchmarkVerifyClient is the per-request check of a mutual TLS client's certificate, a leaf
// issued by the truststore's CA: the first time (one ECDSA P-256 signature to check) and
// again (remembered).
func BenchmarkVerifyClient(b *testing.B) {
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true}
	caDER, _ := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		b.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	cs := &tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf}}
	b.Run("first", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			d := &Domain{trust: pool}
			if _, err := d.VerifyClient(cs); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("again", func(b *testing.B) {
		d := &Domain{trust: pool}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := d.VerifyClient(cs); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkHandshake is a full TLS 1.3 handshake (ECDSA P-256) over an in-memory connection,
// the certificate chosen by SNI: the listener's own, or a custom domain's among 100.
func BenchmarkHandshake(b *testing.B) {
	pair := func() tls.Certificate {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour),
			NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"api.example.com"}}
		der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	}
	s := &Set{base: baseTLS([]tls.Certificate{pair()}), log: slog.New(slog.DiscardHandler)}
	s.base.GetConfigForClient = s.configForClient
	t := &table{exact: map[string]*Domain{}, wildcard: map[string]*Domain{}}
	for i := range 100 {
		d := &Domain{Name: "d" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ".example.com"}
		t.exact[d.Name] = d
	}
	dom := &Domain{Name: "api.example.com", tls: s.base.Clone()}
	dom.tls.GetConfigForClient = nil
	dom.tls.Certificates = []tls.Certificate{pair()}
	t.exact[dom.Name] = dom
	s.table.Store(t)
	for _, sni := range []string{"localhost", "api.example.com"} {
		b.Run(sni, func(b *testing.B) {
			for b.Loop() {
				c, srv := net.Pipe()
				go func() {
					tls.Server(srv, s.TLSConfig()).Handshake()
					srv.Close()
				}()
				tc := tls.Client(c, &tls.Config{ServerName: sni, InsecureSkipVerify: true})
				if err := tc.Handshake(); err != nil {
					b.Fatal(err)
				}
				c.Close()
			}
		})
	}
}
