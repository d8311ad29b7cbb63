package compile

import (
	"fmt"
	"strings"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/runtime"
)

// jsonServices are the AWS services whose API is a JSON protocol: an action-style uri is sent
// to them as X-Amz-Target {prefix}.{Action} with the content type their SDKs send, as API
// Gateway does. Any other service gets the query protocol's Action parameter.
var jsonServices = map[string][2]string{
	"dynamodb":       {"DynamoDB_20120810", "application/x-amz-json-1.0"},
	"kinesis":        {"Kinesis_20131202", "application/x-amz-json-1.1"},
	"firehose":       {"Firehose_20150804", "application/x-amz-json-1.1"},
	"states":         {"AWSStepFunctions", "application/x-amz-json-1.0"},
	"events":         {"AWSEvents", "application/x-amz-json-1.1"},
	"logs":           {"Logs_20140328", "application/x-amz-json-1.1"},
	"secretsmanager": {"secretsmanager", "application/x-amz-json-1.1"},
	"ssm":            {"AmazonSSM", "application/x-amz-json-1.1"},
	"kms":            {"TrentService", "application/x-amz-json-1.1"},
}

// awsARN is an integration uri of the form arn:aws:apigateway:{region}:{service}:{path|action}/{rest}.
type awsARN struct {
	region, service, style, rest string
}

// parseAWSURI splits an AWS or AWS_PROXY integration uri, with AWS's messages for the forms it
// refuses.
func parseAWSURI(uri string) (awsARN, error) {
	var a awsARN
	rest, ok := strings.CutPrefix(uri, "arn:aws:apigateway:")
	if !ok {
		return a, fmt.Errorf("AWS ARN for integration must contain path or action")
	}
	parts := strings.SplitN(rest, ":", 3)
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return a, fmt.Errorf("AWS ARN for integration must contain path or action")
	}
	a.region, a.service = parts[0], parts[1]
	// {subdomain.service}: the signing name is the service.
	if i := strings.LastIndexByte(a.service, '.'); i >= 0 {
		a.service = a.service[i+1:]
	}
	if a.service == "" {
		return a, fmt.Errorf("AWS ARN for integration must contain path or action")
	}
	style, tail, ok := strings.Cut(parts[2], "/")
	if !ok || (style != "path" && style != "action") || tail == "" {
		return a, fmt.Errorf("AWS ARN for integration must contain path or action")
	}
	a.style, a.rest = style, tail
	return a, nil
}

// lambdaFunction returns the function of a lambda:path/2015-03-31/functions/{fn}/invocations
// uri (ok false when the uri does not invoke a function).
func (a awsARN) lambdaFunction() (string, bool) {
	if a.service != "lambda" || a.style != "path" {
		return "", false
	}
	fn, ok := strings.CutPrefix(a.rest, "2015-03-31/functions/")
	if !ok {
		return "", false
	}
	fn, ok = strings.CutSuffix(fn, "/invocations")
	return fn, ok
}

// compileAWS compiles AWS and AWS_PROXY integrations: a Lambda invocation (proxy, or non-proxy
// with templates and integration responses), or a call to an AWS service. Stage variables are
// substituted in the uri first, so the function a stage invokes is fixed when it is compiled.
// It returns why the integration cannot be served, or "".
func compileAWS(out *runtime.Integration, m *model.Method, in *model.Integration, res *runtime.Resource, vars map[string]string) string {
	uri, err := ResolveStageVariables(in.Uri, vars)
	if err != nil {
		return fmt.Sprintf("uri %q: %v", in.Uri, err)
	}
	arn, err := parseAWSURI(uri)
	if err != nil {
		return err.Error()
	}
	fn, isLambda := arn.lambdaFunction()
	if in.Type == "AWS_PROXY" {
		if !isLambda {
			return "Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose stream invocations."
		}
		if fn == "" {
			return fmt.Sprintf("uri %q names no function", in.Uri)
		}
		out.Kind = runtime.LambdaProxy
		out.Lambda = &runtime.LambdaTarget{Function: fn}
		return ""
	}
	if !validContentHandling(in.ContentHandling) {
		return fmt.Sprintf("invalid contentHandling %q", in.ContentHandling)
	}
	out.ContentHandling = in.ContentHandling
	if reason := compileRequestTemplates(out, m, in); reason != "" {
		return reason
	}
	if reason := compileResponses(out, m, in, vars); reason != "" {
		return reason
	}
	if isLambda {
		if fn == "" {
			return fmt.Sprintf("uri %q names no function", in.Uri)
		}
		out.Kind = runtime.Lambda
		t := &runtime.LambdaTarget{Function: fn}
		for _, name := range sortedKeys(in.RequestParameters) {
			header, ok := strings.CutPrefix(name, "integration.request.header.")
			if !ok || header == "" {
				return fmt.Sprintf("request parameter %q is not supported by a Lambda integration", name)
			}
			src, err := parseSource(in.RequestParameters[name], vars, res, integrationRequestSources)
			if err != nil {
				return fmt.Sprintf("request parameter %s: %v", name, err)
			}
			t.Headers = append(t.Headers, runtime.NewHeaderParam(header, src))
		}
		out.Lambda = t
		return ""
	}
	out.Kind = runtime.AWSService
	role, err := ResolveStageVariables(in.Credentials, vars)
	if err != nil {
		return fmt.Sprintf("credentials %q: %v", in.Credentials, err)
	}
	target := &runtime.AWSTarget{Service: arn.service, Region: arn.region, Role: role}
	httpT := &runtime.HTTPTarget{Method: in.HttpMethod}
	if httpT.Method == "" || httpT.Method == "ANY" {
		httpT.Method = "POST"
	}
	if arn.style == "path" {
		if httpT.Path, err = uriParts("/"+arn.rest, in, res, vars); err != nil {
			return err.Error()
		}
	} else {
		action, params, _ := strings.Cut(arn.rest, "&")
		target.Action = action
		httpT.Path = []runtime.URIPart{{Text: "/"}}
		query := params
		if js, ok := jsonServices[arn.service]; ok {
			target.JSONTarget, target.JSONContentType = js[0], js[1]
		} else if query == "" {
			query = "Action=" + action
		} else {
			query = "Action=" + action + "&" + query
		}
		if httpT.Query, err = uriParts(query, in, res, vars); err != nil {
			return err.Error()
		}
	}
	for _, name := range sortedKeys(in.RequestParameters) {
		expr := in.RequestParameters[name]
		switch {
		case strings.HasPrefix(name, "integration.request.path."):
			// Used by the uri's placeholders.
		case strings.HasPrefix(name, "integration.request.querystring."):
			src, err := parseSource(expr, vars, res, integrationRequestSources)
			if err != nil {
				return fmt.Sprintf("request parameter %s: %v", name, err)
			}
			httpT.QueryParams = append(httpT.QueryParams, runtime.QueryParam{
				Name: strings.TrimPrefix(name, "integration.request.querystring."), Source: src})
		case strings.HasPrefix(name, "integration.request.header."):
			src, err := parseSource(expr, vars, res, integrationRequestSources)
			if err != nil {
				return fmt.Sprintf("request parameter %s: %v", name, err)
			}
			httpT.Headers = append(httpT.Headers, runtime.NewHeaderParam(strings.TrimPrefix(name, "integration.request.header."), src))
		default:
			return fmt.Sprintf("request parameter %q is not supported", name)
		}
	}
	out.HTTP = httpT
	out.AWS = target
	return ""
}
