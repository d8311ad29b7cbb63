package observe

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// SinkOptions configure the access log destinations of a server.
type SinkOptions struct {
	// Default receives the lines of stages whose destinationArn names no Portico sink
	// (nil: standard output), unless DefaultFile names a file for them.
	Default     io.Writer
	DefaultFile string
	// QueueLines bounds the lines waiting for each destination (default 8192); past it lines
	// are dropped and counted.
	QueueLines int
	// MaxFileBytes is the size at which a file:// destination is rotated (default 100 MiB).
	MaxFileBytes int64
	// FlushInterval is how long lines gather before a file or stream destination is written
	// (default 10ms): one write and one wake-up of the writer per interval under load, rather
	// than per line.
	FlushInterval time.Duration
	// BatchInterval is how long an http(s):// destination's lines gather before they are
	// POSTed together (default 1s; sooner when a batch reaches 1 MiB).
	BatchInterval time.Duration
}

// Sinks holds the access log destinations of a server, one writer goroutine each, shared by
// every stage that names the same destination.
type Sinks struct {
	opts             SinkOptions
	written, dropped atomic.Int64

	mu     sync.Mutex
	byDest map[string]*Sink
	closed bool
}

// NewSinks returns the destinations of a server; Close flushes them.
func NewSinks(opts SinkOptions) *Sinks {
	if opts.Default == nil {
		opts.Default = os.Stdout
	}
	if opts.QueueLines <= 0 {
		opts.QueueLines = 8192
	}
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = 100 << 20
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = 10 * time.Millisecond
	}
	if opts.BatchInterval <= 0 {
		opts.BatchInterval = time.Second
	}
	return &Sinks{opts: opts, byDest: map[string]*Sink{}}
}

// Dropped is how many lines were dropped because their destination's queue was full or the
// destination refused them.
func (s *Sinks) Dropped() int64 { return s.dropped.Load() }

// Written is how many lines their destinations took.
func (s *Sinks) Written() int64 { return s.written.Load() }

// For returns the sink that destinationArn names: file://PATH, an http(s):// URL (lines
// POSTed in batches), or the default sink for anything else ("" included). A file that cannot be opened is an error; the caller decides what to do.
func (s *Sinks) For(destinationArn string) (*Sink, error) {
	key := ""
	if p, ok := strings.CutPrefix(destinationArn, "file://"); ok && p != "" {
		key = "file://" + p
	} else if u, err := url.Parse(destinationArn); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		key = destinationArn
	}
	if key == "" && s.opts.DefaultFile != "" {
		key = "file://" + s.opts.DefaultFile
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("access log sinks are closed")
	}
	if k := s.byDest[key]; k != nil {
		return k, nil
	}
	out := s.opts.Default
	var c io.Closer
	linger := s.opts.FlushInterval
	switch {
	case strings.HasPrefix(key, "file://"):
		f, err := openRotating(key[len("file://"):], s.opts.MaxFileBytes)
		if err != nil {
			return nil, err
		}
		out, c = f, f
	case key != "":
		out, linger = &poster{url: key, client: &http.Client{Timeout: 10 * time.Second}}, s.opts.BatchInterval
	}
	k := newSink(out, c, s.opts.QueueLines, linger, &s.written, &s.dropped)
	s.byDest[key] = k
	return k, nil
}

// Close stops taking lines, writes what is queued and closes the files.
func (s *Sinks) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	sinks := s.byDest
	s.mu.Unlock()
	var first error
	for _, k := range sinks {
		if err := k.close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// maxBatch is the most a destination is given at once.
const maxBatch = 1 << 20

// Sink is one destination: a bounded queue of lines and the goroutine that writes them.
type Sink struct {
	q       chan *[]byte
	out     io.Writer // takes whole lines, many at a time
	c       io.Closer
	linger  time.Duration
	written *atomic.Int64
	dropped *atomic.Int64
	done    chan struct{}
	quit    chan struct{} // closed by close: stop lingering
	nudge   chan struct{} // the queue is half full: stop lingering
	half    int

	mu     sync.RWMutex // held for reading by writers of the queue, for writing by close
	closed bool
}

func newSink(out io.Writer, c io.Closer, queue int, linger time.Duration, written, dropped *atomic.Int64) *Sink {
	k := &Sink{q: make(chan *[]byte, queue), out: out, c: c, linger: linger, written: written, dropped: dropped,
		done: make(chan struct{}), quit: make(chan struct{}), nudge: make(chan struct{}, 1), half: max(queue/2, 1)}
	go k.run()
	return k
}

// Log renders r with f and queues the line; it never waits.
func (k *Sink) Log(f *Format, r *Record) {
	bp := linePool.Get().(*[]byte)
	*bp = append(f.Append((*bp)[:0], r), '\n')
	k.mu.RLock()
	if k.closed {
		k.mu.RUnlock()
		linePool.Put(bp)
		return
	}
	select {
	case k.q <- bp:
		if len(k.q) >= k.half {
			select {
			case k.nudge <- struct{}{}:
			default:
			}
		}
	default:
		linePool.Put(bp)
		k.dropped.Add(1)
	}
	k.mu.RUnlock()
}

// run writes what is queued. Idle, it waits for a line; then it gathers lines for linger (less
// when the queue fills to half), writes them as one batch (sooner when a batch reaches
// maxBatch), and goes on so until an interval brings nothing. Under load the writer wakes once per interval, not once per line.
// Lines a destination fails to take are counted as dropped.
func (k *Sink) run() {
	defer close(k.done)
	batch := make([]byte, 0, 64<<10)
	lines := 0
	flush := func() {
		if lines == 0 {
			return
		}
		if _, err := k.out.Write(batch); err != nil {
			k.dropped.Add(int64(lines))
		} else {
			k.written.Add(int64(lines))
		}
		batch, lines = batch[:0], 0
	}
	add := func(bp *[]byte) {
		batch = append(batch, *bp...)
		lines++
		linePool.Put(bp)
		if len(batch) >= maxBatch {
			flush()
		}
	}
	timer := time.NewTimer(k.linger)
	timer.Stop()
	for {
		bp, ok := <-k.q
		if !ok {
			return
		}
		add(bp)
		for busy := true; busy; {
			timer.Reset(k.linger)
			select {
			case <-timer.C:
			case <-k.nudge:
				timer.Stop()
			case <-k.quit:
				timer.Stop()
			}
			busy = false
		drain:
			for {
				select {
				case bp, ok := <-k.q:
					if !ok {
						flush()
						return
					}
					add(bp)
					busy = true
				default:
					break drain
				}
			}
			flush()
		}
	}
}

func (k *Sink) close() error {
	k.mu.Lock()
	k.closed = true
	close(k.q)
	close(k.quit)
	k.mu.Unlock()
	<-k.done
	if k.c != nil {
		return k.c.Close()
	}
	return nil
}

// poster sends each batch to an HTTP endpoint as one POST of newline-delimited lines.
type poster struct {
	url    string
	client *http.Client
}

func (p *poster) Write(b []byte) (int, error) {
	resp, err := p.client.Post(p.url, "application/x-ndjson", bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return 0, fmt.Errorf("access log endpoint answered %s", resp.Status)
	}
	return len(b), nil
}

// rotating is a file that moves aside to PATH.1 when it reaches its size limit.
type rotating struct {
	path string
	max  int64
	perm os.FileMode
	f    *os.File
	size int64
}

func openRotating(path string, max int64) (*rotating, error) {
	return openRotatingMode(path, max, 0o644)
}

// openRotatingMode opens a rotating file whose files are created with perm.
func openRotatingMode(path string, max int64, perm os.FileMode) (*rotating, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, perm)
	if err != nil {
		return nil, fmt.Errorf("log file: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("log file: %w", err)
	}
	return &rotating{path: path, max: max, perm: perm, f: f, size: fi.Size()}, nil
}

func (r *rotating) Write(b []byte) (int, error) {
	if r.size > 0 && r.size+int64(len(b)) > r.max {
		if err := r.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := r.f.Write(b)
	r.size += int64(n)
	return n, err
}

// rotate moves the file aside; when it cannot, it keeps appending to the same file rather than
// lose lines.
func (r *rotating) rotate() error {
	r.f.Close()
	flag := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if os.Rename(r.path, r.path+".1") != nil {
		flag = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(r.path, flag, r.perm)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	r.f, r.size = f, fi.Size()
	return nil
}

func (r *rotating) Close() error { return r.f.Close() }
