// Command eventfn is an unmodified aws-lambda-go handler that shows what API Gateway sent it.
// Behind a Lambda proxy integration it answers with the event, verbatim, as the body. Behind a
// non-proxy integration it fails with the event's "fail" text when there is one, and otherwise
// answers {"echo": event}.
package main

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(_ context.Context, raw json.RawMessage) (any, error) {
	var probe struct {
		Resource *string `json:"resource"`
		Fail     string  `json:"fail"`
	}
	json.Unmarshal(raw, &probe)
	if probe.Resource != nil {
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: string(raw),
			MultiValueHeaders: map[string][]string{"X-Seen": {"a", "b"}}}, nil
	}
	if probe.Fail != "" {
		return nil, errors.New(probe.Fail)
	}
	return map[string]json.RawMessage{"echo": raw}, nil
}

func main() { lambda.Start(handle) }
