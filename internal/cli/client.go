package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/smithy-go"

	"github.com/portico/portico/internal/server"
)

// clientFlags are the flags every management command takes.
type clientFlags struct {
	endpoint, dataURL, dataDir, region, domain string
}

func addClientFlags(e *env, fs *flag.FlagSet) *clientFlags {
	c := &clientFlags{}
	fs.StringVar(&c.endpoint, "endpoint", envOr(e, "PORTICO_ENDPOINT", "http://127.0.0.1:8081"), "management API URL (PORTICO_ENDPOINT)")
	fs.StringVar(&c.dataURL, "data-url", envOr(e, "PORTICO_DATA_URL", "http://127.0.0.1:8080"), "data plane URL, for the invoke URLs printed (PORTICO_DATA_URL)")
	fs.StringVar(&c.dataDir, "data-dir", envOr(e, "PORTICO_DATA_DIR", "./portico-data"), "data directory holding generated admin credentials (PORTICO_DATA_DIR)")
	fs.StringVar(&c.domain, "domain", envOr(e, "PORTICO_DOMAIN", "localhost"), "host-style invoke domain, for the invoke URLs printed (PORTICO_DOMAIN)")
	fs.StringVar(&c.region, "region", envOr(e, "PORTICO_REGION", "us-east-1"), "region to sign for (PORTICO_REGION)")
	return c
}

func envOr(e *env, name, def string) string {
	if v := e.getenv(name); v != "" {
		return v
	}
	return def
}

// client returns an apigateway client for the management API, with credentials from
// PORTICO_ADMIN_ACCESS_KEY_ID / PORTICO_ADMIN_SECRET_ACCESS_KEY or else the data directory.
func (c *clientFlags) client(e *env) (*apigateway.Client, error) {
	id, secret, err := c.credentials(e)
	if err != nil {
		return nil, err
	}
	return newClient(c.endpoint, c.region, id, secret), nil
}

// credentials returns the admin access key the commands sign with, and checks --endpoint.
func (c *clientFlags) credentials(e *env) (id, secret string, err error) {
	id, secret = e.getenv("PORTICO_ADMIN_ACCESS_KEY_ID"), e.getenv("PORTICO_ADMIN_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		creds, err := server.LoadCredentials(c.dataDir)
		if err != nil {
			return "", "", fmt.Errorf("no admin credentials: set PORTICO_ADMIN_ACCESS_KEY_ID and PORTICO_ADMIN_SECRET_ACCESS_KEY, or point --data-dir at the server's data directory (%v)", err)
		}
		id, secret = creds.AccessKeyID, creds.SecretAccessKey
	}
	if _, err := url.ParseRequestURI(c.endpoint); err != nil {
		return "", "", fmt.Errorf("%w: --endpoint %q is not a URL", errUsage, c.endpoint)
	}
	return id, secret, nil
}

func newClient(endpoint, region, id, secret string) *apigateway.Client {
	return apigateway.New(apigateway.Options{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, Source: "portico"}, nil
		}),
		RetryMaxAttempts: 1,
	})
}

// apiError turns an SDK error into the server's own words: "NotFoundException: Invalid ...".
func apiError(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return fmt.Errorf("%s: %s", ae.ErrorCode(), ae.ErrorMessage())
	}
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		return fmt.Errorf("%s: %v", oe.OperationName, oe.Unwrap())
	}
	return err
}

// invokeURLs returns the host-style and path-style invoke URLs of a stage.
func (c *clientFlags) invokeURLs(apiID, stage string) (hostStyle, pathStyle string) {
	u, err := url.Parse(c.dataURL)
	if err != nil || u.Host == "" {
		return "", strings.TrimRight(c.dataURL, "/") + "/restapis/" + apiID + "/" + stage + "/_user_request_/"
	}
	port := u.Port()
	host := apiID + ".execute-api." + c.domain
	if port != "" {
		host += ":" + port
	}
	return u.Scheme + "://" + host + "/" + stage + "/",
		u.Scheme + "://" + u.Host + "/restapis/" + apiID + "/" + stage + "/_user_request_/"
}
