package observe

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// ExecFileName is the execution log's file in the data directory.
const ExecFileName = "execution.log"

// ExecEntry is one line of a stage's execution log, as stored: one JSON object per line.
type ExecEntry struct {
	Time      time.Time `json:"time"`
	APIID     string    `json:"apiId"`
	Stage     string    `json:"stage"`
	RequestID string    `json:"requestId"`
	Message   string    `json:"message"`
}

// ExecFilter selects execution log entries; empty fields select everything.
type ExecFilter struct {
	APIID, Stage, RequestID string
	Since                   time.Time
}

// Match reports whether e is selected.
func (f *ExecFilter) Match(e *ExecEntry) bool {
	return (f.APIID == "" || e.APIID == f.APIID) && (f.Stage == "" || e.Stage == f.Stage) &&
		(f.RequestID == "" || e.RequestID == f.RequestID) && (f.Since.IsZero() || !e.Time.Before(f.Since))
}

// ExecLogOptions configure a server's execution log.
type ExecLogOptions struct {
	// Path is the log file; at MaxFileBytes (default 64 MiB) it moves to Path.1 and a new one
	// starts, so the log never holds more than twice that.
	Path         string
	MaxFileBytes int64
	// QueueRequests bounds the requests whose lines wait to be written (default 4096); past
	// it a request's lines are dropped and counted.
	QueueRequests int
	// FlushInterval is how long lines gather before they are written (default 10ms).
	FlushInterval time.Duration
}

// ExecLog is a server's execution log: every stage's lines in one append-only, size-rotated
// file of JSON lines, written by one goroutine so that a request only hands its lines over.
// Followers get each line once it is written.
type ExecLog struct {
	opts    ExecLogOptions
	q       chan []ExecEntry
	dropped atomic.Int64
	done    chan struct{}

	closeMu sync.RWMutex // held for reading by Add, for writing by Close
	closed  bool

	// mu orders writes to the file with subscriptions, so a follower reads the file up to a
	// point and receives every line after it, none twice.
	mu   sync.Mutex
	file *rotating
	subs map[*execSub]struct{}
}

type execSub struct {
	f  ExecFilter
	ch chan ExecEntry
}

// OpenExecLog opens (or creates, mode 0600: lines may carry request bodies) the log file and
// starts its writer; Close stops it.
func OpenExecLog(opts ExecLogOptions) (*ExecLog, error) {
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = 64 << 20
	}
	if opts.QueueRequests <= 0 {
		opts.QueueRequests = 4096
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = 10 * time.Millisecond
	}
	f, err := openRotatingMode(opts.Path, opts.MaxFileBytes, 0o600)
	if err != nil {
		return nil, fmt.Errorf("execution log: %w", err)
	}
	l := &ExecLog{opts: opts, q: make(chan []ExecEntry, opts.QueueRequests), done: make(chan struct{}),
		file: f, subs: map[*execSub]struct{}{}}
	go l.run()
	return l, nil
}

// Dropped is how many lines were dropped because the queue was full or the file refused them.
func (l *ExecLog) Dropped() int64 { return l.dropped.Load() }

// Add queues one request's lines; it never waits. The log owns entries from then on.
func (l *ExecLog) Add(entries []ExecEntry) {
	if len(entries) == 0 {
		return
	}
	l.closeMu.RLock()
	defer l.closeMu.RUnlock()
	if l.closed {
		return
	}
	select {
	case l.q <- entries:
	default:
		l.dropped.Add(int64(len(entries)))
	}
}

// run writes what is queued, gathering for FlushInterval once lines arrive, then tells the
// followers.
func (l *ExecLog) run() {
	defer close(l.done)
	var batch []ExecEntry
	buf := make([]byte, 0, 64<<10)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		es, ok := <-l.q
		if !ok {
			return
		}
		batch = append(batch[:0], es...)
		timer.Reset(l.opts.FlushInterval)
		closing := false
	gather:
		for {
			select {
			case es, ok := <-l.q:
				if !ok {
					closing = true
					timer.Stop()
					break gather
				}
				batch = append(batch, es...)
			case <-timer.C:
				break gather
			}
		}
		buf = buf[:0]
		for i := range batch {
			buf = appendExecEntry(buf, &batch[i])
		}
		l.mu.Lock()
		if _, err := l.file.Write(buf); err != nil {
			l.dropped.Add(int64(len(batch)))
		} else {
			l.publish(batch)
		}
		l.mu.Unlock()
		if closing {
			return
		}
	}
}

// appendExecEntry appends e as one JSON line, what encoding/json writes for it, without its
// reflection: the writer formats every line of every logged request.
func appendExecEntry(b []byte, e *ExecEntry) []byte {
	b = append(b, `{"time":"`...)
	b = e.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","apiId":`...)
	b = AppendJSONString(b, e.APIID)
	b = append(b, `,"stage":`...)
	b = AppendJSONString(b, e.Stage)
	b = append(b, `,"requestId":`...)
	b = AppendJSONString(b, e.RequestID)
	b = append(b, `,"message":`...)
	b = AppendJSONString(b, e.Message)
	return append(b, "}\n"...)
}

// publish hands written lines to the followers (l.mu held). A follower too slow to take them
// is cut off: its channel is closed, so it ends rather than miss lines silently.
func (l *ExecLog) publish(batch []ExecEntry) {
subs:
	for s := range l.subs {
		for i := range batch {
			if !s.f.Match(&batch[i]) {
				continue
			}
			select {
			case s.ch <- batch[i]:
			default:
				delete(l.subs, s)
				close(s.ch)
				continue subs
			}
		}
	}
}

// Read calls fn with every stored entry f selects, oldest first.
func (l *ExecLog) Read(f ExecFilter, fn func(*ExecEntry) error) error {
	l.mu.Lock()
	sizes := l.sizes()
	l.mu.Unlock()
	return readExec(l.opts.Path, sizes, f, fn)
}

// Follow calls fn with every stored entry f selects, then with each one written after, until
// ctx ends, the log is closed, or the follower falls too far behind (ErrFollowerBehind).
func (l *ExecLog) Follow(ctx context.Context, f ExecFilter, fn func(*ExecEntry) error) error {
	s := &execSub{f: f, ch: make(chan ExecEntry, 4096)}
	l.mu.Lock()
	sizes := l.sizes()
	l.subs[s] = struct{}{}
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		if _, ok := l.subs[s]; ok {
			delete(l.subs, s)
			close(s.ch)
		}
		l.mu.Unlock()
	}()
	if err := readExec(l.opts.Path, sizes, f, fn); err != nil {
		return err
	}
	for {
		select {
		case e, ok := <-s.ch:
			if !ok {
				return ErrFollowerBehind
			}
			if err := fn(&e); err != nil {
				return err
			}
		case <-ctx.Done():
			return nil
		case <-l.done:
			return nil
		}
	}
}

// ErrFollowerBehind ends a Follow whose reader did not keep up with the lines written.
var ErrFollowerBehind = errors.New("execution log: follower fell behind")

// sizes are how much of PATH.1 and PATH is written now (l.mu held).
func (l *ExecLog) sizes() [2]int64 {
	var s [2]int64
	if fi, err := os.Stat(l.opts.Path + ".1"); err == nil {
		s[0] = fi.Size()
	}
	s[1] = l.file.size
	return s
}

// readExec reads PATH.1 then PATH, each up to the size given, skipping lines that do not parse.
func readExec(path string, sizes [2]int64, f ExecFilter, fn func(*ExecEntry) error) error {
	for i, p := range []string{path + ".1", path} {
		if sizes[i] == 0 {
			continue
		}
		file, err := os.Open(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		err = scanExec(io.LimitReader(file, sizes[i]), f, fn)
		file.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func scanExec(r io.Reader, f ExecFilter, fn func(*ExecEntry) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		var e ExecEntry
		if json.Unmarshal(sc.Bytes(), &e) != nil || !f.Match(&e) {
			continue
		}
		if err := fn(&e); err != nil {
			return err
		}
	}
	return sc.Err()
}

// Close writes what is queued, ends every Follow and closes the file.
func (l *ExecLog) Close() error {
	l.closeMu.Lock()
	if l.closed {
		l.closeMu.Unlock()
		return nil
	}
	l.closed = true
	close(l.q)
	l.closeMu.Unlock()
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.file.Close()
}
