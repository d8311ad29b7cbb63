package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/portico/portico/internal/observe/audit"
)

// runAudit prints the server's audit log: every management call that changed something or was
// refused. It reads the file in the data directory, so it needs no running server.
func runAudit(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "audit", "[--since T] [--json]",
		"Show who changed what through the management API, oldest first.")
	dataDir := fs.String("data-dir", envOr(e, "PORTICO_DATA_DIR", "./portico-data"), "the server's data directory (PORTICO_DATA_DIR)")
	since := fs.String("since", "", "only calls at or after T: an RFC 3339 time (2026-01-02T15:04:05Z), a date (2026-01-02), or a duration back from now (90m, 24h)")
	asJSON := fs.Bool("json", false, "print the entries as JSON lines, as stored")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return fmt.Errorf("%w: audit takes no arguments", errUsage)
	}
	from, err := parseSince(*since, time.Now())
	if err != nil {
		return fmt.Errorf("%w: --since: %v", errUsage, err)
	}
	f, err := os.Open(filepath.Join(*dataDir, audit.FileName))
	if err != nil {
		return fmt.Errorf("no audit log: %w", err)
	}
	defer f.Close()
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	if !*asJSON {
		fmt.Fprintln(tw, "TIME\tOPERATION\tACCESS KEY\tSOURCE\tSTATUS\tPATH\tERROR")
	}
	enc := json.NewEncoder(e.stdout)
	skipped, err := audit.Read(f, from, func(en *audit.Entry) error {
		if *asJSON {
			return enc.Encode(en)
		}
		op := en.EventName
		if op == "" {
			op = en.HTTPMethod
		}
		errText := en.ErrorCode
		if en.ErrorMessage != "" {
			errText += ": " + en.ErrorMessage
		}
		_, err := fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", en.EventTime.UTC().Format(time.RFC3339),
			op, orDash(en.AccessKeyID), en.SourceIPAddress, en.Status, en.RequestPath, orDash(errText))
		return err
	})
	if ferr := tw.Flush(); err == nil {
		err = ferr
	}
	if skipped > 0 {
		fmt.Fprintf(e.stderr, "portico audit: skipped %d unreadable line(s)\n", skipped)
	}
	return err
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

// parseSince reads --since: empty means the beginning.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("%q: a duration back from now must be positive", s)
		}
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is neither a time (RFC 3339 or YYYY-MM-DD) nor a duration", s)
}
