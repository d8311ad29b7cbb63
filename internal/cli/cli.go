// Package cli is the portico command line: `serve` runs a server; the other commands speak to a
// running server's management API with SigV4-signed calls, exactly as the AWS SDKs do.
//
// cli imports the server (to run it) and the AWS SDK (to manage it); no plane imports cli.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// command is one `portico` subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

// env is what a command may touch: its arguments' world, never os directly, so tests can run it.
type env struct {
	getenv         func(string) string
	stdout, stderr io.Writer
}

var commands = map[string]command{
	"serve":   {"run Portico (data plane and management API)", runServe},
	"import":  {"import an OpenAPI/Swagger file and deploy it to a stage", runImport},
	"apis":    {"list REST APIs", runAPIs},
	"deploy":  {"deploy an API to a stage", runDeploy},
	"stages":  {"list an API's stages", runStages},
	"routes":  {"show an API's resource tree with methods and integrations", runRoutes},
	"export":  {"export a stage's API as OpenAPI 3 or Swagger 2", runExport},
	"cors":    {"enable CORS on a resource the way the API Gateway console does", runCORS},
	"audit":   {"show who changed what through the management API (audit --help)", runAudit},
	"metrics": {"summarise an API's requests, errors and latencies per route from /metrics", runMetrics},
	"logs":    {"print or follow a stage's execution log (logs --help)", runLogs},
	"test":    {"run one request through a method without deploying it, with its execution log", runTest},
	"cache":   {"flush a stage's response cache (cache flush API --stage S)", runCache},
	"domains": {"list custom domain names and their base path mappings; map, unmap (domains --help)", runDomains},
	"version": {"print the version", runVersion},
	"vtl":     {"render a mapping template offline, as the gateway would (vtl render --help)", runVTL},

	"functions": {"run Lambda functions locally: create, list, invoke, logs (functions --help)", runFunctions},
}

// Version is the release version, set at build time with -ldflags "-X ...cli.Version=v1.2.3".
var Version = "dev"

// errUsage marks a command-line mistake: the message is printed with a hint and exit code 2.
var errUsage = errors.New("usage")

// Run executes the command line args and returns the process exit code.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	e := &env{getenv: getenv, stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "portico: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	err := cmd.run(ctx, e, args[1:])
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "portico %s: %v\nRun 'portico %s --help' for usage.\n", args[0], err, args[0])
		return 2
	default:
		fmt.Fprintf(stderr, "portico %s: %v\n", args[0], err)
		return 1
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Portico: a self-hosted API gateway speaking Amazon API Gateway's model and wire formats.")
	fmt.Fprintln(w, "\nUsage: portico <command> [flags] [args]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'portico <command> --help' for a command's flags.")
}

// newFlags returns a FlagSet that prints its usage to stdout on --help and reports mistakes as
// errUsage.
func newFlags(e *env, name, argsUsage, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(e.stdout, "Usage: portico %s %s\n\n%s\n", name, argsUsage, about)
		var b strings.Builder
		fs.SetOutput(&b)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		if b.Len() > 0 {
			fmt.Fprintf(e.stdout, "\nFlags:\n%s", b.String())
		}
	}
	return fs
}

// parse parses flags placed before or after the positional arguments, returning the positionals.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				// The FlagSet has already printed the usage.
				return nil, flag.ErrHelp
			}
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func runVersion(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "version", "", "Print Portico's version.")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "portico", Version)
	return nil
}
