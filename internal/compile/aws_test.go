package compile

import (
	"testing"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/runtime"
)

func TestCompileAWSIntegrations(t *testing.T) {
	vars := map[string]string{"fn": "pets", "alias": "live"}
	cases := []struct {
		name, typ, uri string
		kind           runtime.IntegrationKind
		function       string
		reason         string
		action, json   string
		query          string
	}{
		{name: "proxy by ARN", typ: "AWS_PROXY", kind: runtime.LambdaProxy,
			uri:      "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.fn}:${stageVariables.alias}/invocations",
			function: "arn:aws:lambda:us-east-1:123456789012:function:pets:live"},
		{name: "proxy by name", typ: "AWS_PROXY", kind: runtime.LambdaProxy,
			uri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/pets/invocations", function: "pets"},
		{name: "non-proxy lambda", typ: "AWS", kind: runtime.Lambda,
			uri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/pets/invocations", function: "pets"},
		{name: "proxy to a service", typ: "AWS_PROXY", kind: runtime.Unsupported,
			uri:    "arn:aws:apigateway:us-east-1:sqs:action/SendMessage",
			reason: "Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose stream invocations."},
		{name: "undefined stage variable", typ: "AWS_PROXY", kind: runtime.Unsupported,
			uri:    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/${stageVariables.none}/invocations",
			reason: `uri "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/${stageVariables.none}/invocations": stage variable "none" is not defined`},
		{name: "neither path nor action", typ: "AWS", kind: runtime.Unsupported,
			uri: "arn:aws:apigateway:us-east-1:sqs:SendMessage", reason: "AWS ARN for integration must contain path or action"},
		{name: "not an apigateway ARN", typ: "AWS", kind: runtime.Unsupported,
			uri: "https://sqs.amazonaws.com/", reason: "AWS ARN for integration must contain path or action"},
		{name: "query action", typ: "AWS", kind: runtime.AWSService,
			uri: "arn:aws:apigateway:us-east-1:sqs:action/SendMessage&Version=2012-11-05", action: "SendMessage",
			query: "Action=SendMessage&Version=2012-11-05"},
		{name: "json action", typ: "AWS", kind: runtime.AWSService,
			uri: "arn:aws:apigateway:us-east-1:dynamodb:action/PutItem", action: "PutItem", json: "DynamoDB_20120810"},
		{name: "subdomain service", typ: "AWS", kind: runtime.AWSService,
			uri: "arn:aws:apigateway:us-east-1:bucket.s3:path/key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := &model.Method{HttpMethod: "POST", MethodIntegration: &model.Integration{Type: c.typ, HttpMethod: "POST", Uri: c.uri}}
			res := &runtime.Resource{Path: "/"}
			in := compileIntegration(m, res, vars, Options{})
			if in.Kind != c.kind {
				t.Fatalf("kind %d, want %d (%s)", in.Kind, c.kind, in.Reason)
			}
			if in.Reason != c.reason {
				t.Errorf("reason %q, want %q", in.Reason, c.reason)
			}
			if c.function != "" && in.Lambda.Function != c.function {
				t.Errorf("function %q, want %q", in.Lambda.Function, c.function)
			}
			if in.Kind == runtime.AWSService {
				if in.AWS.Action != c.action || in.AWS.JSONTarget != c.json {
					t.Errorf("action %q %q", in.AWS.Action, in.AWS.JSONTarget)
				}
				q := ""
				for _, p := range in.HTTP.Query {
					q += p.Text
				}
				if q != c.query {
					t.Errorf("query %q, want %q", q, c.query)
				}
				if c.name == "subdomain service" && in.AWS.Service != "s3" {
					t.Errorf("service %q", in.AWS.Service)
				}
			}
		})
	}
}

func FuzzParseAWSURI(f *testing.F) {
	for _, s := range []string{"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/f/invocations",
		"arn:aws:apigateway:r:s3:path/b/k", "arn:aws:apigateway:r:sqs:action/A&B=c", "arn:aws:apigateway:::", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := parseAWSURI(s)
		if err != nil {
			return
		}
		if a.region == "" || a.service == "" || a.rest == "" || (a.style != "path" && a.style != "action") {
			t.Fatalf("accepted %q as %+v", s, a)
		}
		a.lambdaFunction()
	})
}
