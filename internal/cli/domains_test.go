package cli

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	"github.com/portico/portico/internal/server"
)

// writeCertificate writes a self-signed certificate for names to dir as {name}.crt and
// {name}.key, as custom domains expect them, and returns the certificate's PEM.
func writeCertificate(t *testing.T, dir, name string, names ...string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	writeFile(t, dir, name+".crt", string(certPEM))
	writeFile(t, dir, name+".key", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})))
	return certPEM
}

// TestDomains runs `portico domains` against a real management API: two domains (one with mutual
// TLS), two mappings made with `domains map`, the list checked against a golden file, then an
// unmap and refused calls.
func TestDomains(t *testing.T) {
	dir := t.TempDir()
	certDir := filepath.Join(dir, "certs")
	if err := os.MkdirAll(filepath.Join(certDir, "truststores", "trust"), 0o700); err != nil {
		t.Fatal(err)
	}
	certPEM := writeCertificate(t, certDir, "api", "api.example.com", "*.example.com")
	writeFile(t, filepath.Join(certDir, "truststores", "trust"), "ca.pem", string(certPEM))
	cfg := server.Defaults()
	cfg.Listen, cfg.AdminListen, cfg.DataDir, cfg.CertDir = "127.0.0.1:0", "127.0.0.1:0", dir, certDir
	srv, err := server.Start(cfg, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	ctx := context.Background()
	endpoint := "http://" + srv.AdminAddr
	creds, err := server.LoadCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(endpoint, "us-east-1", creds.AccessKeyID, creds.SecretAccessKey)

	api, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("shop")})
	if err != nil {
		t.Fatal(err)
	}
	root, err := c.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: api.Id})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: root.Items[0].Id,
		HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: api.Id, ResourceId: root.Items[0].Id,
		HttpMethod: aws.String("GET"), Type: types.IntegrationTypeMock}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("prod")}); err != nil {
		t.Fatal(err)
	}
	cert := "arn:aws:acm:us-east-1:000000000000:certificate/api"
	regional := &types.EndpointConfiguration{Types: []types.EndpointType{types.EndpointTypeRegional}}
	for _, in := range []*apigateway.CreateDomainNameInput{
		{DomainName: aws.String("shop.example.com"), RegionalCertificateArn: aws.String(cert), EndpointConfiguration: regional,
			MutualTlsAuthentication: &types.MutualTlsAuthenticationInput{TruststoreUri: aws.String("s3://trust/ca.pem")}},
		{DomainName: aws.String("api.example.com"), CertificateArn: aws.String(cert)},
	} {
		if _, err := c.CreateDomainName(ctx, in); err != nil {
			t.Fatal(apiError(err))
		}
	}

	id := aws.ToString(api.Id)
	flags := []string{"--endpoint", endpoint, "--data-dir", dir}
	domains := func(args ...string) (int, string, string) {
		return run(append(append([]string{"domains"}, args...), flags...)...)
	}
	for _, tc := range []struct{ args, want string }{
		{"map api.example.com --api " + id + " --stage prod", "Mapped api.example.com: / -> " + id + "/prod\n"},
		{"map API.example.com --api " + id + " --stage prod --base-path /v1/orders/", "Mapped api.example.com: v1/orders -> " + id + "/prod\n"},
		{"map api.example.com --api " + id + " --base-path any", "Mapped api.example.com: any -> " + id + "/*\n"},
		{"unmap api.example.com --base-path any", "Unmapped api.example.com: any\n"},
	} {
		if code, out, errOut := domains(strings.Fields(tc.args)...); code != 0 || out != tc.want {
			t.Errorf("portico domains %s: exit %d\n%s%s\nwant %s", tc.args, code, out, errOut, tc.want)
		}
	}

	code, out, errOut := domains()
	if code != 0 {
		t.Fatalf("portico domains: exit %d: %s", code, errOut)
	}
	// The API's id is random: the golden file names it {api}. It stands in the last column only,
	// so the table's alignment does not depend on it.
	out = strings.ReplaceAll(out, id, "{api}")
	golden := filepath.Join("testdata", "domains.out")
	if *rewrite {
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Errorf("portico domains:\n%s\nwant (%s):\n%s", out, golden, want)
	}

	// Unmapping the root mapping leaves the other.
	if code, out, errOut := domains("unmap", "api.example.com"); code != 0 || out != "Unmapped api.example.com: /\n" {
		t.Errorf("portico domains unmap: exit %d\n%s%s", code, out, errOut)
	}
	if _, out, _ := domains(); !strings.Contains(out, "v1/orders -> "+id+"/prod") || strings.Contains(out, " / -> ") {
		t.Errorf("after unmapping (none):\n%s", out)
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"map", "api.example.com", "--api", "nosuchapi", "--stage", "prod"}, 1, "portico domains: BadRequestException: Invalid REST API identifier specified"},
		{[]string{"unmap", "api.example.com", "--base-path", "gone"}, 1, "portico domains: NotFoundException: "},
		{[]string{"map", "nosuch.example.com", "--api", id}, 1, "portico domains: NotFoundException: Invalid domain name identifier specified"},
		{[]string{"map", "api.example.com"}, 2, "want one DOMAIN and --api"},
		{[]string{"unmap"}, 2, "want one DOMAIN"},
		{[]string{"list"}, 2, `unknown domains subcommand "list"`},
	} {
		if code, out, errOut := domains(tc.args...); code != tc.code || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("portico domains %v: exit %d\n%s%s\nwant exit %d and %q", tc.args, code, out, errOut, tc.code, tc.want)
		}
	}
	for _, sub := range []string{"map", "unmap"} {
		if code, out, _ := run("domains", sub, "--help"); code != 0 || !strings.HasPrefix(out, "Usage: portico domains "+sub) {
			t.Errorf("portico domains %s --help: exit %d\n%s", sub, code, out)
		}
	}
}
