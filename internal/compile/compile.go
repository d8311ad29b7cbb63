// Package compile turns a stage and the frozen deployment it points at into a runtime.API, once,
// so the data plane only executes: the route tree is built, URIs parsed, stage variables
// substituted, selection patterns compiled, mapping templates parsed, mapping expressions and
// their JSONPaths compiled, gateway responses resolved and pre-rendered. A template or mapping
// that does not compile leaves its method answering 500 with the reason; the stage still serves.
//
// compile imports the model, runtime, integration parsers, validate, auth/policy, vtl and
// jsonpath; it must never import the store or the gateway.
package compile

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/runtime"
)

// DefaultMaxIntegrationTimeout is AWS's cap on timeoutInMillis.
const DefaultMaxIntegrationTimeout = 29 * time.Second

// Options tune compilation.
type Options struct {
	// MaxIntegrationTimeout caps every integration's timeoutInMillis (default 29s).
	MaxIntegrationTimeout time.Duration
}

// Compile builds the runtime value of one stage. It fails when the deployment cannot be served
// at all (no snapshot, a malformed resource tree, a malformed gateway response); a method whose
// integration Portico cannot run yet compiles into an Unsupported integration that answers 500
// and says why in the log, so one method never takes a stage down.
func Compile(rec *model.DeploymentRecord, stage *model.StageRecord, opts Options) (*runtime.API, error) {
	if rec == nil || rec.Snapshot == nil {
		return nil, errors.New("compile: deployment has no snapshot")
	}
	if stage == nil {
		return nil, errors.New("compile: no stage")
	}
	if stage.Stage.DeploymentId != rec.Deployment.Id {
		return nil, fmt.Errorf("compile: stage %s points at deployment %s, not %s",
			stage.Stage.StageName, stage.Stage.DeploymentId, rec.Deployment.Id)
	}
	if opts.MaxIntegrationTimeout <= 0 {
		opts.MaxIntegrationTimeout = DefaultMaxIntegrationTimeout
	}
	doc := rec.Snapshot
	vars := stage.Stage.Variables
	if vars == nil {
		vars = map[string]string{}
	}
	api := &runtime.API{
		ID:                 rec.APIID,
		Stage:              stage.Stage.StageName,
		DeploymentID:       rec.Deployment.Id,
		StageVariables:     vars,
		BinaryMediaTypes:   doc.RestApi.BinaryMediaTypes,
		ExecuteAPIDisabled: doc.RestApi.DisableExecuteApiEndpoint,
		Routes:             runtime.NewTree(doc.RestApi.RootResourceId),
		APIKeySource:       doc.RestApi.ApiKeySource,
	}
	if n := doc.RestApi.MinimumCompressionSize; n != nil {
		api.Compression = &runtime.Compression{MinSize: *n}
	}
	api.ClientCertificateID = stage.Stage.ClientCertificateId
	chk := newChecks(rec.APIID, doc)
	pol, err := chk.policy()
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	api.Policy = pol
	auths := compileAuthorizers(doc, vars)
	for _, r := range doc.SortedResources() {
		res, err := api.Routes.Add(r.Path, r.Id)
		if err != nil {
			return nil, fmt.Errorf("compile: resource %s: %w", r.Id, err)
		}
		for verbName, m := range r.ResourceMethods {
			verb, ok := runtime.ParseVerb(verbName)
			if !ok || m == nil {
				return nil, fmt.Errorf("compile: resource %s: invalid method %q", r.Path, verbName)
			}
			res.SetMethod(verb, &runtime.Method{
				Verb:                verb,
				Resource:            res,
				AuthorizationType:   m.AuthorizationType,
				Authorizer:          methodAuthorizer(auths, m),
				AuthorizationScopes: m.AuthorizationScopes,
				APIKeyRequired:      m.ApiKeyRequired,
				Throttle:            stageThrottle(&stage.Stage, rec.APIID, r.Path, verbName),
				Validation:          chk.validation(m, res),
				Integration:         compileIntegration(m, res, vars, opts),
				Cache:               stageCache(&stage.Stage, m, res, vars, verbName),
			})
		}
	}
	responses, err := resolveResponses(doc.GatewayResponses, vars)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	api.Responses = responses
	return api, nil
}

func unsupported(format string, args ...any) *runtime.Integration {
	return &runtime.Integration{Kind: runtime.Unsupported, Reason: fmt.Sprintf(format, args...)}
}

func compileIntegration(m *model.Method, res *runtime.Resource, vars map[string]string, opts Options) *runtime.Integration {
	in := m.MethodIntegration
	if in == nil {
		return unsupported("%s %s has no integration", m.HttpMethod, res.Path)
	}
	out := &runtime.Integration{}
	ms := in.TimeoutInMillis
	if ms <= 0 {
		ms = 29000
	}
	out.Timeout = min(time.Duration(ms)*time.Millisecond, opts.MaxIntegrationTimeout)
	switch in.PassthroughBehavior {
	case "", "WHEN_NO_MATCH":
		out.Passthrough = runtime.WhenNoMatch
	case "WHEN_NO_TEMPLATES":
		out.Passthrough = runtime.WhenNoTemplates
	case "NEVER":
		out.Passthrough = runtime.Never
	default:
		return unsupported("invalid passthroughBehavior %q", in.PassthroughBehavior)
	}
	switch in.Type {
	case "MOCK":
		out.Kind = runtime.Mock
		if reason := compileRequestTemplates(out, m, in); reason != "" {
			return unsupported("%s", reason)
		}
		if reason := compileResponses(out, m, in, vars); reason != "" {
			return unsupported("%s", reason)
		}
	case "HTTP_PROXY":
		out.Kind = runtime.HTTPProxy
		target, err := compileHTTPTarget(in, res, vars)
		if err != nil {
			return unsupported("%v", err)
		}
		if usesBody(target) {
			return unsupported("an HTTP_PROXY integration cannot map values from the request body")
		}
		out.HTTP = target
	case "HTTP":
		if reason := compileHTTP(out, m, in, res, vars); reason != "" {
			return unsupported("%s", reason)
		}
	case "AWS", "AWS_PROXY":
		if reason := compileAWS(out, m, in, res, vars); reason != "" {
			return unsupported("%s", reason)
		}
	default:
		return unsupported("unknown integration type %q", in.Type)
	}
	return out
}

// compileResponses compiles the integration responses in status order (AWS does not define an
// order among several matching patterns; sorting keeps it stable). It returns why they cannot be
// served, or "".
func compileResponses(out *runtime.Integration, m *model.Method, in *model.Integration, vars map[string]string) string {
	for _, key := range sortedKeys(in.IntegrationResponses) {
		ir := in.IntegrationResponses[key]
		if ir == nil {
			continue
		}
		status, err := strconv.Atoi(ir.StatusCode)
		if err != nil || status < 100 || status > 599 {
			return fmt.Sprintf("integration response has invalid statusCode %q", ir.StatusCode)
		}
		if !validContentHandling(ir.ContentHandling) {
			return fmt.Sprintf("integration response %s has invalid contentHandling %q", ir.StatusCode, ir.ContentHandling)
		}
		cr := &runtime.IntegrationResponse{StatusCode: status, Status: ir.StatusCode, ContentHandling: ir.ContentHandling}
		_, cr.HasMethodResponse = m.MethodResponses[ir.StatusCode]
		for _, name := range sortedKeys(ir.ResponseParameters) {
			header, ok := strings.CutPrefix(name, "method.response.header.")
			if !ok || header == "" {
				return fmt.Sprintf("invalid response parameter %q", name)
			}
			src, err := parseSource(ir.ResponseParameters[name], vars, nil, integrationResponseSources)
			if err != nil {
				return fmt.Sprintf("response parameter %s: %v", name, err)
			}
			cr.Headers = append(cr.Headers, runtime.NewHeaderParam(header, src))
		}
		for _, ct := range sortedKeys(ir.ResponseTemplates) {
			t := runtime.ResponseTemplate{ContentType: runtime.MediaType(ct), Text: ir.ResponseTemplates[ct]}
			if t.Template, err = parseTemplate(m, "response "+ir.StatusCode, ct, t.Text); err != nil {
				return err.Error()
			}
			cr.Templates = append(cr.Templates, t)
		}
		if ir.SelectionPattern == "" {
			if out.DefaultResponse == nil {
				out.DefaultResponse = cr
			}
			continue
		}
		re, err := SelectionPattern(ir.SelectionPattern)
		if err != nil {
			return err.Error()
		}
		cr.Pattern = re
		out.Responses = append(out.Responses, cr)
	}
	return ""
}

// SelectionPattern compiles a selectionPattern. AWS's patterns are java.util.regex expressions
// matched against the whole selection string; Go's RE2 syntax covers what they are used for
// (no back-references or look-around), and anchoring gives the whole-string match.
func SelectionPattern(p string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(`^(?:` + p + `)$`)
	if err != nil {
		return nil, fmt.Errorf("selectionPattern %q is not a supported regular expression: %v", p, err)
	}
	return re, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
