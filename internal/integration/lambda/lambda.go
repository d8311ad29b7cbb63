// Package lambda invokes functions that do not run in Portico: Remote calls a Lambda Invoke
// API over HTTP (AWS Lambda itself, or anything that speaks it: another Portico, a look-alike),
// signing each call with SigV4; Router sends an invocation to the local functions runtime when
// it has the function and to a Remote otherwise. Both are functions.Invokers, so the gateway
// does not know which one answers.
//
// Choices: the signing region is the one of a full function ARN, else the configured one. A
// remote error answer becomes a functions.Error with the type from x-amzn-ErrorType (or the
// body's __type/Type) and the body's message, so the gateway maps it as it maps local ones. An
// answer over Lambda's 6 MB response limit is refused as a ServiceException.
//
// lambda imports the functions contract and aws-sdk-go-v2's signer; it must never import the
// gateway, the store or the management API.
package lambda

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/portico/portico/internal/functions"
)

// RemoteOptions configure a Remote.
type RemoteOptions struct {
	// Endpoint is the Invoke API's base URL (scheme://host[:port][/prefix]).
	Endpoint string
	// Region signs calls for functions not named by a full ARN.
	Region string
	// AccessKeyID, SecretAccessKey and SessionToken sign the calls (unsigned when empty).
	AccessKeyID, SecretAccessKey, SessionToken string
	// Client sends the calls (nil: a client of its own).
	Client *http.Client
}

// Remote invokes functions through a Lambda Invoke API.
type Remote struct {
	base   *url.URL
	opts   RemoteOptions
	client *http.Client
	signer *v4.Signer
}

// NewRemote returns a Remote for opts; the endpoint must be an http or https URL.
func NewRemote(opts RemoteOptions) (*Remote, error) {
	u, err := url.Parse(opts.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("lambda endpoint %q is not an http(s) URL", opts.Endpoint)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	c := opts.Client
	if c == nil {
		c = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second}}
	}
	return &Remote{base: u, opts: opts, client: c, signer: v4.NewSigner()}, nil
}

// Invoke calls POST {endpoint}/2015-03-31/functions/{name}/invocations.
func (r *Remote) Invoke(ctx context.Context, req functions.InvokeRequest) (*functions.InvokeResult, error) {
	u := *r.base
	u.Path += "/2015-03-31/functions/" + req.FunctionName + "/invocations"
	u.RawPath = r.base.EscapedPath() + "/2015-03-31/functions/" + url.PathEscape(req.FunctionName) + "/invocations"
	if req.Qualifier != "" {
		u.RawQuery = "Qualifier=" + url.QueryEscape(req.Qualifier)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(req.Payload))
	if err != nil {
		return nil, &functions.Error{Status: http.StatusInternalServerError, Type: "ServiceException", Message: err.Error()}
	}
	hr.Header.Set("Content-Type", "application/json")
	if req.InvocationType != "" {
		hr.Header.Set("X-Amz-Invocation-Type", req.InvocationType)
	}
	if req.LogTail {
		hr.Header.Set("X-Amz-Log-Type", "Tail")
	}
	if req.ClientContext != "" {
		hr.Header.Set("X-Amz-Client-Context", req.ClientContext)
	}
	if req.TraceID != "" {
		hr.Header.Set("X-Amzn-Trace-Id", req.TraceID)
	}
	if r.opts.AccessKeyID != "" {
		sum := sha256.Sum256(req.Payload)
		creds := aws.Credentials{AccessKeyID: r.opts.AccessKeyID, SecretAccessKey: r.opts.SecretAccessKey,
			SessionToken: r.opts.SessionToken}
		if err := r.signer.SignHTTP(ctx, creds, hr, hex.EncodeToString(sum[:]), "lambda",
			signingRegion(req.FunctionName, r.opts.Region), time.Now().UTC()); err != nil {
			return nil, &functions.Error{Status: http.StatusInternalServerError, Type: "ServiceException", Message: err.Error()}
		}
	}
	resp, err := r.client.Do(hr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &functions.Error{Status: http.StatusBadGateway, Type: "ServiceException",
			Message: "the Lambda endpoint did not answer: " + err.Error()}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, functions.MaxResponsePayload+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &functions.Error{Status: http.StatusBadGateway, Type: "ServiceException", Message: err.Error()}
	}
	if len(body) > functions.MaxResponsePayload {
		return nil, &functions.Error{Status: http.StatusBadGateway, Type: "ServiceException",
			Message: "the Lambda endpoint's answer exceeds the response payload limit"}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, remoteError(resp, body)
	}
	return &functions.InvokeResult{
		StatusCode:      resp.StatusCode,
		Payload:         body,
		FunctionError:   resp.Header.Get("X-Amz-Function-Error"),
		LogResult:       resp.Header.Get("X-Amz-Log-Result"),
		ExecutedVersion: resp.Header.Get("X-Amz-Executed-Version"),
		RequestID:       resp.Header.Get("X-Amzn-Requestid"),
	}, nil
}

// signingRegion is the region of a full function ARN, else def.
func signingRegion(fn, def string) string {
	if rest, ok := strings.CutPrefix(fn, "arn:aws:lambda:"); ok {
		if region, _, ok := strings.Cut(rest, ":"); ok && region != "" {
			return region
		}
	}
	return def
}

// remoteError turns an error answer of the Invoke API into a functions.Error.
func remoteError(resp *http.Response, body []byte) *functions.Error {
	var b struct {
		Type1   string `json:"__type"`
		Type2   string `json:"Type"`
		Message string `json:"message"`
		Msg2    string `json:"Message"`
		Reason  string `json:"Reason"`
	}
	json.Unmarshal(body, &b)
	typ := resp.Header.Get("X-Amzn-Errortype")
	if typ == "" {
		typ = b.Type1
	}
	if typ == "" {
		typ = b.Type2
	}
	// "ResourceNotFoundException:http://internal.amazon.com/..." and "aws.lambda#X" forms.
	typ, _, _ = strings.Cut(typ, ":")
	if i := strings.LastIndexByte(typ, '#'); i >= 0 {
		typ = typ[i+1:]
	}
	if typ == "" {
		typ = "ServiceException"
	}
	msg := b.Message
	if msg == "" {
		msg = b.Msg2
	}
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	return &functions.Error{Status: resp.StatusCode, Type: typ, Message: msg, Reason: b.Reason}
}

// Router invokes a function on Local when Local has it, else on Remote. Either may be nil.
type Router struct {
	Local, Remote functions.Invoker
}

// Invoke implements functions.Invoker.
func (r Router) Invoke(ctx context.Context, req functions.InvokeRequest) (*functions.InvokeResult, error) {
	if r.Local != nil {
		res, err := r.Local.Invoke(ctx, req)
		if r.Remote == nil || !errors.Is(err, functions.ErrNotFound) {
			return res, err
		}
	}
	if r.Remote == nil {
		return nil, &functions.Error{Status: http.StatusNotFound, Type: "ResourceNotFoundException",
			Message: "Function not found: " + req.FunctionName}
	}
	return r.Remote.Invoke(ctx, req)
}
