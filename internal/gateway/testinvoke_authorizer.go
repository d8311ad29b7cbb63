package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/portico/portico/internal/auth/policy"
	"github.com/portico/portico/internal/compile"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/runtime"
)

// TestInvokeAuthorizer tries a TOKEN or REQUEST authorizer of doc, the API's current
// definition, with a request made of in (a COGNITO_USER_POOLS one: testInvokeCognito), as AWS's
// TestInvokeAuthorizer does: the authorizer is
// compiled with the request's stage variables for the pseudo stage test-invoke-stage, its
// identity sources read, its function called (never from the cache), and its policy evaluated
// for GET on the request's path. The answer says what a client would get (clientStatus), what
// the function returned, and an execution log.
func (g *Gateway) TestInvokeAuthorizer(ctx context.Context, doc *model.APIDoc, authorizerID string, in *model.TestInvokeAuthorizerRequest) (*model.TestInvokeAuthorizerResponse, error) {
	ma := doc.Authorizers[authorizerID]
	if ma == nil {
		return nil, errors.New("Invalid Authorizer identifier specified")
	}
	if ma.Type == model.AuthorizerCognito {
		return g.testInvokeCognito(ctx, ma, in)
	}
	a := compile.Authorizer(ma, in.StageVariables)
	vars := in.StageVariables
	if vars == nil {
		vars = map[string]string{}
	}
	pathQuery := in.PathWithQueryString
	if !strings.HasPrefix(pathQuery, "/") {
		pathQuery = "/" + pathQuery
	}
	path, _, _ := strings.Cut(pathQuery, "?")
	u, err := url.ParseRequestURI("http://" + testInvokeHost + "/" + testInvokeStage + pathQuery)
	if err != nil {
		return nil, fmt.Errorf("Invalid pathWithQueryString: %s", in.PathWithQueryString)
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), http.NoBody)
	if err != nil {
		return nil, fmt.Errorf("Invalid pathWithQueryString: %s", in.PathWithQueryString)
	}
	r.RequestURI = "/" + testInvokeStage + pathQuery
	r.RemoteAddr = testInvokeSourceIP
	for k, vs := range in.MultiValueHeaders {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	for k, v := range in.Headers {
		if _, ok := in.MultiValueHeaders[k]; !ok {
			r.Header.Set(k, v)
		}
	}
	api := &runtime.API{ID: doc.RestApi.Id, Stage: testInvokeStage, DeploymentID: testInvokeDeployment,
		StageVariables: vars, Routes: runtime.NewTree(doc.RestApi.RootResourceId)}
	rc := newRequest(&testRecorder{header: http.Header{}}, r)
	defer rc.release()
	rc.accountID = g.opts.AccountID
	rc.api, rc.stage, rc.host, rc.path = api, testInvokeStage, testInvokeHost, path
	// The event names the resource the path reaches in the definition, else the root.
	rc.resource = api.Routes.Root()
	if res := doc.ResourceByPath(path); res != nil {
		rc.resource = &runtime.Resource{ID: res.Id, Path: res.Path}
	}

	var log strings.Builder
	logf := func(format string, args ...any) {
		log.WriteString(time.Now().UTC().Format("Mon Jan 02 15:04:05 MST 2006"))
		log.WriteString(" : ")
		fmt.Fprintf(&log, format, args...)
		log.WriteByte('\n')
	}
	log.WriteString("Execution log for request " + rc.requestID + "\n")
	logf("Starting authorizer: %s for request: %s", a.ID, rc.requestID)
	out := &model.TestInvokeAuthorizerResponse{}
	finish := func(status int) (*model.TestInvokeAuthorizerResponse, error) {
		out.ClientStatus = status
		out.Latency = time.Since(rc.start).Milliseconds()
		out.Log = log.String()
		return out, nil
	}
	if a.Err != "" {
		logf("Execution failed due to configuration error: %s", a.Err)
		return finish(http.StatusInternalServerError)
	}
	ids, ok := rc.identity(a)
	if !ok {
		logf("The identity sources are missing, empty or do not match the validation expression")
		return finish(http.StatusUnauthorized)
	}
	logf("Incoming identity: %s", ids)
	logf("Endpoint request body after transformations: %s", rc.authorizerEvent(a, g.methodARN(rc)))
	logf("Sending request to %s", ma.AuthorizerUri)
	res, payload, gerr := g.callAuthorizer(rc, a)
	if payload != nil {
		logf("Authorizer result payload: %s", payload)
	}
	if gerr != nil {
		logf("Execution failed: %s", gerr.typ)
		status := http.StatusInternalServerError
		if gerr == errUnauthorized {
			status = http.StatusUnauthorized
		}
		return finish(status)
	}
	out.PrincipalId = res.principalID
	var raw struct {
		PolicyDocument json.RawMessage `json:"policyDocument"`
	}
	if json.Unmarshal(payload, &raw) == nil {
		out.Policy = string(raw.PolicyDocument)
	}
	if len(res.context) > 0 {
		out.Authorization = map[string][]string{}
		for _, kv := range res.context {
			out.Authorization[kv.name] = []string{kv.value}
		}
	}
	logf("Using valid authorizer policy for principal: %s", res.principalID)
	arn := g.methodARN(rc)
	switch res.policy.Evaluate(&policy.Request{Action: "execute-api:Invoke", Resource: arn,
		SourceIP: sourceAddr(r.RemoteAddr), Key: rc.policyKey}) {
	case policy.Allow:
		logf("Successfully completed authorizer execution")
		return finish(http.StatusOK)
	case policy.ExplicitDeny:
		logf("The client is not authorized to perform this operation: explicit deny on %s", arn)
	default:
		logf("The client is not authorized to perform this operation: no statement allows %s", arn)
	}
	return finish(http.StatusForbidden)
}
