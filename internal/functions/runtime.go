package functions

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portico/portico/internal/store"
)

// Options configure a Runtime.
type Options struct {
	DataDir   string // code under DataDir/functions/{name}/{sha}/, logs under DataDir/logs/functions/
	Region    string
	AccountID string
	Logger    *slog.Logger
	// MaxConcurrency is a function's limit of simultaneous invocations (worker processes) when
	// it has no reserved concurrency. Default DefaultMaxConcurrency.
	MaxConcurrency int
	// QueueWait is how long an invocation waits for a free slot before it is throttled. AWS
	// throttles at once; a short wait smooths bursts on one machine. Default 100 ms.
	QueueWait time.Duration
	// IdleTimeout is how long an idle worker is kept warm. Default 10 minutes.
	IdleTimeout time.Duration
	// LogBufferBytes bounds each function's in-memory log. Default DefaultLogBufferBytes.
	LogBufferBytes int
	// Meter counts invocations, errors, durations, throttles and cold starts (nil: not counted).
	Meter Meter
}

// DefaultMaxConcurrency is the per-function worker limit when none is reserved.
const DefaultMaxConcurrency = 64

// Runtime is Portico's functions runtime: the definitions, the worker pools and the Runtime API.
type Runtime struct {
	opts    Options
	store   store.Store
	log     *slog.Logger
	apiAddr string
	srv     *http.Server
	workers sync.Map // token → *worker
	closing chan struct{}

	mu      sync.Mutex // serialises changes to definitions
	entries atomic.Pointer[map[string]*entry]
	logs    map[string]*functionLog
	bg      sync.WaitGroup
}

// entry is the live state of one function: its definition and the pool that runs it.
type entry struct {
	fn   Function
	pool *pool
}

// New loads the stored functions and starts the Runtime API listener on loopback.
func New(st store.Store, opts Options) (*Runtime, error) {
	if opts.MaxConcurrency <= 0 {
		opts.MaxConcurrency = DefaultMaxConcurrency
	}
	if opts.QueueWait == 0 {
		opts.QueueWait = 100 * time.Millisecond
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 10 * time.Minute
	}
	if opts.LogBufferBytes <= 0 {
		opts.LogBufferBytes = DefaultLogBufferBytes
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("runtime API listener: %w", err)
	}
	rt := &Runtime{opts: opts, store: st, log: opts.Logger, apiAddr: ln.Addr().String(),
		closing: make(chan struct{}), logs: map[string]*functionLog{}}
	m := map[string]*entry{}
	err = st.View(func(tx store.Tx) error {
		return tx.List(store.KindFunction, "", func(key string, raw []byte) error {
			var fn Function
			if err := json.Unmarshal(raw, &fn); err != nil {
				return fmt.Errorf("function %s: %w", key, err)
			}
			m[fn.FunctionName] = &entry{fn: fn, pool: newPool(rt, fn, rt.logFor(fn.FunctionName))}
			return nil
		})
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	rt.entries.Store(&m)
	rt.srv = &http.Server{Handler: http.HandlerFunc(rt.serveRuntimeAPI), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(rt.log.Handler(), slog.LevelDebug)}
	go rt.srv.Serve(ln)
	go rt.reaper()
	return rt, nil
}

// RuntimeAPIAddr is the loopback address workers call.
func (rt *Runtime) RuntimeAPIAddr() string { return rt.apiAddr }

// Close stops every worker and the Runtime API; running invocations end with an error.
func (rt *Runtime) Close() error {
	rt.mu.Lock()
	select {
	case <-rt.closing:
		rt.mu.Unlock()
		return nil
	default:
	}
	close(rt.closing)
	for _, e := range *rt.entries.Load() {
		e.pool.retire(nil)
	}
	rt.mu.Unlock()
	rt.workers.Range(func(_, v any) bool { v.(*worker).kill(); return true })
	err := rt.srv.Close()
	rt.bg.Wait()
	rt.mu.Lock()
	for _, l := range rt.logs {
		l.close()
	}
	rt.mu.Unlock()
	return err
}

func (rt *Runtime) reaper() {
	every := min(rt.opts.IdleTimeout/2, 30*time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-rt.closing:
			return
		case <-t.C:
			cutoff := time.Now().Add(-rt.opts.IdleTimeout)
			for _, e := range *rt.entries.Load() {
				e.pool.reap(cutoff)
			}
		}
	}
}

// logFor returns the function's log, opening it on first use. Callers hold rt.mu or run in New.
func (rt *Runtime) logFor(name string) *functionLog {
	if l := rt.logs[name]; l != nil {
		return l
	}
	dir := filepath.Join(rt.opts.DataDir, "logs", "functions")
	err := os.MkdirAll(dir, 0o700)
	l, lerr := newFunctionLog(rt.opts.LogBufferBytes, filepath.Join(dir, name+".log"), MaxLogFileBytes)
	if err = errors.Join(err, lerr); err != nil {
		// The function still runs; its log stays in memory.
		rt.log.Warn("function log file", "function", name, "err", err)
	}
	rt.logs[name] = l
	return l
}

// lookup resolves a name, ARN or partial ARN.
func (rt *Runtime) lookup(ref, qualifier string) (*entry, error) {
	// A plain name (what integrations mostly carry) needs no parsing.
	if e := (*rt.entries.Load())[ref]; e != nil && (qualifier == "" || qualifier == "$LATEST") {
		return e, nil
	}
	name, q, ok := ParseName(ref)
	if !ok {
		return nil, errInvalid("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?", ref)
	}
	if q != "" && qualifier != "" && q != qualifier {
		return nil, errInvalid("The derived qualifier from the function name does not match the specified qualifier.")
	}
	if qualifier == "" {
		qualifier = q
	}
	e := (*rt.entries.Load())[name]
	arn := ARN(rt.opts.Region, rt.opts.AccountID, name)
	if e == nil {
		return nil, errNotFound(arn)
	}
	if qualifier != "" && qualifier != "$LATEST" {
		return nil, errNotFound(arn + ":" + qualifier)
	}
	return e, nil
}

// Get returns a function's definition.
func (rt *Runtime) Get(ref string) (Function, error) {
	e, err := rt.lookup(ref, "")
	if err != nil {
		return Function{}, err
	}
	return e.fn, nil
}

// List returns every function, by name.
func (rt *Runtime) List() []Function {
	m := *rt.entries.Load()
	out := make([]Function, 0, len(m))
	for _, e := range m {
		out = append(out, e.fn)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].FunctionName < out[j].FunctionName })
	return out
}

// CodeLocation is where a function's code is on this machine: its unpacked directory, or its
// local command.
func (rt *Runtime) CodeLocation(fn Function) string {
	if fn.Command != "" {
		return fn.Command
	}
	return filepath.Join(rt.opts.DataDir, fn.CodeDir)
}

// ARN is the ARN of a function of this runtime.
func (rt *Runtime) ARN(name string) string { return ARN(rt.opts.Region, rt.opts.AccountID, name) }

// CreateInput is CreateFunction's request.
type CreateInput struct {
	Function
	ZipFile []byte
}

// Create defines a new function from a zip or a local command.
func (rt *Runtime) Create(in CreateInput) (Function, error) {
	fn := in.Function
	if !ValidName(fn.FunctionName) {
		return Function{}, errInvalid("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+", fn.FunctionName)
	}
	if fn.Timeout == 0 {
		fn.Timeout = DefaultTimeout
	}
	if fn.MemorySize == 0 {
		fn.MemorySize = DefaultMemorySize
	}
	if err := validateConfig(&fn); err != nil {
		return Function{}, err
	}
	// Code is unpacked under the lock: a code directory is removed only when no definition
	// refers to it, and that must not race with one about to.
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if (*rt.entries.Load())[fn.FunctionName] != nil {
		return Function{}, &Error{Status: http.StatusConflict, Type: "ResourceConflictException",
			Message: "Function already exist: " + fn.FunctionName}
	}
	if err := rt.setCode(&fn, in.ZipFile, fn.Command); err != nil {
		return Function{}, err
	}
	return rt.save(fn)
}

// setCode checks and unpacks a zip (or checks a local command) into fn.
func (rt *Runtime) setCode(fn *Function, zipFile []byte, command string) error {
	if command != "" {
		if zipFile != nil {
			return errInvalid("Please provide either ZipFile or PorticoCommand, not both")
		}
		abs, err := filepath.Abs(command)
		if err != nil {
			return errInvalid("PorticoCommand %q: %v", command, err)
		}
		st, err := os.Stat(abs)
		if err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			return errInvalid("PorticoCommand %q is not an executable file", command)
		}
		fn.Command, fn.CodeDir, fn.CodeSize = abs, "", st.Size()
		_, fn.CodeSha256 = codeHash([]byte(abs))
		return nil
	}
	if fn.Runtime == "" {
		return errInvalid("Runtime is required for .zip file deployment packages.")
	}
	entry := entryPoint(*fn)
	zr, err := checkZip(zipFile, entry)
	if err != nil {
		return err
	}
	hexSum, b64 := codeHash(zipFile)
	rel := filepath.Join("functions", fn.FunctionName, hexSum)
	if err := unpack(zr, filepath.Join(rt.opts.DataDir, rel), entry); err != nil {
		rt.log.Error("function code unpack", "function", fn.FunctionName, "err", err)
		return &Error{Status: http.StatusInternalServerError, Type: "ServiceException", Message: "Could not store the function's code"}
	}
	fn.Command, fn.CodeDir, fn.CodeSha256, fn.CodeSize = "", rel, b64, int64(len(zipFile))
	return nil
}

// save stores fn and swaps in a new pool for it, retiring the old one. Callers hold rt.mu.
func (rt *Runtime) save(fn Function) (Function, error) {
	fn.LastModified = time.Now().UTC().Format("2006-01-02T15:04:05.000+0000")
	fn.RevisionID = newRequestID()
	if err := rt.store.Update(func(tx store.Tx) error {
		return tx.Put(store.KindFunction, fn.FunctionName, &fn)
	}); err != nil {
		return Function{}, &Error{Status: http.StatusInternalServerError, Type: "ServiceException", Message: err.Error()}
	}
	old := *rt.entries.Load()
	m := make(map[string]*entry, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	if e := m[fn.FunctionName]; e != nil {
		defer e.pool.retire(rt.codeCleanup(e.fn.CodeDir))
	}
	m[fn.FunctionName] = &entry{fn: fn, pool: newPool(rt, fn, rt.logFor(fn.FunctionName))}
	rt.entries.Store(&m)
	return fn, nil
}

// update applies change to a stored function.
func (rt *Runtime) update(ref string, change func(*Function) error) (Function, error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.updateLocked(ref, change)
}

func (rt *Runtime) updateLocked(ref string, change func(*Function) error) (Function, error) {
	e, err := rt.lookup(ref, "")
	if err != nil {
		return Function{}, err
	}
	fn := e.fn
	fn.Environment = cloneMap(fn.Environment)
	fn.Policy = append([]json.RawMessage(nil), fn.Policy...)
	if err := change(&fn); err != nil {
		return Function{}, err
	}
	return rt.save(fn)
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// ConfigUpdate is UpdateFunctionConfiguration's request; nil fields are left as they are.
type ConfigUpdate struct {
	Runtime, Handler, Role, Description *string
	Timeout, MemorySize                 *int
	Environment                         *map[string]string
}

// UpdateConfiguration changes a function's settings; warm workers are replaced.
func (rt *Runtime) UpdateConfiguration(ref string, u ConfigUpdate) (Function, error) {
	return rt.update(ref, func(fn *Function) error {
		set := func(dst *string, src *string) {
			if src != nil {
				*dst = *src
			}
		}
		set(&fn.Runtime, u.Runtime)
		set(&fn.Handler, u.Handler)
		set(&fn.Role, u.Role)
		set(&fn.Description, u.Description)
		if u.Timeout != nil {
			fn.Timeout = *u.Timeout
		}
		if u.MemorySize != nil {
			fn.MemorySize = *u.MemorySize
		}
		if u.Environment != nil {
			fn.Environment = *u.Environment
		}
		return validateConfig(fn)
	})
}

// UpdateCode replaces a function's code with a zip or a local command.
func (rt *Runtime) UpdateCode(ref string, zipFile []byte, command string) (Function, error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.updateLocked(ref, func(fn *Function) error { return rt.setCode(fn, zipFile, command) })
}

// PutConcurrency reserves n concurrent executions (0 stops every invocation).
func (rt *Runtime) PutConcurrency(ref string, n int) (Function, error) {
	if n < 0 {
		return Function{}, errInvalid("1 validation error detected: Value '%d' at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 0", n)
	}
	return rt.update(ref, func(fn *Function) error { fn.ReservedConcurrency = &n; return nil })
}

// DeleteConcurrency removes the reservation.
func (rt *Runtime) DeleteConcurrency(ref string) error {
	_, err := rt.update(ref, func(fn *Function) error { fn.ReservedConcurrency = nil; return nil })
	return err
}

// AddPermission appends a statement (already built by the caller, with its Sid) to the policy.
func (rt *Runtime) AddPermission(ref, sid string, statement json.RawMessage) (Function, error) {
	return rt.update(ref, func(fn *Function) error {
		for _, s := range fn.Policy {
			var st struct{ Sid string }
			if json.Unmarshal(s, &st) == nil && st.Sid == sid {
				return &Error{Status: http.StatusConflict, Type: "ResourceConflictException",
					Message: fmt.Sprintf("The statement id (%s) provided already exists. Please provide a new statement id, or remove the existing statement.", sid)}
			}
		}
		fn.Policy = append(fn.Policy, statement)
		return nil
	})
}

// RemovePermission deletes the statement with sid.
func (rt *Runtime) RemovePermission(ref, sid string) error {
	_, err := rt.update(ref, func(fn *Function) error {
		for i, s := range fn.Policy {
			var st struct{ Sid string }
			if json.Unmarshal(s, &st) == nil && st.Sid == sid {
				fn.Policy = append(fn.Policy[:i], fn.Policy[i+1:]...)
				return nil
			}
		}
		return &Error{Status: http.StatusNotFound, Type: "ResourceNotFoundException",
			Message: "Statement " + sid + " is not found in resource policy."}
	})
	return err
}

// Delete removes a function. Invocations already running finish; later ones are not found.
func (rt *Runtime) Delete(ref string) error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	e, err := rt.lookup(ref, "")
	if err != nil {
		return err
	}
	name := e.fn.FunctionName
	if err := rt.store.Update(func(tx store.Tx) error { return tx.Delete(store.KindFunction, name) }); err != nil {
		return &Error{Status: http.StatusInternalServerError, Type: "ServiceException", Message: err.Error()}
	}
	old := *rt.entries.Load()
	m := make(map[string]*entry, len(old))
	for k, v := range old {
		if k != name {
			m[k] = v
		}
	}
	rt.entries.Store(&m)
	e.pool.retire(rt.codeCleanup(e.fn.CodeDir))
	return nil
}

// codeCleanup returns what removes a code directory once its last worker has stopped, unless a
// definition still uses it (the same zip given to another function or back to this one).
func (rt *Runtime) codeCleanup(dir string) func() {
	if dir == "" {
		return nil
	}
	return func() {
		rt.mu.Lock()
		defer rt.mu.Unlock()
		for _, e := range *rt.entries.Load() {
			if e.fn.CodeDir == dir {
				return
			}
		}
		abs := filepath.Join(rt.opts.DataDir, dir)
		if err := os.RemoveAll(abs); err != nil {
			rt.log.Warn("function code not removed", "dir", abs, "err", err)
		}
		os.Remove(filepath.Dir(abs)) // the function's directory, once it holds no code
	}
}

// Logs returns the function's buffered log and, when follow is set, a channel of what follows.
func (rt *Runtime) Logs(ref string, follow bool) ([]byte, <-chan []byte, func(), error) {
	e, err := rt.lookup(ref, "")
	if err != nil {
		return nil, nil, nil, err
	}
	l := e.pool.log
	if !follow {
		return l.Snapshot(), nil, func() {}, nil
	}
	past, ch, stop := l.Follow()
	return past, ch, stop, nil
}

// Invoke runs one invocation.
func (rt *Runtime) Invoke(ctx context.Context, req InvokeRequest) (*InvokeResult, error) {
	e, err := rt.lookup(req.FunctionName, req.Qualifier)
	if err != nil {
		return nil, err
	}
	switch req.InvocationType {
	case "", InvocationRequestResponse:
		if len(req.Payload) > MaxRequestPayload {
			return nil, errRequestTooLarge(MaxRequestPayload)
		}
	case InvocationEvent:
		if len(req.Payload) > MaxEventPayload {
			return nil, errRequestTooLarge(MaxEventPayload)
		}
	case InvocationDryRun:
		return &InvokeResult{StatusCode: http.StatusNoContent, ExecutedVersion: "$LATEST"}, nil
	default:
		return nil, errInvalid("1 validation error detected: Value '%s' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]", req.InvocationType)
	}
	if len(req.Payload) > 0 && !json.Valid(req.Payload) {
		return nil, &Error{Status: http.StatusBadRequest, Type: "InvalidRequestContentException",
			Message: "Could not parse request body into json: Could not parse payload into json: Unexpected character: was expecting a JSON value"}
	}
	if len(req.Payload) == 0 {
		req.Payload = []byte("{}")
	}
	inv := &invocation{id: newRequestID(), req: req, handed: make(chan struct{}), done: make(chan struct{}),
		settled: make(chan struct{})}
	if req.ClientContext != "" {
		cc, err := base64.StdEncoding.DecodeString(req.ClientContext)
		if err != nil {
			return nil, &Error{Status: http.StatusBadRequest, Type: "InvalidRequestContentException",
				Message: "Client context must be a valid Base64-encoded JSON object."}
		}
		inv.clientContext = string(cc)
	}
	p := e.pool
	if req.InvocationType == InvocationEvent {
		// Asynchronous invocations queue in the background; the caller only learns they were accepted.
		rt.bg.Add(1)
		go func() {
			defer rt.bg.Done()
			if err := rt.dispatch(context.Background(), p, inv); err != nil {
				rt.log.Warn("asynchronous invocation failed", "function", p.fn.FunctionName, "requestId", inv.id, "err", err)
			}
		}()
		return &InvokeResult{StatusCode: http.StatusAccepted, RequestID: inv.id}, nil
	}
	if err := rt.dispatch(ctx, p, inv); err != nil {
		return nil, err
	}
	select {
	case <-inv.settled:
	case <-ctx.Done():
		// The function keeps running to its end, as on AWS; the caller has gone.
		return nil, ctx.Err()
	}
	res := &InvokeResult{StatusCode: http.StatusOK, Payload: inv.payload, FunctionError: inv.ferr,
		ExecutedVersion: "$LATEST", RequestID: inv.id}
	if req.LogTail {
		res.LogResult = base64.StdEncoding.EncodeToString(inv.tail.Bytes())
	}
	return res, nil
}

// dispatch takes a slot and a worker and starts the run; inv.settled closes when it is over.
func (rt *Runtime) dispatch(ctx context.Context, p *pool, inv *invocation) error {
	if err := p.acquire(ctx); err != nil {
		var fe *Error
		if errors.As(err, &fe) {
			rt.log.Warn("function throttled", "function", p.fn.FunctionName, "limit", cap(p.slots))
			if p.meter != nil {
				p.meter.Throttled()
			}
		}
		return err
	}
	w, cold, err := p.get()
	if err != nil {
		p.release()
		return &Error{Status: http.StatusBadGateway, Type: "InvalidRuntimeException",
			Message: "The runtime could not be started: " + err.Error()}
	}
	go p.run(w, inv, cold)
	return nil
}
