package httpproxy

import (
	"context"
	"errors"
	"time"
)

// Options configure a Client.
type Options struct {
	// MaxIdleConnsPerHost bounds the idle kept-alive connections per upstream host (default 512).
	MaxIdleConnsPerHost int
	// IdleTimeout closes idle connections after this long (default 90s).
	IdleTimeout time.Duration
}

// Client sends requests upstream over pooled connections. It is safe for concurrent use.
type Client struct{}

// New returns a Client.
func New(opts Options) *Client { return &Client{} }

// Do sends req and returns the upstream's response headers; the body streams from Response.Body.
func (c *Client) Do(ctx context.Context, req *Request) (*Response, error) {
	return nil, errors.New("httpproxy: not built yet")
}

// CloseIdleConnections closes every idle pooled connection.
func (c *Client) CloseIdleConnections() {}
