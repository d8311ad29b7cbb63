package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/portico/portico/internal/integration/httpproxy"
	"github.com/portico/portico/internal/runtime"
)

// AWSServices says where AWS service integrations are sent and how they are signed.
type AWSServices struct {
	// Endpoints maps a service's signing name (sqs, dynamodb, s3, ...) to its base URL
	// (scheme://host[:port]); DefaultEndpoint serves the services not listed. With neither,
	// a call goes to AWS itself: https://{service}.{region}.amazonaws.com.
	Endpoints       map[string]string
	DefaultEndpoint string
	// AccessKeyID, SecretAccessKey and SessionToken sign the calls with SigV4. Without them a
	// call is sent unsigned (what a local look-alike accepts).
	AccessKeyID, SecretAccessKey, SessionToken string
}

// endpoint returns the scheme and host a service's calls go to.
func (c *AWSServices) endpoint(service, region string) (scheme, host string, err error) {
	base := c.Endpoints[service]
	if base == "" {
		base = c.DefaultEndpoint
	}
	if base == "" {
		return "https", service + "." + region + ".amazonaws.com", nil
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", "", errors.New("invalid endpoint " + base + " for service " + service)
	}
	return u.Scheme, u.Host, nil
}

var awsSigner = v4.NewSigner()

// s3Signer signs S3 calls, whose paths are not escaped a second time.
var s3Signer = v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })

// serveAWSService runs an AWS integration that calls a service: the request is built like a
// non-proxy HTTP integration's (mapped path, query and headers, the template's output as the
// body) on the service's configured endpoint, an action-style uri adding the query protocol's
// Action parameter or, for a JSON-protocol service, its X-Amz-Target; it is signed with SigV4
// for the uri's service and region, and the answer goes through integration responses by its
// status.
func (g *Gateway) serveAWSService(rc *request, in *runtime.Integration) *gatewayError {
	payload, templated, gerr := g.requestPayload(rc, in)
	if gerr != nil {
		return gerr
	}
	if !templated {
		if payload, gerr = g.convertRequest(rc, in, payload); gerr != nil {
			return gerr
		}
	}
	t, target := in.HTTP, in.AWS
	scheme, host, err := g.opts.AWS.endpoint(target.Service, target.Region)
	if err != nil {
		g.log.Error("execution failed due to configuration error", "api", rc.api.ID, "stage", rc.api.Stage,
			"resource", rc.resource.Path, "method", rc.r.Method, "error", err, "requestId", rc.requestID)
		return errInternal
	}
	header := rc.nonProxyHeader(t, len(payload) > 0)
	if target.JSONTarget != "" {
		if _, set := header["X-Amz-Target"]; !set {
			header["X-Amz-Target"] = []string{target.JSONTarget + "." + target.Action}
		}
		if !mappedHeader(t, "Content-Type") {
			header["Content-Type"] = []string{target.JSONContentType}
		}
	}
	uri := rc.nonProxyURI(t)
	if target.Action != "" && target.JSONTarget == "" && t.Method == http.MethodPost {
		// A query-protocol action sent by POST carries its parameters as a form, as the AWS
		// SDKs send them (services take both; some look-alikes only the form). A body the
		// template made a form is appended; any other body is not sent, a query-protocol
		// service reading nothing but the form.
		if path, query, ok := strings.Cut(uri, "?"); ok {
			form := []byte(query)
			if len(payload) > 0 && runtime.MediaType(header.Get("Content-Type")) == "application/x-www-form-urlencoded" {
				form = append(append(form, '&'), payload...)
			}
			uri, payload = path, form
			header["Content-Type"] = []string{"application/x-www-form-urlencoded; charset=utf-8"}
		}
	}
	req := &rc.upstream
	*req = httpproxy.Request{
		Method:     t.Method,
		Scheme:     scheme,
		Host:       host,
		RequestURI: uri,
		Header:     header,
		Timeout:    in.Timeout,
	}
	if err := g.signAWS(rc.r.Context(), req, payload, target); err != nil {
		g.log.Error("execution failed: the integration request could not be signed", "api", rc.api.ID,
			"stage", rc.api.Stage, "resource", rc.resource.Path, "method", rc.r.Method, "error", err, "requestId", rc.requestID)
		return errInternal
	}
	return g.exchange(rc, in, req, payload, "service", target.Service, "host", host)
}

// mappedHeader reports whether the integration maps a request header of that (canonical) name.
func mappedHeader(t *runtime.HTTPTarget, name string) bool {
	for _, p := range t.Headers {
		if p.Name == name {
			return true
		}
	}
	return false
}

// signAWS adds SigV4 headers to req for the target's service and region, when credentials
// are configured.
func (g *Gateway) signAWS(ctx context.Context, req *httpproxy.Request, payload []byte, target *runtime.AWSTarget) error {
	c := &g.opts.AWS
	if c.AccessKeyID == "" {
		return nil
	}
	sum := sha256.Sum256(payload)
	hash := hex.EncodeToString(sum[:])
	hr, err := http.NewRequestWithContext(ctx, req.Method, req.Scheme+"://"+req.Host+req.RequestURI, nil)
	if err != nil {
		return err
	}
	hr.Header = req.Header
	signer := awsSigner
	if target.Service == "s3" {
		signer = s3Signer
		hr.Header["X-Amz-Content-Sha256"] = []string{hash}
	}
	creds := aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
	return signer.SignHTTP(ctx, creds, hr, hash, target.Service, target.Region, time.Now().UTC())
}
