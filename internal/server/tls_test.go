package server

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writePair writes a self-signed certificate for name and its key into dir.
func writePair(t *testing.T, dir, name string) (certFile, keyFile string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	return certFile, keyFile
}

// A TLS-only data plane picks its certificate by SNI and offers HTTP/2.
func TestTLSOnly(t *testing.T) {
	dir := t.TempDir()
	aCert, aKey := writePair(t, dir, "a.test")
	bCert, bKey := writePair(t, dir, "b.test")
	cfg := testConfig(filepath.Join(dir, "data"))
	cfg.Listen, cfg.TLSListen = "", "127.0.0.1:0"
	cfg.TLSCertFiles, cfg.TLSKeyFiles = []string{aCert, bCert}, []string{aKey, bKey}
	srv, err := Start(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	if srv.DataAddr != "" || srv.TLSAddr == "" {
		t.Fatalf("addresses %q %q", srv.DataAddr, srv.TLSAddr)
	}
	for sni, want := range map[string]string{"a.test": "a.test", "b.test": "b.test", "c.test": "a.test"} {
		conn, err := tls.Dial("tcp", srv.TLSAddr, &tls.Config{ServerName: sni, InsecureSkipVerify: true, NextProtos: []string{"h2", "http/1.1"}})
		if err != nil {
			t.Fatal(err)
		}
		st := conn.ConnectionState()
		conn.Close()
		if got := st.PeerCertificates[0].DNSNames[0]; got != want || st.NegotiatedProtocol != "h2" || st.Version != tls.VersionTLS13 {
			t.Errorf("SNI %s: certificate %s, protocol %q, version %x", sni, got, st.NegotiatedProtocol, st.Version)
		}
	}
	// TLS 1.2 clients get an AEAD suite with forward secrecy.
	conn, err := tls.Dial("tcp", srv.TLSAddr, &tls.Config{ServerName: "a.test", InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}})
	if err != nil {
		t.Fatal(err)
	}
	if cs := conn.ConnectionState().CipherSuite; cs != tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 {
		t.Errorf("TLS 1.2 suite %s", tls.CipherSuiteName(cs))
	}
	conn.Close()
}

func TestTLSSettingsRefused(t *testing.T) {
	dir := t.TempDir()
	cert, _ := writePair(t, dir, "a.test")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for name, tc := range map[string]struct {
		set  func(*Config)
		want string
	}{
		"no listener":    {func(c *Config) { c.Listen = "" }, "--listen"},
		"unpaired files": {func(c *Config) { c.TLSListen, c.TLSCertFiles = "127.0.0.1:0", []string{cert} }, "in pairs"},
		"missing key": {func(c *Config) {
			c.TLSListen, c.TLSCertFiles, c.TLSKeyFiles = "127.0.0.1:0", []string{cert}, []string{cert + ".nokey"}
		}, "TLS certificate"},
	} {
		cfg := testConfig(filepath.Join(dir, strings.ReplaceAll(name, " ", "-")))
		tc.set(&cfg)
		if srv, err := Start(cfg, log, io.Discard); err == nil || !strings.Contains(err.Error(), tc.want) {
			if srv != nil {
				srv.Shutdown(context.Background())
			}
			t.Errorf("%s: %v, want an error about %q", name, err, tc.want)
		}
	}
}

// ReloadCertificates reads the listener's certificate files again: the next handshake presents
// the certificate now on disk.
func TestReloadCertificates(t *testing.T) {
	dir := t.TempDir()
	cert, key := writePair(t, dir, "a.test")
	cfg := testConfig(filepath.Join(dir, "data"))
	cfg.TLSListen, cfg.TLSCertFiles, cfg.TLSKeyFiles = "127.0.0.1:0", []string{cert}, []string{key}
	srv, err := Start(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	presented := func() []byte {
		t.Helper()
		conn, err := tls.Dial("tcp", srv.TLSAddr, &tls.Config{ServerName: "a.test", InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].Raw
	}
	onDisk := func() []byte {
		t.Helper()
		b, err := os.ReadFile(cert)
		if err != nil {
			t.Fatal(err)
		}
		blk, _ := pem.Decode(b)
		return blk.Bytes
	}
	first := presented()
	writePair(t, dir, "a.test")
	if err := srv.ReloadCertificates(); err != nil {
		t.Fatal(err)
	}
	if got := presented(); bytes.Equal(got, first) || !bytes.Equal(got, onDisk()) {
		t.Error("the reloaded certificate is not the one presented")
	}
}
