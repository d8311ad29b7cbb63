// Command proxyfn is an unmodified aws-lambda-go handler for API Gateway's Lambda proxy
// integration: it answers with parts of the event it received.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(_ context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	body, _ := json.Marshal(map[string]any{
		"resource":   ev.Resource,
		"path":       ev.Path,
		"method":     ev.HTTPMethod,
		"query":      ev.QueryStringParameters,
		"pathParams": ev.PathParameters,
		"stage":      ev.RequestContext.Stage,
		"body":       ev.Body,
	})
	return events.APIGatewayProxyResponse{StatusCode: 201, Headers: map[string]string{"X-Fn": "proxyfn"}, Body: string(body)}, nil
}

func main() { lambda.Start(handle) }
