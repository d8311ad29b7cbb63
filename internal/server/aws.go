package server

import (
	"fmt"
	"net/url"

	"github.com/portico/portico/internal/functions"
	"github.com/portico/portico/internal/gateway"
	"github.com/portico/portico/internal/integration/lambda"
)

// AWSIntegrations configure what Lambda and AWS service integrations reach beyond Portico.
type AWSIntegrations struct {
	// LambdaEndpoint is a Lambda Invoke API (AWS Lambda, or anything that speaks it) that
	// runs the functions Portico does not have; LambdaAccessKeyID and LambdaSecretAccessKey
	// sign the calls (unsigned when empty).
	LambdaEndpoint                           string
	LambdaAccessKeyID, LambdaSecretAccessKey string
	// Endpoints maps a service's signing name (sqs, dynamodb, s3, ...) to the base URL AWS
	// service integrations call; DefaultEndpoint serves the others (AWS itself when empty).
	Endpoints       map[string]string
	DefaultEndpoint string
	// AccessKeyID, SecretAccessKey and SessionToken sign AWS service integrations.
	AccessKeyID, SecretAccessKey, SessionToken string
}

// check refuses endpoints that are not http(s) URLs, at start rather than per request.
func (a *AWSIntegrations) check() error {
	if err := checkEndpoint("lambda endpoint", a.LambdaEndpoint, true); err != nil {
		return err
	}
	if err := checkEndpoint("default AWS endpoint", a.DefaultEndpoint, true); err != nil {
		return err
	}
	for svc, u := range a.Endpoints {
		if svc == "" {
			return fmt.Errorf("AWS endpoint %q names no service", u)
		}
		if err := checkEndpoint("AWS endpoint of "+svc, u, false); err != nil {
			return err
		}
	}
	return nil
}

func checkEndpoint(what, s string, optional bool) error {
	if s == "" && optional {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s %q is not an http(s) URL", what, s)
	}
	return nil
}

// invoker returns what Lambda integrations call: the local functions runtime, and the remote
// Invoke API for the functions it does not have. local may be nil.
// The configuration's endpoints are checked first.
func (a *AWSIntegrations) invoker(region string, local functions.Invoker) (functions.Invoker, error) {
	if err := a.check(); err != nil {
		return nil, err
	}
	r := lambda.Router{Local: local}
	if a.LambdaEndpoint != "" {
		remote, err := lambda.NewRemote(lambda.RemoteOptions{Endpoint: a.LambdaEndpoint, Region: region,
			AccessKeyID: a.LambdaAccessKeyID, SecretAccessKey: a.LambdaSecretAccessKey})
		if err != nil {
			return nil, err
		}
		r.Remote = remote
	}
	if r.Local == nil && r.Remote == nil {
		return nil, nil
	}
	return r, nil
}

func (a *AWSIntegrations) services() gateway.AWSServices {
	return gateway.AWSServices{Endpoints: a.Endpoints, DefaultEndpoint: a.DefaultEndpoint,
		AccessKeyID: a.AccessKeyID, SecretAccessKey: a.SecretAccessKey, SessionToken: a.SessionToken}
}
