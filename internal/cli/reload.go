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

// hangups catches SIGHUP from now on, so that one sent while serve starts is a reload rather
// than the end of the process; stop lets it go.
func hangups() (hup <-chan os.Signal, stop func()) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGHUP)
	return c, func() { signal.Stop(c) }
}

// watchReloads is serve's one SIGHUP handler: on each signal from hup it makes srv read the
// identities file (when there is one) and every certificate, key and truststore again. The
// identities file is also read when it changes (its size or modification time, looked at
// every identitiesPollInterval). The returned function stops both and waits for a reload
// under way.
func watchReloads(srv *server.Server, log *slog.Logger, hup <-chan os.Signal) (stop func()) {
	path := srv.Config.IdentitiesFile
	reloadIdentities := func(why string) {
		if path == "" {
			return
		}
		if err := srv.ReloadIdentities(); err != nil {
			log.Error("identities not reloaded: the previous ones stay in force", "file", path, "cause", why, "error", err)
		}
	}
	done, stopped := make(chan struct{}), make(chan struct{})
	var changed <-chan struct{} // nil, so never ready, without an identities file
	if path != "" {
		changed = watchFile(path, identitiesPollInterval, done)
	}
	go func() {
		defer close(stopped)
		for {
			select {
			case <-hup:
				reloadIdentities("SIGHUP")
				// Each file that cannot be read is logged, with its reason, by the reload.
				srv.ReloadCertificates()
			case <-changed:
				reloadIdentities("file changed")
			case <-done:
				return
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
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
