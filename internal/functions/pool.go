package functions

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// initTimeout bounds a new worker's start: from exec to its first /next (AWS: 10 s of init).
const initTimeout = 10 * time.Second

// pool runs one version of one function: its definition, its warm workers and its concurrency
// slots. An update or delete retires the pool: idle workers stop at once, busy ones when their
// invocation ends, and a new pool takes the new definition.
type pool struct {
	rt    *Runtime
	fn    Function
	arn   string
	dir   string   // working directory
	argv  []string // the program started
	env   []string
	log   *functionLog
	slots chan struct{} // one token per running invocation
	// perWorker is how many invocations one worker takes at once: 1, or the function's
	// AWS_LAMBDA_MAX_CONCURRENCY for runtimes that poll /next from several threads.
	perWorker int
	// meter counts the function's invocations (nil: Options.Meter is not set).
	meter FunctionMeter

	mu      sync.Mutex
	idle    []*worker // workers with room for another invocation; the last is the warmest
	retired bool
	live    int    // workers started and not yet stopped
	drained func() // run when a retired pool's last worker stops
}

// worker is one process speaking the Runtime API.
type worker struct {
	p       *pool
	token   string
	cmd     *exec.Cmd
	assign  chan *invocation // the invocation /next hands out
	exited  chan struct{}    // closed when the process has ended
	exitErr error
	ready   chan struct{} // closed at the first /next
	readyMu sync.Once
	// inflight and listed (in p.idle) are guarded by p.mu.
	inflight int
	listed   bool
	curMu    sync.Mutex
	cur      []*invocation          // the invocations it is running
	initErr  atomic.Pointer[[]byte] // body of /init/error
	// broken is set when the worker's runtime was refused an answer (too large): runtimes exit
	// on that, so the worker is not reused.
	broken atomic.Bool
	out    *os.File // read end of the worker's stdout and stderr
	// buffered counts output read from the pipe but not yet written to the log.
	buffered atomic.Int64
	lastUse  time.Time
	rssMu    sync.Mutex
	rssMB    int
	rssAt    time.Time
	started  time.Time
	initDur  time.Duration
}

// invocation is one request travelling to a worker and back.
type invocation struct {
	id       string
	req      InvokeRequest
	begin    time.Time // set by /next before handed is closed
	deadline time.Time
	handed   chan struct{} // closed when /next has given it to the worker
	done     chan struct{} // closed when result is set
	settled  chan struct{} // closed when the END and REPORT lines are written and the worker returned
	// clientContext is the decoded X-Amz-Client-Context.
	clientContext string
	once          sync.Once
	payload       []byte
	ferr          string
	tail          tail
}

// finish records the invocation's outcome; only the first outcome counts.
func (inv *invocation) finish(payload []byte, functionError string) bool {
	set := false
	inv.once.Do(func() {
		inv.payload, inv.ferr = payload, functionError
		close(inv.done)
		set = true
	})
	return set
}

func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func newPool(rt *Runtime, fn Function, log *functionLog) *pool {
	limit := rt.opts.MaxConcurrency
	if fn.ReservedConcurrency != nil {
		limit = *fn.ReservedConcurrency
	}
	per := 1
	if n, err := strconv.Atoi(fn.Environment["AWS_LAMBDA_MAX_CONCURRENCY"]); err == nil && n > 1 {
		per = min(n, max(limit, 1))
	}
	p := &pool{rt: rt, fn: fn, arn: ARN(rt.opts.Region, rt.opts.AccountID, fn.FunctionName), log: log,
		slots: make(chan struct{}, limit), perWorker: per}
	if fn.Command != "" {
		p.argv = []string{fn.Command}
		p.dir = filepath.Dir(fn.Command)
	} else {
		p.dir = filepath.Join(rt.opts.DataDir, fn.CodeDir)
		p.argv = []string{filepath.Join(p.dir, entryPoint(fn))}
	}
	p.env = p.environment()
	if rt.opts.Meter != nil {
		p.meter = rt.opts.Meter.Function(fn.FunctionName)
	}
	return p
}

// entryPoint is the executable the runtime starts: bootstrap, or the handler for go1.x.
func entryPoint(fn Function) string {
	if fn.Runtime == "go1.x" && fn.Handler != "" {
		return fn.Handler
	}
	return "bootstrap"
}

func (p *pool) environment() []string {
	fn := p.fn
	path := "/usr/local/bin:/usr/bin/:/bin:/opt/bin"
	if fn.Command != "" {
		// A local command runs on the developer's machine: it needs their PATH.
		if v := os.Getenv("PATH"); v != "" {
			path = v
		}
	}
	rt := fn.Runtime
	if rt == "" {
		rt = "provided.al2023"
	}
	env := []string{
		"PATH=" + path,
		"LANG=en_US.UTF-8",
		"TZ=:UTC",
		"LAMBDA_TASK_ROOT=" + p.dir,
		"LAMBDA_RUNTIME_DIR=" + p.dir,
		"_HANDLER=" + fn.Handler,
		"AWS_REGION=" + p.rt.opts.Region,
		"AWS_DEFAULT_REGION=" + p.rt.opts.Region,
		"AWS_EXECUTION_ENV=AWS_Lambda_" + rt,
		"AWS_LAMBDA_FUNCTION_NAME=" + fn.FunctionName,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(fn.MemorySize),
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + fn.FunctionName,
	}
	for k, v := range fn.Environment {
		env = append(env, k+"="+v)
	}
	return env
}

// acquire takes a concurrency slot, waiting up to the queue time.
func (p *pool) acquire(ctx context.Context) error {
	select {
	case p.slots <- struct{}{}:
		return nil
	default:
	}
	if cap(p.slots) == 0 || p.rt.opts.QueueWait <= 0 {
		return errThrottled()
	}
	t := time.NewTimer(p.rt.opts.QueueWait)
	defer t.Stop()
	select {
	case p.slots <- struct{}{}:
		return nil
	case <-t.C:
		return errThrottled()
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *pool) release() { <-p.slots }

// get returns a warm worker with room for an invocation, or starts one (cold start).
func (p *pool) get() (*worker, bool, error) {
	p.mu.Lock()
	for n := len(p.idle); n > 0; n = len(p.idle) {
		w := p.idle[n-1]
		select {
		case <-w.exited:
			p.idle, w.listed = p.idle[:n-1], false
			continue
		default:
		}
		w.inflight++
		if w.inflight >= p.perWorker {
			p.idle, w.listed = p.idle[:n-1], false
		}
		p.mu.Unlock()
		return w, false, nil
	}
	p.mu.Unlock()
	w, err := p.start()
	if err == nil && p.perWorker > 1 {
		// Its other pollers can take invocations while it starts.
		p.mu.Lock()
		if !p.retired {
			p.idle, w.listed = append(p.idle, w), true
		}
		p.mu.Unlock()
	}
	return w, true, err
}

// put gives back a worker's room after an invocation. A healthy worker stays warm for reuse;
// an unhealthy one, or the last invocation of a retired pool's worker, stops it.
func (p *pool) put(w *worker, healthy bool) {
	p.mu.Lock()
	w.inflight--
	stop := !healthy || p.retired && w.inflight == 0
	switch {
	case stop || p.retired:
		p.unlist(w)
	case !w.listed:
		p.idle, w.listed = append(p.idle, w), true
	}
	w.lastUse = time.Now()
	p.mu.Unlock()
	if stop {
		w.kill()
	}
}

// unlist takes w out of the idle list. Callers hold p.mu.
func (p *pool) unlist(w *worker) {
	if !w.listed {
		return
	}
	for i, x := range p.idle {
		if x == w {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			break
		}
	}
	w.listed = false
}

// retire stops idle workers; busy ones stop when their invocation ends.
// drained, when not nil, runs once the last worker has stopped.
func (p *pool) retire(drained func()) {
	p.mu.Lock()
	p.retired = true
	var idle []*worker
	for _, w := range p.idle {
		w.listed = false
		if w.inflight == 0 {
			idle = append(idle, w)
		}
	}
	p.idle = nil
	if p.live == 0 && drained != nil {
		// Outside p.mu and after the caller's own locks: drained takes the runtime's lock.
		go drained()
	} else {
		p.drained = drained
	}
	p.mu.Unlock()
	for _, w := range idle {
		w.kill()
	}
}

// workerGone counts a stopped worker, running the retired pool's drained function after the last.
func (p *pool) workerGone() {
	p.mu.Lock()
	p.live--
	var f func()
	if p.retired && p.live == 0 {
		f, p.drained = p.drained, nil
	}
	p.mu.Unlock()
	if f != nil {
		f()
	}
}

// reap stops the workers idle since before cutoff.
func (p *pool) reap(cutoff time.Time) {
	p.mu.Lock()
	var keep, stop []*worker
	for _, w := range p.idle {
		if w.inflight == 0 && w.lastUse.Before(cutoff) {
			w.listed = false
			stop = append(stop, w)
		} else {
			keep = append(keep, w)
		}
	}
	p.idle = keep
	p.mu.Unlock()
	for _, w := range stop {
		p.rt.log.Debug("function worker reaped", "function", p.fn.FunctionName, "pid", w.cmd.Process.Pid)
		w.kill()
	}
}

func (p *pool) start() (*worker, error) {
	var tb [12]byte
	rand.Read(tb[:])
	w := &worker{p: p, token: base64.RawURLEncoding.EncodeToString(tb[:]), assign: make(chan *invocation, p.perWorker), inflight: 1,
		exited: make(chan struct{}), ready: make(chan struct{}), started: time.Now()}
	cmd := exec.Command(p.argv[0], p.argv[1:]...)
	cmd.Dir = p.dir
	var sb [16]byte
	rand.Read(sb[:])
	cmd.Env = append(p.env,
		"AWS_LAMBDA_RUNTIME_API="+p.rt.apiAddr+"/"+w.token,
		"AWS_LAMBDA_LOG_STREAM_NAME="+time.Now().UTC().Format("2006/01/02")+"/[$LATEST]"+hex.EncodeToString(sb[:]))
	// Its own process group, so a timeout kills whatever the function started too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Our own pipe rather than StdoutPipe: Wait must not wait for the output (a child the
	// function left behind may hold it open), and run looks at what is still unread in it.
	out, in, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = in, in
	w.cmd, w.out = cmd, out
	p.rt.workers.Store(w.token, w)
	err = cmd.Start()
	in.Close()
	if err == nil {
		p.mu.Lock()
		p.live++
		p.mu.Unlock()
	}
	if err != nil {
		out.Close()
		p.rt.workers.Delete(w.token)
		p.rt.log.Error("function worker did not start", "function", p.fn.FunctionName, "err", err)
		return nil, err
	}
	go func() { w.copyOutput(out); out.Close() }()
	go func() {
		w.exitErr = cmd.Wait()
		// Whatever the function started goes with it, as when Lambda ends a sandbox.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		p.rt.workers.Delete(w.token)
		close(w.exited)
		p.workerGone()
	}()
	return w, nil
}

// copyOutput sends the process's output, line by line, to the function's log and to the
// running invocation's tail.
func (w *worker) copyOutput(r io.Reader) {
	br := bufio.NewReaderSize(countingReader{r, &w.buffered}, 16<<10)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			w.p.log.Write(line)
			w.curMu.Lock()
			for _, inv := range w.cur {
				inv.tail.Write(line)
			}
			w.curMu.Unlock()
			w.buffered.Add(-int64(len(line)))
		}
		if err != nil && err != bufio.ErrBufferFull {
			return
		}
	}
}

// setCurrent adds inv to, or removes it from, the invocations w is running.
func (w *worker) setCurrent(inv *invocation, running bool) {
	w.curMu.Lock()
	defer w.curMu.Unlock()
	if running {
		w.cur = append(w.cur, inv)
		return
	}
	for i, x := range w.cur {
		if x == inv {
			w.cur = append(w.cur[:i], w.cur[i+1:]...)
			return
		}
	}
}

// current returns w's running invocation with the request id, or nil.
func (w *worker) current(id string) *invocation {
	w.curMu.Lock()
	defer w.curMu.Unlock()
	for _, inv := range w.cur {
		if inv.id == id {
			return inv
		}
	}
	return nil
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// drainOutput waits, at most max, until the output the worker has written so far is in the log:
// nothing left in the pipe (pipeUnread) and no complete line waiting in the reader's buffer.
func (w *worker) drainOutput(max time.Duration) {
	var deadline time.Time
	for {
		n, ok := pipeUnread(w.out)
		if !ok || n == 0 && w.buffered.Load() == 0 {
			return
		}
		if deadline.IsZero() {
			deadline = time.Now().Add(max)
		} else if time.Now().After(deadline) {
			return // a partial line without its newline, or a function still printing
		}
		time.Sleep(50 * time.Microsecond)
	}
}

func (w *worker) kill() {
	if w.cmd.Process != nil {
		syscall.Kill(-w.cmd.Process.Pid, syscall.SIGKILL)
	}
}

func (w *worker) markReady() {
	w.readyMu.Do(func() {
		w.initDur = time.Since(w.started)
		close(w.ready)
	})
}

// exitMessage is how Lambda describes a runtime that ended: "exit status 2", "signal: killed".
func (w *worker) exitMessage() string {
	if w.exitErr == nil {
		return "exit status 0"
	}
	if ee, ok := w.exitErr.(*exec.ExitError); ok {
		return ee.ProcessState.String()
	}
	return w.exitErr.Error()
}

// run gives inv to w and waits for its outcome: the worker's answer, its death, or the deadline.
// It always ends with inv finished, the worker returned or stopped, and the slot released.
func (p *pool) run(w *worker, inv *invocation, cold bool) {
	defer p.release()
	startLine := fmt.Sprintf("START RequestId: %s Version: $LATEST\n", inv.id)
	p.log.Write([]byte(startLine))
	inv.tail.Write([]byte(startLine))
	w.setCurrent(inv, true)
	if p.meter != nil {
		p.meter.Started(cold)
	}
	w.assign <- inv

	healthy := true
	timeout := time.Duration(p.fn.Timeout) * time.Second
	wait := initTimeout + timeout
	it := time.NewTimer(wait)
	select {
	case <-inv.handed:
		wait = time.Until(inv.deadline)
	case <-w.exited:
	case <-it.C:
		wait = 0
	}
	it.Stop()
	t := time.NewTimer(wait)
	select {
	case <-inv.done:
	case <-w.exited:
		healthy = false
		// The answer may have been posted just before the process ended.
		select {
		case <-inv.done:
		default:
			if b := w.initErr.Load(); b != nil {
				inv.finish(*b, FunctionErrorUnhandled)
			} else {
				msg := fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %s", inv.id, w.exitMessage())
				inv.finish(errorJSON(msg, "Runtime.ExitError"), FunctionErrorUnhandled)
			}
			p.rt.log.Warn("function worker exited", "function", p.fn.FunctionName, "requestId", inv.id, "status", w.exitMessage())
		}
	case <-t.C:
		healthy = false
		msg := fmt.Sprintf("%s %s Task timed out after %.2f seconds", time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), inv.id, timeout.Seconds())
		if inv.finish(errorJSON(msg, ""), FunctionErrorUnhandled) {
			w.kill()
			p.log.Write([]byte(msg + "\n"))
			inv.tail.Write([]byte(msg + "\n"))
			p.rt.log.Warn("function timed out", "function", p.fn.FunctionName, "requestId", inv.id, "timeout", timeout)
		}
	}
	t.Stop()
	if healthy {
		// What the function printed before answering belongs before its END line and in its tail.
		w.drainOutput(5 * time.Millisecond)
	}
	w.setCurrent(inv, false)
	if w.broken.Load() {
		healthy = false
	}
	elapsed := time.Duration(0)
	select {
	case <-inv.handed:
		elapsed = time.Since(inv.begin)
	default:
	}
	report := fmt.Sprintf("END RequestId: %s\nREPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t",
		inv.id, inv.id, float64(elapsed.Microseconds())/1000, int64(elapsed/time.Millisecond)+1, p.fn.MemorySize, w.maxMemoryMB())
	if cold {
		report += fmt.Sprintf("Init Duration: %.2f ms\t", float64(w.initDur.Microseconds())/1000)
	}
	report += "\n"
	if p.meter != nil {
		p.meter.Finished(elapsed, inv.ferr != "")
	}
	p.log.Write([]byte(report))
	inv.tail.Write([]byte(report))
	// The worker goes back before the caller hears the result, so a caller that invokes again
	// at once finds it warm.
	p.put(w, healthy)
	close(inv.settled)
}

// maxMemoryMB is the worker's peak resident memory for the REPORT line, read again at most once
// a second: reading /proc costs more than the rest of a warm invocation's bookkeeping.
func (w *worker) maxMemoryMB() int {
	w.rssMu.Lock()
	defer w.rssMu.Unlock()
	if now := time.Now(); now.Sub(w.rssAt) >= time.Second {
		w.rssMB, w.rssAt = maxRSSMB(w), now
	}
	return w.rssMB
}

// maxRSSMB reads the worker's peak resident memory from /proc, 0 where that is not available.
func maxRSSMB(w *worker) int {
	if w.cmd.Process == nil {
		return 0
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(w.cmd.Process.Pid) + "/status")
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.Index(s, "VmHWM:")
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+len("VmHWM:"):])
	if len(f) == 0 {
		return 0
	}
	kb, _ := strconv.Atoi(f[0])
	return (kb + 1023) / 1024
}

// errorJSON is the payload of a runtime-side error, as Lambda returns it.
func errorJSON(message, errorType string) []byte {
	m, _ := json.Marshal(message)
	b := append([]byte(`{"errorMessage":`), m...)
	if errorType != "" {
		t, _ := json.Marshal(errorType)
		b = append(append(b, `,"errorType":`...), t...)
	}
	return append(b, '}')
}
