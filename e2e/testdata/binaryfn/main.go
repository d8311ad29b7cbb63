// Command binaryfn is an unmodified aws-lambda-go handler for API Gateway's Lambda proxy
// integration that answers with the bytes it was sent: a binary body arrives base64-encoded
// (isBase64Encoded) and goes back the same way, as image/png.
package main

import (
	"context"
	"encoding/base64"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(_ context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	body := ev.Body
	if !ev.IsBase64Encoded {
		body = base64.StdEncoding.EncodeToString([]byte(body))
	}
	return events.APIGatewayProxyResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "image/png"},
		Body: body, IsBase64Encoded: true}, nil
}

func main() { lambda.Start(handle) }
