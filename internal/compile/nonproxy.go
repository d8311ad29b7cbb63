package compile

import (
	"fmt"
	"strings"

	"github.com/portico/portico/internal/integration/mock"
	"github.com/portico/portico/internal/jsonpath"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/runtime"
	"github.com/portico/portico/internal/vtl"
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
	if reason := compileRequestTemplates(out, m, in); reason != "" {
		return reason
	}
	return compileResponses(out, m, in, vars)
}

// compileRequestTemplates parses the request templates; a MOCK's template that holds no
// reference or directive has its statusCode read now.
func compileRequestTemplates(out *runtime.Integration, m *model.Method, in *model.Integration) string {
	for _, ct := range sortedKeys(in.RequestTemplates) {
		t := runtime.RequestTemplate{ContentType: runtime.MediaType(ct), Text: in.RequestTemplates[ct]}
		var err error
		if t.Template, err = parseTemplate(m, "request", ct, t.Text); err != nil {
			return err.Error()
		}
		if out.Kind == runtime.Mock && t.Template == nil {
			t.MockStatus, t.MockErr = mock.ParseStatus([]byte(t.Text))
		}
		out.RequestTemplates = append(out.RequestTemplates, t)
	}
	return ""
}

// parseTemplate parses a mapping template once, at deploy. Text without a reference or a
// directive renders as itself and is not parsed (nil). The error names the method, which
// template, and the line and column.
func parseTemplate(m *model.Method, which, contentType, text string) (*vtl.Template, error) {
	if !strings.ContainsAny(text, "$#") {
		return nil, nil
	}
	t, err := vtl.Parse(m.HttpMethod+" "+which+" template "+contentType, text)
	if err != nil {
		return nil, fmt.Errorf("mapping template does not parse: %v", err)
	}
	return t, nil
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
