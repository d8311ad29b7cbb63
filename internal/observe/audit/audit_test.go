package audit

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAppendAndRead(t *testing.T) {
	p := filepath.Join(t.TempDir(), FileName)
	l, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.Append(&Entry{EventTime: t0.Add(time.Duration(i) * time.Minute), EventName: "CreateRestApi", Status: 201}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	l.Close()
	if err := l.Append(&Entry{}); err == nil {
		t.Error("append after close succeeded")
	}
	// A torn last line is skipped, not fatal.
	f, _ := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"eventTime":"2026-01-`)
	f.Close()

	b, _ := os.ReadFile(p)
	n := 0
	skipped, err := Read(strings.NewReader(string(b)), t0.Add(10*time.Minute), func(e *Entry) error {
		n++
		if e.EventTime.Before(t0.Add(10 * time.Minute)) {
			t.Errorf("entry before since: %v", e.EventTime)
		}
		return nil
	})
	if err != nil || skipped != 1 || n != 10 {
		t.Errorf("read %d entries, skipped %d, err %v; want 10, 1, nil", n, skipped, err)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Errorf("audit log mode %v, want 0600", fi.Mode().Perm())
	}
}
