package cli

import (
	"flag"
	"fmt"
	"sort"
	"strings"

	"github.com/portico/portico/internal/auth/oidc"
	"github.com/portico/portico/internal/server"
)

// cognitoFlags registers the serve flags and environment variables that point Cognito user
// pools at issuers: --cognito-issuer POOL=URL and --cognito-client POOL=CLIENT_ID, both
// repeatable, POOL being a user pool ARN or id (or an issuer URL, for --cognito-client).
func cognitoFlags(e *env, fs *flag.FlagSet, cfg *server.Config) error {
	issuers := &cognitoPools{cfg: cfg, issuer: true}
	clients := &cognitoPools{cfg: cfg}
	for env, f := range map[string]*cognitoPools{"PORTICO_COGNITO_ISSUERS": issuers, "PORTICO_COGNITO_CLIENTS": clients} {
		for _, v := range strings.Fields(strings.ReplaceAll(e.getenv(env), ",", " ")) {
			if err := f.Set(v); err != nil {
				return fmt.Errorf("%w: %s: %v", errUsage, env, err)
			}
		}
	}
	fs.Var(issuers, "cognito-issuer", "the issuer that stands for a Cognito user pool: POOL=URL, POOL a user pool ARN or id; "+
		"repeatable (PORTICO_COGNITO_ISSUERS, comma-separated); pools not named use https://cognito-idp.REGION.amazonaws.com/POOL_ID")
	fs.Var(clients, "cognito-client", "an app client whose tokens a user pool's authorizers accept: POOL=CLIENT_ID; repeatable "+
		"(PORTICO_COGNITO_CLIENTS, comma-separated); a pool with none named accepts every client, as AWS does")
	return nil
}

// cognitoPools is the repeatable --cognito-issuer or --cognito-client flag.
type cognitoPools struct {
	cfg    *server.Config
	issuer bool
}

func (f *cognitoPools) String() string {
	if f == nil || f.cfg == nil {
		return ""
	}
	var parts []string
	for name, p := range f.cfg.CognitoPools {
		if f.issuer && p.Issuer != "" {
			parts = append(parts, name+"="+p.Issuer)
		}
		for _, c := range p.ClientIDs {
			if !f.issuer {
				parts = append(parts, name+"="+c)
			}
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func (f *cognitoPools) Set(v string) error {
	// Pool ARNs and ids hold no "="; an issuer URL's query could, and is refused later.
	name, value, ok := strings.Cut(v, "=")
	if !ok || name == "" || value == "" {
		return fmt.Errorf("want POOL=VALUE, not %q", v)
	}
	if f.cfg.CognitoPools == nil {
		f.cfg.CognitoPools = map[string]oidc.Pool{}
	}
	p := f.cfg.CognitoPools[name]
	if f.issuer {
		p.Issuer = value
	} else {
		p.ClientIDs = append(p.ClientIDs, value)
	}
	f.cfg.CognitoPools[name] = p
	return oidc.CheckPools(map[string]oidc.Pool{name: p})
}
