package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// defaultCORSHeaders are the request headers the API Gateway console allows by default.
const defaultCORSHeaders = "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token"

const (
	hdrOrigin  = "method.response.header.Access-Control-Allow-Origin"
	hdrMethods = "method.response.header.Access-Control-Allow-Methods"
	hdrHeaders = "method.response.header.Access-Control-Allow-Headers"
	hdrVary    = "method.response.header.Vary"
)

// runCORS does what the console's "Enable CORS" does, through the management API: there is no
// CORS engine in API Gateway, only methods and responses that carry the headers.
//
// With one origin (or *) every header value is a literal. A CORS header names one origin, so
// with several the OPTIONS answer chooses with a mapping template that echoes the caller's
// Origin when it is in the list ($context.responseOverride), and adds Vary: Origin; gateway
// responses cannot run templates, so there they echo the caller's Origin whatever it is: error
// answers are readable from any origin, successful ones only from the listed ones.
func runCORS(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "cors", "API --resource PATH [--origins O[,O]] [--methods M,M] [--headers H,H] [--stage S]",
		"Enable CORS on one resource the way the API Gateway console does: an OPTIONS method with a MOCK\n"+
			"integration answering the preflight, Access-Control-Allow-Origin on the resource's non-proxy\n"+
			"200 responses and on the DEFAULT_4XX and DEFAULT_5XX gateway responses; then deploy to --stage.")
	cf := addClientFlags(e, fs)
	resourcePath := fs.String("resource", "", "resource path, e.g. /pets (required)")
	originsFlag := fs.String("origins", "*", "allowed origins, comma-separated, or *")
	methodsFlag := fs.String("methods", "", "allowed methods (default: the resource's methods and OPTIONS)")
	headersFlag := fs.String("headers", defaultCORSHeaders, "allowed request headers")
	stage := fs.String("stage", "", "stage to deploy to afterwards (default: no deployment)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *resourcePath == "" {
		return fmt.Errorf("%w: want one API id and --resource", errUsage)
	}
	origins := splitList(*originsFlag)
	if len(origins) == 0 {
		return fmt.Errorf("%w: --origins is empty", errUsage)
	}
	for _, o := range origins {
		if o == "*" && len(origins) > 1 {
			return fmt.Errorf("%w: --origins: * cannot be combined with other origins", errUsage)
		}
		if strings.ContainsAny(o, "'\"\\ ") {
			return fmt.Errorf("%w: --origins: %q is not an origin", errUsage, o)
		}
	}
	headers := strings.Join(splitList(*headersFlag), ",")
	if strings.ContainsAny(headers, "'\\") {
		return fmt.Errorf("%w: --headers may not contain quotes or backslashes", errUsage)
	}
	c, err := cf.client(e)
	if err != nil {
		return err
	}
	apiID := pos[0]
	res, err := findResource(ctx, c, apiID, *resourcePath)
	if err != nil {
		return err
	}
	methods := splitList(strings.ToUpper(*methodsFlag))
	if len(methods) == 0 {
		methods = resourceVerbs(res)
	}
	if !contains(methods, "OPTIONS") {
		methods = append(methods, "OPTIONS")
	}
	for _, m := range methods {
		if strings.ContainsAny(m, "'\\") {
			return fmt.Errorf("%w: --methods: %q is not a method", errUsage, m)
		}
	}
	spec := corsSpec{origins: origins, methods: strings.Join(methods, ","), headers: headers}
	if err := putPreflight(ctx, c, apiID, res, spec); err != nil {
		return err
	}
	updated, err := addOriginToMethods(ctx, c, apiID, res, spec)
	if err != nil {
		return err
	}
	for _, t := range []types.GatewayResponseType{types.GatewayResponseTypeDefault4xx, types.GatewayResponseTypeDefault5xx} {
		if err := addCORSToGatewayResponse(ctx, c, apiID, t, spec); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "CORS enabled on %s %s: OPTIONS answers the preflight (origins %s; methods %s; headers %s).\n",
		apiID, aws.ToString(res.Path), strings.Join(origins, ","), spec.methods, headers)
	if len(updated) > 0 {
		fmt.Fprintf(e.stdout, "Access-Control-Allow-Origin added to the 200 responses of %s.\n", strings.Join(updated, ", "))
	}
	fmt.Fprintln(e.stdout, "DEFAULT_4XX and DEFAULT_5XX gateway responses carry Access-Control-Allow-Origin.")
	if *stage == "" {
		fmt.Fprintln(e.stdout, "Deploy the API for the change to take effect (portico deploy API --stage S).")
		return nil
	}
	d, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: aws.String(apiID), StageName: stage,
		Description: aws.String("CORS enabled on " + aws.ToString(res.Path))})
	if err != nil {
		return apiError(err)
	}
	fmt.Fprintf(e.stdout, "Deployment %s is live on stage %q.\n", aws.ToString(d.Id), *stage)
	return nil
}

type corsSpec struct {
	origins          []string
	methods, headers string
}

func (s corsSpec) single() bool { return len(s.origins) == 1 }

// originTemplate is the OPTIONS response template that allows several origins: it echoes the
// caller's Origin when the list holds it.
func (s corsSpec) originTemplate() string {
	var cond []string
	for _, o := range s.origins {
		cond = append(cond, `$origin == "`+o+`"`)
	}
	return `#set($origin = $input.params("Origin"))
#if($origin == "")#set($origin = $input.params("origin"))#end
#if(` + strings.Join(cond, " || ") + `)
#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)
#end
`
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// findResource finds an API's resource by path, with its methods.
func findResource(ctx context.Context, c *apigateway.Client, apiID, path string) (*types.Resource, error) {
	if path != "/" {
		path = "/" + strings.Trim(path, "/")
	}
	in := &apigateway.GetResourcesInput{RestApiId: aws.String(apiID), Embed: []string{"methods"}, Limit: aws.Int32(500)}
	for {
		out, err := c.GetResources(ctx, in)
		if err != nil {
			return nil, apiError(err)
		}
		for i := range out.Items {
			if aws.ToString(out.Items[i].Path) == path {
				return &out.Items[i], nil
			}
		}
		if out.Position == nil {
			return nil, fmt.Errorf("API %s has no resource %s", apiID, path)
		}
		in.Position = out.Position
	}
}

// resourceVerbs lists a resource's methods in AWS's verb order; ANY stands for all of them.
func resourceVerbs(res *types.Resource) []string {
	order := []string{"GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS"}
	if _, ok := res.ResourceMethods["ANY"]; ok {
		return append([]string(nil), order...)
	}
	var out []string
	for _, v := range order {
		if _, ok := res.ResourceMethods[v]; ok {
			out = append(out, v)
		}
	}
	return out
}

// putPreflight (re)creates the OPTIONS method: MOCK integration, a 200 method response that
// declares the headers, and an integration response that sets them.
func putPreflight(ctx context.Context, c *apigateway.Client, apiID string, res *types.Resource, spec corsSpec) error {
	api, id := aws.String(apiID), res.Id
	verb := aws.String("OPTIONS")
	if _, ok := res.ResourceMethods["OPTIONS"]; ok {
		if _, err := c.DeleteMethod(ctx, &apigateway.DeleteMethodInput{RestApiId: api, ResourceId: id, HttpMethod: verb}); err != nil {
			return apiError(err)
		}
	}
	if _, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: api, ResourceId: id, HttpMethod: verb,
		AuthorizationType: aws.String("NONE")}); err != nil {
		return apiError(err)
	}
	declared := map[string]bool{hdrHeaders: false, hdrMethods: false, hdrOrigin: false}
	if !spec.single() {
		declared[hdrVary] = false
	}
	if _, err := c.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: api, ResourceId: id, HttpMethod: verb,
		StatusCode: aws.String("200"), ResponseParameters: declared}); err != nil {
		return apiError(err)
	}
	if _, err := c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: api, ResourceId: id, HttpMethod: verb,
		Type: types.IntegrationTypeMock, PassthroughBehavior: aws.String("WHEN_NO_MATCH"),
		RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}); err != nil {
		return apiError(err)
	}
	params := map[string]string{hdrHeaders: "'" + spec.headers + "'", hdrMethods: "'" + spec.methods + "'"}
	template := ""
	if spec.single() {
		params[hdrOrigin] = "'" + spec.origins[0] + "'"
	} else {
		params[hdrVary] = "'Origin'"
		template = spec.originTemplate()
	}
	if _, err := c.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: api, ResourceId: id, HttpMethod: verb,
		StatusCode: aws.String("200"), ResponseParameters: params,
		ResponseTemplates: map[string]string{"application/json": template}}); err != nil {
		return apiError(err)
	}
	return nil
}

// addOriginToMethods adds Access-Control-Allow-Origin to the 200 responses of the resource's
// other non-proxy methods, as the console does (a proxy integration's backend must send it
// itself). It returns the methods changed.
func addOriginToMethods(ctx context.Context, c *apigateway.Client, apiID string, res *types.Resource, spec corsSpec) ([]string, error) {
	if !spec.single() {
		return nil, nil
	}
	var verbs []string
	for v := range res.ResourceMethods {
		if v != "OPTIONS" {
			verbs = append(verbs, v)
		}
	}
	sort.Strings(verbs)
	var changed []string
	for _, v := range verbs {
		m, err := c.GetMethod(ctx, &apigateway.GetMethodInput{RestApiId: aws.String(apiID), ResourceId: res.Id, HttpMethod: aws.String(v)})
		if err != nil {
			return nil, apiError(err)
		}
		in := m.MethodIntegration
		if in == nil || in.Type == types.IntegrationTypeHttpProxy || in.Type == types.IntegrationTypeAwsProxy {
			continue
		}
		if _, ok := m.MethodResponses["200"]; !ok {
			continue
		}
		if _, ok := in.IntegrationResponses["200"]; !ok {
			continue
		}
		add := func(value string) []types.PatchOperation {
			return []types.PatchOperation{{Op: types.OpAdd, Path: aws.String("/responseParameters/" + hdrOrigin), Value: aws.String(value)}}
		}
		if _, err := c.UpdateMethodResponse(ctx, &apigateway.UpdateMethodResponseInput{RestApiId: aws.String(apiID), ResourceId: res.Id,
			HttpMethod: aws.String(v), StatusCode: aws.String("200"), PatchOperations: add("false")}); err != nil {
			return nil, apiError(err)
		}
		if _, err := c.UpdateIntegrationResponse(ctx, &apigateway.UpdateIntegrationResponseInput{RestApiId: aws.String(apiID), ResourceId: res.Id,
			HttpMethod: aws.String(v), StatusCode: aws.String("200"), PatchOperations: add("'" + spec.origins[0] + "'")}); err != nil {
			return nil, apiError(err)
		}
		changed = append(changed, v)
	}
	return changed, nil
}

// addCORSToGatewayResponse adds the CORS headers to a gateway response, keeping whatever it
// already customises.
func addCORSToGatewayResponse(ctx context.Context, c *apigateway.Client, apiID string, t types.GatewayResponseType, spec corsSpec) error {
	cur, err := c.GetGatewayResponse(ctx, &apigateway.GetGatewayResponseInput{RestApiId: aws.String(apiID), ResponseType: t})
	var nf *types.NotFoundException
	if err != nil && !errors.As(err, &nf) {
		return apiError(err)
	}
	in := &apigateway.PutGatewayResponseInput{RestApiId: aws.String(apiID), ResponseType: t,
		ResponseParameters: map[string]string{}, ResponseTemplates: map[string]string{}}
	if cur != nil {
		in.StatusCode = cur.StatusCode
		for k, v := range cur.ResponseParameters {
			in.ResponseParameters[k] = v
		}
		for k, v := range cur.ResponseTemplates {
			in.ResponseTemplates[k] = v
		}
	}
	origin := "method.request.header.Origin"
	if spec.single() {
		origin = "'" + spec.origins[0] + "'"
	}
	in.ResponseParameters["gatewayresponse.header.Access-Control-Allow-Origin"] = origin
	in.ResponseParameters["gatewayresponse.header.Access-Control-Allow-Headers"] = "'" + spec.headers + "'"
	if _, err := c.PutGatewayResponse(ctx, in); err != nil {
		return apiError(err)
	}
	return nil
}
