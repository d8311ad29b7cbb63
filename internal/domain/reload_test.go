package domain

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/bolt"
)

// testCert is a certificate with its key, parsed and as PEM.
type testCert struct {
	cert            *x509.Certificate
	key             *ecdsa.PrivateKey
	certPEM, keyPEM []byte
}

// newCert makes a certificate: a CA's when isCA, else a server's for dns or, with none, a
// client's; signed by issuer, or self-signed when issuer is nil.
func newCert(t testing.TB, serial int64, issuer *testCert, isCA bool, dns ...string) *testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: "serial " + big.NewInt(serial).String()},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		DNSNames:     dns,
	}
	switch {
	case isCA:
		tmpl.KeyUsage |= x509.KeyUsageCertSign
		tmpl.ExtKeyUsage, tmpl.BasicConstraintsValid, tmpl.IsCA = nil, true, true
	case len(dns) > 0:
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	parent, signer := tmpl, key
	if issuer != nil {
		parent, signer = issuer.cert, issuer.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCert{cert: cert, key: key,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})}
}

// pair is the certificate as a client presents it.
func (c *testCert) pair() *tls.Certificate {
	return &tls.Certificate{Certificate: [][]byte{c.cert.Raw}, PrivateKey: c.key, Leaf: c.cert}
}

// writeFile writes b to path, as an operator's rotation (or a half-finished one) would.
func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// writePair writes c as the files base+".crt" and base+".key".
func writePair(t *testing.T, base string, c *testCert) {
	t.Helper()
	writeFile(t, base+".crt", c.certPEM)
	writeFile(t, base+".key", c.keyPEM)
}

// halfWritten is the first half of a PEM file, as a copy still under way leaves it.
func halfWritten(c *testCert) []byte { return c.certPEM[:len(c.certPEM)/2] }

// logBuffer keeps what a logger writes; the Set logs from its own goroutine too.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// take returns what was logged since the last take.
func (l *logBuffer) take() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.b.String()
	l.b.Reset()
	return s
}

// reloadSet opens a Set over a new store holding domains, with the listener's own certificate
// files listener (none when empty) and certDir, and serves it on a TLS listener on 127.0.0.1.
// Each connection is answered, after the handshake, with "trusted" or the reason its domain
// refuses its client certificate.
func reloadSet(t *testing.T, certDir string, listener []KeyPair, domains ...model.DomainName) (s *Set, addr string, logs *logBuffer) {
	t.Helper()
	st, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Update(func(tx store.Tx) error {
		for _, d := range domains {
			if err := tx.Put(store.KindDomainName, d.DomainName, d); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	logs = &logBuffer{}
	s, err = Open(st, Options{Region: "us-east-1", AccountID: "000000000000", CertDir: certDir, Certificates: listener,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	tl := tls.NewListener(ln, s.TLSConfig())
	go func() {
		for {
			c, err := tl.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				tc := c.(*tls.Conn)
				tc.SetDeadline(time.Now().Add(10 * time.Second))
				if tc.Handshake() != nil {
					return
				}
				cs := tc.ConnectionState()
				verdict := "trusted"
				if d := s.Lookup(cs.ServerName); d != nil {
					if _, err := d.VerifyClient(&cs); err != nil {
						verdict = err.Error()
					}
				}
				io.WriteString(tc, verdict)
			}()
		}
	}()
	return s, ln.Addr().String(), logs
}

// handshake connects to addr with SNI sni (none when empty), presenting client when given, and
// returns the serial number of the certificate the server presented and the server's verdict
// on the client's.
func handshake(t *testing.T, addr, sni string, client *tls.Certificate) (serial int64, verdict string) {
	t.Helper()
	cfg := &tls.Config{ServerName: sni, InsecureSkipVerify: true}
	if client != nil {
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return client, nil }
	}
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		t.Fatalf("handshake with SNI %q: %v", sni, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("SNI %q: reading the verdict: %v", sni, err)
	}
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64(), string(b)
}

// wantReloadError checks that Reload failed naming every file in files, and logged each at ERROR.
func wantReloadError(t *testing.T, s *Set, logs *logBuffer, files ...string) {
	t.Helper()
	err := s.Reload()
	if err == nil {
		t.Fatalf("Reload succeeded, want an error naming %v", files)
	}
	logged := logs.take()
	for _, f := range files {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("Reload error %q does not name %s", err, f)
		}
		if !loggedError(logged, f) {
			t.Errorf("no ERROR line names %s:\n%s", f, logged)
		}
	}
}

// loggedError reports whether a line of logged is an ERROR that names file.
func loggedError(logged, file string) bool {
	for _, line := range strings.Split(logged, "\n") {
		if strings.Contains(line, "level=ERROR") && strings.Contains(line, "="+file+" ") {
			return true
		}
	}
	return false
}

const testARN = "arn:aws:acm:us-east-1:000000000000:certificate/"

// A domain's certificate replaced on disk is presented after Reload; one that cannot be read
// keeps the domain's previous certificate while the other domains still take their new ones.
func TestReloadDomainCertificate(t *testing.T) {
	dir := t.TempDir()
	writePair(t, filepath.Join(dir, "api"), newCert(t, 1, nil, false, "api.example.test"))
	writePair(t, filepath.Join(dir, "shop"), newCert(t, 2, nil, false, "shop.example.test"))
	s, addr, logs := reloadSet(t, dir, nil,
		model.DomainName{DomainName: "api.example.test", RegionalCertificateArn: testARN + "api"},
		model.DomainName{DomainName: "shop.example.test", RegionalCertificateArn: testARN + "shop"})
	present := func(sni string, want int64) {
		t.Helper()
		if got, _ := handshake(t, addr, sni, nil); got != want {
			t.Errorf("SNI %s presents serial %d, want %d", sni, got, want)
		}
	}
	present("api.example.test", 1)

	b := newCert(t, 3, nil, false, "api.example.test")
	writePair(t, filepath.Join(dir, "api"), b)
	present("api.example.test", 1) // nothing is read before the reload
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	if logged := logs.take(); !strings.Contains(logged, "certificates=2 truststores=0 failed=0") {
		t.Errorf("no INFO line counts the reload:\n%s", logged)
	}
	present("api.example.test", 3)

	// A half-written certificate, then a key that is not the certificate's.
	writeFile(t, filepath.Join(dir, "api.crt"), halfWritten(newCert(t, 4, nil, false, "api.example.test")))
	writePair(t, filepath.Join(dir, "shop"), newCert(t, 5, nil, false, "shop.example.test"))
	wantReloadError(t, s, logs, filepath.Join(dir, "api.crt"))
	present("api.example.test", 3)
	present("shop.example.test", 5)

	writeFile(t, filepath.Join(dir, "api.crt"), newCert(t, 6, nil, false, "api.example.test").certPEM)
	wantReloadError(t, s, logs, filepath.Join(dir, "api.crt"))
	present("api.example.test", 3)

	// A store change compiles the domains again, and keeps what it cannot read too.
	if err := s.reloadDomains(); err != nil {
		t.Fatal(err)
	}
	present("api.example.test", 3)

	os.Remove(filepath.Join(dir, "api.key"))
	wantReloadError(t, s, logs, filepath.Join(dir, "api.crt"))
	present("api.example.test", 3)
}

// The listener's own certificate files are read again on Reload; a pair that cannot be read
// keeps the previous certificate while the others take their new ones.
func TestReloadListenerCertificate(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	writePair(t, a, newCert(t, 10, nil, false, "a.test"))
	writePair(t, b, newCert(t, 20, nil, false, "b.test"))
	s, addr, logs := reloadSet(t, dir, []KeyPair{{a + ".crt", a + ".key"}, {b + ".crt", b + ".key"}})
	present := func(sni string, want int64) {
		t.Helper()
		if got, _ := handshake(t, addr, sni, nil); got != want {
			t.Errorf("SNI %q presents serial %d, want %d", sni, got, want)
		}
	}
	present("", 10)
	present("b.test", 20)

	writePair(t, a, newCert(t, 11, nil, false, "a.test"))
	writePair(t, b, newCert(t, 21, nil, false, "b.test"))
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	present("", 11)
	present("other.test", 11)
	present("b.test", 21)

	writeFile(t, a+".key", newCert(t, 12, nil, false, "a.test").keyPEM) // not the certificate's key
	writePair(t, b, newCert(t, 22, nil, false, "b.test"))
	wantReloadError(t, s, logs, a+".crt", a+".key")
	present("", 11)
	present("b.test", 22)

	writeFile(t, a+".crt", halfWritten(newCert(t, 13, nil, false, "a.test")))
	wantReloadError(t, s, logs, a+".crt")
	present("", 11)
}

// A truststore replaced on disk decides after Reload: a client of the new authority is let in
// only then, and one of the old authority, remembered as verified, is asked again and refused.
func TestReloadTruststore(t *testing.T) {
	dir := t.TempDir()
	writePair(t, filepath.Join(dir, "devices"), newCert(t, 1, nil, false, "devices.example.test"))
	oldCA, newCA := newCert(t, 100, nil, true), newCert(t, 200, nil, true)
	oldClient, newClient := newCert(t, 101, oldCA, false).pair(), newCert(t, 201, newCA, false).pair()
	truststore := filepath.Join(dir, "truststores", "bucket", "clients.pem")
	writeFile(t, truststore, oldCA.certPEM)
	s, addr, logs := reloadSet(t, dir, nil, model.DomainName{DomainName: "devices.example.test",
		RegionalCertificateArn:  testARN + "devices",
		MutualTlsAuthentication: &model.MutualTlsAuthentication{TruststoreUri: "s3://bucket/clients.pem"}})
	verdict := func(client *tls.Certificate, want string) {
		t.Helper()
		if _, got := handshake(t, addr, "devices.example.test", client); !strings.HasPrefix(got, want) {
			t.Errorf("client %s: %q, want %q", client.Leaf.Subject.CommonName, got, want)
		}
	}
	verdict(oldClient, "trusted")
	verdict(newClient, ErrUntrustedCertificate.Error())

	writeFile(t, truststore, newCA.certPEM)
	verdict(newClient, ErrUntrustedCertificate.Error()) // nothing is read before the reload
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	if logged := logs.take(); !strings.Contains(logged, "certificates=1 truststores=1 failed=0") {
		t.Errorf("no INFO line counts the reload:\n%s", logged)
	}
	verdict(newClient, "trusted")
	verdict(oldClient, ErrUntrustedCertificate.Error())

	writeFile(t, truststore, halfWritten(oldCA))
	wantReloadError(t, s, logs, truststore)
	verdict(newClient, "trusted")
	verdict(oldClient, ErrUntrustedCertificate.Error())

	os.Remove(truststore)
	wantReloadError(t, s, logs, truststore)
	verdict(newClient, "trusted")
}
