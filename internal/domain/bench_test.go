package domain

import (
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net"
	"testing"

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
	s := newSet(nil, Options{Logger: slog.New(slog.DiscardHandler)})
	t := &table{exact: map[string]*Domain{}, wildcard: map[string]*Domain{}}
	for i := range 100 {
		name := "api" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ".example.com"
		t.exact[name] = s.compile(&model.DomainName{DomainName: name}, nil, nil, &readings{})
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
	ca := newCert(b, 1, nil, true)
	leaf := newCert(b, 2, ca, false).cert
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
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
	pair := func() tls.Certificate { return *newCert(b, 1, nil, false, "api.example.com").pair() }
	s := newSet(nil, Options{Logger: slog.New(slog.DiscardHandler)})
	s.listener.Store(s.serving(pair()))
	t := &table{exact: map[string]*Domain{}, wildcard: map[string]*Domain{}}
	for i := range 100 {
		d := &Domain{Name: "d" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ".example.com"}
		t.exact[d.Name] = d
	}
	dom := &Domain{Name: "api.example.com", tls: s.serving(pair())}
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
