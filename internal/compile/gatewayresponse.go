package compile

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/runtime"
	"github.com/portico/portico/internal/vtl"
)

// DefaultResponses returns the built-in gateway responses, for requests that reach no API.
func DefaultResponses() (runtime.GatewayResponses, error) {
	return resolveResponses(nil, nil)
}

// resolveResponses applies rest-api-model.md §11: a customised type wins; else the customised
// DEFAULT_4XX or DEFAULT_5XX of the type's class (whose statusCode, when set, replaces the
// class's default statuses); else the built-in. A customised type that sets no statusCode or no
// templates takes them from its class default, then from the built-in.
func resolveResponses(custom map[string]*model.GatewayResponse, vars map[string]string) (runtime.GatewayResponses, error) {
	var out runtime.GatewayResponses
	for _, d := range model.GatewayResponseDefaults {
		typ, ok := runtime.ParseResponseType(d.Type)
		if !ok {
			return out, fmt.Errorf("gateway response type %s is unknown to the runtime", d.Type)
		}
		builtinStatus, class := d.StatusCode, "DEFAULT_5XX"
		switch d.Type {
		case "DEFAULT_4XX":
			builtinStatus, class = "400", "DEFAULT_4XX"
		case "DEFAULT_5XX":
			builtinStatus = "500"
		default:
			if strings.HasPrefix(d.StatusCode, "4") {
				class = "DEFAULT_4XX"
			}
		}
		own, classCustom := custom[d.Type], custom[class]
		status := builtinStatus
		params := map[string]string(nil)
		templates := map[string]string{"application/json": model.DefaultGatewayResponseTemplate}
		for _, c := range []*model.GatewayResponse{classCustom, own} { // later wins
			if c == nil {
				continue
			}
			if c.StatusCode != "" {
				status = c.StatusCode
			}
			if len(c.ResponseTemplates) > 0 {
				templates = c.ResponseTemplates
			}
			params = c.ResponseParameters
		}
		code, err := strconv.Atoi(status)
		if err != nil || code < 100 || code > 599 {
			return out, fmt.Errorf("gateway response %s: invalid statusCode %q", d.Type, status)
		}
		gr := &runtime.GatewayResponse{Type: typ, Status: code}
		for _, name := range sortedKeys(params) {
			header, ok := strings.CutPrefix(name, "gatewayresponse.header.")
			if !ok || header == "" {
				return out, fmt.Errorf("gateway response %s: invalid response parameter %q", d.Type, name)
			}
			src, err := parseSource(params[name], vars, nil, gatewayResponseSources)
			if err != nil {
				return out, fmt.Errorf("gateway response %s: %s: %w", d.Type, name, err)
			}
			gr.Headers = append(gr.Headers, runtime.NewHeaderParam(header, src))
		}
		for _, ct := range sortedKeys(templates) {
			gr.Templates = append(gr.Templates, ParseGatewayTemplate(runtime.MediaType(ct), templates[ct], vars))
		}
		out[typ] = gr
	}
	return out, nil
}

// ParseGatewayTemplate splits a gateway response template into literal text and $context
// references. Gateway response templates are not VTL (AWS's documentation says so, and that
// they support only simple variable substitution): AWS substitutes $context and $stageVariables
// references (plain $x.y, silent $!x.y and formal ${x.y} / $!{x.y}) and leaves directives as
// text. Stage variables are substituted now; each $context reference is also parsed by the
// template engine, so it reads the same $context a mapping template reads; a reference to
// anything else stays literal text.
func ParseGatewayTemplate(contentType, text string, vars map[string]string) runtime.GatewayTemplate {
	t := runtime.GatewayTemplate{ContentType: contentType}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.Parts = append(t.Parts, runtime.TemplatePart{Text: lit.String()})
			lit.Reset()
		}
	}
	for len(text) > 0 {
		i := strings.IndexByte(text, '$')
		if i < 0 {
			lit.WriteString(text)
			break
		}
		lit.WriteString(text[:i])
		ref, name, quiet, n := scanReference(text[i:])
		text = text[i+n:]
		root, rest, _ := strings.Cut(name, ".")
		switch {
		case n == 1 || rest == "":
			lit.WriteString(ref)
		case root == "stageVariables":
			if v, ok := vars[rest]; ok {
				lit.WriteString(v)
			} else if !quiet {
				lit.WriteString(ref)
			}
		case root == "context":
			flush()
			text := ref
			if quiet {
				text = ""
			}
			ref, err := vtl.Parse("gateway response template "+contentType, "$context."+rest)
			if err != nil {
				ref = nil // a name the engine does not read stays literal text
			}
			t.Parts = append(t.Parts, runtime.TemplatePart{Text: text, Var: rest, Ref: ref})
		default:
			lit.WriteString(ref)
		}
	}
	flush()
	static := true
	var b []byte
	for _, p := range t.Parts {
		if p.Var != "" {
			static = false
			break
		}
		b = append(b, p.Text...)
	}
	if static {
		if b == nil {
			b = []byte{}
		}
		t.Static = b
	}
	return t
}

// scanReference reads the reference starting at s[0] == '$'. It returns the reference's text,
// its dotted name ("" when s holds none), whether it is silent ($!), and how many bytes it
// spans (1 for a lone '$').
func scanReference(s string) (ref, name string, quiet bool, n int) {
	i := 1
	if i < len(s) && s[i] == '!' {
		quiet = true
		i++
	}
	formal := false
	if i < len(s) && s[i] == '{' {
		formal = true
		i++
	}
	start := i
	for i < len(s) && isNameByte(s[i]) {
		i++
	}
	for i > start && s[i-1] == '.' {
		i--
	}
	name = s[start:i]
	if name == "" || !isLetter(name[0]) {
		return "$", "", false, 1
	}
	if formal {
		if i >= len(s) || s[i] != '}' {
			return "$", "", false, 1
		}
		i++
	}
	return s[:i], name, quiet, i
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isNameByte(c byte) bool {
	return isLetter(c) || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}
