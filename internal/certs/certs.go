// Package certs says where Portico's certificates come from. AWS names a custom domain's
// certificate by an ACM ARN and a mutual TLS truststore by an s3:// URI; Portico resolves both to
// PEM files in its certificate directory:
//
//   - arn:aws:acm:{region}:{account}:certificate/{name} is {dir}/{name}.crt (the certificate,
//     then its chain) with its private key in {dir}/{name}.key;
//   - s3://{bucket}/{key} is {dir}/truststores/{bucket}/{key}, and file:///{path} is that file.
//
// It also generates the client certificates the gateway presents to HTTPS backends, and
// describes a client's certificate as $context.identity.clientCert shows it.
//
// certs imports nothing of Portico's.
package certs

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Dir is the certificate directory.
type Dir string

// ErrNotFound says a reference names no file in the directory.
var ErrNotFound = errors.New("not found")

// CertificateName reads the certificate name out of an ACM certificate ARN of this region and
// account. The error is AWS's message for the ARN.
func CertificateName(arn, region, account string) (string, error) {
	rest, ok := strings.CutPrefix(arn, "arn:aws:acm:")
	parts := strings.SplitN(rest, ":", 3)
	if !ok || len(parts) != 3 || !strings.HasPrefix(parts[2], "certificate/") {
		return "", fmt.Errorf("Invalid certificate ARN: %s", arn)
	}
	if parts[0] != region {
		return "", fmt.Errorf("Invalid certificate ARN: %s. Certificate must be in '%s'.", arn, region)
	}
	if parts[1] != account {
		return "", errors.New("Cross-account certificate references are not allowed.")
	}
	name := strings.TrimPrefix(parts[2], "certificate/")
	if !safeName(name) {
		return "", fmt.Errorf("Invalid certificate ARN: %s", arn)
	}
	return name, nil
}

// safeName reports whether a name stays inside the directory as one file name.
func safeName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, `/\`) && !strings.ContainsRune(name, 0)
}

// PairFiles names the files of the certificate called name and of its key.
func (d Dir) PairFiles(name string) (certFile, keyFile string) {
	return filepath.Join(string(d), name+".crt"), filepath.Join(string(d), name+".key")
}

// LoadPair reads the certificate called name and its key (the files PairFiles names).
// ErrNotFound when either file is missing.
func (d Dir) LoadPair(name string) (tls.Certificate, error) {
	if d == "" || !safeName(name) {
		return tls.Certificate{}, ErrNotFound
	}
	certFile, keyFile := d.PairFiles(name)
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if errors.Is(err, os.ErrNotExist) {
		return pair, ErrNotFound
	}
	return pair, err
}

// TruststorePath resolves a truststore URI to its file.
func (d Dir) TruststorePath(uri string) (string, error) {
	if p, ok := strings.CutPrefix(uri, "file://"); ok {
		if !filepath.IsAbs(p) {
			return "", fmt.Errorf("a file:// truststore URI needs an absolute path: %s", uri)
		}
		return filepath.Clean(p), nil
	}
	rest, ok := strings.CutPrefix(uri, "s3://")
	bucket, key, _ := strings.Cut(rest, "/")
	if !ok || bucket == "" || key == "" {
		return "", fmt.Errorf("Invalid truststore URI: %s. It must be s3://bucket/key", uri)
	}
	if d == "" {
		return "", fmt.Errorf("Portico has no certificate directory to find %s in", uri)
	}
	root := filepath.Join(string(d), "truststores")
	p := filepath.Join(root, bucket, key)
	if !strings.HasPrefix(p, root+string(filepath.Separator)) {
		return "", fmt.Errorf("Invalid truststore URI: %s", uri)
	}
	return p, nil
}

// Truststore is a parsed bundle of client certificate authorities.
type Truststore struct {
	Pool *x509.CertPool
	// Warnings name the certificates that cannot be used, as AWS's truststoreWarnings do.
	Warnings []string
}

// LoadTruststore reads and parses the truststore at uri. A bundle without one usable
// certificate is an error; unusable entries among usable ones are warnings.
func (d Dir) LoadTruststore(uri string) (*Truststore, error) {
	p, err := d.TruststorePath(uri)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("Unable to read the truststore at %s: no file %s", uri, p)
	}
	if err != nil {
		return nil, fmt.Errorf("Unable to read the truststore at %s: %v", uri, err)
	}
	return ParseTruststore(b, time.Now())
}

// ParseTruststore parses a PEM bundle of CA certificates.
func ParseTruststore(b []byte, now time.Time) (*Truststore, error) {
	ts := &Truststore{Pool: x509.NewCertPool()}
	n := 0
	for i := 1; ; i++ {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			ts.Warnings = append(ts.Warnings, fmt.Sprintf("Entry %d is a %s, not a certificate", i, blk.Type))
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			ts.Warnings = append(ts.Warnings, fmt.Sprintf("Entry %d cannot be parsed: %v", i, err))
			continue
		}
		if now.After(c.NotAfter) {
			ts.Warnings = append(ts.Warnings, fmt.Sprintf("Certificate %s has expired", DN(c.Subject.ToRDNSequence())))
			continue
		}
		ts.Pool.AddCert(c)
		n++
	}
	if n == 0 {
		return nil, errors.New("The truststore holds no usable PEM certificate")
	}
	return ts, nil
}
