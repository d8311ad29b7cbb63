package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
)

// openDomains loads the listener's own certificates and follows the store's custom domains and
// client certificates.
func openDomains(cfg Config, st store.Store, log *slog.Logger) (*domain.Set, error) {
	if len(cfg.TLSCertFiles) != len(cfg.TLSKeyFiles) {
		return nil, fmt.Errorf("TLS: %d certificate files but %d key files: give them in pairs", len(cfg.TLSCertFiles), len(cfg.TLSKeyFiles))
	}
	var pairs []domain.KeyPair
	for i, certFile := range cfg.TLSCertFiles {
		pairs = append(pairs, domain.KeyPair{CertFile: certFile, KeyFile: cfg.TLSKeyFiles[i]})
	}
	return domain.Open(st, domain.Options{
		Region:       cfg.Region,
		AccountID:    cfg.AccountID,
		CertDir:      cfg.CertDir,
		Certificates: pairs,
		Logger:       log,
	})
}

// ReloadCertificates reads every certificate, key and truststore file again (`portico serve`
// does on SIGHUP): the TLS listener's own pairs and each custom domain's certificate and
// truststore. New handshakes use them; open connections keep theirs. A file that cannot be read
// or parsed leaves its pair or domain with what it had, is logged at ERROR and named in the
// error, which joins every failure.
func (s *Server) ReloadCertificates() error { return s.domains.Reload() }

// listenData binds the data plane's listeners: plain HTTP on Listen and TLS on TLSListen, each
// when set (nil otherwise); at least one must be.
func listenData(cfg Config) (plain, secure net.Listener, err error) {
	if cfg.Listen == "" && cfg.TLSListen == "" {
		return nil, nil, errors.New("set a data plane address (--listen) or a TLS one (--tls-listen)")
	}
	if cfg.Listen != "" {
		if plain, err = net.Listen("tcp", cfg.Listen); err != nil {
			return nil, nil, err
		}
	}
	if cfg.TLSListen != "" {
		if secure, err = net.Listen("tcp", cfg.TLSListen); err != nil {
			closeListeners(plain, nil)
			return nil, nil, fmt.Errorf("TLS: %w", err)
		}
	}
	return plain, secure, nil
}

// tlsListener wraps the TLS data listener; nil when TLS is off.
func tlsListener(ln net.Listener, domains *domain.Set) net.Listener {
	if ln == nil {
		return nil
	}
	return tls.NewListener(ln, domains.TLSConfig())
}

func closeListeners(lns ...net.Listener) {
	for _, ln := range lns {
		if ln != nil {
			ln.Close()
		}
	}
}

func listenerAddr(ln net.Listener) string {
	if ln == nil {
		return ""
	}
	return ln.Addr().String()
}
