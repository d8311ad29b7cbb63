// Command authfn is an unmodified aws-lambda-go Lambda authorizer (TOKEN and REQUEST). The
// token, "Bearer <word>", picks its answer: allow-<user> allows GET on every path of the
// stage; key-<user> does too and names the API key "authfn-key-0000000000001"; deny denies;
// unauthorized fails with "Unauthorized"; crash panics; garbage answers a JSON string. A
// REQUEST call allows the user of its X-User header. Context carries calls, how many times
// this process was invoked, so a test sees the cache at work.
package main

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

var calls atomic.Int64

type request struct {
	Type               string            `json:"type"`
	AuthorizationToken string            `json:"authorizationToken"`
	MethodArn          string            `json:"methodArn"`
	Headers            map[string]string `json:"headers"`
}

func allow(methodArn, user, effect string) events.APIGatewayCustomAuthorizerResponse {
	// arn:aws:execute-api:{region}:{account}:{api}/{stage}/{verb}/{path}: every GET of the stage.
	parts := strings.SplitN(methodArn, "/", 3)
	resource := parts[0] + "/" + parts[1] + "/GET/*"
	return events.APIGatewayCustomAuthorizerResponse{
		PrincipalID: user,
		PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{Version: "2012-10-17",
			Statement: []events.IAMPolicyStatement{{Action: []string{"execute-api:Invoke"}, Effect: effect, Resource: []string{resource}}}},
		Context: map[string]any{"user": user, "calls": calls.Load(), "admin": user == "root"},
	}
}

func handle(_ context.Context, req request) (any, error) {
	calls.Add(1)
	if req.Type == "REQUEST" {
		return allow(req.MethodArn, req.Headers["X-User"], "Allow"), nil
	}
	word := strings.TrimPrefix(req.AuthorizationToken, "Bearer ")
	switch {
	case strings.HasPrefix(word, "allow-"):
		return allow(req.MethodArn, strings.TrimPrefix(word, "allow-"), "Allow"), nil
	case strings.HasPrefix(word, "key-"):
		out := allow(req.MethodArn, strings.TrimPrefix(word, "key-"), "Allow")
		out.UsageIdentifierKey = "authfn-key-0000000000001"
		return out, nil
	case word == "deny":
		return allow(req.MethodArn, "nobody", "Deny"), nil
	case word == "unauthorized":
		return nil, errors.New("Unauthorized")
	case word == "crash":
		panic("the authorizer crashed")
	case word == "garbage":
		return "not a policy", nil
	}
	return nil, errors.New("Unauthorized")
}

func main() { lambda.Start(handle) }
