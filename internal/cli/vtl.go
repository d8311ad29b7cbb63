package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/portico/portico/internal/vtl"
	awsvtl "github.com/portico/portico/internal/vtl/aws"
)

const vtlAbout = `Render a mapping template offline, with the variables API Gateway gives it: $input over the
--body payload, $input.params() from --params, $context from --context, $stageVariables from
--stage-variables, and $util. The output goes to stdout; overrides the template sets
($context.requestOverride, $context.responseOverride) are listed on stderr.

TEMPLATE and --body are file names. --params, --context and --stage-variables take JSON, or
@FILE to read it from a file:
  --params '{"path": {"id": "7"}, "querystring": {"q": "x"}, "header": {"Accept": "*/*"}}'
  --context '{"stage": "prod", "identity": {"sourceIp": "192.0.2.1"}}'
  --stage-variables '{"url": "example.com"}'
Query and header values may be a string or a list of strings. requestId, extendedRequestId,
requestTime, requestTimeEpoch and protocol are filled in as a gateway would unless given.

--trace prints each directive as it is evaluated to stderr: #if and #elseif with their
condition's value, each #foreach with what it iterates and then each item, each #set with the
value assigned, #else, #break, #stop, #define and macro calls with their arguments.`

func runVTL(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "vtl", "render TEMPLATE [--body FILE] [--params JSON] [--context JSON] [--stage-variables JSON] [--trace]", vtlAbout)
	bodyFile := fs.String("body", "", "payload `FILE` for $input.body, $input.json and $input.path (empty when unset)")
	params := fs.String("params", "", "method request parameters as `JSON`: {\"path\":{..},\"querystring\":{..},\"header\":{..}}")
	ctxJSON := fs.String("context", "", "$context as `JSON`, with AWS's names (accountId, identity.sourceIp, ...)")
	stageVars := fs.String("stage-variables", "", "$stageVariables as a `JSON` object of strings")
	trace := fs.Bool("trace", false, "print each directive as it is evaluated to stderr")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 || pos[0] != "render" {
		return fmt.Errorf("%w: want: vtl render TEMPLATE", errUsage)
	}
	src, err := os.ReadFile(pos[1])
	if err != nil {
		return err
	}
	var body []byte
	if *bodyFile != "" {
		if body, err = os.ReadFile(*bodyFile); err != nil {
			return err
		}
	}
	req := &awsvtl.Request{}
	if err := readParams(*params, req); err != nil {
		return err
	}
	if err := decodeJSONFlag("--context", *ctxJSON, &req.Context); err != nil {
		return err
	}
	if err := decodeJSONFlag("--stage-variables", *stageVars, &req.StageVariables); err != nil {
		return err
	}
	fillContext(&req.Context, time.Now())

	tpl, err := vtl.Parse(pos[1], string(src))
	if err != nil {
		return err
	}
	b := awsvtl.NewBindings(req, body)
	if *trace {
		b.Scope().Tracer = func(ev vtl.TraceEvent) { fmt.Fprintln(e.stderr, formatTrace(ev)) }
	}
	var out bytes.Buffer
	if err := tpl.Render(&out, b.Scope()); err != nil {
		return err
	}
	if _, err := e.stdout.Write(out.Bytes()); err != nil {
		return err
	}
	printOverrides(e, b.Overrides())
	return nil
}

// jsonFlag returns a flag's JSON text, read from a file when it starts with @.
func jsonFlag(name, v string) ([]byte, error) {
	if strings.HasPrefix(v, "@") {
		b, err := os.ReadFile(v[1:])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return b, nil
	}
	return []byte(v), nil
}

func decodeJSONFlag(name, v string, dst any) error {
	if v == "" {
		return nil
	}
	data, err := jsonFlag(name, v)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("%w: %s: %v", errUsage, name, err)
	}
	return nil
}

// multi is a parameter value given as a string or a list of strings.
type multi []string

func (m *multi) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*m = multi{s}
		return nil
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return fmt.Errorf("a parameter value must be a string or a list of strings")
	}
	*m = l
	return nil
}

func readParams(v string, req *awsvtl.Request) error {
	var p struct {
		Path        map[string]string `json:"path"`
		Querystring map[string]multi  `json:"querystring"`
		Header      map[string]multi  `json:"header"`
	}
	if err := decodeJSONFlag("--params", v, &p); err != nil {
		return err
	}
	req.PathParams = p.Path
	req.Query = make(map[string][]string, len(p.Querystring))
	for k, vs := range p.Querystring {
		req.Query[k] = vs
	}
	req.Header = make(map[string][]string, len(p.Header))
	for k, vs := range p.Header {
		req.Header[k] = vs
	}
	if ua := req.Header["User-Agent"]; len(ua) > 0 && req.Context.Identity.UserAgent == "" {
		req.Context.Identity.UserAgent = ua[len(ua)-1]
	}
	return nil
}

// fillContext sets what a gateway always knows about a request, unless the caller gave it.
func fillContext(c *awsvtl.Context, now time.Time) {
	if c.RequestID == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		c.RequestID = fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
	}
	if c.ExtendedRequestID == "" {
		// AWS's look: 11 random bytes in URL-safe base64, such as OPwe_ErKvHcF5ZA=.
		var b [11]byte
		_, _ = rand.Read(b[:])
		c.ExtendedRequestID = base64.URLEncoding.EncodeToString(b[:])
	}
	if c.RequestTimeEpoch == 0 {
		c.RequestTimeEpoch = now.UnixMilli()
	}
	if c.RequestTime == "" {
		c.RequestTime = time.UnixMilli(c.RequestTimeEpoch).UTC().Format("02/Jan/2006:15:04:05 -0700")
	}
	if c.Protocol == "" {
		c.Protocol = "HTTP/1.1"
	}
}

func formatTrace(ev vtl.TraceEvent) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d:%d %s", ev.Line, ev.Col, ev.Text)
	switch ev.Kind {
	case "if", "elseif":
		fmt.Fprintf(&b, " -> %s", traceValue(ev.Value))
	case "foreach":
		fmt.Fprintf(&b, " over %d items: %s", ev.Index, traceValue(ev.Value))
	case "item":
		fmt.Fprintf(&b, " [%d] %s", ev.Index, traceValue(ev.Value))
	case "set":
		fmt.Fprintf(&b, " = %s", traceValue(ev.Value))
	case "macro":
		if ev.Value != nil {
			fmt.Fprintf(&b, " %s", traceValue(ev.Value))
		}
	}
	return b.String()
}

// traceValue shows a value so that null, empty and strings can be told apart.
func traceValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("%q", x)
	case []any:
		return vtl.ToString(vtl.NewList(x...))
	}
	return vtl.ToString(v)
}

func printOverrides(e *env, o *awsvtl.Overrides) {
	for _, g := range []struct {
		name string
		ps   []awsvtl.Param
	}{
		{"requestOverride.header", o.Header}, {"requestOverride.querystring", o.Querystring},
		{"requestOverride.path", o.Path}, {"responseOverride.header", o.ResponseHeader},
	} {
		for _, p := range g.ps {
			fmt.Fprintf(e.stderr, "%s.%s: %s\n", g.name, p.Name, strings.Join(p.Values, ", "))
		}
	}
	if o.Status != 0 {
		fmt.Fprintf(e.stderr, "responseOverride.status: %d\n", o.Status)
	}
}
