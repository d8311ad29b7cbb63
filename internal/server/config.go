// Package server assembles a running Portico: it opens the store, builds the data plane and the
// management API from the configuration, binds their listeners and shuts them down gracefully.
//
// server is the one place that imports both planes; neither plane imports it.
package server

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/portico/portico/internal/auth/oidc"
)

// Config is everything `portico serve` is configured with.
type Config struct {
	Listen      string // data plane address
	AdminListen string // management API address
	DataDir     string
	Region      string
	AccountID   string
	Domain      string // host-style invoke domain: {apiId}.execute-api.{Domain}

	// AccessKeyID and SecretAccessKey are the admin credentials; when both are empty they are
	// read from (or generated into) the data directory.
	AccessKeyID, SecretAccessKey string

	MaxIntegrationTimeout time.Duration // cap on an integration's timeoutInMillis
	MaxPayloadBytes       int64         // request payload limit
	ShutdownTimeout       time.Duration // how long in-flight requests get on SIGTERM

	// ThrottleRate and ThrottleBurst are the account-level throttle: requests per second and
	// bucket size shared by every API (AWS: 10,000 and 5,000).
	ThrottleRate  float64
	ThrottleBurst int64

	// AccessLog is where stages whose destinationArn names no Portico sink write their access
	// log: "" or "stdout", "stderr", or file://PATH (rotated by size).
	AccessLog string

	// AWS says where Lambda and AWS service integrations go beyond Portico.
	AWS AWSIntegrations

	// FunctionIdleTimeout is how long an idle function worker is kept warm; FunctionConcurrency
	// is a function's limit of simultaneous invocations when it reserves none.
	FunctionIdleTimeout time.Duration
	FunctionConcurrency int

	// IdentitiesFile is the identities file (iam.File): IAM users and roles that may call
	// AWS_IAM methods, written into the store on start and on ReloadIdentities.
	IdentitiesFile string

	// TLSListen is the TLS data plane address ("": none); TLSCertFiles and TLSKeyFiles are
	// its own certificates, pairwise, chosen by SNI (the first when none matches). Listen ""
	// serves TLS only. CertDir holds custom domains' certificates and truststores
	// ({DataDir}/certs when empty).
	TLSListen                 string
	TLSCertFiles, TLSKeyFiles []string
	CertDir                   string

	// OTLPEndpoint is the OTLP/HTTP traces URL that spans of stages with tracingEnabled are
	// exported to ("": tracing is off), with OTLPHeaders; ServiceName is their service.name
	// ("portico" when empty); TraceBatchInterval how long spans gather before an export (1s
	// when zero); TraceExportTimeout bounds one export (10s when zero).
	OTLPEndpoint       string
	OTLPHeaders        map[string]string
	ServiceName        string
	TraceBatchInterval time.Duration
	TraceExportTimeout time.Duration

	// CognitoPools points COGNITO_USER_POOLS providers (a user pool ARN or id, or an issuer
	// URL) at an issuer URL and the app clients accepted; pools not named use AWS's issuers.
	CognitoPools map[string]oidc.Pool
}

// Defaults returns the configuration used when nothing is set.
func Defaults() Config {
	return Config{
		Listen:                ":8080",
		AdminListen:           "127.0.0.1:8081",
		DataDir:               "./portico-data",
		Region:                "us-east-1",
		AccountID:             "000000000000",
		Domain:                "localhost",
		MaxIntegrationTimeout: 29 * time.Second,
		MaxPayloadBytes:       10 << 20,
		ShutdownTimeout:       30 * time.Second,
		ThrottleRate:          10000,
		ThrottleBurst:         5000,
		FunctionIdleTimeout:   10 * time.Minute,
		FunctionConcurrency:   64,
	}
}

// CredentialsFile is the name, inside the data directory, of the generated admin credentials.
const CredentialsFile = "admin-credentials.json"

// Credentials is an admin access key pair.
type Credentials struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
}

// LoadCredentials reads the generated admin credentials from dataDir.
func LoadCredentials(dataDir string) (Credentials, error) {
	var c Credentials
	b, err := os.ReadFile(filepath.Join(dataDir, CredentialsFile))
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("read %s: %w", CredentialsFile, err)
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return c, fmt.Errorf("%s holds no key pair", CredentialsFile)
	}
	return c, nil
}

// ensureCredentials returns the admin credentials: the configured pair, else the pair kept in the
// data directory, else a new pair written there with mode 0600 (created reports that case).
func ensureCredentials(cfg Config) (c Credentials, created bool, err error) {
	if cfg.AccessKeyID != "" || cfg.SecretAccessKey != "" {
		if cfg.AccessKeyID == "" || cfg.SecretAccessKey == "" {
			return c, false, errors.New("set both PORTICO_ADMIN_ACCESS_KEY_ID and PORTICO_ADMIN_SECRET_ACCESS_KEY, or neither")
		}
		return Credentials{cfg.AccessKeyID, cfg.SecretAccessKey}, false, nil
	}
	c, err = LoadCredentials(cfg.DataDir)
	if err == nil {
		return c, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return c, false, err
	}
	c = Credentials{AccessKeyID: "AKIA" + randomString(16, upperAlnum), SecretAccessKey: randomString(40, secretAlphabet)}
	b, _ := json.MarshalIndent(c, "", "  ")
	path := filepath.Join(cfg.DataDir, CredentialsFile)
	// O_EXCL: two servers starting on one fresh data dir must not hand out different keys.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return c, false, fmt.Errorf("write admin credentials: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		os.Remove(path)
		return c, false, fmt.Errorf("write admin credentials: %w", err)
	}
	if err := f.Close(); err != nil {
		return c, false, err
	}
	return c, true, nil
}

const (
	upperAlnum     = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("server: no randomness: " + err.Error())
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
