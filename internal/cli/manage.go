package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

func runImport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "import", "FILE [--name N] [--stage S] [--basepath ignore|prepend|split]",
		"Import an OpenAPI 3 or Swagger 2 document (JSON or YAML) as a new REST API, deploy it to a\nstage and print its invoke URLs.")
	cf := addClientFlags(e, fs)
	name := fs.String("name", "", "API name (default: the document's info.title)")
	stage := fs.String("stage", "dev", "stage to deploy to")
	basePath := fs.String("basepath", "", "what to do with the document's base path: ignore, prepend or split")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: want exactly one FILE, got %d arguments", errUsage, len(pos))
	}
	body, err := os.ReadFile(pos[0])
	if err != nil {
		return err
	}
	c, err := cf.client(e)
	if err != nil {
		return err
	}
	api, err := importAndDeploy(ctx, c, body, *name, *stage, *basePath, nil)
	if err != nil {
		return err
	}
	for _, w := range api.Warnings {
		fmt.Fprintf(e.stderr, "warning: %s\n", w)
	}
	host, path := cf.invokeURLs(aws.ToString(api.Id), *stage)
	fmt.Fprintf(e.stdout, "Imported %s as API %s and deployed it to stage %q.\nInvoke URLs:\n  %s\n  %s\n",
		filepath.Base(pos[0]), aws.ToString(api.Id), *stage, host, path)
	return nil
}

// importAndDeploy imports body as a new API (renamed to name when set) and deploys it to stage
// with the given stage variables.
func importAndDeploy(ctx context.Context, c *apigateway.Client, body []byte, name, stage, basePath string, vars map[string]string) (*apigateway.ImportRestApiOutput, error) {
	in := &apigateway.ImportRestApiInput{Body: body}
	if basePath != "" {
		in.Parameters = map[string]string{"basepath": basePath}
	}
	api, err := c.ImportRestApi(ctx, in)
	if err != nil {
		return nil, apiError(err)
	}
	if name != "" && name != aws.ToString(api.Name) {
		_, err := c.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{
			RestApiId:       api.Id,
			PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/name"), Value: aws.String(name)}},
		})
		if err != nil {
			return nil, apiError(err)
		}
		api.Name = aws.String(name)
	}
	if vars != nil {
		vars = expandVars(vars, aws.ToString(api.Id))
	}
	_, err = c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{
		RestApiId: api.Id, StageName: aws.String(stage), Variables: vars, Description: aws.String("imported by portico"),
	})
	if err != nil {
		return nil, apiError(err)
	}
	return api, nil
}

// expandVars replaces {apiId} in stage variable values, for APIs that call themselves.
func expandVars(vars map[string]string, apiID string) map[string]string {
	out := make(map[string]string, len(vars))
	for k, v := range vars {
		out[k] = strings.ReplaceAll(v, "{apiId}", apiID)
	}
	return out
}

func runAPIs(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "apis", "", "List the REST APIs.")
	cf := addClientFlags(e, fs)
	if pos, err := parse(fs, args); err != nil {
		return err
	} else if len(pos) != 0 {
		return fmt.Errorf("%w: apis takes no arguments", errUsage)
	}
	c, err := cf.client(e)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tCREATED\tDESCRIPTION")
	p := apigateway.NewGetRestApisPaginator(c, &apigateway.GetRestApisInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return apiError(err)
		}
		for _, a := range page.Items {
			created := ""
			if a.CreatedDate != nil {
				created = a.CreatedDate.UTC().Format("2006-01-02 15:04:05")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", aws.ToString(a.Id), aws.ToString(a.Name), created, aws.ToString(a.Description))
		}
	}
	return tw.Flush()
}

func runDeploy(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "deploy", "API --stage S [--description D]", "Create a deployment of API (its id) and point stage S at it.")
	cf := addClientFlags(e, fs)
	stage := fs.String("stage", "", "stage to create or update (required)")
	desc := fs.String("description", "", "deployment description")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *stage == "" {
		return fmt.Errorf("%w: want one API id and --stage", errUsage)
	}
	c, err := cf.client(e)
	if err != nil {
		return err
	}
	in := &apigateway.CreateDeploymentInput{RestApiId: aws.String(pos[0]), StageName: stage}
	if *desc != "" {
		in.Description = desc
	}
	d, err := c.CreateDeployment(ctx, in)
	if err != nil {
		return apiError(err)
	}
	host, path := cf.invokeURLs(pos[0], *stage)
	fmt.Fprintf(e.stdout, "Deployment %s is live on stage %q.\nInvoke URLs:\n  %s\n  %s\n", aws.ToString(d.Id), *stage, host, path)
	return nil
}

func runStages(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "stages", "API", "List the stages of API (its id).")
	cf := addClientFlags(e, fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: want one API id", errUsage)
	}
	c, err := cf.client(e)
	if err != nil {
		return err
	}
	out, err := c.GetStages(ctx, &apigateway.GetStagesInput{RestApiId: aws.String(pos[0])})
	if err != nil {
		return apiError(err)
	}
	sort.Slice(out.Item, func(i, j int) bool { return aws.ToString(out.Item[i].StageName) < aws.ToString(out.Item[j].StageName) })
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STAGE\tDEPLOYMENT\tUPDATED\tVARIABLES\tINVOKE URL")
	for _, s := range out.Item {
		updated := ""
		if s.LastUpdatedDate != nil {
			updated = s.LastUpdatedDate.UTC().Format("2006-01-02 15:04:05")
		}
		_, path := cf.invokeURLs(pos[0], aws.ToString(s.StageName))
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", aws.ToString(s.StageName), aws.ToString(s.DeploymentId), updated, formatVars(s.Variables), path)
		// A canary shows under its stage: its share, deployment and variable overrides.
		if cs := s.CanarySettings; cs != nil {
			fmt.Fprintf(tw, "  canary %s%%\t%s\t\t%s\t\n", strconv.FormatFloat(cs.PercentTraffic, 'f', -1, 64),
				aws.ToString(cs.DeploymentId), formatVars(cs.StageVariableOverrides))
		}
	}
	return tw.Flush()
}

func formatVars(vars map[string]string) string {
	if len(vars) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = k + "=" + vars[k]
	}
	return strings.Join(keys, ",")
}

func runRoutes(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "routes", "API", "Show the resource tree of API (its id) with each method's integration.")
	cf := addClientFlags(e, fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: want one API id", errUsage)
	}
	c, err := cf.client(e)
	if err != nil {
		return err
	}
	var resources []types.Resource
	p := apigateway.NewGetResourcesPaginator(c, &apigateway.GetResourcesInput{RestApiId: aws.String(pos[0]), Embed: []string{"methods"}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return apiError(err)
		}
		resources = append(resources, page.Items...)
	}
	sort.Slice(resources, func(i, j int) bool { return aws.ToString(resources[i].Path) < aws.ToString(resources[j].Path) })
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PATH\tMETHOD\tAUTH\tINTEGRATION\tTARGET")
	for _, r := range resources {
		verbs := make([]string, 0, len(r.ResourceMethods))
		for v := range r.ResourceMethods {
			verbs = append(verbs, v)
		}
		sort.Strings(verbs)
		if len(verbs) == 0 {
			fmt.Fprintf(tw, "%s\t-\t\t\t\n", aws.ToString(r.Path))
		}
		for _, v := range verbs {
			m := r.ResourceMethods[v]
			if m.MethodIntegration == nil {
				got, err := c.GetMethod(ctx, &apigateway.GetMethodInput{RestApiId: aws.String(pos[0]), ResourceId: r.Id, HttpMethod: aws.String(v)})
				if err != nil {
					return apiError(err)
				}
				m.MethodIntegration, m.AuthorizationType = got.MethodIntegration, got.AuthorizationType
			}
			kind, target := "-", ""
			if in := m.MethodIntegration; in != nil {
				kind = string(in.Type)
				target = strings.TrimSpace(aws.ToString(in.HttpMethod) + " " + aws.ToString(in.Uri))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", aws.ToString(r.Path), v, aws.ToString(m.AuthorizationType), kind, target)
		}
	}
	return tw.Flush()
}

func runExport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "export", "API --stage S [--format oas30|swagger] [--extensions] [--yaml]",
		"Print the API (its id) as deployed on stage S, as OpenAPI 3 or Swagger 2.")
	cf := addClientFlags(e, fs)
	stage := fs.String("stage", "", "stage to export (required)")
	format := fs.String("format", "oas30", "oas30 or swagger")
	ext := fs.Bool("extensions", false, "include the x-amazon-apigateway-* extensions (integrations, validators, gateway responses)")
	yaml := fs.Bool("yaml", false, "YAML instead of JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *stage == "" {
		return fmt.Errorf("%w: want one API id and --stage", errUsage)
	}
	if *format != "oas30" && *format != "swagger" {
		return fmt.Errorf("%w: --format must be oas30 or swagger, not %q", errUsage, *format)
	}
	c, err := cf.client(e)
	if err != nil {
		return err
	}
	in := &apigateway.GetExportInput{RestApiId: aws.String(pos[0]), StageName: stage, ExportType: format, Accepts: aws.String("application/json")}
	if *yaml {
		in.Accepts = aws.String("application/yaml")
	}
	if *ext {
		in.Parameters = map[string]string{"extensions": "apigateway"}
	}
	out, err := c.GetExport(ctx, in)
	if err != nil {
		return apiError(err)
	}
	_, err = e.stdout.Write(out.Body)
	return err
}
