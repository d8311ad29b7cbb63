package functions

import (
	"os"
	"sync"
)

// DefaultLogBufferBytes bounds each function's in-memory log.
const DefaultLogBufferBytes = 256 << 10

// MaxLogFileBytes bounds a function's log file: past it the file is renamed with a ".1" suffix
// (replacing the previous one) and a new one is started, so a function printing without end
// cannot fill the disk.
const MaxLogFileBytes = 64 << 20

// TailBytes is how much of an invocation's log LogType Tail returns (AWS: the last 4 KB).
const TailBytes = 4096

// functionLog is one function's log: a bounded ring of recent bytes for `logs`, an append-only
// file under the data directory, and followers that receive every write as it happens.
type functionLog struct {
	mu        sync.Mutex
	ring      []byte // capacity fixed; holds the last len(ring) bytes written
	start     int    // index of the oldest byte once full
	full      bool
	file      *os.File
	path      string // of the file; "" keeps no file
	fileSize  int64
	maxFile   int64
	followers map[chan []byte]struct{}
}

// newFunctionLog keeps size bytes in memory and, when path is set, appends to that file.
func newFunctionLog(size int, path string, maxFile int64) (*functionLog, error) {
	l := &functionLog{ring: make([]byte, 0, size), path: path, maxFile: maxFile, followers: map[chan []byte]struct{}{}}
	if path == "" {
		return l, nil
	}
	return l, l.open()
}

func (l *functionLog) open() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	l.file, l.fileSize = f, st.Size()
	return nil
}

// rotate starts a new file, keeping the previous one as path.1. Callers hold l.mu.
func (l *functionLog) rotate() {
	l.file.Close()
	l.file = nil
	if os.Rename(l.path, l.path+".1") != nil {
		return
	}
	l.open()
}

// Write appends p to the ring, the file and every follower. A follower that cannot keep up
// loses writes rather than slowing the function down.
func (l *functionLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.appendRing(p)
	if l.file != nil {
		if l.fileSize+int64(len(p)) > l.maxFile {
			l.rotate()
		}
		if l.file != nil {
			n, _ := l.file.Write(p)
			l.fileSize += int64(n)
		}
	}
	if len(l.followers) > 0 {
		c := append([]byte(nil), p...)
		for ch := range l.followers {
			select {
			case ch <- c:
			default:
			}
		}
	}
	return len(p), nil
}

func (l *functionLog) appendRing(p []byte) {
	c := cap(l.ring)
	if len(p) >= c {
		l.ring = append(l.ring[:0], p[len(p)-c:]...)
		l.start, l.full = 0, true
		return
	}
	if !l.full {
		if len(l.ring)+len(p) <= c {
			l.ring = append(l.ring, p...)
			return
		}
		n := c - len(l.ring)
		l.ring = append(l.ring, p[:n]...)
		p = p[n:]
		l.full = true
	}
	for len(p) > 0 {
		n := copy(l.ring[l.start:], p)
		p = p[n:]
		l.start = (l.start + n) % c
	}
}

// Snapshot returns the buffered log, oldest first.
func (l *functionLog) Snapshot() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.snapshotLocked()
}

func (l *functionLog) snapshotLocked() []byte {
	if !l.full {
		return append([]byte(nil), l.ring...)
	}
	out := make([]byte, 0, len(l.ring))
	out = append(out, l.ring[l.start:]...)
	return append(out, l.ring[:l.start]...)
}

// Follow returns the buffered log and a channel of later writes; stop ends the subscription.
func (l *functionLog) Follow() (past []byte, ch <-chan []byte, stop func()) {
	c := make(chan []byte, 256)
	l.mu.Lock()
	snap := l.snapshotLocked()
	l.followers[c] = struct{}{}
	l.mu.Unlock()
	return snap, c, func() {
		l.mu.Lock()
		delete(l.followers, c)
		l.mu.Unlock()
	}
}

func (l *functionLog) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.file != nil {
		l.file.Close()
		l.file = nil
	}
}

// tail keeps the last TailBytes of one invocation's log.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) {
	t.mu.Lock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*TailBytes {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-TailBytes:]...)
	}
	t.mu.Unlock()
}

func (t *tail) Bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.buf
	if len(b) > TailBytes {
		b = b[len(b)-TailBytes:]
	}
	return append([]byte(nil), b...)
}
