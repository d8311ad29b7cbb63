package cli

import (
	"flag"
	"strings"

	"github.com/portico/portico/internal/server"
)

// tlsFlags declares serve's TLS settings; the function it returns moves the parsed certificate
// lists into cfg and turns the plain listener off for --listen off (PORTICO_LISTEN=off), as an
// empty variable means the default.
func tlsFlags(e *env, fs *flag.FlagSet, cfg *server.Config) func() {
	fs.StringVar(&cfg.TLSListen, "tls-listen", envOr(e, "PORTICO_TLS_LISTEN", ""), "TLS data plane address, e.g. :8443; with --listen off Portico serves TLS only (PORTICO_TLS_LISTEN)")
	certs := fs.String("tls-cert", envOr(e, "PORTICO_TLS_CERT", ""), "the TLS listener's PEM certificate files, comma-separated, chosen by SNI (the first by default); read again on SIGHUP (PORTICO_TLS_CERT)")
	keys := fs.String("tls-key", envOr(e, "PORTICO_TLS_KEY", ""), "their PEM private key files, in the same order; read again on SIGHUP (PORTICO_TLS_KEY)")
	fs.StringVar(&cfg.CertDir, "cert-dir", envOr(e, "PORTICO_CERT_DIR", ""), "custom domain certificates ({name}.crt, {name}.key for arn:aws:acm:{region}:{account}:certificate/{name}) and truststores (truststores/{bucket}/{key} for s3://{bucket}/{key}), read again on SIGHUP; default {data-dir}/certs (PORTICO_CERT_DIR)")
	return func() {
		cfg.TLSCertFiles, cfg.TLSKeyFiles = splitFiles(*certs), splitFiles(*keys)
		if cfg.Listen == "off" {
			cfg.Listen = ""
		}
	}
}

func splitFiles(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
