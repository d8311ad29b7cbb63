package compile

import (
	"fmt"
	"strings"

	"github.com/portico/portico/internal/jsonpath"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/runtime"
)

// compileHTTP compiles a non-proxy HTTP integration: the upstream with its mapped path, query
// and header parameters, the request templates, content handling and the integration responses.
// It returns why the integration cannot be served, or "".
func compileHTTP(out *runtime.Integration, m *model.Method, in *model.Integration, res *runtime.Resource, vars map[string]string) string {
	out.Kind = runtime.HTTP
	target, err := compileHTTPTarget(in, res, vars)
	if err != nil {
		return err.Error()
	}
	out.HTTP = target
	if !validContentHandling(in.ContentHandling) {
		return fmt.Sprintf("invalid contentHandling %q", in.ContentHandling)
	}
	out.ContentHandling = in.ContentHandling
	for _, ct := range sortedKeys(in.RequestTemplates) {
		out.RequestTemplates = append(out.RequestTemplates, runtime.RequestTemplate{
			ContentType: runtime.MediaType(ct), Text: in.RequestTemplates[ct]})
	}
	return compileResponses(out, m, in, vars)
}

func validContentHandling(s string) bool {
	return s == "" || s == "CONVERT_TO_TEXT" || s == "CONVERT_TO_BINARY"
}

// usesBody reports whether an upstream reads a mapped value from the request body, which a
// streamed HTTP_PROXY request never holds.
func usesBody(t *runtime.HTTPTarget) bool {
	for _, p := range t.Headers {
		if p.Source.Kind == runtime.SrcBody || p.Source.Kind == runtime.SrcBodyPath {
			return true
		}
	}
	for _, p := range t.QueryParams {
		if p.Source.Kind == runtime.SrcBody || p.Source.Kind == runtime.SrcBodyPath {
			return true
		}
	}
	for _, parts := range [][]runtime.URIPart{t.Path, t.Query} {
		for _, p := range parts {
			if p.Param && (p.Source.Kind == runtime.SrcBody || p.Source.Kind == runtime.SrcBodyPath) {
				return true
			}
		}
	}
	return false
}

// parseBodySource compiles the multi-value and body expressions under prefix
// ("method.request." or "integration.response."): multivaluequerystring.N (when multiQuery is
// not 0), multivalueheader.N, body and body.JSONPATH. ok is false when expr is none of them.
func parseBodySource(expr, prefix string, multiQuery, multiHeader, body, bodyPath runtime.SourceKind) (src runtime.Source, ok bool, err error) {
	rest, found := strings.CutPrefix(expr, prefix)
	if !found {
		return src, false, nil
	}
	if name, found := strings.CutPrefix(rest, "multivaluequerystring."); found && name != "" && multiQuery != 0 {
		return runtime.Source{Kind: multiQuery, Name: name}, true, nil
	}
	if name, found := strings.CutPrefix(rest, "multivalueheader."); found && name != "" {
		return runtime.Source{Kind: multiHeader, Name: name}, true, nil
	}
	if rest == "body" {
		return runtime.Source{Kind: body}, true, nil
	}
	if path, found := strings.CutPrefix(rest, "body."); found && path != "" {
		// The expression omits the path's "$." (method.request.body.pets[0].name).
		p, err := jsonpath.Compile("$." + path)
		if err != nil {
			return src, true, fmt.Errorf("mapping expression %q: %v", expr, err)
		}
		return runtime.Source{Kind: bodyPath, Name: path, Path: p}, true, nil
	}
	return src, false, nil
}
