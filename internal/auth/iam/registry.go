package iam

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

// Options configure a Registry.
type Options struct {
	AccountID string
	// Root maps the admin access key ids to their secrets: the account's root, allowed
	// everything.
	Root   map[string]string
	Logger *slog.Logger
}

// Registry keeps the current Directory, rebuilt from the store's identities whenever they
// change.
type Registry struct {
	st   store.Store
	opts Options
	cur  atomic.Pointer[Directory]
	stop func()
	done chan struct{}
}

// Open loads the identities of st and follows its changes until Close.
func Open(st store.Store, opts Options) (*Registry, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Registry{st: st, opts: opts, done: make(chan struct{})}
	// Subscribe before loading, so no change made during the load is missed.
	changes, stop := st.Subscribe()
	r.stop = stop
	if err := r.reload(); err != nil {
		stop()
		return nil, err
	}
	go r.follow(changes)
	return r, nil
}

// Directory returns the current snapshot.
func (r *Registry) Directory() *Directory { return r.cur.Load() }

// Close stops following the store.
func (r *Registry) Close() {
	r.stop()
	<-r.done
}

func (r *Registry) follow(changes <-chan store.Change) {
	defer close(r.done)
	for c := range changes {
		if c.Kind != store.KindIAM && c.Kind != "" {
			continue
		}
		if err := r.reload(); err != nil {
			// The previous identities stay in force rather than none.
			r.opts.Logger.Error("iam: identities not reloaded", "error", err)
		}
	}
}

// reload builds a Directory of every stored identity and swaps it in.
func (r *Registry) reload() error {
	ids, err := ReadStore(r.st)
	if err != nil {
		return err
	}
	d, err := Build(r.opts.AccountID, r.opts.Root, ids)
	if err != nil {
		return err
	}
	r.cur.Store(d)
	return nil
}

// ReadStore reads every identity kept in st.
func ReadStore(st store.Store) (Identities, error) {
	var ids Identities
	sessions := map[string][]model.IAMRoleSession{}
	err := st.View(func(tx store.Tx) error {
		return tx.List(store.KindIAM, "", func(k string, raw []byte) error {
			kind, _, _ := strings.Cut(k, "/")
			switch kind {
			case "user":
				var u model.IAMUser
				if err := json.Unmarshal(raw, &u); err != nil {
					return fmt.Errorf("iam: %s: %w", k, err)
				}
				ids.Users = append(ids.Users, u)
			case "role":
				var role model.IAMRole
				if err := json.Unmarshal(raw, &role); err != nil {
					return fmt.Errorf("iam: %s: %w", k, err)
				}
				ids.Roles = append(ids.Roles, role)
			case "session":
				var sess model.IAMSession
				if err := json.Unmarshal(raw, &sess); err != nil {
					return fmt.Errorf("iam: %s: %w", k, err)
				}
				sessions[sess.RoleName] = append(sessions[sess.RoleName], sess.IAMRoleSession)
			}
			return nil
		})
	})
	// A session of AssumeRole belongs to its role while the role exists.
	for i := range ids.Roles {
		r := &ids.Roles[i]
		r.Sessions = append(r.Sessions, sessions[r.RoleName]...)
	}
	return ids, err
}
