package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// noBasePath is AWS's spelling of the root mapping's base path.
const noBasePath = "(none)"

// runDomains lists custom domain names with their base path mappings, or with `map` and `unmap`
// changes one mapping.
func runDomains(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "map":
			return runDomainsMap(ctx, e, args[1:])
		case "unmap":
			return runDomainsUnmap(ctx, e, args[1:])
		}
	}
	fs := newFlags(e, "domains", "[map DOMAIN --api API [--stage S] [--base-path P] | unmap DOMAIN [--base-path P]]",
		"List the custom domain names: each one's certificate ARN, mutual TLS truststore and base path\n"+
			"mappings (basePath -> API/stage; / is the (none) mapping, * a stage read from the URL).\n\n"+
			"  map DOMAIN --api API ...   map a base path of DOMAIN to a stage of API (domains map --help)\n"+
			"  unmap DOMAIN ...           delete a base path mapping (domains unmap --help)")
	cf := addClientFlags(e, fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return fmt.Errorf("%w: unknown domains subcommand %q", errUsage, pos[0])
	}
	c, err := cf.client(e)
	if err != nil {
		return err
	}
	var domains []types.DomainName
	p := apigateway.NewGetDomainNamesPaginator(c, &apigateway.GetDomainNamesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return apiError(err)
		}
		domains = append(domains, page.Items...)
	}
	sort.Slice(domains, func(i, j int) bool { return aws.ToString(domains[i].DomainName) < aws.ToString(domains[j].DomainName) })
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DOMAIN\tCERTIFICATE\tMUTUAL TLS\tMAPPINGS")
	for _, d := range domains {
		mappings, err := basePathMappings(ctx, c, aws.ToString(d.DomainName))
		if err != nil {
			return err
		}
		cert := aws.ToString(d.RegionalCertificateArn)
		if cert == "" {
			cert = aws.ToString(d.CertificateArn)
		}
		trust := ""
		if m := d.MutualTlsAuthentication; m != nil {
			trust = aws.ToString(m.TruststoreUri)
		}
		if len(mappings) == 0 {
			mappings = []string{"-"}
		}
		// Further mappings go on lines of their own under the domain's.
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", aws.ToString(d.DomainName), orDash(cert), orDash(trust), mappings[0])
		for _, m := range mappings[1:] {
			fmt.Fprintf(tw, "\t\t\t%s\n", m)
		}
	}
	return tw.Flush()
}

// basePathMappings returns a domain's mappings as "basePath -> API/stage", sorted by base path.
func basePathMappings(ctx context.Context, c *apigateway.Client, domain string) ([]string, error) {
	var out []string
	p := apigateway.NewGetBasePathMappingsPaginator(c, &apigateway.GetBasePathMappingsInput{DomainName: aws.String(domain)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, apiError(err)
		}
		for _, m := range page.Items {
			out = append(out, formatMapping(m))
		}
	}
	sort.Strings(out)
	return out, nil
}

// formatMapping shows a mapping as "basePath -> API/stage": the (none) base path as "/", and
// "*" for a stage the request's first path segment names.
func formatMapping(m types.BasePathMapping) string {
	stage := aws.ToString(m.Stage)
	if stage == noBasePath || stage == "" {
		stage = "*"
	}
	return displayBasePath(aws.ToString(m.BasePath)) + " -> " + aws.ToString(m.RestApiId) + "/" + stage
}

// displayBasePath shows the (none) base path as "/".
func displayBasePath(bp string) string {
	if bp == noBasePath || bp == "" {
		return "/"
	}
	return bp
}

// basePathArg turns --base-path into AWS's spelling: a leading or trailing slash is dropped, and
// none at all (or "/") is the (none) mapping.
func basePathArg(p string) string {
	p = strings.Trim(p, "/")
	if p == "" {
		return noBasePath
	}
	return p
}

func runDomainsMap(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "domains map", "DOMAIN --api API [--stage S] [--base-path P]",
		"Map base path P of the custom domain DOMAIN to stage S of API (its id), as\n"+
			"CreateBasePathMapping does. Without --base-path the mapping is the (none) one, taking every\n"+
			"path no other mapping takes; without --stage the stage is read from the URL's first segment\n"+
			"after the base path.")
	cf := addClientFlags(e, fs)
	api := fs.String("api", "", "the API to map to (required)")
	stage := fs.String("stage", "", "the stage to map to")
	basePath := fs.String("base-path", "", "the base path, such as orders or v1/orders (default: (none), the root)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *api == "" {
		return fmt.Errorf("%w: want one DOMAIN and --api", errUsage)
	}
	c, err := cf.client(e)
	if err != nil {
		return err
	}
	in := &apigateway.CreateBasePathMappingInput{DomainName: aws.String(pos[0]), RestApiId: api, BasePath: aws.String(basePathArg(*basePath))}
	if *stage != "" {
		in.Stage = stage
	}
	m, err := c.CreateBasePathMapping(ctx, in)
	if err != nil {
		return apiError(err)
	}
	fmt.Fprintf(e.stdout, "Mapped %s: %s\n", strings.ToLower(pos[0]), formatMapping(types.BasePathMapping{
		BasePath: m.BasePath, RestApiId: m.RestApiId, Stage: m.Stage}))
	return nil
}

func runDomainsUnmap(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "domains unmap", "DOMAIN [--base-path P]",
		"Delete the mapping of base path P of the custom domain DOMAIN, as DeleteBasePathMapping does.\n"+
			"Without --base-path it deletes the (none) mapping.")
	cf := addClientFlags(e, fs)
	basePath := fs.String("base-path", "", "the base path of the mapping (default: (none), the root)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: want one DOMAIN", errUsage)
	}
	c, err := cf.client(e)
	if err != nil {
		return err
	}
	bp := basePathArg(*basePath)
	if _, err := c.DeleteBasePathMapping(ctx, &apigateway.DeleteBasePathMappingInput{DomainName: aws.String(pos[0]), BasePath: aws.String(bp)}); err != nil {
		return apiError(err)
	}
	fmt.Fprintf(e.stdout, "Unmapped %s: %s\n", strings.ToLower(pos[0]), displayBasePath(bp))
	return nil
}
