package compile

import (
	"fmt"
	"strings"

	"github.com/portico/portico/internal/runtime"
	"github.com/portico/portico/internal/vtl"
)

// sourceSet says which mapping expressions a place accepts.
type sourceSet uint8

const (
	srcMethodRequest sourceSet = 1 << iota
	srcIntegrationResponse
	// srcMethodRequestAll adds the multi-value and body sources, which only an integration
	// request accepts.
	srcMethodRequestAll
)

const (
	integrationRequestSources  = srcMethodRequest | srcMethodRequestAll
	integrationResponseSources = srcIntegrationResponse
	gatewayResponseSources     = srcMethodRequest
)

// parseSource compiles a mapping expression ('literal', stageVariables.x, context.x, and per
// place method.request.{path|querystring|header}.x or integration.response.header.x). Stage
// variables are resolved now: a stage's variables are part of what is compiled. When res is
// given, a path parameter is resolved to its index in res's parameters.
func parseSource(expr string, vars map[string]string, res *runtime.Resource, allowed sourceSet) (runtime.Source, error) {
	if len(expr) >= 2 && expr[0] == '\'' && expr[len(expr)-1] == '\'' {
		return runtime.Source{Kind: runtime.SrcLiteral, Name: expr[1 : len(expr)-1]}, nil
	}
	if name, ok := strings.CutPrefix(expr, "stageVariables."); ok && name != "" {
		return runtime.Source{Kind: runtime.SrcLiteral, Name: vars[name]}, nil
	}
	if name, ok := strings.CutPrefix(expr, "context."); ok && name != "" {
		src := runtime.Source{Kind: runtime.SrcContext, Name: name}
		if ref, err := vtl.Parse("mapping expression "+expr, "$context."+name); err == nil {
			src.Ref = ref
		}
		return src, nil
	}
	if allowed&srcMethodRequest != 0 {
		if name, ok := strings.CutPrefix(expr, "method.request.path."); ok && name != "" {
			idx := -1
			if res != nil {
				idx = indexOf(res.ParamNames, name)
				if idx < 0 {
					return runtime.Source{}, fmt.Errorf("%s is not a path parameter of %s", expr, res.Path)
				}
			}
			return runtime.Source{Kind: runtime.SrcPath, Name: name, Index: idx}, nil
		}
		if name, ok := strings.CutPrefix(expr, "method.request.querystring."); ok && name != "" {
			return runtime.Source{Kind: runtime.SrcQuery, Name: name}, nil
		}
		if name, ok := strings.CutPrefix(expr, "method.request.header."); ok && name != "" {
			return runtime.Source{Kind: runtime.SrcHeader, Name: name}, nil
		}
	}
	if allowed&srcMethodRequestAll != 0 {
		if src, ok, err := parseBodySource(expr, "method.request.", runtime.SrcMultiQuery, runtime.SrcMultiHeader,
			runtime.SrcBody, runtime.SrcBodyPath); ok || err != nil {
			return src, err
		}
	}
	if allowed&srcIntegrationResponse != 0 {
		if name, ok := strings.CutPrefix(expr, "integration.response.header."); ok && name != "" {
			return runtime.Source{Kind: runtime.SrcRespHeader, Name: name}, nil
		}
		if src, ok, err := parseBodySource(expr, "integration.response.", 0, runtime.SrcRespMultiHeader,
			runtime.SrcRespBody, runtime.SrcRespBodyPath); ok || err != nil {
			return src, err
		}
	}
	return runtime.Source{}, fmt.Errorf("mapping expression %q is not supported here", expr)
}

func indexOf(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}
