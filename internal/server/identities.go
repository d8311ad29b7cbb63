package server

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/portico/portico/internal/auth/iam"
	"github.com/portico/portico/internal/iamapi"
	"github.com/portico/portico/internal/store"
)

// openIdentities writes the identities file (when configured) into the store and opens the
// registry AWS_IAM methods are checked against; the admin credentials are the account's root.
func openIdentities(cfg Config, st store.Store, creds Credentials, log *slog.Logger) (*iam.Registry, error) {
	if err := syncIdentities(cfg, st); err != nil {
		return nil, err
	}
	return iam.Open(st, iam.Options{
		AccountID: cfg.AccountID,
		Root:      map[string]string{creds.AccessKeyID: creds.SecretAccessKey},
		Logger:    log,
	})
}

func syncIdentities(cfg Config, st store.Store) error {
	if cfg.IdentitiesFile == "" {
		return nil
	}
	ids, err := iam.LoadFile(cfg.IdentitiesFile, cfg.AccountID)
	if err != nil {
		return fmt.Errorf("identities: %w", err)
	}
	if err := iam.Sync(st, ids); err != nil {
		return fmt.Errorf("identities: %w", err)
	}
	return nil
}

// ReloadIdentities reads the identities file again (`portico serve` does on SIGHUP): its users
// and roles replace those it gave before. A file that does not load changes nothing.
func (s *Server) ReloadIdentities() error {
	if err := syncIdentities(s.Config, s.store); err != nil {
		return err
	}
	s.log.Info("identities reloaded", "file", s.Config.IdentitiesFile)
	return nil
}

// withIAMAPI serves IAM's query API (internal/iamapi) to requests signed for the service "iam"
// on the admin listener, and admin's other handlers to the rest; its changes go to the audit log.
func withIAMAPI(admin http.Handler, st store.Store, cfg Config, creds Credentials, obs *observability, log *slog.Logger) http.Handler {
	api := iamapi.New(st, iamapi.Options{AccountID: cfg.AccountID,
		Credentials: map[string]string{creds.AccessKeyID: creds.SecretAccessKey}, Audit: obs.audit, Logger: log})
	return iamapi.Route(api, admin)
}
