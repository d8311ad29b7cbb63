package mgmt

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	"github.com/portico/portico/internal/store/bolt"
)

// domainEnv is a management API with a certificate directory holding a certificate "api" for
// api.example.com and "*.example.com", and a truststore s3://trust/ca.pem.
func domainEnv(t *testing.T) *apigateway.Client {
	t.Helper()
	dir := t.TempDir()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "example"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"api.example.com", "*.example.com"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	for name, b := range map[string][]byte{
		"api.crt":                  certPEM,
		"api.key":                  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}),
		"truststores/trust/ca.pem": append(append([]byte{}, certPEM...), "-----BEGIN JUNK-----\neA==\n-----END JUNK-----\n"...),
		"truststores/trust/no.pem": []byte("not pem"),
	} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	st, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewServer(New(st, Options{Region: testRegion, AccountID: testAcct,
		Credentials: map[string]string{testKey: testSecret}, CertDir: dir}))
	t.Cleanup(srv.Close)
	return apigateway.New(apigateway.Options{BaseEndpoint: aws.String(srv.URL), Region: testRegion,
		Credentials: credentials.NewStaticCredentialsProvider(testKey, testSecret, ""), RetryMaxAttempts: 1})
}

const certARN = "arn:aws:acm:" + testRegion + ":" + testAcct + ":certificate/api"

func regional() *types.EndpointConfiguration {
	return &types.EndpointConfiguration{Types: []types.EndpointType{types.EndpointTypeRegional}}
}

func TestDomainNamesRefused(t *testing.T) {
	c := domainEnv(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		in        apigateway.CreateDomainNameInput
		code, msg string
	}{
		{"unknown certificate", apigateway.CreateDomainNameInput{DomainName: aws.String("api.example.com"), RegionalCertificateArn: aws.String(certARN + "x"), EndpointConfiguration: regional()},
			"BadRequestException", "Invalid certificate ARN: " + certARN + "x. Certificate not found."},
		{"certificate of another region", apigateway.CreateDomainNameInput{DomainName: aws.String("api.example.com"), CertificateArn: aws.String("arn:aws:acm:eu-west-1:" + testAcct + ":certificate/api")},
			"BadRequestException", "Invalid certificate ARN: arn:aws:acm:eu-west-1:" + testAcct + ":certificate/api. Certificate must be in 'us-east-1'."},
		{"no certificate", apigateway.CreateDomainNameInput{DomainName: aws.String("api.example.com"), EndpointConfiguration: regional()},
			"BadRequestException", "A regional certificate is required: set regionalCertificateArn"},
		{"uploaded certificate", apigateway.CreateDomainNameInput{DomainName: aws.String("api.example.com"), CertificateBody: aws.String("x")},
			"BadRequestException", ""},
		{"name not covered", apigateway.CreateDomainNameInput{DomainName: aws.String("api.other.com"), CertificateArn: aws.String(certARN)},
			"BadRequestException", "The certificate " + certARN + " does not cover the domain name api.other.com"},
		{"bad name", apigateway.CreateDomainNameInput{DomainName: aws.String("api..example.com"), CertificateArn: aws.String(certARN)},
			"BadRequestException", "Invalid domain name: api..example.com"},
		{"mutual TLS on EDGE", apigateway.CreateDomainNameInput{DomainName: aws.String("api.example.com"), CertificateArn: aws.String(certARN),
			MutualTlsAuthentication: &types.MutualTlsAuthenticationInput{TruststoreUri: aws.String("s3://trust/ca.pem")}},
			"BadRequestException", "Mutual TLS authentication is only supported for REGIONAL domain names"},
		{"truststore missing", apigateway.CreateDomainNameInput{DomainName: aws.String("api.example.com"), RegionalCertificateArn: aws.String(certARN), EndpointConfiguration: regional(),
			MutualTlsAuthentication: &types.MutualTlsAuthenticationInput{TruststoreUri: aws.String("s3://trust/absent.pem")}},
			"BadRequestException", ""},
		{"truststore without certificates", apigateway.CreateDomainNameInput{DomainName: aws.String("api.example.com"), RegionalCertificateArn: aws.String(certARN), EndpointConfiguration: regional(),
			MutualTlsAuthentication: &types.MutualTlsAuthenticationInput{TruststoreUri: aws.String("s3://trust/no.pem")}},
			"BadRequestException", "The truststore holds no usable PEM certificate"},
		{"bad security policy", apigateway.CreateDomainNameInput{DomainName: aws.String("api.example.com"), CertificateArn: aws.String(certARN), SecurityPolicy: "TLS_9"},
			"ValidationException", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreateDomainName(ctx, &tc.in)
			wantAPIError(t, err, tc.code, tc.msg)
		})
	}
	if _, err := c.GetDomainNames(ctx, &apigateway.GetDomainNamesInput{}); err != nil {
		t.Fatal(err)
	}
}

func TestDomainNamesAndMappings(t *testing.T) {
	c := domainEnv(t)
	ctx := context.Background()
	d := must(c.CreateDomainName(ctx, &apigateway.CreateDomainNameInput{DomainName: aws.String("*.Example.com"),
		RegionalCertificateArn: aws.String(certARN), EndpointConfiguration: regional(),
		MutualTlsAuthentication: &types.MutualTlsAuthenticationInput{TruststoreUri: aws.String("s3://trust/ca.pem")}})).ok(t)
	if aws.ToString(d.DomainName) != "*.example.com" || d.DomainNameStatus != types.DomainNameStatusAvailable ||
		aws.ToString(d.RegionalDomainName) != "*.example.com" || d.SecurityPolicy != types.SecurityPolicyTls12 ||
		len(d.MutualTlsAuthentication.TruststoreWarnings) != 1 || d.CertificateUploadDate == nil ||
		aws.ToString(d.DomainNameArn) != "arn:aws:apigateway:us-east-1::/domainnames/*.example.com" {
		t.Fatalf("created %+v", d)
	}
	_, err := c.CreateDomainName(ctx, &apigateway.CreateDomainNameInput{DomainName: aws.String("*.example.com"), CertificateArn: aws.String(certARN)})
	wantAPIError(t, err, "BadRequestException", "The domain name you provided already exists.")

	api := must(c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("a")})).ok(t)
	must(c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: api.RootResourceId, HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE")})).ok(t)
	must(c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: api.Id, ResourceId: api.RootResourceId, HttpMethod: aws.String("GET"), Type: types.IntegrationTypeMock})).ok(t)
	must(c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("prod")})).ok(t)

	name := aws.String("*.example.com")
	root := must(c.CreateBasePathMapping(ctx, &apigateway.CreateBasePathMappingInput{DomainName: name, RestApiId: api.Id, Stage: aws.String("prod")})).ok(t)
	if aws.ToString(root.BasePath) != "(none)" {
		t.Fatalf("root mapping %+v", root)
	}
	must(c.CreateBasePathMapping(ctx, &apigateway.CreateBasePathMappingInput{DomainName: name, RestApiId: api.Id, BasePath: aws.String("v1/orders")})).ok(t)
	for _, tc := range []struct {
		in        apigateway.CreateBasePathMappingInput
		code, msg string
	}{
		{apigateway.CreateBasePathMappingInput{DomainName: name, RestApiId: api.Id, BasePath: aws.String("v1/orders")}, "ConflictException", "Base path already exists for this domain name"},
		{apigateway.CreateBasePathMappingInput{DomainName: name, RestApiId: api.Id, BasePath: aws.String("/lead")}, "BadRequestException", ""},
		{apigateway.CreateBasePathMappingInput{DomainName: name, RestApiId: api.Id, BasePath: aws.String("a//b")}, "BadRequestException", ""},
		{apigateway.CreateBasePathMappingInput{DomainName: name, RestApiId: aws.String("nope"), BasePath: aws.String("x")}, "BadRequestException", "Invalid REST API identifier specified"},
		{apigateway.CreateBasePathMappingInput{DomainName: name, RestApiId: api.Id, BasePath: aws.String("x"), Stage: aws.String("nope")}, "BadRequestException", "Invalid stage identifier specified"},
		{apigateway.CreateBasePathMappingInput{DomainName: aws.String("none.example.org"), RestApiId: api.Id}, "NotFoundException", "Invalid domain name identifier specified"},
	} {
		_, err := c.CreateBasePathMapping(ctx, &tc.in)
		wantAPIError(t, err, tc.code, tc.msg)
	}
	got := must(c.GetBasePathMapping(ctx, &apigateway.GetBasePathMappingInput{DomainName: name, BasePath: aws.String("v1/orders")})).ok(t)
	if aws.ToString(got.RestApiId) != aws.ToString(api.Id) || got.Stage != nil {
		t.Fatalf("get %+v", got)
	}
	moved := must(c.UpdateBasePathMapping(ctx, &apigateway.UpdateBasePathMappingInput{DomainName: name, BasePath: aws.String("v1/orders"),
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/basePath"), Value: aws.String("v2")},
			{Op: types.OpReplace, Path: aws.String("/stage"), Value: aws.String("prod")}}})).ok(t)
	if aws.ToString(moved.BasePath) != "v2" || aws.ToString(moved.Stage) != "prod" {
		t.Fatalf("moved %+v", moved)
	}
	list := must(c.GetBasePathMappings(ctx, &apigateway.GetBasePathMappingsInput{DomainName: name})).ok(t)
	if len(list.Items) != 2 || aws.ToString(list.Items[0].BasePath) != "(none)" || aws.ToString(list.Items[1].BasePath) != "v2" {
		t.Fatalf("list %+v", list.Items)
	}
	_, err = c.GetBasePathMapping(ctx, &apigateway.GetBasePathMappingInput{DomainName: name, BasePath: aws.String("v1/orders")})
	wantAPIError(t, err, "NotFoundException", "Invalid base path mapping identifier specified")
	must(c.DeleteBasePathMapping(ctx, &apigateway.DeleteBasePathMappingInput{DomainName: name, BasePath: aws.String("(none)")})).ok(t)

	upd := must(c.UpdateDomainName(ctx, &apigateway.UpdateDomainNameInput{DomainName: name, PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/mutualTlsAuthentication/truststoreUri"), Value: aws.String("")}}})).ok(t)
	if upd.MutualTlsAuthentication != nil {
		t.Fatalf("mutual TLS still on: %+v", upd.MutualTlsAuthentication)
	}
	_, err = c.UpdateDomainName(ctx, &apigateway.UpdateDomainNameInput{DomainName: name, PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/regionalCertificateArn"), Value: aws.String(certARN + "x")}}})
	wantAPIError(t, err, "BadRequestException", "Invalid certificate ARN: "+certARN+"x. Certificate not found.")
	must(c.DeleteDomainName(ctx, &apigateway.DeleteDomainNameInput{DomainName: name})).ok(t)
	_, err = c.GetBasePathMappings(ctx, &apigateway.GetBasePathMappingsInput{DomainName: name})
	wantAPIError(t, err, "NotFoundException", "Invalid domain name identifier specified")
}

func TestClientCertificates(t *testing.T) {
	c := domainEnv(t)
	ctx := context.Background()
	cc := must(c.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{Description: aws.String("backend")})).ok(t)
	if len(aws.ToString(cc.ClientCertificateId)) != 6 || cc.ExpirationDate.Sub(*cc.CreatedDate) != 365*24*time.Hour {
		t.Fatalf("generated %+v", cc)
	}
	blk, _ := pem.Decode([]byte(aws.ToString(cc.PemEncodedCertificate)))
	if blk == nil {
		t.Fatal("pemEncodedCertificate is not PEM")
	}
	upd := must(c.UpdateClientCertificate(ctx, &apigateway.UpdateClientCertificateInput{ClientCertificateId: cc.ClientCertificateId,
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/description"), Value: aws.String("renamed")}}})).ok(t)
	if aws.ToString(upd.Description) != "renamed" || aws.ToString(upd.PemEncodedCertificate) != aws.ToString(cc.PemEncodedCertificate) {
		t.Fatalf("updated %+v", upd)
	}
	if l := must(c.GetClientCertificates(ctx, &apigateway.GetClientCertificatesInput{})).ok(t); len(l.Items) != 1 {
		t.Fatalf("list %+v", l.Items)
	}

	api := must(c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("a")})).ok(t)
	must(c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: api.RootResourceId, HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE")})).ok(t)
	must(c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: api.Id, ResourceId: api.RootResourceId, HttpMethod: aws.String("GET"), Type: types.IntegrationTypeMock})).ok(t)
	must(c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("prod")})).ok(t)
	set := func(id string) error {
		_, err := c.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: api.Id, StageName: aws.String("prod"),
			PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/clientCertificateId"), Value: aws.String(id)}}})
		return err
	}
	wantAPIError(t, set("nosuch"), "BadRequestException", "Invalid client certificate identifier specified")
	if err := set(aws.ToString(cc.ClientCertificateId)); err != nil {
		t.Fatal(err)
	}
	st := must(c.GetStage(ctx, &apigateway.GetStageInput{RestApiId: api.Id, StageName: aws.String("prod")})).ok(t)
	if aws.ToString(st.ClientCertificateId) != aws.ToString(cc.ClientCertificateId) {
		t.Fatalf("stage %+v", st)
	}
	must(c.DeleteClientCertificate(ctx, &apigateway.DeleteClientCertificateInput{ClientCertificateId: cc.ClientCertificateId})).ok(t)
	_, err := c.GetClientCertificate(ctx, &apigateway.GetClientCertificateInput{ClientCertificateId: cc.ClientCertificateId})
	wantAPIError(t, err, "NotFoundException", "Invalid client certificate identifier specified")
}

func TestTagsOnDomainsAndClientCertificates(t *testing.T) {
	c := domainEnv(t)
	ctx := context.Background()
	must(c.CreateDomainName(ctx, &apigateway.CreateDomainNameInput{DomainName: aws.String("api.example.com"),
		CertificateArn: aws.String(certARN), Tags: map[string]string{"team": "edge"}})).ok(t)
	cc := must(c.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{})).ok(t)
	for _, arn := range []string{
		"arn:aws:apigateway:us-east-1::/domainnames/api.example.com",
		"arn:aws:apigateway:us-east-1::/clientcertificates/" + aws.ToString(cc.ClientCertificateId),
	} {
		must(c.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"env": "prod"}})).ok(t)
		must(c.UntagResource(ctx, &apigateway.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"team"}})).ok(t)
		if got := must(c.GetTags(ctx, &apigateway.GetTagsInput{ResourceArn: aws.String(arn)})).ok(t).Tags; len(got) != 1 || got["env"] != "prod" {
			t.Errorf("%s: tags %v", arn, got)
		}
	}
	d := must(c.GetDomainName(ctx, &apigateway.GetDomainNameInput{DomainName: aws.String("api.example.com")})).ok(t)
	if len(d.Tags) != 1 || d.Tags["env"] != "prod" {
		t.Errorf("domain tags %v", d.Tags)
	}
	_, err := c.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: aws.String("arn:aws:apigateway:us-east-1::/domainnames/none.example.com"), Tags: map[string]string{"a": "b"}})
	wantAPIError(t, err, "NotFoundException", "Invalid domain name identifier specified")
}
