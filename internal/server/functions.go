package server

import (
	"log/slog"
	"net/http"

	"github.com/portico/portico/internal/functions"
	"github.com/portico/portico/internal/lambdaapi"
	"github.com/portico/portico/internal/observe"
	"github.com/portico/portico/internal/store"
)

// openFunctions starts the functions runtime: definitions from the store, code and logs in the
// data directory, the Runtime API on a loopback port of its own.
func openFunctions(cfg Config, st store.Store, log *slog.Logger, m *observe.Metrics) (*functions.Runtime, error) {
	return functions.New(st, functions.Options{
		DataDir:   cfg.DataDir,
		Region:    cfg.Region,
		AccountID: cfg.AccountID,
		Logger:    log,
		// Zero values (a Config not made from Defaults) take the runtime's own defaults.
		IdleTimeout:    cfg.FunctionIdleTimeout,
		MaxConcurrency: cfg.FunctionConcurrency,
		Meter:          functionMeter{m},
	})
}

// mountLambdaAPI serves the Lambda management API on the admin mux, signed with the admin
// credentials for the service "lambda". The returned function ends its followed log streams.
func mountLambdaAPI(mux *http.ServeMux, fr *functions.Runtime, cfg Config, creds Credentials, log *slog.Logger) func() {
	h := lambdaapi.New(fr, lambdaapi.Options{
		Region:      cfg.Region,
		Credentials: map[string]string{creds.AccessKeyID: creds.SecretAccessKey},
		Logger:      log,
	})
	for _, p := range lambdaapi.Prefixes {
		mux.Handle(p, h)
	}
	return h.Close
}
