package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
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

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{Country: []string{"US"}, Organization: []string{"Portico Test"}, CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue signs a leaf certificate: for the DNS names (a server's) or, with none, a client's.
func (ca *testCA) issue(t *testing.T, serial int64, cn string, dns ...string) (certPEM, keyPEM []byte, pair tls.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{Country: []string{"US"}, Organization: []string{"Portico Test"}, CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		DNSNames:     dns,
	}
	if len(dns) > 0 {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM = append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), ca.pem...)
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
	pair, err = tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return certPEM, keyPEM, pair
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// echoAPI is a MOCK API whose GET /hello tells which API, stage and resource answered, on which
// domain, for which client certificate.
func echoAPI(name string) string {
	return `openapi: 3.0.1
info: {title: ` + name + `, version: "1"}
paths:
  /hello:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '` + name + ` $context.stage $context.resourcePath $context.domainName $context.domainPrefix [$context.identity.clientCert.subjectDN] [$context.identity.clientCert.serialNumber] {$context.customDomain.basePathMatched}'
`
}

func importDeploy(t *testing.T, c *apigateway.Client, spec, stage string) string {
	t.Helper()
	api, err := c.ImportRestApi(context.Background(), &apigateway.ImportRestApiInput{Body: []byte(spec)})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if _, err := c.CreateDeployment(context.Background(), &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String(stage)}); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	return aws.ToString(api.Id)
}

// tlsGet calls https://{serverName}{path} on addr over a fresh connection, trusting roots and
// presenting cert when given.
func tlsGet(addr, serverName, path string, roots *x509.CertPool, cert *tls.Certificate) (*http.Response, string, error) {
	cfg := &tls.Config{ServerName: serverName, RootCAs: roots}
	if cert != nil {
		// Sent whatever CAs the server names, as a client that does not filter would.
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
	}
	tr := &http.Transport{
		TLSClientConfig:   cfg,
		ForceAttemptHTTP2: true,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get("https://" + serverName + path)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

// TestCustomDomainsWithAWSCLI sets up custom domain names, base path mappings, mutual TLS and a
// client certificate with the stock AWS CLI, and calls them over real TLS with SNI.
func TestCustomDomainsWithAWSCLI(t *testing.T) {
	needTool(t, "aws")
	dir := t.TempDir()
	certDir := filepath.Join(dir, "certs")
	serverCA := newTestCA(t, "Portico Test Server CA")
	clientCA := newTestCA(t, "Portico Test Client CA")
	strangerCA := newTestCA(t, "Unknown CA")
	roots := x509.NewCertPool()
	roots.AddCert(serverCA.cert)

	// The listener's own certificate, and one per custom domain in the certificate directory.
	defCert, defKey, _ := serverCA.issue(t, 10, "localhost", "localhost")
	writeFile(t, filepath.Join(dir, "default.crt"), defCert)
	writeFile(t, filepath.Join(dir, "default.key"), defKey)
	apiCert, apiKey, _ := serverCA.issue(t, 11, "api.example.test", "api.example.test")
	writeFile(t, filepath.Join(certDir, "api-example.crt"), apiCert)
	writeFile(t, filepath.Join(certDir, "api-example.key"), apiKey)
	mtlsCert, mtlsKey, _ := serverCA.issue(t, 12, "*.secure.example.test", "*.secure.example.test")
	writeFile(t, filepath.Join(certDir, "secure.crt"), mtlsCert)
	writeFile(t, filepath.Join(certDir, "secure.key"), mtlsKey)
	writeFile(t, filepath.Join(certDir, "truststores", "portico-test", "clients.pem"), clientCA.pem)

	srv := startServer(t, filepath.Join(dir, "data"), func(c *server.Config) {
		c.TLSListen = "127.0.0.1:0"
		c.TLSCertFiles = []string{filepath.Join(dir, "default.crt")}
		c.TLSKeyFiles = []string{filepath.Join(dir, "default.key")}
		c.CertDir = certDir
	})
	c := sdk(srv)
	apiA := importDeploy(t, c, echoAPI("A"), "prod")
	apiB := importDeploy(t, c, echoAPI("B"), "prod")
	apiC := importDeploy(t, c, echoAPI("C"), "v2")

	const arnPrefix = "arn:aws:acm:us-east-1:000000000000:certificate/"
	// An unknown certificate is refused as AWS refuses it.
	stderr, err := awsCLI(t, srv, nil, "apigateway", "create-domain-name", "--domain-name", "api.example.test",
		"--regional-certificate-arn", arnPrefix+"missing", "--endpoint-configuration", "types=REGIONAL")
	if err == nil || !strings.Contains(stderr, "BadRequestException") || !strings.Contains(stderr, "Certificate not found") {
		t.Fatalf("unknown certificate: %v\n%s", err, stderr)
	}
	var dn struct {
		DomainName, RegionalDomainName, DomainNameStatus, SecurityPolicy string
	}
	if stderr, err := awsCLI(t, srv, &dn, "apigateway", "create-domain-name", "--domain-name", "api.example.test",
		"--regional-certificate-arn", arnPrefix+"api-example", "--endpoint-configuration", "types=REGIONAL"); err != nil {
		t.Fatalf("create-domain-name: %v\n%s", err, stderr)
	}
	if dn.DomainName != "api.example.test" || dn.DomainNameStatus != "AVAILABLE" || dn.SecurityPolicy != "TLS_1_2" || dn.RegionalDomainName != "api.example.test" {
		t.Fatalf("create-domain-name answered %+v", dn)
	}

	// Three APIs on one domain: the root mapping, one base path, and a multi-level base path
	// whose mapping leaves the stage to the URL.
	for _, args := range [][]string{
		{"--rest-api-id", apiA, "--stage", "prod"},
		{"--base-path", "orders", "--rest-api-id", apiB, "--stage", "prod"},
		{"--base-path", "v1/orders/items", "--rest-api-id", apiC},
	} {
		if stderr, err := awsCLI(t, srv, nil, append([]string{"apigateway", "create-base-path-mapping", "--domain-name", "api.example.test"}, args...)...); err != nil {
			t.Fatalf("create-base-path-mapping %v: %v\n%s", args, err, stderr)
		}
	}
	var mappings struct {
		Items []struct{ BasePath, RestApiId, Stage string }
	}
	if stderr, err := awsCLI(t, srv, &mappings, "apigateway", "get-base-path-mappings", "--domain-name", "api.example.test"); err != nil {
		t.Fatalf("get-base-path-mappings: %v\n%s", err, stderr)
	}
	if got := fmt.Sprint(mappings.Items); got != fmt.Sprintf("[{(none) %s prod} {orders %s prod} {v1/orders/items %s }]", apiA, apiB, apiC) {
		t.Fatalf("get-base-path-mappings: %s", got)
	}
	var one struct{ BasePath, RestApiId string }
	if stderr, err := awsCLI(t, srv, &one, "apigateway", "get-base-path-mapping", "--domain-name", "api.example.test", "--base-path", "v1/orders/items"); err != nil || one.RestApiId != apiC {
		t.Fatalf("get-base-path-mapping: %+v %v\n%s", one, err, stderr)
	}
	stderr, err = awsCLI(t, srv, nil, "apigateway", "create-base-path-mapping", "--domain-name", "api.example.test", "--base-path", "orders", "--rest-api-id", apiC)
	if err == nil || !strings.Contains(stderr, "ConflictException") {
		t.Fatalf("a second mapping of orders: %v\n%s", err, stderr)
	}

	for path, want := range map[string]string{
		"/hello":                       "A prod /hello api.example.test api [] [] {(none)}",
		"/orders/hello":                "B prod /hello api.example.test api [] [] {orders}",
		"/v1/orders/items/v2/hello":    "C v2 /hello api.example.test api [] [] {v1/orders/items}",
		"/v1/orders/hello":             "", // orders/hello on B's API: no such resource
		"/v1/orders/items/nostage/abc": "",
	} {
		var resp *http.Response
		var body string
		waitFor(t, "the domain's mappings on the data plane", func() bool {
			resp, body, err = tlsGet(srv.TLSAddr, "api.example.test", path, roots, nil)
			return err == nil && (want == "" || resp.StatusCode == 200)
		})
		if want == "" {
			if resp.StatusCode != 403 {
				t.Errorf("%s: %d %s, want 403", path, resp.StatusCode, body)
			}
			continue
		}
		if body != want || resp.Proto != "HTTP/2.0" {
			t.Errorf("%s: %s %q, want HTTP/2.0 %q", path, resp.Proto, body, want)
		}
	}
	// The listener's own certificate answers names no domain claims, over HTTP/1.1 too.
	resp, body, err := tlsGet(srv.TLSAddr, "localhost", "/restapis/"+apiA+"/prod/_user_request_/hello", roots, nil)
	if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(body, "A prod /hello") {
		t.Fatalf("invoke URL over TLS: %v %v %q", err, resp, body)
	}
	// TLS 1.1 is refused.
	if conn, err := tls.Dial("tcp", srv.TLSAddr, &tls.Config{ServerName: "api.example.test", RootCAs: roots, MaxVersion: tls.VersionTLS11}); err == nil {
		conn.Close()
		t.Fatal("a TLS 1.1 handshake succeeded")
	}

	// disableExecuteApiEndpoint refuses the invoke URLs; the custom domain still serves.
	if stderr, err := awsCLI(t, srv, nil, "apigateway", "update-rest-api", "--rest-api-id", apiA,
		"--patch-operations", "op=replace,path=/disableExecuteApiEndpoint,value=true"); err != nil {
		t.Fatalf("update-rest-api: %v\n%s", err, stderr)
	}
	if _, err := c.CreateDeployment(context.Background(), &apigateway.CreateDeploymentInput{RestApiId: aws.String(apiA), StageName: aws.String("prod")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the invoke URL refused", func() bool {
		return invokePath(t, srv, "GET", apiA, "prod", "/hello", "").status == 403
	})
	if resp, body, err := tlsGet(srv.TLSAddr, "api.example.test", "/hello", roots, nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("custom domain after disableExecuteApiEndpoint: %v %v %q", err, resp, body)
	}

	// Moving a mapping and deleting one take effect without a deployment.
	if stderr, err := awsCLI(t, srv, nil, "apigateway", "update-base-path-mapping", "--domain-name", "api.example.test",
		"--base-path", "orders", "--patch-operations", "op=replace,path=/basePath,value=shop/orders"); err != nil {
		t.Fatalf("update-base-path-mapping: %v\n%s", err, stderr)
	}
	waitFor(t, "orders moved to shop/orders", func() bool {
		resp, body, err := tlsGet(srv.TLSAddr, "api.example.test", "/shop/orders/hello", roots, nil)
		return err == nil && resp.StatusCode == 200 && strings.HasPrefix(body, "B prod")
	})
	if stderr, err := awsCLI(t, srv, nil, "apigateway", "delete-base-path-mapping", "--domain-name", "api.example.test", "--base-path", "(none)"); err != nil {
		t.Fatalf("delete-base-path-mapping: %v\n%s", err, stderr)
	}
	waitFor(t, "the root mapping gone", func() bool {
		resp, _, err := tlsGet(srv.TLSAddr, "api.example.test", "/hello", roots, nil)
		return err == nil && resp.StatusCode == 403
	})

	// Mutual TLS on a wildcard domain: the truststore names the client CA.
	var mdn struct {
		MutualTlsAuthentication struct {
			TruststoreUri      string
			TruststoreWarnings []string
		}
	}
	if stderr, err := awsCLI(t, srv, &mdn, "apigateway", "create-domain-name", "--domain-name", "*.secure.example.test",
		"--regional-certificate-arn", arnPrefix+"secure", "--endpoint-configuration", "types=REGIONAL",
		"--security-policy", "TLS_1_2", "--mutual-tls-authentication", "truststoreUri=s3://portico-test/clients.pem"); err != nil {
		t.Fatalf("create-domain-name with mutual TLS: %v\n%s", err, stderr)
	}
	if mdn.MutualTlsAuthentication.TruststoreUri != "s3://portico-test/clients.pem" || len(mdn.MutualTlsAuthentication.TruststoreWarnings) != 0 {
		t.Fatalf("mutual TLS answered %+v", mdn)
	}
	if stderr, err := awsCLI(t, srv, nil, "apigateway", "create-base-path-mapping", "--domain-name", "*.secure.example.test",
		"--rest-api-id", apiB, "--stage", "prod"); err != nil {
		t.Fatalf("create-base-path-mapping: %v\n%s", err, stderr)
	}
	_, _, trusted := clientCA.issue(t, 4242, "device-1")
	_, _, stranger := strangerCA.issue(t, 7, "intruder")
	waitFor(t, "the mutual TLS domain served", func() bool {
		resp, _, err := tlsGet(srv.TLSAddr, "pay.secure.example.test", "/hello", roots, &trusted)
		return err == nil && resp.StatusCode == 200
	})
	resp, body, err = tlsGet(srv.TLSAddr, "pay.secure.example.test", "/hello", roots, &trusted)
	if err != nil || body != "B prod /hello pay.secure.example.test pay [C=US,O=Portico Test,CN=device-1] [4242] {(none)}" {
		t.Fatalf("trusted client: %v %q", err, body)
	}
	// The access log sees the client's certificate too.
	logFile := filepath.Join(dir, "access.log")
	if _, err := c.UpdateStage(context.Background(), &apigateway.UpdateStageInput{RestApiId: aws.String(apiB), StageName: aws.String("prod"),
		PatchOperations: []types.PatchOperation{
			{Op: types.OpReplace, Path: aws.String("/accessLogSettings/destinationArn"), Value: aws.String("file://" + logFile)},
			{Op: types.OpReplace, Path: aws.String("/accessLogSettings/format"), Value: aws.String(
				"$context.requestId $context.identity.clientCert.subjectDN|$context.identity.clientCert.issuerDN|$context.identity.clientCert.serialNumber|$context.customDomain.basePathMatched")},
		}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the client certificate in the access log", func() bool {
		tlsGet(srv.TLSAddr, "pay.secure.example.test", "/hello", roots, &trusted)
		b, _ := os.ReadFile(logFile)
		return strings.Contains(string(b), " C=US,O=Portico Test,CN=device-1|C=US,O=Portico Test,CN=Portico Test Client CA|4242|(none)\n")
	})
	if _, _, err := tlsGet(srv.TLSAddr, "pay.secure.example.test", "/hello", roots, nil); err == nil {
		t.Fatal("a client without a certificate completed the mutual TLS handshake")
	}
	resp, body, err = tlsGet(srv.TLSAddr, "pay.secure.example.test", "/hello", roots, &stranger)
	if err != nil || resp.StatusCode != 403 || body != `{"message":"Forbidden"}` {
		t.Fatalf("untrusted client: %v %v %q", err, resp, body)
	}
	// Reaching the mutual TLS domain through another name's handshake is no way around it.
	resp, _, err = tlsGet(srv.TLSAddr, "localhost", "/hello", roots, nil)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "https://"+srv.TLSAddr+"/hello", nil)
	req.Host = "pay.secure.example.test"
	tr := &http.Transport{TLSClientConfig: &tls.Config{ServerName: "localhost", RootCAs: roots}}
	defer tr.CloseIdleConnections()
	if resp, err := (&http.Client{Transport: tr}).Do(req); err != nil || resp.StatusCode != 403 {
		t.Fatalf("Host of the mutual TLS domain over another name's handshake: %v %v", err, resp)
	} else {
		resp.Body.Close()
	}

	// A client certificate: the backend accepts Portico's calls and refuses direct ones.
	var cc struct {
		ClientCertificateId, PemEncodedCertificate, Description string
		ExpirationDate, CreatedDate                             float64
	}
	if stderr, err := awsCLI(t, srv, &cc, "apigateway", "generate-client-certificate", "--description", "backend"); err != nil {
		t.Fatalf("generate-client-certificate: %v\n%s", err, stderr)
	}
	if cc.ClientCertificateId == "" || !strings.HasPrefix(cc.PemEncodedCertificate, "-----BEGIN CERTIFICATE-----") ||
		cc.ExpirationDate-cc.CreatedDate != 365*24*3600 {
		t.Fatalf("generate-client-certificate answered %+v", cc)
	}
	gwPool := x509.NewCertPool()
	if !gwPool.AppendCertsFromPEM([]byte(cc.PemEncodedCertificate)) {
		t.Fatal("pemEncodedCertificate does not parse")
	}
	backend := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "backend saw %s", r.TLS.PeerCertificates[0].Subject.CommonName)
	}))
	backend.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: gwPool}
	backend.StartTLS()
	defer backend.Close()
	apiD := importDeploy(t, c, `openapi: 3.0.1
info: {title: D, version: "1"}
paths:
  /whoami:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: `+backend.URL+`/whoami
        tlsConfig: {insecureSkipVerification: true}
`, "prod")
	// Without the stage's certificate the backend refuses the handshake: 500, as for an
	// unreachable endpoint.
	// The stage is served once the data plane has followed the deployment (403 until then).
	var before response
	waitFor(t, "the new stage served", func() bool {
		before = invokePath(t, srv, "GET", apiD, "prod", "/whoami", "")
		return before.status != 403
	})
	if before.status != 500 {
		t.Fatalf("before clientCertificateId: %d %q", before.status, before.body)
	}
	if stderr, err := awsCLI(t, srv, nil, "apigateway", "update-stage", "--rest-api-id", apiD, "--stage-name", "prod",
		"--patch-operations", "op=replace,path=/clientCertificateId,value="+cc.ClientCertificateId); err != nil {
		t.Fatalf("update-stage: %v\n%s", err, stderr)
	}
	var r response
	waitFor(t, "the stage presenting its client certificate", func() bool {
		r = invokePath(t, srv, "GET", apiD, "prod", "/whoami", "")
		return r.status == 200
	})
	if r.body != "backend saw ClientCertificateId:"+cc.ClientCertificateId {
		t.Fatalf("through Portico: %q", r.body)
	}
	direct := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	if resp, err := direct.Get(backend.URL + "/whoami"); err == nil {
		resp.Body.Close()
		t.Fatal("the backend accepted a call without the client certificate")
	}
	stderr, err = awsCLI(t, srv, nil, "apigateway", "update-stage", "--rest-api-id", apiD, "--stage-name", "prod",
		"--patch-operations", "op=replace,path=/clientCertificateId,value=nosuch")
	if err == nil || !strings.Contains(stderr, "Invalid client certificate identifier specified") {
		t.Fatalf("unknown client certificate: %v\n%s", err, stderr)
	}
	var list struct {
		Items []struct{ ClientCertificateId string }
	}
	if stderr, err := awsCLI(t, srv, &list, "apigateway", "get-client-certificates"); err != nil || len(list.Items) != 1 {
		t.Fatalf("get-client-certificates: %+v %v\n%s", list, err, stderr)
	}
	if stderr, err := awsCLI(t, srv, nil, "apigateway", "delete-domain-name", "--domain-name", "api.example.test"); err != nil {
		t.Fatalf("delete-domain-name: %v\n%s", err, stderr)
	}
	stderr, err = awsCLI(t, srv, nil, "apigateway", "get-domain-name", "--domain-name", "api.example.test")
	if err == nil || !strings.Contains(stderr, "NotFoundException") {
		t.Fatalf("get-domain-name after delete: %v\n%s", err, stderr)
	}
}
