package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/portico/portico/internal/server"
)

// runFunctions dispatches `portico functions SUBCOMMAND`. Every subcommand speaks the Lambda
// API on the admin listener (SigV4, service "lambda"); create uses Portico's PorticoCommand
// field so a local executable runs without zipping.
func runFunctions(ctx context.Context, e *env, args []string) error {
	sub := map[string]func(context.Context, *env, []string) error{
		"create": runFunctionsCreate,
		"list":   runFunctionsList,
		"invoke": runFunctionsInvoke,
		"logs":   runFunctionsLogs,
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(e.stdout, "Usage: portico functions create|list|invoke|logs [flags] [args]")
		fmt.Fprintln(e.stdout, "\n  create NAME --command PATH [--env K=V]... [--timeout S]   run a local executable as a function")
		fmt.Fprintln(e.stdout, "  list                                                     list functions")
		fmt.Fprintln(e.stdout, "  invoke NAME [--payload JSON]                             invoke and print the result")
		fmt.Fprintln(e.stdout, "  logs NAME [--follow]                                     print (and follow) the function's log")
		if len(args) == 0 {
			return fmt.Errorf("%w: functions needs a subcommand", errUsage)
		}
		return nil
	}
	f, ok := sub[args[0]]
	if !ok {
		return fmt.Errorf("%w: unknown functions subcommand %q", errUsage, args[0])
	}
	return f(ctx, e, args[1:])
}

// lambdaClient sends SigV4-signed Lambda API calls to the admin listener.
type lambdaClient struct {
	endpoint, region string
	creds            aws.Credentials
	http             *http.Client
}

func (c *clientFlags) lambda(e *env) (*lambdaClient, error) {
	id, secret := e.getenv("PORTICO_ADMIN_ACCESS_KEY_ID"), e.getenv("PORTICO_ADMIN_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		creds, err := server.LoadCredentials(c.dataDir)
		if err != nil {
			return nil, fmt.Errorf("no admin credentials: set PORTICO_ADMIN_ACCESS_KEY_ID and PORTICO_ADMIN_SECRET_ACCESS_KEY, or point --data-dir at the server's data directory (%v)", err)
		}
		id, secret = creds.AccessKeyID, creds.SecretAccessKey
	}
	if _, err := url.ParseRequestURI(c.endpoint); err != nil {
		return nil, fmt.Errorf("%w: --endpoint %q is not a URL", errUsage, c.endpoint)
	}
	return &lambdaClient{endpoint: strings.TrimSuffix(c.endpoint, "/"), region: c.region,
		creds: aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, http: &http.Client{}}, nil
}

// do sends one call; an answer of 300 or more becomes an error in the server's words.
func (lc *lambdaClient) do(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, lc.endpoint+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, lc.creds, req, hex.EncodeToString(sum[:]), "lambda", lc.region, time.Now()); err != nil {
		return nil, err
	}
	resp, err := lc.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		var m struct {
			Message string `json:"message"`
		}
		json.Unmarshal(b, &m)
		return nil, fmt.Errorf("%s: %s", resp.Header.Get("X-Amzn-ErrorType"), m.Message)
	}
	return resp, nil
}

func (lc *lambdaClient) call(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	resp, err := lc.do(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func runFunctionsCreate(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "functions create", "NAME --command PATH [--env K=V]... [--timeout S]",
		"Create a function that runs a local executable speaking the Lambda Runtime API (for example an\naws-lambda-go program built for this machine), without zipping it.")
	cf := addClientFlags(e, fs)
	command := fs.String("command", "", "path of the executable (required)")
	timeout := fs.Int("timeout", 0, "timeout in seconds (default 3, at most 900)")
	memory := fs.Int("memory", 0, "memory size in MB, passed to the function as a hint (default 128)")
	handler := fs.String("handler", "", "handler name, passed to the function as _HANDLER")
	var envs multiFlag
	fs.Var(&envs, "env", "environment variable K=V (repeatable)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: functions create takes one NAME", errUsage)
	}
	if *command == "" {
		return fmt.Errorf("%w: --command is required", errUsage)
	}
	abs, err := absPath(*command)
	if err != nil {
		return err
	}
	in := map[string]any{"FunctionName": pos[0], "PorticoCommand": abs}
	if *timeout != 0 {
		in["Timeout"] = *timeout
	}
	if *memory != 0 {
		in["MemorySize"] = *memory
	}
	if *handler != "" {
		in["Handler"] = *handler
	}
	if len(envs) > 0 {
		vars := map[string]string{}
		for _, kv := range envs {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return fmt.Errorf("%w: --env %q is not K=V", errUsage, kv)
			}
			vars[k] = v
		}
		in["Environment"] = map[string]any{"Variables": vars}
	}
	lc, err := cf.lambda(e)
	if err != nil {
		return err
	}
	var out struct{ FunctionArn string }
	if err := lc.call(ctx, http.MethodPost, "/2015-03-31/functions", in, &out); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, out.FunctionArn)
	return nil
}

// absPath resolves the command against the working directory: the server may run elsewhere.
func absPath(p string) (string, error) {
	if strings.HasPrefix(p, "/") {
		return p, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return wd + "/" + p, nil
}

func runFunctionsList(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "functions list", "", "List the functions.")
	cf := addClientFlags(e, fs)
	if pos, err := parse(fs, args); err != nil {
		return err
	} else if len(pos) != 0 {
		return fmt.Errorf("%w: functions list takes no arguments", errUsage)
	}
	lc, err := cf.lambda(e)
	if err != nil {
		return err
	}
	type fn struct {
		FunctionName, Runtime, LastModified, PorticoCommand string
		Timeout, MemorySize                                 int
	}
	var all []fn
	marker := ""
	for {
		var page struct {
			Functions  []fn
			NextMarker string
		}
		path := "/2015-03-31/functions/"
		if marker != "" {
			path += "?Marker=" + url.QueryEscape(marker)
		}
		if err := lc.call(ctx, http.MethodGet, path, nil, &page); err != nil {
			return err
		}
		all = append(all, page.Functions...)
		if page.NextMarker == "" {
			break
		}
		marker = page.NextMarker
	}
	sort.Slice(all, func(i, j int) bool { return all[i].FunctionName < all[j].FunctionName })
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tRUNTIME\tTIMEOUT\tMEMORY\tMODIFIED\tCOMMAND")
	for _, f := range all {
		rt := f.Runtime
		if rt == "" {
			rt = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%ds\t%d\t%s\t%s\n", f.FunctionName, rt, f.Timeout, f.MemorySize, f.LastModified, f.PorticoCommand)
	}
	return tw.Flush()
}

func runFunctionsInvoke(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "functions invoke", "NAME [--payload JSON] [--tail]", "Invoke a function and print its result.")
	cf := addClientFlags(e, fs)
	payload := fs.String("payload", "{}", "the event, as JSON")
	tail := fs.Bool("tail", false, "print the last 4 KB of the invocation's log to stderr")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: functions invoke takes one NAME", errUsage)
	}
	if !json.Valid([]byte(*payload)) {
		return fmt.Errorf("%w: --payload is not JSON", errUsage)
	}
	lc, err := cf.lambda(e)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, lc.endpoint+"/2015-03-31/functions/"+url.PathEscape(pos[0])+"/invocations", strings.NewReader(*payload))
	if err != nil {
		return err
	}
	if *tail {
		req.Header.Set("X-Amz-Log-Type", "Tail")
	}
	sum := sha256.Sum256([]byte(*payload))
	if err := v4.NewSigner().SignHTTP(ctx, lc.creds, req, hex.EncodeToString(sum[:]), "lambda", lc.region, time.Now()); err != nil {
		return err
	}
	resp, err := lc.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		var m struct {
			Message string `json:"message"`
		}
		json.Unmarshal(b, &m)
		return fmt.Errorf("%s: %s", resp.Header.Get("X-Amzn-ErrorType"), m.Message)
	}
	if lr := resp.Header.Get("X-Amz-Log-Result"); lr != "" {
		logs, _ := base64.StdEncoding.DecodeString(lr)
		e.stderr.Write(logs)
	}
	e.stdout.Write(b)
	fmt.Fprintln(e.stdout)
	if fe := resp.Header.Get("X-Amz-Function-Error"); fe != "" {
		return fmt.Errorf("the function failed (%s)", fe)
	}
	return nil
}

func runFunctionsLogs(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "functions logs", "NAME [--follow]", "Print the function's recent log (its workers' output with START, END and REPORT lines).")
	cf := addClientFlags(e, fs)
	follow := fs.Bool("follow", false, "keep printing what the function logs until interrupted")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: functions logs takes one NAME", errUsage)
	}
	lc, err := cf.lambda(e)
	if err != nil {
		return err
	}
	path := "/2015-03-31/functions/" + url.PathEscape(pos[0]) + "/logs"
	if *follow {
		path += "?follow=true"
	}
	resp, err := lc.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(e.stdout, resp.Body)
	if ctx.Err() != nil {
		return nil
	}
	return err
}
