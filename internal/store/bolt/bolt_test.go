package bolt

import (
	"errors"
	"testing"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

func TestUpdateIsAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	feed, cancel := s.Subscribe()
	defer cancel()

	api := model.APIDoc{RestApi: model.RestApi{Id: "abcdefghij", Name: "one"}}
	if err := s.Update(func(tx store.Tx) error { return tx.Put(store.KindRestAPI, api.RestApi.Id, &api) }); err != nil {
		t.Fatal(err)
	}
	if c := <-feed; c.Kind != store.KindRestAPI || c.Key != "abcdefghij" {
		t.Fatalf("change = %+v", c)
	}

	boom := errors.New("boom")
	err = s.Update(func(tx store.Tx) error {
		api.RestApi.Name = "two"
		if err := tx.Put(store.KindRestAPI, api.RestApi.Id, &api); err != nil {
			return err
		}
		if err := tx.Put(store.KindStage, store.Key(api.RestApi.Id, "prod"), &model.StageRecord{APIID: api.RestApi.Id}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want boom", err)
	}
	select {
	case c := <-feed:
		t.Fatalf("a failed update announced %+v", c)
	default:
	}
	s.Close()

	// Reopen: the first write is there, nothing of the failed one.
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var got model.APIDoc
	err = s.View(func(tx store.Tx) error {
		if err := tx.Get(store.KindRestAPI, "abcdefghij", &got); err != nil {
			return err
		}
		var st model.StageRecord
		if err := tx.Get(store.KindStage, store.Key("abcdefghij", "prod"), &st); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("stage of the failed update: %v", err)
		}
		return nil
	})
	if err != nil || got.RestApi.Name != "one" {
		t.Fatalf("after reopen: %+v, %v", got.RestApi, err)
	}
}

func TestListByPrefix(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Update(func(tx store.Tx) error {
		for _, k := range []string{"a/2", "a/1", "ab/1", "b/1"} {
			if err := tx.Put(store.KindStage, k, k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	s.View(func(tx store.Tx) error {
		return tx.List(store.KindStage, "a/", func(k string, _ []byte) error { keys = append(keys, k); return nil })
	})
	if len(keys) != 2 || keys[0] != "a/1" || keys[1] != "a/2" {
		t.Fatalf("List(a/) = %v", keys)
	}
}

func TestSlowSubscriberGetsReload(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	feed, cancel := s.Subscribe()
	defer cancel()
	err = s.Update(func(tx store.Tx) error {
		for i := range 1000 {
			if err := tx.Put(store.KindMeta, string(rune('a'+i%26))+string(rune(i)), i); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sawReload := false
	for len(feed) > 0 {
		if c := <-feed; c.Kind == "" {
			sawReload = true
		}
	}
	if !sawReload {
		t.Fatal("an overflowing feed did not ask for a reload")
	}
}
