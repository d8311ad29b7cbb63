package cli

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
)

// runCache manages stages' response caches: `portico cache flush API --stage S`.
func runCache(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(e.stdout, "Usage: portico cache flush API --stage S")
		fmt.Fprintln(e.stdout, "\n  flush API --stage S   empty the response cache of API's stage S (FlushStageCache)")
		if len(args) == 0 {
			return fmt.Errorf("%w: cache needs a subcommand", errUsage)
		}
		return nil
	}
	if args[0] != "flush" {
		return fmt.Errorf("%w: unknown cache subcommand %q", errUsage, args[0])
	}
	fs := newFlags(e, "cache flush", "API --stage S", "Empty the response cache of stage S of API (its id), as FlushStageCache does.")
	cf := addClientFlags(e, fs)
	stage := fs.String("stage", "", "the stage whose cache to flush (required)")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 || *stage == "" {
		return fmt.Errorf("%w: want one API id and --stage", errUsage)
	}
	c, err := cf.client(e)
	if err != nil {
		return err
	}
	if _, err := c.FlushStageCache(ctx, &apigateway.FlushStageCacheInput{RestApiId: aws.String(pos[0]), StageName: stage}); err != nil {
		return apiError(err)
	}
	fmt.Fprintf(e.stdout, "Flushed the response cache of stage %q.\n", *stage)
	return nil
}
