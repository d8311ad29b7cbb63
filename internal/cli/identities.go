package cli

import (
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/portico/portico/internal/server"
)

// identitiesPollInterval is how often serve looks at the identities file for a change.
const identitiesPollInterval = 2 * time.Second

// reloadIdentities makes serve read the identities file again on SIGHUP and when the file
// changes (its size or modification time, looked at every identitiesPollInterval); the
// returned function stops both.
func reloadIdentities(srv *server.Server, log *slog.Logger) func() {
	path := srv.Config.IdentitiesFile
	if path == "" {
		return func() {}
	}
	reload := func(why string) {
		if err := srv.ReloadIdentities(); err != nil {
			log.Error("identities not reloaded: the previous ones stay in force", "file", path, "cause", why, "error", err)
		}
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	changed := watchFile(path, identitiesPollInterval, done)
	go func() {
		for {
			select {
			case <-hup:
				reload("SIGHUP")
			case <-changed:
				reload("file changed")
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

// watchFile reports on the returned channel each time path's size or modification time
// differs from what it was at the previous look, every interval, until done is closed. A file
// that cannot be read is not a change: it is looked at again next time.
func watchFile(path string, interval time.Duration, done <-chan struct{}) <-chan struct{} {
	out := make(chan struct{}, 1)
	stamp := func() (time.Time, int64, bool) {
		fi, err := os.Stat(path)
		if err != nil {
			return time.Time{}, 0, false
		}
		return fi.ModTime(), fi.Size(), true
	}
	mod, size, _ := stamp()
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				m, s, ok := stamp()
				if !ok || (m.Equal(mod) && s == size) {
					continue
				}
				mod, size = m, s
				select {
				case out <- struct{}{}:
				default: // a change is already pending
				}
			}
		}
	}()
	return out
}
