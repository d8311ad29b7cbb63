package lambdaapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/portico/portico/internal/functions"
)

var urlPathUnescape = url.PathUnescape

// configuration is FunctionConfiguration as Lambda returns it.
type configuration struct {
	FunctionName     string            `json:"FunctionName"`
	FunctionArn      string            `json:"FunctionArn"`
	Runtime          string            `json:"Runtime,omitempty"`
	Role             string            `json:"Role,omitempty"`
	Handler          string            `json:"Handler,omitempty"`
	CodeSize         int64             `json:"CodeSize"`
	Description      string            `json:"Description"`
	Timeout          int               `json:"Timeout"`
	MemorySize       int               `json:"MemorySize"`
	LastModified     string            `json:"LastModified"`
	CodeSha256       string            `json:"CodeSha256"`
	Version          string            `json:"Version"`
	Environment      *environment      `json:"Environment,omitempty"`
	TracingConfig    map[string]string `json:"TracingConfig"`
	RevisionID       string            `json:"RevisionId"`
	State            string            `json:"State"`
	LastUpdateStatus string            `json:"LastUpdateStatus"`
	PackageType      string            `json:"PackageType"`
	Architectures    []string          `json:"Architectures"`
	EphemeralStorage map[string]int    `json:"EphemeralStorage"`
	PorticoCommand   string            `json:"PorticoCommand,omitempty"`
}

type environment struct {
	Variables map[string]string `json:"Variables"`
}

func (h *Handler) configOf(fn functions.Function) configuration {
	c := configuration{
		FunctionName: fn.FunctionName, FunctionArn: h.rt.ARN(fn.FunctionName), Runtime: fn.Runtime,
		Role: fn.Role, Handler: fn.Handler, CodeSize: fn.CodeSize, Description: fn.Description,
		Timeout: fn.Timeout, MemorySize: fn.MemorySize, LastModified: fn.LastModified,
		CodeSha256: fn.CodeSha256, Version: "$LATEST", TracingConfig: map[string]string{"Mode": "PassThrough"},
		RevisionID: fn.RevisionID, State: "Active", LastUpdateStatus: "Successful", PackageType: "Zip",
		Architectures: []string{"x86_64"}, EphemeralStorage: map[string]int{"Size": 512}, PorticoCommand: fn.Command,
	}
	if fn.Environment != nil {
		c.Environment = &environment{Variables: fn.Environment}
	}
	return c
}

// decode reads a JSON request body into v, refusing fields Portico does not know.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		msg := "Could not parse request body into json: " + err.Error()
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			msg = "Portico does not support the field " + f + " of this operation"
			return invalid(msg)
		}
		return &apiError{status: http.StatusBadRequest, typ: "InvalidRequestContentException", msg: msg, kind: "User"}
	}
	return nil
}

// qualifier refuses qualifiers other than $LATEST, which are the only version Portico runs.
func qualifier(r *http.Request) string { return r.URL.Query().Get("Qualifier") }

// ignored are fields deploy tools send with values Portico accepts and does not act on.
type ignored struct {
	TracingConfig    json.RawMessage `json:"TracingConfig,omitempty"`
	KMSKeyArn        string          `json:"KMSKeyArn,omitempty"`
	Architectures    []string        `json:"Architectures,omitempty"`
	EphemeralStorage json.RawMessage `json:"EphemeralStorage,omitempty"`
	LoggingConfig    json.RawMessage `json:"LoggingConfig,omitempty"`
	DeadLetterConfig json.RawMessage `json:"DeadLetterConfig,omitempty"`
	VpcConfig        *struct {
		SubnetIds               []string `json:"SubnetIds"`
		SecurityGroupIds        []string `json:"SecurityGroupIds"`
		Ipv6AllowedForDualStack bool     `json:"Ipv6AllowedForDualStack"`
	} `json:"VpcConfig,omitempty"`
	Layers []string `json:"Layers,omitempty"`
}

func (ig *ignored) check() error {
	for _, a := range ig.Architectures {
		if a != "x86_64" && a != "arm64" {
			return invalid(fmt.Sprintf("1 validation error detected: Value '[%s]' at 'architectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]", a))
		}
	}
	if ig.VpcConfig != nil && (len(ig.VpcConfig.SubnetIds) > 0 || len(ig.VpcConfig.SecurityGroupIds) > 0) {
		return invalid("Portico does not support VpcConfig: functions run on the Portico host's network")
	}
	if len(ig.Layers) > 0 {
		return invalid("Portico does not support Layers: put the layer's files in the function's zip")
	}
	return nil
}

type codeInput struct {
	ZipFile         []byte `json:"ZipFile"`
	S3Bucket        string `json:"S3Bucket"`
	S3Key           string `json:"S3Key"`
	S3ObjectVersion string `json:"S3ObjectVersion"`
	ImageUri        string `json:"ImageUri"`
}

func (c *codeInput) check() error {
	if c.S3Bucket != "" || c.S3Key != "" || c.ImageUri != "" {
		return invalid("Portico takes function code as ZipFile (or PorticoCommand); S3 and image code locations are not supported")
	}
	return nil
}

func (h *Handler) createFunction(w http.ResponseWriter, body []byte) error {
	var in struct {
		FunctionName   string            `json:"FunctionName"`
		Runtime        string            `json:"Runtime"`
		Role           string            `json:"Role"`
		Handler        string            `json:"Handler"`
		Description    string            `json:"Description"`
		Timeout        int               `json:"Timeout"`
		MemorySize     int               `json:"MemorySize"`
		Publish        bool              `json:"Publish"`
		PackageType    string            `json:"PackageType"`
		Code           *codeInput        `json:"Code"`
		Environment    *environment      `json:"Environment"`
		Tags           map[string]string `json:"Tags"`
		PorticoCommand string            `json:"PorticoCommand"`
		ignored
	}
	if err := decode(body, &in); err != nil {
		return err
	}
	if err := in.ignored.check(); err != nil {
		return err
	}
	if in.Publish {
		return invalid("Portico does not support publishing function versions: set Publish to false")
	}
	if in.PackageType != "" && in.PackageType != "Zip" {
		return invalid("Portico supports only the Zip package type")
	}
	if in.FunctionName == "" {
		return invalid("1 validation error detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null")
	}
	var zipFile []byte
	if in.Code != nil {
		if err := in.Code.check(); err != nil {
			return err
		}
		zipFile = in.Code.ZipFile
	}
	if zipFile == nil && in.PorticoCommand == "" {
		return invalid("Please provide a source for function code.")
	}
	fn := functions.Function{FunctionName: in.FunctionName, Runtime: in.Runtime, Role: in.Role, Handler: in.Handler,
		Description: in.Description, Timeout: in.Timeout, MemorySize: in.MemorySize, Tags: in.Tags, Command: in.PorticoCommand}
	if in.Environment != nil {
		fn.Environment = in.Environment.Variables
	}
	fn, err := h.rt.Create(functions.CreateInput{Function: fn, ZipFile: zipFile})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, h.configOf(fn))
	return nil
}

func (h *Handler) get(ref string, r *http.Request) (functions.Function, error) {
	fn, err := h.rt.Get(ref)
	if err != nil {
		return fn, err
	}
	if q := qualifier(r); q != "" && q != "$LATEST" {
		return fn, &apiError{status: http.StatusNotFound, typ: "ResourceNotFoundException", kind: "User",
			msg: "Function not found: " + h.rt.ARN(fn.FunctionName) + ":" + q}
	}
	return fn, nil
}

func (h *Handler) getFunction(w http.ResponseWriter, r *http.Request, ref string) error {
	fn, err := h.get(ref, r)
	if err != nil {
		return err
	}
	out := map[string]any{
		"Configuration": h.configOf(fn),
		// Lambda gives a presigned S3 URL; Portico's code is a directory (or command) on its host.
		"Code": map[string]string{"RepositoryType": "Portico", "Location": "file://" + h.rt.CodeLocation(fn)},
	}
	if len(fn.Tags) > 0 {
		out["Tags"] = fn.Tags
	}
	if fn.ReservedConcurrency != nil {
		out["Concurrency"] = map[string]int{"ReservedConcurrentExecutions": *fn.ReservedConcurrency}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) getConfiguration(w http.ResponseWriter, r *http.Request, ref string) error {
	fn, err := h.get(ref, r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h.configOf(fn))
	return nil
}

func (h *Handler) listFunctions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	max := 50
	if s := q.Get("MaxItems"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 10000 {
			return invalid(fmt.Sprintf("1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000", s))
		}
		max = n
	}
	all := h.rt.List()
	start := 0
	if m := q.Get("Marker"); m != "" {
		start = sort.Search(len(all), func(i int) bool { return all[i].FunctionName > m })
	}
	out := struct {
		Functions  []configuration `json:"Functions"`
		NextMarker string          `json:"NextMarker,omitempty"`
	}{Functions: []configuration{}}
	for i := start; i < len(all) && len(out.Functions) < max; i++ {
		out.Functions = append(out.Functions, h.configOf(all[i]))
	}
	if n := len(out.Functions); n > 0 && start+n < len(all) {
		out.NextMarker = out.Functions[n-1].FunctionName
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) deleteFunction(w http.ResponseWriter, r *http.Request, ref string) error {
	if q := qualifier(r); q != "" && q != "$LATEST" {
		return invalid("Portico does not keep function versions: delete the function without a Qualifier")
	}
	if err := h.rt.Delete(ref); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) updateConfiguration(w http.ResponseWriter, ref string, body []byte) error {
	var in struct {
		Runtime     *string      `json:"Runtime"`
		Role        *string      `json:"Role"`
		Handler     *string      `json:"Handler"`
		Description *string      `json:"Description"`
		Timeout     *int         `json:"Timeout"`
		MemorySize  *int         `json:"MemorySize"`
		Environment *environment `json:"Environment"`
		RevisionId  string       `json:"RevisionId"`
		ignored
	}
	if err := decode(body, &in); err != nil {
		return err
	}
	if err := in.ignored.check(); err != nil {
		return err
	}
	if err := h.checkRevision(ref, in.RevisionId); err != nil {
		return err
	}
	u := functions.ConfigUpdate{Runtime: in.Runtime, Role: in.Role, Handler: in.Handler, Description: in.Description,
		Timeout: in.Timeout, MemorySize: in.MemorySize}
	if in.Environment != nil {
		vars := in.Environment.Variables
		if vars == nil {
			vars = map[string]string{}
		}
		u.Environment = &vars
	}
	fn, err := h.rt.UpdateConfiguration(ref, u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h.configOf(fn))
	return nil
}

// checkRevision answers AWS's PreconditionFailedException when a RevisionId is given and stale.
func (h *Handler) checkRevision(ref, rev string) error {
	if rev == "" {
		return nil
	}
	fn, err := h.rt.Get(ref)
	if err != nil {
		return err
	}
	if fn.RevisionID != rev {
		return &apiError{status: http.StatusPreconditionFailed, typ: "PreconditionFailedException", kind: "User",
			msg: "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id"}
	}
	return nil
}

func (h *Handler) updateCode(w http.ResponseWriter, ref string, body []byte) error {
	var in struct {
		codeInput
		Publish        bool     `json:"Publish"`
		DryRun         bool     `json:"DryRun"`
		RevisionId     string   `json:"RevisionId"`
		Architectures  []string `json:"Architectures"`
		PorticoCommand string   `json:"PorticoCommand"`
	}
	if err := decode(body, &in); err != nil {
		return err
	}
	if err := in.codeInput.check(); err != nil {
		return err
	}
	if in.Publish {
		return invalid("Portico does not support publishing function versions: set Publish to false")
	}
	if in.ZipFile == nil && in.PorticoCommand == "" {
		return invalid("Please provide a source for function code.")
	}
	if err := h.checkRevision(ref, in.RevisionId); err != nil {
		return err
	}
	if in.DryRun {
		fn, err := h.rt.Get(ref)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, h.configOf(fn))
		return nil
	}
	fn, err := h.rt.UpdateCode(ref, in.ZipFile, in.PorticoCommand)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h.configOf(fn))
	return nil
}

func (h *Handler) invoke(w http.ResponseWriter, r *http.Request, ref string, body []byte) error {
	req := functions.InvokeRequest{
		FunctionName:   ref,
		Qualifier:      qualifier(r),
		Payload:        body,
		InvocationType: r.Header.Get("X-Amz-Invocation-Type"),
		ClientContext:  r.Header.Get("X-Amz-Client-Context"),
		TraceID:        r.Header.Get("X-Amzn-Trace-Id"),
	}
	switch lt := r.Header.Get("X-Amz-Log-Type"); lt {
	case "", "None":
	case "Tail":
		req.LogTail = true
	default:
		return invalid(fmt.Sprintf("1 validation error detected: Value '%s' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [Tail, None]", lt))
	}
	res, err := h.rt.Invoke(r.Context(), req)
	if err != nil {
		return err
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	if res.ExecutedVersion != "" && res.StatusCode == http.StatusOK {
		hd.Set("X-Amz-Executed-Version", res.ExecutedVersion)
	}
	if res.FunctionError != "" {
		hd.Set("X-Amz-Function-Error", res.FunctionError)
	}
	if res.LogResult != "" {
		hd.Set("X-Amz-Log-Result", res.LogResult)
	}
	if res.RequestID != "" {
		hd.Set("X-Amzn-RequestId", res.RequestID)
	}
	hd.Set("Content-Length", strconv.Itoa(len(res.Payload)))
	w.WriteHeader(res.StatusCode)
	w.Write(res.Payload)
	return nil
}

func (h *Handler) putConcurrency(w http.ResponseWriter, ref string, body []byte) error {
	var in struct {
		ReservedConcurrentExecutions *int `json:"ReservedConcurrentExecutions"`
	}
	if err := decode(body, &in); err != nil {
		return err
	}
	if in.ReservedConcurrentExecutions == nil {
		return invalid("1 validation error detected: Value null at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must not be null")
	}
	fn, err := h.rt.PutConcurrency(ref, *in.ReservedConcurrentExecutions)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"ReservedConcurrentExecutions": *fn.ReservedConcurrency})
	return nil
}

func (h *Handler) deleteConcurrency(w http.ResponseWriter, ref string) error {
	if err := h.rt.DeleteConcurrency(ref); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) getConcurrency(w http.ResponseWriter, ref string) error {
	fn, err := h.rt.Get(ref)
	if err != nil {
		return err
	}
	out := map[string]int{}
	if fn.ReservedConcurrency != nil {
		out["ReservedConcurrentExecutions"] = *fn.ReservedConcurrency
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

var sidRE = func(s string) bool {
	if len(s) == 0 || len(s) > 100 {
		return false
	}
	for _, c := range s {
		if !(c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func (h *Handler) addPermission(w http.ResponseWriter, r *http.Request, ref string, body []byte) error {
	var in struct {
		StatementId         string `json:"StatementId"`
		Action              string `json:"Action"`
		Principal           string `json:"Principal"`
		SourceArn           string `json:"SourceArn"`
		SourceAccount       string `json:"SourceAccount"`
		EventSourceToken    string `json:"EventSourceToken"`
		RevisionId          string `json:"RevisionId"`
		PrincipalOrgID      string `json:"PrincipalOrgID"`
		FunctionUrlAuthType string `json:"FunctionUrlAuthType"`
	}
	if err := decode(body, &in); err != nil {
		return err
	}
	if q := qualifier(r); q != "" && q != "$LATEST" {
		return invalid("Portico does not keep function versions: add the permission without a Qualifier")
	}
	switch {
	case !sidRE(in.StatementId):
		return invalid("1 validation error detected: Value '" + in.StatementId + "' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)")
	case in.Action == "" || !strings.HasPrefix(in.Action, "lambda:"):
		return invalid("1 validation error detected: Value '" + in.Action + "' at 'action' failed to satisfy constraint: Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])")
	case in.Principal == "":
		return invalid("1 validation error detected: Value null at 'principal' failed to satisfy constraint: Member must not be null")
	}
	fn, err := h.rt.Get(ref)
	if err != nil {
		return err
	}
	if err := h.checkRevision(ref, in.RevisionId); err != nil {
		return err
	}
	st := map[string]any{"Sid": in.StatementId, "Effect": "Allow", "Action": in.Action, "Resource": h.rt.ARN(fn.FunctionName)}
	switch {
	case in.Principal == "*":
		st["Principal"] = "*"
	case len(in.Principal) == 12 && strings.Trim(in.Principal, "0123456789") == "":
		st["Principal"] = map[string]string{"AWS": "arn:aws:iam::" + in.Principal + ":root"}
	case strings.HasPrefix(in.Principal, "arn:"):
		st["Principal"] = map[string]string{"AWS": in.Principal}
	default:
		st["Principal"] = map[string]string{"Service": in.Principal}
	}
	cond := map[string]map[string]string{}
	if in.SourceArn != "" {
		cond["ArnLike"] = map[string]string{"AWS:SourceArn": in.SourceArn}
	}
	if in.SourceAccount != "" {
		cond["StringEquals"] = map[string]string{"AWS:SourceAccount": in.SourceAccount}
	}
	if in.PrincipalOrgID != "" {
		if cond["StringEquals"] == nil {
			cond["StringEquals"] = map[string]string{}
		}
		cond["StringEquals"]["aws:PrincipalOrgID"] = in.PrincipalOrgID
	}
	if in.EventSourceToken != "" {
		if cond["StringEquals"] == nil {
			cond["StringEquals"] = map[string]string{}
		}
		cond["StringEquals"]["lambda:EventSourceToken"] = in.EventSourceToken
	}
	if in.FunctionUrlAuthType != "" {
		if cond["StringEquals"] == nil {
			cond["StringEquals"] = map[string]string{}
		}
		cond["StringEquals"]["lambda:FunctionUrlAuthType"] = in.FunctionUrlAuthType
	}
	if len(cond) > 0 {
		st["Condition"] = cond
	}
	raw, _ := json.Marshal(st)
	if _, err := h.rt.AddPermission(ref, in.StatementId, raw); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]string{"Statement": string(raw)})
	return nil
}

func (h *Handler) getPolicy(w http.ResponseWriter, r *http.Request, ref string) error {
	fn, err := h.get(ref, r)
	if err != nil {
		return err
	}
	if len(fn.Policy) == 0 {
		return &apiError{status: http.StatusNotFound, typ: "ResourceNotFoundException", kind: "User",
			msg: "The resource you requested does not exist."}
	}
	doc, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Id": "default", "Statement": fn.Policy})
	writeJSON(w, http.StatusOK, map[string]string{"Policy": string(doc), "RevisionId": fn.RevisionID})
	return nil
}

func (h *Handler) removePermission(w http.ResponseWriter, r *http.Request, ref, sid string) error {
	if q := qualifier(r); q != "" && q != "$LATEST" {
		return invalid("Portico does not keep function versions: remove the permission without a Qualifier")
	}
	if rev := r.URL.Query().Get("RevisionId"); rev != "" {
		if err := h.checkRevision(ref, rev); err != nil {
			return err
		}
	}
	if err := h.rt.RemovePermission(ref, sid); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// logs serves Portico's log extension: the buffered log, then (follow) whatever follows.
func (h *Handler) logs(w http.ResponseWriter, r *http.Request, ref string) error {
	follow := r.URL.Query().Get("follow") == "true"
	past, ch, stop, err := h.rt.Logs(ref, follow)
	if err != nil {
		return err
	}
	defer stop()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(past)
	if !follow {
		return nil
	}
	fl, _ := w.(http.Flusher)
	for {
		if fl != nil {
			fl.Flush()
		}
		select {
		case b := <-ch:
			if _, err := w.Write(b); err != nil {
				return nil
			}
		case <-r.Context().Done():
			return nil
		case <-h.closing:
			return nil
		}
	}
}
