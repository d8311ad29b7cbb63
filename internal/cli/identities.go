package cli

import (
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/portico/portico/internal/server"
)

// reloadIdentitiesOnHangup makes SIGHUP read the identities file again, when serve has one; the
// returned function stops listening.
func reloadIdentitiesOnHangup(srv *server.Server, log *slog.Logger) func() {
	if srv.Config.IdentitiesFile == "" {
		return func() {}
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-hup:
				if err := srv.ReloadIdentities(); err != nil {
					log.Error("identities not reloaded: the previous ones stay in force", "error", err)
				}
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(hup)
		close(done)
	}
}
