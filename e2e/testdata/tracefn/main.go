// Command tracefn is an unmodified aws-lambda-go handler that tells what trace it runs in:
// behind a Lambda proxy integration it answers {"env": _X_AMZN_TRACE_ID, "ctx": the trace
// header aws-lambda-go puts in the context}. Invoked directly with {"fail": "text"} it fails
// with that text.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var probe struct {
		Fail string `json:"fail"`
	}
	json.Unmarshal(raw, &probe)
	if probe.Fail != "" {
		return nil, errors.New(probe.Fail)
	}
	seen, _ := ctx.Value("x-amzn-trace-id").(string)
	body, _ := json.Marshal(map[string]string{"env": os.Getenv("_X_AMZN_TRACE_ID"), "ctx": seen})
	return events.APIGatewayProxyResponse{StatusCode: 200, Body: string(body)}, nil
}

func main() { lambda.Start(handle) }
