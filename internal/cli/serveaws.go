package cli

import (
	"flag"
	"fmt"
	"strings"

	"github.com/portico/portico/internal/server"
)

// awsIntegrationFlags registers the serve flags and environment variables that say where
// Lambda and AWS service integrations go beyond Portico, and how they are signed.
func awsIntegrationFlags(e *env, fs *flag.FlagSet, a *server.AWSIntegrations) error {
	fs.StringVar(&a.LambdaEndpoint, "lambda-endpoint", envOr(e, "PORTICO_LAMBDA_ENDPOINT", ""),
		"Lambda Invoke API for functions Portico does not run, signed with PORTICO_LAMBDA_ACCESS_KEY_ID/SECRET_ACCESS_KEY (PORTICO_LAMBDA_ENDPOINT)")
	a.LambdaAccessKeyID = e.getenv("PORTICO_LAMBDA_ACCESS_KEY_ID")
	a.LambdaSecretAccessKey = e.getenv("PORTICO_LAMBDA_SECRET_ACCESS_KEY")
	a.AccessKeyID = e.getenv("PORTICO_AWS_ACCESS_KEY_ID")
	a.SecretAccessKey = e.getenv("PORTICO_AWS_SECRET_ACCESS_KEY")
	a.SessionToken = e.getenv("PORTICO_AWS_SESSION_TOKEN")
	ep := &awsEndpoints{a: a}
	for _, v := range strings.Fields(strings.ReplaceAll(e.getenv("PORTICO_AWS_ENDPOINTS"), ",", " ")) {
		if err := ep.Set(v); err != nil {
			return fmt.Errorf("%w: PORTICO_AWS_ENDPOINTS: %v", errUsage, err)
		}
	}
	fs.Var(ep, "aws-endpoint", "where AWS service integrations go: SERVICE=URL (e.g. sqs=http://127.0.0.1:5000), or URL for every service not named; "+
		"repeatable; signed with PORTICO_AWS_ACCESS_KEY_ID/SECRET_ACCESS_KEY (PORTICO_AWS_ENDPOINTS, comma-separated)")
	return nil
}

// awsEndpoints is the repeatable --aws-endpoint flag.
type awsEndpoints struct{ a *server.AWSIntegrations }

func (f *awsEndpoints) String() string {
	if f == nil || f.a == nil {
		return ""
	}
	var parts []string
	for svc, u := range f.a.Endpoints {
		parts = append(parts, svc+"="+u)
	}
	if f.a.DefaultEndpoint != "" {
		parts = append(parts, f.a.DefaultEndpoint)
	}
	return strings.Join(parts, ",")
}

func (f *awsEndpoints) Set(v string) error {
	svc, u, named := strings.Cut(v, "=")
	if !named || strings.Contains(svc, ":") {
		// A bare URL (its query may hold "=", its scheme always ":" before it).
		f.a.DefaultEndpoint = v
		return nil
	}
	if svc == "" || u == "" {
		return fmt.Errorf("want SERVICE=URL or URL, not %q", v)
	}
	if f.a.Endpoints == nil {
		f.a.Endpoints = map[string]string{}
	}
	f.a.Endpoints[strings.ToLower(svc)] = u
	return nil
}
