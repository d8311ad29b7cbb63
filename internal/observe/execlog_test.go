package observe

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func entry(req, msg string) ExecEntry {
	return ExecEntry{Time: time.Now().UTC(), APIID: "api1", Stage: "prod", RequestID: req, Message: msg}
}

func readAll(t *testing.T, l *ExecLog, f ExecFilter) []string {
	t.Helper()
	var out []string
	if err := l.Read(f, func(e *ExecEntry) error { out = append(out, e.RequestID+" "+e.Message); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// waitLines polls until the log holds n lines that f selects.
func waitLines(t *testing.T, l *ExecLog, f ExecFilter, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := readAll(t, l, f)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d lines after 10s, want %d: %q", len(got), n, got)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestExecLogReadFilterRotate writes lines of two requests, reads them back by request and by
// stage, and checks that rotation keeps the previous file readable and the mode 0600.
func TestExecLogReadFilterRotate(t *testing.T) {
	path := filepath.Join(t.TempDir(), ExecFileName)
	l, err := OpenExecLog(ExecLogOptions{Path: path, MaxFileBytes: 200})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// Two batches: the second finds the file past its limit and moves it aside.
	for i := range 6 {
		l.Add([]ExecEntry{entry(fmt.Sprint("r", i%2), fmt.Sprint("line ", i))})
		if i == 2 {
			waitLines(t, l, ExecFilter{}, 3)
		}
	}
	all := waitLines(t, l, ExecFilter{}, 6)
	if got := readAll(t, l, ExecFilter{RequestID: "r1"}); len(got) != 3 || got[0] != "r1 line 1" || got[2] != "r1 line 5" {
		t.Errorf("request r1: %q", got)
	}
	if got := readAll(t, l, ExecFilter{APIID: "api1", Stage: "dev"}); len(got) != 0 {
		t.Errorf("stage dev: %q", got)
	}
	if all[0] != "r0 line 0" || all[5] != "r1 line 5" {
		t.Errorf("order: %q", all)
	}
	if _, err := os.Stat(path + ".1"); err != nil {
		t.Errorf("no rotation at 200 bytes: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
	if got := readAll(t, l, ExecFilter{Since: time.Now().Add(time.Hour)}); len(got) != 0 {
		t.Errorf("since the future: %q", got)
	}
}

// TestExecLogFollow reads the stored lines then each new one once written, and ends with its
// context.
func TestExecLogFollow(t *testing.T) {
	l, err := OpenExecLog(ExecLogOptions{Path: filepath.Join(t.TempDir(), ExecFileName)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Add([]ExecEntry{entry("old", "before")})
	waitLines(t, l, ExecFilter{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan string, 10)
	done := make(chan error, 1)
	go func() {
		done <- l.Follow(ctx, ExecFilter{Stage: "prod"}, func(e *ExecEntry) error {
			got <- e.RequestID + " " + e.Message
			return nil
		})
	}()
	if s := <-got; s != "old before" {
		t.Errorf("first line %q", s)
	}
	l.Add([]ExecEntry{entry("new", "after")})
	if s := <-got; s != "new after" {
		t.Errorf("followed line %q", s)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Follow ended with %v", err)
	}
}

// TestExecLogDrops checks that a full queue drops and counts lines rather than waiting.
func TestExecLogDrops(t *testing.T) {
	l, err := OpenExecLog(ExecLogOptions{Path: filepath.Join(t.TempDir(), ExecFileName), QueueRequests: 1,
		FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for range 100 {
		l.Add([]ExecEntry{entry("r", "x"), entry("r", "y")})
	}
	if l.Dropped() == 0 {
		t.Error("nothing dropped with a queue of one request")
	}
	start := time.Now()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("Close waited for the flush interval")
	}
	l.Add([]ExecEntry{entry("r", "after close")}) // ignored, no panic
}

// FuzzExecLogLines feeds arbitrary file contents to the reader: lines that do not parse are
// skipped, never a panic.
func FuzzExecLogLines(f *testing.F) {
	f.Add([]byte(`{"time":"2026-11-22T02:00:00Z","apiId":"a","stage":"s","requestId":"r","message":"m"}` + "\n"))
	f.Add([]byte("not json\n{\"time\":1}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		scanExec(bytes.NewReader(b), ExecFilter{Stage: "s"}, func(e *ExecEntry) error {
			if e.Stage != "s" {
				t.Errorf("filter let %q through", e.Stage)
			}
			return nil
		})
	})
}

// validUTF8 replaces each byte of invalid UTF-8 with U+FFFD, as encoding/json reads it.
func validUTF8(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r)
	}
	return b.String()
}

// FuzzExecEntryRoundTrip checks that a written line reads back as the entry written (invalid
// UTF-8 read back as U+FFFD, as encoding/json does).
func FuzzExecEntryRoundTrip(f *testing.F) {
	f.Add("req-1", "Method request body before transformations: {\"a\":\"\\u00e9\n\"}")
	f.Add("", "\xff\x00<&>")
	f.Fuzz(func(t *testing.T, id, msg string) {
		in := ExecEntry{Time: time.Date(2026, 11, 22, 2, 0, 0, 123456789, time.UTC), APIID: "api", Stage: "s", RequestID: id, Message: msg}
		var n int
		err := scanExec(bytes.NewReader(appendExecEntry(nil, &in)), ExecFilter{}, func(e *ExecEntry) error {
			n++
			if !e.Time.Equal(in.Time) || e.Message != validUTF8(msg) || e.RequestID != validUTF8(id) {
				t.Errorf("read back %+v, wrote %+v", e, in)
			}
			return nil
		})
		if err != nil || n != 1 {
			t.Errorf("read %d entries, error %v", n, err)
		}
	})
}
