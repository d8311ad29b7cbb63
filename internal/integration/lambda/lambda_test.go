package lambda

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portico/portico/internal/auth/sigv4"
	"github.com/portico/portico/internal/functions"
)

// invokeAPI is a Lambda Invoke API on a real listener that checks each call's SigV4 signature
// with Portico's own verifier and answers by function name.
func invokeAPI(t *testing.T) *httptest.Server {
	v := &sigv4.Verifier{Service: "lambda", Secret: func(id string) (string, bool) {
		return "secret", id == "AKIDREMOTE"
	}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if _, err := v.Verify(r, body); err != nil {
			w.Header().Set("X-Amzn-Errortype", "InvalidSignatureException")
			w.WriteHeader(403)
			io.WriteString(w, `{"message":"`+err.Error()+`"}`)
			return
		}
		name, ok := strings.CutPrefix(r.URL.Path, "/2015-03-31/functions/")
		name, ok2 := strings.CutSuffix(name, "/invocations")
		if !ok || !ok2 || r.Method != http.MethodPost {
			w.WriteHeader(404)
			return
		}
		w.Header().Set("X-Amzn-Requestid", "req-1")
		switch name {
		case "echo", "arn:aws:lambda:eu-west-1:123456789012:function:echo":
			w.Header().Set("X-Amz-Executed-Version", "$LATEST")
			if r.Header.Get("X-Amz-Invocation-Type") == "Event" {
				w.WriteHeader(202)
				return
			}
			if r.Header.Get("X-Amz-Log-Type") == "Tail" {
				w.Header().Set("X-Amz-Log-Result", "bG9n")
			}
			w.Write([]byte(`{"got":` + string(body) + `,"qualifier":"` + r.URL.Query().Get("Qualifier") + `"}`))
		case "fails":
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			io.WriteString(w, `{"errorMessage":"boom","errorType":"Error"}`)
		case "busy":
			w.Header().Set("X-Amzn-Errortype", "TooManyRequestsException:http://internal.amazon.com/coral/")
			w.WriteHeader(429)
			io.WriteString(w, `{"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded","Type":"User","message":"Rate Exceeded."}`)
		default:
			w.WriteHeader(404)
			io.WriteString(w, `{"__type":"ResourceNotFoundException","Message":"Function not found: `+name+`"}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestRemoteInvoke(t *testing.T) {
	srv := invokeAPI(t)
	r, err := NewRemote(RemoteOptions{Endpoint: srv.URL, Region: "us-east-1", AccessKeyID: "AKIDREMOTE", SecretAccessKey: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := r.Invoke(ctx, functions.InvokeRequest{FunctionName: "echo", Payload: []byte(`{"a":1}`), Qualifier: "live", LogTail: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || string(res.Payload) != `{"got":{"a":1},"qualifier":"live"}` || res.ExecutedVersion != "$LATEST" ||
		res.LogResult != "bG9n" || res.RequestID != "req-1" || res.FunctionError != "" {
		t.Errorf("result %+v %s", res, res.Payload)
	}
	// A full ARN is signed for its own region and escaped in the path.
	if res, err := r.Invoke(ctx, functions.InvokeRequest{FunctionName: "arn:aws:lambda:eu-west-1:123456789012:function:echo", Payload: []byte(`1`)}); err != nil || string(res.Payload) != `{"got":1,"qualifier":""}` {
		t.Errorf("ARN: %v %+v", err, res)
	}
	if res, err := r.Invoke(ctx, functions.InvokeRequest{FunctionName: "echo", InvocationType: "Event"}); err != nil || res.StatusCode != 202 {
		t.Errorf("event: %v %+v", err, res)
	}
	res, err = r.Invoke(ctx, functions.InvokeRequest{FunctionName: "fails"})
	if err != nil || res.FunctionError != "Unhandled" || !strings.Contains(string(res.Payload), "boom") {
		t.Errorf("function error: %v %+v", err, res)
	}
	_, err = r.Invoke(ctx, functions.InvokeRequest{FunctionName: "busy"})
	var fe *functions.Error
	if !errors.As(err, &fe) || !errors.Is(err, functions.ErrThrottled) || fe.Status != 429 || fe.Message != "Rate Exceeded." ||
		fe.Reason != "ReservedFunctionConcurrentInvocationLimitExceeded" {
		t.Errorf("throttled: %#v", err)
	}
	if _, err = r.Invoke(ctx, functions.InvokeRequest{FunctionName: "nope"}); !errors.Is(err, functions.ErrNotFound) ||
		functions.AsError(err).Message != "Function not found: nope" {
		t.Errorf("not found: %v", err)
	}

	bad, _ := NewRemote(RemoteOptions{Endpoint: srv.URL, AccessKeyID: "AKIDREMOTE", SecretAccessKey: "wrong"})
	if _, err := bad.Invoke(ctx, functions.InvokeRequest{FunctionName: "echo"}); functions.AsError(err).Type != "InvalidSignatureException" {
		t.Errorf("wrong secret: %v", err)
	}
	gone, _ := NewRemote(RemoteOptions{Endpoint: "http://127.0.0.1:1"})
	if _, err := gone.Invoke(ctx, functions.InvokeRequest{FunctionName: "echo"}); functions.AsError(err).Type != "ServiceException" {
		t.Errorf("unreachable: %v", err)
	}
	for _, e := range []string{"", "ftp://x", "http://", "http://h/?q=1", "::"} {
		if _, err := NewRemote(RemoteOptions{Endpoint: e}); err == nil {
			t.Errorf("endpoint %q accepted", e)
		}
	}
}

type stubInvoker struct {
	name  string
	known bool
}

func (s stubInvoker) Invoke(_ context.Context, req functions.InvokeRequest) (*functions.InvokeResult, error) {
	if !s.known {
		return nil, &functions.Error{Status: 404, Type: "ResourceNotFoundException", Message: "Function not found: " + req.FunctionName}
	}
	return &functions.InvokeResult{StatusCode: 200, Payload: []byte(s.name)}, nil
}

func TestRouter(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		router Router
		want   string
	}{
		{"local has it", Router{Local: stubInvoker{"local", true}, Remote: stubInvoker{"remote", true}}, "local"},
		{"remote otherwise", Router{Local: stubInvoker{"local", false}, Remote: stubInvoker{"remote", true}}, "remote"},
		{"remote only", Router{Remote: stubInvoker{"remote", true}}, "remote"},
		{"neither", Router{Local: stubInvoker{"local", false}}, "not found"},
		{"none", Router{}, "not found"},
	}
	for _, c := range cases {
		res, err := c.router.Invoke(ctx, functions.InvokeRequest{FunctionName: "f"})
		got := "not found"
		if err == nil {
			got = string(res.Payload)
		} else if !errors.Is(err, functions.ErrNotFound) {
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
