package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// repeated collects a flag given several times.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

func runTest(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "test", "API METHOD PATH [--body B] [--header K:V]... [--stage-variable K=V]...",
		"Run one request through a method of API's current definition, deployed or not, as the\n"+
			"console's Test button (TestInvokeMethod) does, and print the status, headers, body,\n"+
			"latency and execution log. PATH is the request path with its query string; the\n"+
			"method is the resource whose path template matches it.")
	cf := addClientFlags(e, fs)
	body := fs.String("body", "", "the request body")
	var headers, vars repeated
	fs.Var(&headers, "header", "a request header, Name:value (repeatable)")
	fs.Var(&vars, "stage-variable", "a stage variable, name=value (repeatable)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 3 {
		return fmt.Errorf("%w: want API, METHOD and PATH", errUsage)
	}
	apiID, verb, pathQuery := pos[0], strings.ToUpper(pos[1]), pos[2]
	if !strings.HasPrefix(pathQuery, "/") {
		pathQuery = "/" + pathQuery
	}
	in := &apigateway.TestInvokeMethodInput{RestApiId: aws.String(apiID), HttpMethod: aws.String(verb),
		PathWithQueryString: aws.String(pathQuery)}
	if *body != "" {
		in.Body = body
	}
	for _, h := range headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return fmt.Errorf("%w: --header %q: want Name:value", errUsage, h)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if in.MultiValueHeaders == nil {
			in.MultiValueHeaders = map[string][]string{}
		}
		in.MultiValueHeaders[k] = append(in.MultiValueHeaders[k], v)
	}
	for _, kv := range vars {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return fmt.Errorf("%w: --stage-variable %q: want name=value", errUsage, kv)
		}
		if in.StageVariables == nil {
			in.StageVariables = map[string]string{}
		}
		in.StageVariables[k] = v
	}
	c, err := cf.client(e)
	if err != nil {
		return err
	}
	var resources []types.Resource
	p := apigateway.NewGetResourcesPaginator(c, &apigateway.GetResourcesInput{RestApiId: aws.String(apiID), Embed: []string{"methods"}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return apiError(err)
		}
		resources = append(resources, page.Items...)
	}
	path, _, _ := strings.Cut(pathQuery, "?")
	res := matchResource(resources, path, verb)
	if res == nil {
		return fmt.Errorf("no resource of %s has a %s method whose path matches %s", apiID, verb, path)
	}
	if _, ok := res.ResourceMethods[verb]; !ok {
		in.HttpMethod = aws.String("ANY")
	}
	in.ResourceId = res.Id
	out, err := c.TestInvokeMethod(ctx, in)
	if err != nil {
		return apiError(err)
	}
	w := e.stdout
	fmt.Fprintf(w, "Status: %d\nLatency: %d ms\n\nHeaders:\n", out.Status, out.Latency)
	names := make([]string, 0, len(out.MultiValueHeaders))
	for k := range out.MultiValueHeaders {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range out.MultiValueHeaders[k] {
			fmt.Fprintf(w, "  %s: %s\n", k, v)
		}
	}
	fmt.Fprintf(w, "\nBody:\n%s\n\nLog:\n%s", aws.ToString(out.Body), aws.ToString(out.Log))
	return nil
}

// matchResource finds the resource whose path template matches path and that has the method
// (or ANY), preferring literal segments over {param} over {greedy+}, as the gateway matches.
func matchResource(resources []types.Resource, path, verb string) *types.Resource {
	segs := splitPath(path)
	var best *types.Resource
	bestScore := -1
	for i := range resources {
		r := &resources[i]
		_, has := r.ResourceMethods[verb]
		_, anyVerb := r.ResourceMethods["ANY"]
		if !has && !anyVerb {
			continue
		}
		if score, ok := templateScore(splitPath(aws.ToString(r.Path)), segs); ok && score > bestScore {
			best, bestScore = r, score
		}
	}
	return best
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// templateScore reports whether tmpl matches segs and how specific it is: each literal segment
// weighs more than any parameter, and a greedy parameter least.
func templateScore(tmpl, segs []string) (int, bool) {
	score := 0
	for i, t := range tmpl {
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "+}") {
			return score, i < len(segs) && i == len(tmpl)-1
		}
		if i >= len(segs) {
			return 0, false
		}
		switch {
		case strings.HasPrefix(t, "{"):
			score++
		case t == segs[i]:
			score += 1000
		default:
			return 0, false
		}
	}
	return score + 1, len(tmpl) == len(segs)
}
