// Package domain is the data plane's view of custom domain names: it compiles the stored
// DomainName and BasePathMapping documents into an immutable table (host → certificate, mutual
// TLS truststore and base path mappings, longest base path first), swapped in atomically when
// the store's change feed says they changed, so a request or a TLS handshake reads it without a
// lock. It also builds the data listener's TLS configuration (the domain's certificate chosen by
// SNI, else the listener's own; TLS 1.2 or later with AEAD suites; HTTP/2 over ALPN) and keeps
// one upstream client per generated client certificate, for the stages that present one to
// their HTTPS backends.
//
// Choices where AWS leaves room: a host matches a domain exactly, else a wildcard domain
// "*.{parent}" one label deep. Base paths match whole path segments ("/orders" and
// "/orders/1" match "orders", "/ordersandmore" does not); "(none)" catches what no other
// mapping takes. Certificate, key and truststore files are read at start, when domains are
// written and on Reload (`portico serve` calls it on SIGHUP). A file that cannot be read then
// leaves its listener pair or domain with what it had before, logged; a domain that never had
// readable files is logged and served without TLS (its plain-HTTP requests are still routed),
// except that a domain requiring mutual TLS refuses every request then.
//
// domain imports the model, the store, certs and integration/httpproxy; it must never import
// the gateway, the compiler or the management API.
package domain

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portico/portico/internal/certs"
	"github.com/portico/portico/internal/integration/httpproxy"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

// Options configure a Set.
type Options struct {
	Region, AccountID string
	// CertDir is where domains' certificates and truststores are (package certs).
	CertDir string
	// Certificates are the listener's own files, served when no domain claims the SNI name
	// (the first when none matches it); read at Open and again on Reload.
	Certificates []KeyPair
	// Upstream is the base of the clients that present client certificates (TLSConfig is set
	// per certificate).
	Upstream httpproxy.Options
	Logger   *slog.Logger
}

// KeyPair names a PEM certificate file (the certificate, then its chain) and its key's.
type KeyPair struct{ CertFile, KeyFile string }

// Set is the compiled table of custom domains and client certificates, kept current from the
// store.
type Set struct {
	st   store.Store
	opts Options
	log  *slog.Logger
	// base is what every handshake configuration is cloned from; its GetConfigForClient picks
	// the domain's or the listener's.
	base *tls.Config

	// reloadMu serialises the writers of listener and table, so that a Reload and a store
	// change do not swap in each other's stale reads.
	reloadMu sync.Mutex
	listener atomic.Pointer[tls.Config]
	table    atomic.Pointer[table]
	clients  atomic.Pointer[map[string]*certClient]

	stop      func()
	done      chan struct{}
	closeOnce sync.Once
}

// Domain is one compiled custom domain.
type Domain struct {
	Name string
	// tls is the handshake configuration for this domain's SNI name (nil: the listener's),
	// with the certificate of the files named certName.
	tls      *tls.Config
	certName string
	// trust is the mutual TLS truststore read from trustURI (nil: mutual TLS off);
	// trustBroken says the domain requires mutual TLS but its truststore cannot be read, so
	// nothing is let through.
	trust       *x509.CertPool
	trustURI    string
	trustBroken bool
	mappings    []mapping // longest base path first; "(none)" last

	// verified remembers the client certificates (by their DER) that chained to the truststore,
	// with the earliest expiry of the chain, so the requests of a kept-alive connection, and
	// of a client's later connections, are not checked again; it is emptied when it holds
	// maxVerified. Every compile makes a new Domain, so a truststore read again starts with
	// nothing remembered.
	mu       sync.RWMutex
	verified map[string]time.Time
}

const maxVerified = 10000

type mapping struct {
	prefix string // "/" + basePath; "" for (none)
	apiID  string
	stage  string // "" when the URL names the stage
}

type table struct {
	exact    map[string]*Domain
	wildcard map[string]*Domain // by the parent name after "*."
}

type certClient struct {
	pem    string
	client *httpproxy.Client
}

// readings counts the certificates and truststores a load read, and collects what it could not.
type readings struct {
	certificates, truststores int
	errs                      []error
}

// Open reads the listener's certificates, loads the domains and client certificates from st and
// follows its changes until Close. A listener certificate that cannot be read is an error.
func Open(st store.Store, opts Options) (*Set, error) {
	s := newSet(st, opts)
	var r readings
	pairs := s.readListener(nil, &r)
	if len(r.errs) > 0 {
		return nil, errors.Join(r.errs...)
	}
	s.listener.Store(s.serving(pairs...))
	changes, stop := st.Subscribe()
	s.stop = stop
	if err := s.reloadDomains(); err != nil {
		stop()
		return nil, err
	}
	if err := s.reloadClientCerts(); err != nil {
		stop()
		return nil, err
	}
	go s.follow(changes)
	return s, nil
}

// newSet is a Set with no listener certificate, domain or client certificate yet.
func newSet(st store.Store, opts Options) *Set {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Set{st: st, opts: opts, log: opts.Logger, done: make(chan struct{})}
	s.base = baseTLS()
	s.base.GetConfigForClient = s.configForClient
	s.listener.Store(s.serving())
	s.table.Store(&table{})
	s.clients.Store(&map[string]*certClient{})
	return s
}

// serving is the handshake configuration that presents certificates.
func (s *Set) serving(certificates ...tls.Certificate) *tls.Config {
	c := s.base.Clone()
	c.GetConfigForClient = nil
	c.Certificates = certificates
	return c
}

// Reload reads every certificate, key and truststore file again, the listener's own and each
// custom domain's, and reports what failed. New handshakes use what was read; open connections
// keep what they had. A file that cannot be read or parsed is logged and leaves its listener
// pair or domain with what it had before; the others still change.
func (s *Set) Reload() error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	var r readings
	s.listener.Store(s.serving(s.readListener(s.listener.Load().Certificates, &r)...))
	if err := s.compileDomains(&r); err != nil {
		r.errs = append(r.errs, fmt.Errorf("custom domain names: %w", err))
	}
	s.log.Info("certificates reloaded", "certificates", r.certificates, "truststores", r.truststores, "failed", len(r.errs))
	return errors.Join(r.errs...)
}

// readListener reads the listener's own certificates. A pair that cannot be read keeps its
// certificate in prev (on Reload; Open has none to keep and refuses to start).
func (s *Set) readListener(prev []tls.Certificate, r *readings) []tls.Certificate {
	pairs := make([]tls.Certificate, len(s.opts.Certificates))
	for i, p := range s.opts.Certificates {
		pair, err := tls.LoadX509KeyPair(p.CertFile, p.KeyFile)
		if err == nil {
			pairs[i] = pair
			r.certificates++
			continue
		}
		r.errs = append(r.errs, fmt.Errorf("TLS certificate %s (key %s): %w", p.CertFile, p.KeyFile, err))
		if i < len(prev) {
			pairs[i] = prev[i]
			s.log.Error("TLS listener keeps its previous certificate: the file cannot be read", "file", p.CertFile, "keyFile", p.KeyFile, "error", err)
		}
	}
	return pairs
}

// Close stops following the store and closes idle upstream connections.
func (s *Set) Close() {
	s.closeOnce.Do(func() {
		s.stop()
		<-s.done
		for _, c := range *s.clients.Load() {
			c.client.CloseIdleConnections()
		}
	})
}

func (s *Set) follow(changes <-chan store.Change) {
	defer close(s.done)
	for c := range changes {
		domains, clients := false, false
		switch c.Kind {
		case store.KindDomainName, store.KindBasePathMapping:
			domains = true
		case store.KindClientCertificate:
			clients = true
		case "":
			domains, clients = true, true
		}
		// Take what else is already queued, so a burst of writes rebuilds once.
	drain:
		for {
			select {
			case c, ok := <-changes:
				if !ok {
					break drain
				}
				switch c.Kind {
				case store.KindDomainName, store.KindBasePathMapping:
					domains = true
				case store.KindClientCertificate:
					clients = true
				case "":
					domains, clients = true, true
				}
			default:
				break drain
			}
		}
		if domains {
			if err := s.reloadDomains(); err != nil {
				s.log.Error("reloading custom domain names failed", "error", err)
			}
		}
		if clients {
			if err := s.reloadClientCerts(); err != nil {
				s.log.Error("reloading client certificates failed", "error", err)
			}
		}
	}
}

// reloadDomains compiles every domain and mapping into a new table; what cannot be read is
// logged.
func (s *Set) reloadDomains() error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	return s.compileDomains(&readings{})
}

// compileDomains compiles every domain and mapping into a new table, reading their files again.
// The caller holds reloadMu.
func (s *Set) compileDomains(r *readings) error {
	var docs []model.DomainName
	maps := map[string][]model.BasePathMapping{}
	err := s.st.View(func(tx store.Tx) error {
		if err := tx.List(store.KindDomainName, "", func(_ string, raw []byte) error {
			var d model.DomainName
			if err := json.Unmarshal(raw, &d); err != nil {
				return err
			}
			docs = append(docs, d)
			return nil
		}); err != nil {
			return err
		}
		return tx.List(store.KindBasePathMapping, "", func(key string, raw []byte) error {
			var m model.BasePathMapping
			if err := json.Unmarshal(raw, &m); err != nil {
				return err
			}
			name, _, _ := strings.Cut(key, "/")
			maps[name] = append(maps[name], m)
			return nil
		})
	})
	if err != nil {
		return err
	}
	prev := s.table.Load()
	t := &table{exact: map[string]*Domain{}, wildcard: map[string]*Domain{}}
	for i := range docs {
		d := s.compile(&docs[i], maps[docs[i].DomainName], prev.named(docs[i].DomainName), r)
		if parent, ok := strings.CutPrefix(d.Name, "*."); ok {
			t.wildcard[parent] = d
		} else {
			t.exact[d.Name] = d
		}
	}
	s.table.Store(t)
	return nil
}

// compile builds one domain: its certificate, truststore and mappings. prev is the domain of
// that name compiled before (nil when new): a file that cannot be read keeps prev's certificate
// or truststore when it was read from the same file.
func (s *Set) compile(doc *model.DomainName, ms []model.BasePathMapping, prev *Domain, r *readings) *Domain {
	d := &Domain{Name: doc.DomainName}
	log := s.log.With("domainName", doc.DomainName)
	dir := certs.Dir(s.opts.CertDir)
	if name, err := certs.CertificateName(doc.CertificateRef(), s.opts.Region, s.opts.AccountID); err != nil {
		log.Error("custom domain served without TLS: its certificate ARN is refused", "error", err)
		r.errs = append(r.errs, fmt.Errorf("custom domain %s: %w", d.Name, err))
	} else {
		d.certName = name
		certFile, keyFile := dir.PairFiles(name)
		pair, err := dir.LoadPair(name)
		switch {
		case err == nil:
			r.certificates++
			d.tls = s.serving(pair)
		case prev != nil && prev.tls != nil && prev.certName == name:
			log.Error("custom domain keeps its previous certificate: the file cannot be read", "file", certFile, "keyFile", keyFile, "error", err)
			d.tls = s.serving(prev.tls.Certificates[0])
		default:
			log.Error("custom domain served without TLS: its certificate cannot be read", "file", certFile, "keyFile", keyFile, "error", err)
		}
		if err != nil {
			r.errs = append(r.errs, fmt.Errorf("custom domain %s: certificate %s (key %s): %w", d.Name, certFile, keyFile, err))
		}
	}
	if m := doc.MutualTlsAuthentication; m != nil && m.TruststoreUri != "" {
		d.trustURI = m.TruststoreUri
		file, err := dir.TruststorePath(d.trustURI)
		if err != nil {
			file = d.trustURI
		}
		ts, err := dir.LoadTruststore(d.trustURI)
		switch {
		case err == nil:
			r.truststores++
			d.trust = ts.Pool
		case prev != nil && prev.trust != nil && prev.trustURI == d.trustURI:
			log.Error("custom domain keeps its previous mutual TLS truststore: the file cannot be read", "file", file, "truststoreUri", d.trustURI, "error", err)
			d.trust = prev.trust
		default:
			log.Error("custom domain refuses every request: its mutual TLS truststore cannot be read", "file", file, "truststoreUri", d.trustURI, "error", err)
			d.trustBroken = true
		}
		if err != nil {
			r.errs = append(r.errs, fmt.Errorf("custom domain %s: truststore %s: %w", d.Name, file, err))
		}
		if d.trust != nil && d.tls != nil {
			// Any certificate is asked for, and a handshake without one fails; whether it
			// chains to the truststore is checked per request, which answers 403 as AWS does.
			d.tls.ClientAuth = tls.RequireAnyClientCert
			d.tls.ClientCAs = d.trust
		}
	}
	for _, m := range ms {
		mp := mapping{apiID: m.RestApiId, stage: m.Stage}
		if m.BasePath != model.NoBasePath {
			mp.prefix = "/" + m.BasePath
		}
		d.mappings = append(d.mappings, mp)
	}
	sort.SliceStable(d.mappings, func(i, j int) bool { return len(d.mappings[i].prefix) > len(d.mappings[j].prefix) })
	return d
}

// reloadClientCerts rebuilds the upstream clients of the client certificates, keeping those of
// unchanged certificates (and their pooled connections).
func (s *Set) reloadClientCerts() error {
	old := *s.clients.Load()
	next := map[string]*certClient{}
	err := s.st.View(func(tx store.Tx) error {
		return tx.List(store.KindClientCertificate, "", func(id string, raw []byte) error {
			var rec model.ClientCertificateRecord
			if err := json.Unmarshal(raw, &rec); err != nil {
				return err
			}
			if c := old[id]; c != nil && c.pem == rec.Certificate.PemEncodedCertificate {
				next[id] = c
				return nil
			}
			pair, err := tls.X509KeyPair([]byte(rec.Certificate.PemEncodedCertificate), []byte(rec.PrivateKeyPem))
			if err != nil {
				s.log.Error("client certificate cannot be used", "clientCertificateId", id, "error", err)
				return nil
			}
			opts := s.opts.Upstream
			if opts.TLSConfig != nil {
				opts.TLSConfig = opts.TLSConfig.Clone()
			} else {
				opts.TLSConfig = &tls.Config{}
			}
			opts.TLSConfig.Certificates = []tls.Certificate{pair}
			next[id] = &certClient{pem: rec.Certificate.PemEncodedCertificate, client: httpproxy.New(opts)}
			return nil
		})
	})
	if err != nil {
		return err
	}
	s.clients.Store(&next)
	for id, c := range old {
		if next[id] != c {
			c.client.CloseIdleConnections()
		}
	}
	return nil
}

// Upstream returns the client that presents client certificate id to HTTPS backends; nil when
// there is no such certificate (the stage then presents none).
func (s *Set) Upstream(id string) *httpproxy.Client {
	if c := (*s.clients.Load())[id]; c != nil {
		return c.client
	}
	return nil
}

// named returns the domain called name ("*.{parent}" for a wildcard one); nil when none is.
func (t *table) named(name string) *Domain {
	if parent, ok := strings.CutPrefix(name, "*."); ok {
		return t.wildcard[parent]
	}
	return t.exact[name]
}

// lookup finds the domain of a host name (lower case, no port).
func (t *table) lookup(host string) *Domain {
	if d := t.exact[host]; d != nil {
		return d
	}
	if len(t.wildcard) > 0 {
		if _, parent, ok := strings.Cut(host, "."); ok {
			return t.wildcard[parent]
		}
	}
	return nil
}

// Has reports whether any custom domain exists; the gateway skips the lookup otherwise.
func (s *Set) Has() bool {
	t := s.table.Load()
	return len(t.exact) > 0 || len(t.wildcard) > 0
}

// Lookup returns the domain a Host header names (any case, with or without a port); nil when
// it names none.
func (s *Set) Lookup(host string) *Domain {
	t := s.table.Load()
	if len(t.exact) == 0 && len(t.wildcard) == 0 {
		return nil
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
		host = host[:i]
	}
	host = strings.TrimSuffix(host, ".")
	if hasUpper(host) {
		host = strings.ToLower(host)
	}
	return t.lookup(host)
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// Route is where a custom domain sends a request.
type Route struct {
	APIID, Stage string
	// Path is what follows the base path and the stage, raw: "/..." or "" (the URL stops there).
	Path string
	// BasePath is the mapping's base path ("(none)" for the root mapping).
	BasePath string
}

// Route picks the mapping for a raw request path: the longest base path that is a whole-segment
// prefix of it, else the (none) mapping. ok is false when no mapping takes the path, or the
// mapping leaves the stage to the URL and the URL names none.
func (d *Domain) Route(rawPath string) (Route, bool) {
	for i := range d.mappings {
		m := &d.mappings[i]
		rest, ok := strings.CutPrefix(rawPath, m.prefix)
		if !ok || (rest != "" && rest[0] != '/') {
			continue
		}
		r := Route{APIID: m.apiID, Stage: m.stage, Path: rest, BasePath: model.NoBasePath}
		if m.prefix != "" {
			r.BasePath = m.prefix[1:]
		}
		if r.Stage == "" {
			stage, after, _ := strings.Cut(strings.TrimPrefix(rest, "/"), "/")
			if stage == "" || !strings.HasPrefix(rest, "/") {
				return Route{}, false
			}
			r.Stage = stage
			r.Path = ""
			if len(rest) > len(stage)+1 {
				r.Path = "/" + after
			}
		}
		return r, true
	}
	return Route{}, false
}

// ErrNoClientCertificate and ErrUntrustedCertificate say why a domain that requires mutual TLS
// refuses a request.
var (
	ErrNoClientCertificate  = errors.New("no client certificate was presented")
	ErrUntrustedCertificate = errors.New("could not find issuer for certificate")
)

// RequiresClientCert reports whether the domain requires mutual TLS.
func (d *Domain) RequiresClientCert() bool { return d.trust != nil || d.trustBroken }

// VerifyClient checks the connection's client certificate against the domain's truststore and
// returns it. A domain without mutual TLS returns nil, nil.
func (d *Domain) VerifyClient(cs *tls.ConnectionState) (*x509.Certificate, error) {
	if !d.RequiresClientCert() {
		return nil, nil
	}
	if d.trustBroken {
		return nil, ErrUntrustedCertificate
	}
	if cs == nil || len(cs.PeerCertificates) == 0 {
		return nil, ErrNoClientCertificate
	}
	leaf := cs.PeerCertificates[0]
	now := time.Now()
	d.mu.RLock()
	until, ok := d.verified[string(leaf.Raw)]
	d.mu.RUnlock()
	if ok && now.Before(until) {
		return leaf, nil
	}
	opts := x509.VerifyOptions{Roots: d.trust, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if len(cs.PeerCertificates) > 1 {
		opts.Intermediates = x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			opts.Intermediates.AddCert(c)
		}
	}
	chains, err := leaf.Verify(opts)
	if err != nil {
		return leaf, errors.Join(ErrUntrustedCertificate, err)
	}
	until = leaf.NotAfter
	for _, c := range chains[0] {
		if c.NotAfter.Before(until) {
			until = c.NotAfter
		}
	}
	d.mu.Lock()
	if d.verified == nil || len(d.verified) >= maxVerified {
		d.verified = map[string]time.Time{}
	}
	d.verified[string(leaf.Raw)] = until
	d.mu.Unlock()
	return leaf, nil
}

// configForClient picks the handshake configuration by SNI: the domain's, else the listener's.
// Both are read per handshake, so what Reload swaps in serves the next one.
func (s *Set) configForClient(hello *tls.ClientHelloInfo) (*tls.Config, error) {
	if hello.ServerName != "" {
		if d := s.table.Load().lookup(strings.ToLower(hello.ServerName)); d != nil && d.tls != nil {
			return d.tls, nil
		}
	}
	return s.listener.Load(), nil
}

// TLSConfig returns the data listener's TLS configuration, a copy of its own per caller (the
// HTTP server adjusts the one it is given).
func (s *Set) TLSConfig() *tls.Config { return s.base.Clone() }

// baseTLS is the listener's configuration: TLS 1.2 or later, AEAD suites with forward secrecy
// only (TLS 1.3's are all AEAD), HTTP/2 then HTTP/1.1 over ALPN.
func baseTLS() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
			tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
		NextProtos: []string{"h2", "http/1.1"},
	}
}
