// Package bolt is the embedded Store: one bbolt file in the data directory, one bucket per kind.
package bolt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/portico/portico/internal/store"
)

// FileName is the name of the database file inside the data directory.
const FileName = "portico.db"

// Store is a store.Store backed by bbolt.
type Store struct {
	db *bbolt.DB

	mu   sync.Mutex
	subs map[chan store.Change]struct{}
}

// Open opens (creating if needed) the database in dir.
func Open(dir string) (*Store, error) {
	db, err := bbolt.Open(filepath.Join(dir, FileName), 0o600, &bbolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open store in %s: %w", dir, err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, k := range store.Kinds {
			if _, err := tx.CreateBucketIfNotExists([]byte(k)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("init store: %w", err)
	}
	return &Store{db: db, subs: map[chan store.Change]struct{}{}}, nil
}

// Close closes the database file.
func (s *Store) Close() error { return s.db.Close() }

type tx struct {
	tx      *bbolt.Tx
	changes []store.Change
}

func (t *tx) bucket(k store.Kind) (*bbolt.Bucket, error) {
	b := t.tx.Bucket([]byte(k))
	if b == nil {
		return nil, fmt.Errorf("store: unknown kind %q", k)
	}
	return b, nil
}

func (t *tx) Get(k store.Kind, key string, v any) error {
	b, err := t.bucket(k)
	if err != nil {
		return err
	}
	raw := b.Get([]byte(key))
	if raw == nil {
		return store.ErrNotFound
	}
	return json.Unmarshal(raw, v)
}

func (t *tx) Put(k store.Kind, key string, v any) error {
	b, err := t.bucket(k)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: encode %s/%s: %w", k, key, err)
	}
	t.changes = append(t.changes, store.Change{Kind: k, Key: key})
	return b.Put([]byte(key), raw)
}

func (t *tx) Delete(k store.Kind, key string) error {
	b, err := t.bucket(k)
	if err != nil {
		return err
	}
	t.changes = append(t.changes, store.Change{Kind: k, Key: key})
	return b.Delete([]byte(key))
}

func (t *tx) List(k store.Kind, prefix string, fn func(string, []byte) error) error {
	b, err := t.bucket(k)
	if err != nil {
		return err
	}
	c := b.Cursor()
	p := []byte(prefix)
	for key, v := c.Seek(p); key != nil && bytes.HasPrefix(key, p); key, v = c.Next() {
		if err := fn(string(key), v); err != nil {
			return err
		}
	}
	return nil
}

// View runs fn in a read-only transaction.
func (s *Store) View(fn func(store.Tx) error) error {
	return s.db.View(func(btx *bbolt.Tx) error { return fn(&tx{tx: btx}) })
}

// Update runs fn in a read-write transaction and announces its changes after the commit.
func (s *Store) Update(fn func(store.Tx) error) error {
	var t *tx
	err := s.db.Update(func(btx *bbolt.Tx) error {
		t = &tx{tx: btx}
		return fn(t)
	})
	if err == nil {
		s.publish(t.changes)
	}
	return err
}

// Subscribe returns a buffered change feed.
func (s *Store) Subscribe() (<-chan store.Change, func()) {
	ch := make(chan store.Change, 256)
	s.mu.Lock()
	s.subs[ch] = struct{}{}
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		if _, ok := s.subs[ch]; ok {
			delete(s.subs, ch)
			close(ch)
		}
		s.mu.Unlock()
	}
}

func (s *Store) publish(changes []store.Change) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.subs {
		for _, c := range changes {
			select {
			case ch <- c:
			default:
				// The subscriber is behind: drop what is queued and ask for a full reload.
				for len(ch) > 0 {
					<-ch
				}
				ch <- store.Change{}
			}
		}
	}
}
