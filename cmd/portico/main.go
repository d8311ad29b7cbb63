// Command portico is a self-hosted API gateway that serves Amazon API Gateway's model, wire
// formats and error shapes. `portico serve` runs it; the other commands manage a running one.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/portico/portico/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
