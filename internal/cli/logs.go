package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"

	"github.com/portico/portico/internal/observe"
	"github.com/portico/portico/internal/server"
)

// emptyPayloadHash is the SHA-256 of an empty body, which a signed GET carries.
const emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

func runLogs(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "logs", "API --stage S [--since T] [--follow] [--request-id ID] [--json]",
		"Print a stage's execution log (the stage's methodSettings loggingLevel turns it on), as\n"+
			"TIME (REQUEST ID) MESSAGE lines, oldest first.")
	cf := addClientFlags(e, fs)
	stage := fs.String("stage", "", "the stage (required)")
	since := fs.String("since", "", "only lines at or after T: an RFC 3339 time, a date (2026-01-02), or a duration back from now (90m, 24h)")
	follow := fs.Bool("follow", false, "keep printing new lines as requests are served, until interrupted")
	requestID := fs.String("request-id", "", "only the lines of one request (its x-amzn-RequestId)")
	asJSON := fs.Bool("json", false, "print the stored JSON lines")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *stage == "" {
		return fmt.Errorf("%w: want one API id and --stage", errUsage)
	}
	from, err := parseSince(*since, time.Now())
	if err != nil {
		return fmt.Errorf("%w: --since: %v", errUsage, err)
	}
	id, secret, err := cf.credentials(e)
	if err != nil {
		return err
	}
	// A stage that does not exist is an error, not an empty log.
	if _, err := newClient(cf.endpoint, cf.region, id, secret).GetStage(ctx, &apigateway.GetStageInput{
		RestApiId: aws.String(pos[0]), StageName: stage}); err != nil {
		return apiError(err)
	}
	q := url.Values{}
	if !from.IsZero() {
		q.Set("since", from.UTC().Format(time.RFC3339Nano))
	}
	if *requestID != "" {
		q.Set("requestId", *requestID)
	}
	if *follow {
		q.Set("follow", "true")
	}
	u := strings.TrimRight(cf.endpoint, "/") + server.ExecLogsPath + url.PathEscape(pos[0]) + "/" + url.PathEscape(*stage)
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	creds := aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, emptyPayloadHash, "apigateway", cf.region, time.Now()); err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var msg struct {
			Message string `json:"message"`
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if json.Unmarshal(b, &msg) != nil || msg.Message == "" {
			msg.Message = strings.TrimSpace(string(b))
		}
		return fmt.Errorf("%s: %s", orDash(resp.Header.Get("X-Amzn-Errortype")), msg.Message)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		if *asJSON {
			fmt.Fprintf(e.stdout, "%s\n", sc.Bytes())
			continue
		}
		var en observe.ExecEntry
		if json.Unmarshal(sc.Bytes(), &en) != nil {
			continue
		}
		fmt.Fprintf(e.stdout, "%s (%s) %s\n", en.Time.UTC().Format(time.RFC3339Nano), en.RequestID, en.Message)
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}
