// Command handler is the test function: an unmodified aws-lambda-go handler whose payload says
// what to do, plus start-up modes (MODE) that misbehave on the Runtime API.
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Op    string `json:"op"`
	Ms    int    `json:"ms"`
	Text  string `json:"text"`
	Bytes int    `json:"bytes"`
}

func handle(ctx context.Context, ev event) (any, error) {
	lc, _ := lambdacontext.FromContext(ctx)
	switch ev.Op {
	case "sleep":
		time.Sleep(time.Duration(ev.Ms) * time.Millisecond)
	case "crash":
		os.Exit(2)
	case "error":
		return nil, errors.New(ev.Text)
	case "big":
		return strings.Repeat("x", ev.Bytes), nil
	case "print":
		fmt.Println(ev.Text)
	}
	dl, _ := ctx.Deadline()
	return map[string]any{
		"op":        ev.Op,
		"requestId": lc.AwsRequestID,
		"arn":       lc.InvokedFunctionArn,
		"deadline":  time.Until(dl).Milliseconds(),
		"pid":       os.Getpid(),
		"name":      os.Getenv("AWS_LAMBDA_FUNCTION_NAME"),
		"version":   os.Getenv("AWS_LAMBDA_FUNCTION_VERSION"),
		"memory":    os.Getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"),
		"region":    os.Getenv("AWS_REGION"),
		"handler":   os.Getenv("_HANDLER"),
		"tz":        os.Getenv("TZ"),
		"greeting":  os.Getenv("GREETING"),
		"trace":     os.Getenv("_X_AMZN_TRACE_ID"),
	}, nil
}

func main() {
	base := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime"
	switch os.Getenv("MODE") {
	case "exit":
		fmt.Println("exiting at start")
		os.Exit(3)
	case "init-error":
		http.Post(base+"/init/error", "application/json", strings.NewReader(`{"errorMessage":"no config","errorType":"Init.Config"}`))
		os.Exit(1)
	case "garbage":
		for {
			resp, err := http.Get(base + "/invocation/next")
			if err != nil {
				os.Exit(1)
			}
			id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
			resp.Body.Close()
			for _, u := range []string{"/invocation/not-" + id + "/response", "/invocation/" + id + "/nonsense", "/../../etc/passwd"} {
				if r, err := http.Post(base+u, "text/plain", strings.NewReader("\x00garbage")); err == nil {
					r.Body.Close()
				}
			}
			if r, err := http.Post(base+"/invocation/"+id+"/error", "text/plain", strings.NewReader("not json at all")); err == nil {
				r.Body.Close()
			}
		}
	}
	lambda.Start(handle)
}
