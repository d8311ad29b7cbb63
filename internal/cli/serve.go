package cli

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"

	"github.com/portico/portico/examples"
	"github.com/portico/portico/internal/server"
)

func runServe(ctx context.Context, e *env, args []string) error {
	cfg := server.Defaults()
	fs := newFlags(e, "serve", "[flags]", "Run Portico: the data plane (invoke URLs) and the management API (AWS apigateway wire format).")
	fs.StringVar(&cfg.Listen, "listen", envOr(e, "PORTICO_LISTEN", cfg.Listen), "data plane address (PORTICO_LISTEN)")
	fs.StringVar(&cfg.AdminListen, "admin-listen", envOr(e, "PORTICO_ADMIN_LISTEN", cfg.AdminListen), "management API address (PORTICO_ADMIN_LISTEN)")
	fs.StringVar(&cfg.DataDir, "data-dir", envOr(e, "PORTICO_DATA_DIR", cfg.DataDir), "data directory (PORTICO_DATA_DIR)")
	fs.StringVar(&cfg.Domain, "domain", envOr(e, "PORTICO_DOMAIN", cfg.Domain), "host-style invoke domain: {apiId}.execute-api.{domain} (PORTICO_DOMAIN)")
	maxTimeout := fs.Duration("max-integration-timeout", cfg.MaxIntegrationTimeout, "highest integration timeout a method may set (PORTICO_MAX_INTEGRATION_TIMEOUT)")
	maxPayload := fs.Int64("max-payload-bytes", cfg.MaxPayloadBytes, "largest request payload accepted (PORTICO_MAX_PAYLOAD_BYTES)")
	throttleRate := fs.Float64("throttle-rate", cfg.ThrottleRate, "account-level throttle, requests per second across every API (PORTICO_THROTTLE_RATE)")
	throttleBurst := fs.Int64("throttle-burst", cfg.ThrottleBurst, "account-level throttle burst, in requests (PORTICO_THROTTLE_BURST)")
	fnIdle := fs.Duration("function-idle-timeout", cfg.FunctionIdleTimeout, "how long an idle function worker is kept warm (PORTICO_FUNCTION_IDLE_TIMEOUT)")
	fnConc := fs.Int64("function-concurrency", int64(cfg.FunctionConcurrency), "a function's simultaneous invocations when it reserves none (PORTICO_FUNCTION_CONCURRENCY)")
	fs.StringVar(&cfg.IdentitiesFile, "identities", envOr(e, "PORTICO_IDENTITIES", ""), "IAM users and roles that may call AWS_IAM methods, YAML or JSON; read again on SIGHUP and when it changes (PORTICO_IDENTITIES)")
	fs.StringVar(&cfg.AccessLog, "access-log", envOr(e, "PORTICO_ACCESS_LOG", cfg.AccessLog), "where stage access logs go when their destinationArn names no file:// sink: stdout, stderr or file://PATH (PORTICO_ACCESS_LOG)")
	tlsFiles := tlsFlags(e, fs, &cfg)
	example := fs.Bool("example", false, "import and deploy the bundled example API (stage \"demo\") unless an API of its name exists")
	logLevel := fs.String("log-level", envOr(e, "PORTICO_LOG_LEVEL", "info"), "debug, info, warn or error (PORTICO_LOG_LEVEL)")
	if err := awsIntegrationFlags(e, fs, &cfg.AWS); err != nil {
		return err
	}
	if err := cognitoFlags(e, fs, &cfg); err != nil {
		return err
	}
	tracing := traceFlags(e, fs, &cfg)
	cfg.Region = envOr(e, "PORTICO_REGION", cfg.Region)
	cfg.AccountID = envOr(e, "PORTICO_ACCOUNT_ID", cfg.AccountID)
	cfg.AccessKeyID = e.getenv("PORTICO_ADMIN_ACCESS_KEY_ID")
	cfg.SecretAccessKey = e.getenv("PORTICO_ADMIN_SECRET_ACCESS_KEY")
	if err := envDuration(e, "PORTICO_MAX_INTEGRATION_TIMEOUT", maxTimeout); err != nil {
		return err
	}
	if err := envInt(e, "PORTICO_MAX_PAYLOAD_BYTES", maxPayload); err != nil {
		return err
	}
	if err := envInt(e, "PORTICO_THROTTLE_BURST", throttleBurst); err != nil {
		return err
	}
	if err := envDuration(e, "PORTICO_FUNCTION_IDLE_TIMEOUT", fnIdle); err != nil {
		return err
	}
	if err := envInt(e, "PORTICO_FUNCTION_CONCURRENCY", fnConc); err != nil {
		return err
	}
	if v := e.getenv("PORTICO_THROTTLE_RATE"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("%w: PORTICO_THROTTLE_RATE: %v", errUsage, err)
		}
		*throttleRate = f
	}
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return fmt.Errorf("%w: serve takes no arguments", errUsage)
	}
	if err := tracing(); err != nil {
		return err
	}
	cfg.MaxIntegrationTimeout, cfg.MaxPayloadBytes = *maxTimeout, *maxPayload
	tlsFiles()
	cfg.ThrottleRate, cfg.ThrottleBurst = *throttleRate, *throttleBurst
	if cfg.ThrottleRate <= 0 || cfg.ThrottleBurst < 1 {
		return fmt.Errorf("%w: --throttle-rate must be positive and --throttle-burst at least 1", errUsage)
	}
	if *fnIdle < time.Second || *fnConc < 1 || *fnConc > 10000 {
		return fmt.Errorf("%w: --function-idle-timeout must be at least 1s and --function-concurrency between 1 and 10000", errUsage)
	}
	cfg.FunctionIdleTimeout, cfg.FunctionConcurrency = *fnIdle, int(*fnConc)
	if cfg.MaxIntegrationTimeout < 50*time.Millisecond || cfg.MaxPayloadBytes <= 0 {
		return fmt.Errorf("%w: --max-integration-timeout must be at least 50ms and --max-payload-bytes positive", errUsage)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("%w: --log-level: %v", errUsage, err)
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))

	hup, stopHangups := hangups()
	defer stopHangups()
	srv, err := server.Start(cfg, log, e.stdout)
	if err != nil {
		return err
	}
	if *example {
		if err := installExample(ctx, e, srv); err != nil {
			srv.Shutdown(context.Background())
			return fmt.Errorf("example API: %w", err)
		}
	}
	// Reloads stop before the shutdown closes what they read into.
	stopReloads := watchReloads(srv, log, hup)
	select {
	case <-ctx.Done():
		stopReloads()
		log.Info("shutting down: finishing in-flight requests", "timeout", cfg.ShutdownTimeout)
		sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		return srv.Shutdown(sctx)
	case <-srv.Done():
		stopReloads()
		return srv.Err()
	}
}

// installExample imports and deploys the bundled example API through the management API, as a
// user would, unless an API with its name is already there.
func installExample(ctx context.Context, e *env, srv *server.Server) error {
	c := newClient("http://"+server.DialAddr(srv.AdminAddr), srv.Config.Region, srv.Credentials.AccessKeyID, srv.Credentials.SecretAccessKey)
	cf := &clientFlags{dataURL: "http://" + server.DialAddr(srv.DataAddr), domain: srv.Config.Domain}
	p := apigateway.NewGetRestApisPaginator(c, &apigateway.GetRestApisInput{})
	apiID := ""
	for p.HasMorePages() && apiID == "" {
		page, err := p.NextPage(ctx)
		if err != nil {
			return apiError(err)
		}
		for _, a := range page.Items {
			if aws.ToString(a.Name) == examples.Name {
				apiID = aws.ToString(a.Id)
			}
		}
	}
	if apiID == "" {
		api, err := importAndDeploy(ctx, c, examples.PetStore, "", examples.Stage, "",
			map[string]string{"self": server.DialAddr(srv.DataAddr) + "/restapis/{apiId}/" + examples.Stage + "/_user_request_"})
		if err != nil {
			return err
		}
		apiID = aws.ToString(api.Id)
	}
	host, path := cf.invokeURLs(apiID, examples.Stage)
	fmt.Fprintf(e.stdout, "Example API %q (%s) is deployed on stage %q. Try:\n", examples.Name, apiID, examples.Stage)
	for _, u := range []string{host + "pets", path + "pets/2", host + "proxy/pets/1", host + "nowhere"} {
		fmt.Fprintf(e.stdout, "  curl -i %s\n", u)
	}
	return nil
}

func envDuration(e *env, name string, d *time.Duration) error {
	if v := e.getenv(name); v != "" {
		parsed, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", errUsage, name, err)
		}
		*d = parsed
	}
	return nil
}

func envInt(e *env, name string, n *int64) error {
	if v := e.getenv(name); v != "" {
		parsed, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", errUsage, name, err)
		}
		*n = parsed
	}
	return nil
}
