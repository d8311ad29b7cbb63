package cli

import (
	"flag"
	"io"
	"reflect"
	"testing"

	"github.com/portico/portico/internal/server"
)

func TestTLSFlags(t *testing.T) {
	for name, tc := range map[string]struct {
		env  map[string]string
		args []string
		want server.Config
	}{
		"flags": {nil, []string{"--tls-listen", ":8443", "--tls-cert", "a.crt, b.crt", "--tls-key", "a.key,b.key", "--listen", "off", "--cert-dir", "/c"},
			server.Config{TLSListen: ":8443", TLSCertFiles: []string{"a.crt", "b.crt"}, TLSKeyFiles: []string{"a.key", "b.key"}, CertDir: "/c"}},
		"environment": {map[string]string{"PORTICO_TLS_LISTEN": ":9443", "PORTICO_TLS_CERT": "x.crt", "PORTICO_TLS_KEY": "x.key", "PORTICO_CERT_DIR": "/d"}, nil,
			server.Config{Listen: ":8080", TLSListen: ":9443", TLSCertFiles: []string{"x.crt"}, TLSKeyFiles: []string{"x.key"}, CertDir: "/d"}},
		"none": {nil, nil, server.Config{Listen: ":8080"}},
	} {
		e := &env{getenv: func(k string) string { return tc.env[k] }, stdout: io.Discard, stderr: io.Discard}
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		cfg := server.Config{}
		fs.StringVar(&cfg.Listen, "listen", ":8080", "")
		done := tlsFlags(e, fs, &cfg)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		done()
		if !reflect.DeepEqual(cfg, tc.want) {
			t.Errorf("%s: %+v, want %+v", name, cfg, tc.want)
		}
	}
}
