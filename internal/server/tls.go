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
	var pairs []tls.Certificate
	for i, certFile := range cfg.TLSCertFiles {
		pair, err := tls.LoadX509KeyPair(certFile, cfg.TLSKeyFiles[i])
		if err != nil {
			return nil, fmt.Errorf("TLS certificate %s: %w", certFile, err)
		}
		pairs = append(pairs, pair)
	}
	return domain.Open(st, domain.Options{
		Region:       cfg.Region,
		AccountID:    cfg.AccountID,
		CertDir:      cfg.CertDir,
		Certificates: pairs,
		Logger:       log,
	})
}

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
