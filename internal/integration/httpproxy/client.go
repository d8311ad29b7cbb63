package httpproxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Options configure a Client.
type Options struct {
	// MaxIdleConnsPerHost bounds the idle kept-alive connections per upstream host (default 512).
	MaxIdleConnsPerHost int
	// IdleTimeout closes idle connections after this long (default 90s).
	IdleTimeout time.Duration
	// DialTimeout bounds connecting (TCP and TLS handshake) when the request's own timeout is
	// longer or unset (default 10s).
	DialTimeout time.Duration
	// MaxResponseHeaderBytes bounds a response's head, 1xx heads included, and a chunked body's
	// trailer section (default 1 MiB).
	MaxResponseHeaderBytes int
	// TLSConfig is the base for https upstreams (root CAs, client certificates). It is cloned per
	// upstream; ServerName is set to the upstream's host and InsecureSkipVerify comes from the
	// request.
	TLSConfig *tls.Config
}

// Client sends requests upstream over pooled connections. It is safe for concurrent use.
type Client struct {
	opts   Options
	dialer net.Dialer

	// pools is replaced, never changed, when an upstream is added, so the lookup on every request
	// takes no lock; mu orders the writers.
	pools atomic.Pointer[map[poolKey]*hostPool]
	mu    sync.Mutex
}

// poolKey names an upstream. Connections made with certificate checks off are never handed to a
// request that wants them on, so the flag is part of the key.
type poolKey struct {
	scheme, host string
	insecure     bool
}

// New returns a Client.
func New(opts Options) *Client {
	if opts.MaxIdleConnsPerHost <= 0 {
		opts.MaxIdleConnsPerHost = 512
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 90 * time.Second
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 10 * time.Second
	}
	if opts.MaxResponseHeaderBytes <= 0 {
		opts.MaxResponseHeaderBytes = 1 << 20
	}
	c := &Client{
		opts:   opts,
		dialer: net.Dialer{Timeout: opts.DialTimeout, KeepAlive: 30 * time.Second},
	}
	c.pools.Store(&map[poolKey]*hostPool{})
	return c
}

// Do sends req and returns the upstream's response headers; the body streams from Response.Body.
//
// A request that fails on a reused keep-alive connection before any byte of the answer arrived is
// sent once more on a fresh connection, when that is safe: the body can be replayed (none, empty,
// or an io.Seeker) and either the method is idempotent or the failure is the connection being
// closed or reset, which is how an upstream that dropped an idle connection shows itself.
// Timeouts are never retried.
//
// Request.Timeout and ctx bound the exchange up to the end of the response head; once Do has
// returned, the body streams without a deadline and a cancelled ctx no longer interrupts it: the
// caller stops by closing the body.
func (c *Client) Do(ctx context.Context, req *Request) (*Response, error) {
	if err := validateRequest(req); err != nil {
		return nil, err
	}
	p, err := c.pool(req)
	if err != nil {
		return nil, err
	}
	ex := exchange{req: req, ctx: ctx}
	if req.Timeout > 0 {
		ex.deadline = time.Now().Add(req.Timeout)
	}
	if d, ok := ctx.Deadline(); ok && (ex.deadline.IsZero() || d.Before(ex.deadline)) {
		ex.deadline, ex.ctxDeadline = d, true
	}
	if err := ctx.Err(); err != nil {
		return nil, ex.wrap(err)
	}

	cn := p.get()
	if cn == nil {
		if cn, err = c.dial(ctx, p, ex.deadline); err != nil {
			return nil, ex.wrap(err)
		}
	}
	resp, err := ex.roundTrip(cn)
	if err == nil {
		return resp, nil
	}
	if !ex.retryable(cn, err) {
		return nil, ex.wrap(err)
	}
	if err := ex.rewind(); err != nil {
		return nil, ex.wrap(err)
	}
	if cn, err = c.dial(ctx, p, ex.deadline); err != nil {
		return nil, ex.wrap(err)
	}
	resp, err = ex.roundTrip(cn)
	if err != nil {
		return nil, ex.wrap(err)
	}
	return resp, nil
}

// CloseIdleConnections closes every idle pooled connection. Connections in use are pooled again
// when their responses finish.
func (c *Client) CloseIdleConnections() {
	for _, p := range *c.pools.Load() {
		p.closeIdle()
	}
}

func (c *Client) pool(req *Request) (*hostPool, error) {
	k := poolKey{scheme: req.Scheme, host: req.Host, insecure: req.InsecureSkipVerify && req.Scheme == "https"}
	if p := (*c.pools.Load())[k]; p != nil {
		return p, nil
	}
	// Only a host never seen before is validated and parsed: known ones are found above.
	addr, serverName, err := splitHost(k.scheme, k.host)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := *c.pools.Load()
	if p := old[k]; p != nil {
		return p, nil
	}
	p := &hostPool{addr: addr, max: c.opts.MaxIdleConnsPerHost, idleTimeout: c.opts.IdleTimeout}
	if k.scheme == "https" {
		var cfg *tls.Config
		if c.opts.TLSConfig != nil {
			cfg = c.opts.TLSConfig.Clone()
		} else {
			cfg = &tls.Config{}
		}
		cfg.ServerName = serverName
		cfg.InsecureSkipVerify = k.insecure
		cfg.NextProtos = []string{"http/1.1"}
		if cfg.ClientSessionCache == nil {
			cfg.ClientSessionCache = tls.NewLRUClientSessionCache(64)
		}
		p.tls = cfg
	}
	pools := maps.Clone(old)
	pools[k] = p
	c.pools.Store(&pools)
	return p, nil
}

// dial opens a fresh connection to p's upstream, bounded by the dial timeout and the request's
// deadline.
func (c *Client) dial(ctx context.Context, p *hostPool, deadline time.Time) (*conn, error) {
	d := c.dialer
	d.Deadline = deadline
	nc, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, err // a *net.OpError: "dial tcp host:port: ..."
	}
	if p.tls != nil {
		tc := tls.Client(nc, p.tls)
		hd := time.Now().Add(c.opts.DialTimeout)
		if !deadline.IsZero() && deadline.Before(hd) {
			hd = deadline
		}
		tc.SetDeadline(hd)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, fmt.Errorf("tls handshake with %s: %w", p.addr, err)
		}
		tc.SetDeadline(time.Time{})
		nc = tc
	}
	return newConn(nc, p, c.opts.MaxResponseHeaderBytes), nil
}

// exchange is the state of one Do call, kept on the caller's stack.
type exchange struct {
	req      *Request
	ctx      context.Context
	deadline time.Time
	// ctxDeadline says the deadline is the context's, earlier than Request.Timeout would set.
	ctxDeadline bool
	// bodyRead is set once the request body has been read from; seekStart is where it began,
	// when seekable says it can be rewound for a retry.
	bodyRead  bool
	seekStart int64
	seekable  bool
}

// roundTrip writes the request on cn and reads the response head. On error cn is closed.
func (ex *exchange) roundTrip(cn *conn) (*Response, error) {
	if cn.reused && !ex.seekable && ex.req.Body != nil && ex.req.ContentLength != 0 && !ex.bodyRead {
		if s, ok := ex.req.Body.(io.Seeker); ok {
			if off, err := s.Seek(0, io.SeekCurrent); err == nil {
				ex.seekStart, ex.seekable = off, true
			}
		}
	}
	if !ex.deadline.IsZero() {
		cn.nc.SetDeadline(ex.deadline)
		cn.hasDeadline = true
	}
	var stop func() bool
	if ex.ctx.Done() != nil {
		stop = context.AfterFunc(ex.ctx, cn.abortFn)
	}
	err := cn.writeRequest(ex.req, &ex.bodyRead)
	var resp *Response
	if err == nil {
		resp, err = cn.readResponse(ex.req.Method == "HEAD")
	} else if ex.bodyRead && !isTimeout(err) && !errors.As(err, new(*bodyError)) {
		// An upstream may answer before taking the whole body (413, 401) and then close: that
		// answer is the one to return, on a connection that is not reused.
		if r, rerr := cn.readResponse(ex.req.Method == "HEAD"); rerr == nil {
			r.Body.(*body).reusable = false
			resp, err = r, nil
		}
	}
	if stop != nil && !stop() && err == nil {
		// The context ended while the head was being read: the connection's deadline is already
		// in the past, so neither the body nor the connection is usable.
		err = ex.ctx.Err()
	}
	if err != nil {
		cn.close()
		return nil, err
	}
	if cn.hasDeadline {
		cn.nc.SetDeadline(time.Time{})
		cn.hasDeadline = false
	}
	return resp, nil
}

func (ex *exchange) retryable(cn *conn, err error) bool {
	if !cn.reused || cn.gotBytes || ex.ctx.Err() != nil || isTimeout(err) {
		return false
	}
	if ex.bodyRead && !ex.seekable {
		return false
	}
	if errors.Is(err, errMalformed) || errors.Is(err, errHeaderTooLarge) || errors.As(err, new(*bodyError)) {
		return false
	}
	switch ex.req.Method {
	case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE":
		return true
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

func (ex *exchange) rewind() error {
	if !ex.bodyRead {
		return nil
	}
	if _, err := ex.req.Body.(io.Seeker).Seek(ex.seekStart, io.SeekStart); err != nil {
		return fmt.Errorf("rewinding request body for retry: %w", err)
	}
	ex.bodyRead = false
	return nil
}

// wrap turns err into the error Do returns: timeouts wrap ErrTimeout, a cancelled context wraps
// the context's error.
func (ex *exchange) wrap(err error) error {
	where := ex.req.Method + " " + ex.req.Scheme + "://" + ex.req.Host + ex.req.RequestURI
	cerr := ex.ctx.Err()
	if cerr == nil && ex.ctxDeadline && isTimeout(err) {
		// The connection's deadline fired a moment before the context's own timer.
		cerr = context.DeadlineExceeded
	}
	if cerr != nil {
		if errors.Is(cerr, context.DeadlineExceeded) {
			return fmt.Errorf("httpproxy: %s: %w: %w", where, ErrTimeout, cerr)
		}
		return fmt.Errorf("httpproxy: %s: %w", where, cerr)
	}
	if isTimeout(err) {
		return fmt.Errorf("httpproxy: %s: %w after %v: %v", where, ErrTimeout, ex.req.Timeout, err)
	}
	return fmt.Errorf("httpproxy: %s: %w", where, err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// hostPool holds one upstream's idle connections, most recently used last (LIFO keeps the warm
// connections busy and lets the cold ones reach their idle timeout).
type hostPool struct {
	addr        string
	tls         *tls.Config
	max         int
	idleTimeout time.Duration

	mu    sync.Mutex
	idle  []*conn
	timer *time.Timer
	armed bool
}

// checkAfter is how long a connection may sit idle before it is checked for having been closed by
// the upstream when taken from the pool. Busy connections skip the check (a system call); quiet
// ones are the ones upstream idle timeouts close.
const checkAfter = time.Second

// get pops the most recently used idle connection, or returns nil when there is none.
func (p *hostPool) get() *conn {
	for {
		p.mu.Lock()
		n := len(p.idle)
		if n == 0 {
			p.mu.Unlock()
			return nil
		}
		cn := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		idle := time.Since(cn.idleAt)
		if idle >= p.idleTimeout {
			// The janitor has not run yet; everything below is older still and it will get those.
			cn.close()
			return nil
		}
		if idle >= checkAfter && peerClosed(cn.nc) {
			cn.close()
			continue
		}
		cn.reused = true
		return cn
	}
}

// put pools cn, or closes it when the pool is full.
func (p *hostPool) put(cn *conn) {
	now := time.Now()
	p.mu.Lock()
	if len(p.idle) >= p.max {
		p.mu.Unlock()
		cn.close()
		return
	}
	cn.idleAt = now
	p.idle = append(p.idle, cn)
	if !p.armed {
		p.armed = true
		if p.timer == nil {
			p.timer = time.AfterFunc(p.idleTimeout, p.prune)
		} else {
			p.timer.Reset(p.idleTimeout)
		}
	}
	p.mu.Unlock()
}

// prune closes the connections idle for longer than the idle timeout and re-arms itself for the
// oldest one left.
func (p *hostPool) prune() {
	now := time.Now()
	p.mu.Lock()
	n := 0
	for n < len(p.idle) && now.Sub(p.idle[n].idleAt) >= p.idleTimeout {
		n++
	}
	stale := make([]*conn, n)
	copy(stale, p.idle[:n])
	m := copy(p.idle, p.idle[n:])
	clear(p.idle[m:])
	p.idle = p.idle[:m]
	if m > 0 {
		p.timer.Reset(p.idleTimeout - now.Sub(p.idle[0].idleAt))
	} else {
		p.armed = false
	}
	p.mu.Unlock()
	for _, cn := range stale {
		cn.close()
	}
}

func (p *hostPool) closeIdle() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, cn := range idle {
		cn.close()
	}
}
