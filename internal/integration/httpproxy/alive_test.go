//go:build linux

package httpproxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func TestPeerClosed(t *testing.T) {
	serverSide := make(chan net.Conn, 1)
	srv := newRawServer(t, func(c net.Conn, br *bufio.Reader) {
		serverSide <- c
		br.ReadByte() // until the client closes
	})
	nc, err := net.Dial("tcp", srv.host())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	sc := <-serverSide
	if peerClosed(nc) {
		t.Fatal("an open, quiet connection reported closed")
	}
	sc.Write([]byte("unasked-for bytes do not make a connection closed"))
	if peerClosed(nc) {
		t.Fatal("an open connection with pending bytes reported closed")
	}
	sc.(*net.TCPConn).CloseWrite()
	waitFor(t, "upstream close seen", func() bool { return peerClosed(nc) })
}

func TestPeerClosedTLS(t *testing.T) {
	srv, _ := countingTLSServer(t, echo)
	nc, err := tls.Dial("tcp", hostOf(srv.URL), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if peerClosed(nc) {
		t.Fatal("an open TLS connection reported closed")
	}
	srv.CloseClientConnections()
	waitFor(t, "upstream close seen under TLS", func() bool { return peerClosed(nc) })
}

// A connection the upstream closed while it sat idle is dropped at checkout, so even a request
// whose body cannot be replayed goes out on a fresh connection.
func TestStaleConnectionCheckedAtCheckout(t *testing.T) {
	srv, closedOne := staleServer(t)
	cl := newTestClient(t, Options{})
	post := func() (string, error) {
		resp, err := cl.Do(context.Background(), &Request{
			Method: "POST", Scheme: "http", Host: srv.host(), RequestURI: "/",
			Body: struct{ io.Reader }{strings.NewReader("payload")}, ContentLength: 7,
		})
		if err != nil {
			return "", err
		}
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	if _, err := post(); err != nil {
		t.Fatal(err)
	}
	<-closedOne
	// Age the pooled connection past the check threshold instead of waiting for it.
	for _, p := range *cl.pools.Load() {
		for _, cn := range p.idle {
			cn.idleAt = cn.idleAt.Add(-2 * checkAfter)
		}
	}
	// The FIN may still be in flight on loopback: wait until the socket shows it.
	for _, p := range *cl.pools.Load() {
		for _, cn := range p.idle {
			waitFor(t, "upstream close seen", func() bool { return peerClosed(cn.nc) })
		}
	}
	got, err := post()
	if err != nil || got != "payload" {
		t.Fatalf("got %q, %v", got, err)
	}
	if n := srv.accepted.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

// waitFor polls cond until it holds, failing the test after a generous bound.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
