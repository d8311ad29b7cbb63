package compile

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/runtime"
)

// compileHTTPTarget parses an HTTP_PROXY uri once: stage variables substituted, scheme and host
// split off, {name} placeholders of the path and query bound to their values' sources. Portico
// has no VPC links: a VPC_LINK integration calls its uri directly.
func compileHTTPTarget(in *model.Integration, res *runtime.Resource, vars map[string]string) (*runtime.HTTPTarget, error) {
	uri, err := ResolveStageVariables(in.Uri, vars)
	if err != nil {
		return nil, fmt.Errorf("uri %q: %w", in.Uri, err)
	}
	scheme, rest, ok := strings.Cut(uri, "://")
	scheme = strings.ToLower(scheme)
	if !ok || (scheme != "http" && scheme != "https") {
		return nil, fmt.Errorf("invalid HTTP endpoint specified for URI %q", in.Uri)
	}
	host, pathQuery := rest, ""
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		host, pathQuery = rest[:i], rest[i:]
	}
	if host == "" || strings.ContainsAny(host, "{}@ ") {
		return nil, fmt.Errorf("invalid HTTP endpoint specified for URI %q", in.Uri)
	}
	if u, err := url.Parse(scheme + "://" + host); err != nil || u.Host != host {
		return nil, fmt.Errorf("invalid HTTP endpoint specified for URI %q", in.Uri)
	}
	path, query, _ := strings.Cut(pathQuery, "?")
	if path == "" {
		path = "/"
	}
	t := &runtime.HTTPTarget{Scheme: scheme, Host: host}
	if in.TlsConfig != nil {
		t.InsecureSkipVerify = in.TlsConfig.InsecureSkipVerification
	}
	if in.HttpMethod != "ANY" {
		t.Method = in.HttpMethod
	}
	if t.Path, err = uriParts(path, in, res, vars); err != nil {
		return nil, err
	}
	if t.Query, err = uriParts(query, in, res, vars); err != nil {
		return nil, err
	}
	for _, name := range sortedKeys(in.RequestParameters) {
		expr := in.RequestParameters[name]
		switch {
		case strings.HasPrefix(name, "integration.request.path."):
			// Used by the uri's placeholders.
		case strings.HasPrefix(name, "integration.request.querystring."):
			src, err := parseSource(expr, vars, res, integrationRequestSources)
			if err != nil {
				return nil, fmt.Errorf("request parameter %s: %w", name, err)
			}
			t.QueryParams = append(t.QueryParams, runtime.QueryParam{
				Name: strings.TrimPrefix(name, "integration.request.querystring."), Source: src})
		case strings.HasPrefix(name, "integration.request.header."):
			src, err := parseSource(expr, vars, res, integrationRequestSources)
			if err != nil {
				return nil, fmt.Errorf("request parameter %s: %w", name, err)
			}
			t.Headers = append(t.Headers, runtime.NewHeaderParam(strings.TrimPrefix(name, "integration.request.header."), src))
		default:
			return nil, fmt.Errorf("request parameter %q is not supported", name)
		}
	}
	return t, nil
}

// uriParts splits s at its {name} placeholders. A placeholder takes the source mapped by
// integration.request.path.name, or, when there is none, the route's path parameter of that
// name (the common direct form); {name+} is read as {name}.
func uriParts(s string, in *model.Integration, res *runtime.Resource, vars map[string]string) ([]runtime.URIPart, error) {
	var parts []runtime.URIPart
	for s != "" {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			parts = append(parts, runtime.URIPart{Text: s})
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("uri %q has an unclosed placeholder", in.Uri)
		}
		if i > 0 {
			parts = append(parts, runtime.URIPart{Text: s[:i]})
		}
		name := strings.TrimSuffix(s[i+1:i+j], "+")
		var src runtime.Source
		if expr, ok := in.RequestParameters["integration.request.path."+name]; ok {
			var err error
			if src, err = parseSource(expr, vars, res, integrationRequestSources); err != nil {
				return nil, fmt.Errorf("request parameter integration.request.path.%s: %w", name, err)
			}
		} else if idx := indexOf(res.ParamNames, name); idx >= 0 {
			src = runtime.Source{Kind: runtime.SrcPath, Name: name, Index: idx}
		} else {
			return nil, fmt.Errorf("uri placeholder {%s} has no integration.request.path.%s mapping", name, name)
		}
		parts = append(parts, runtime.URIPart{Param: true, Name: name, Source: src})
		s = s[i+j+1:]
	}
	return parts, nil
}
