//go:build unix

package httpproxy

import (
	"crypto/tls"
	"net"
	"syscall"
)

// peerClosed reports whether the upstream has closed (or written unasked-for bytes on) an idle
// connection, by peeking at the socket without blocking. It catches the common stale keep-alive
// connection before a request is spent on it.
func peerClosed(nc net.Conn) bool {
	isTLS := false
	if tc, ok := nc.(*tls.Conn); ok {
		nc, isTLS = tc.NetConn(), true
	}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var n int
	var rerr error
	var b [1]byte
	if err := rc.Read(func(fd uintptr) bool {
		n, _, rerr = syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return true
	}); err != nil {
		return true
	}
	switch {
	case rerr == syscall.EAGAIN || rerr == syscall.EWOULDBLOCK || rerr == syscall.EINTR:
		return false // nothing to read: the connection is open and quiet
	case rerr != nil:
		return true // reset, or another socket error
	case n == 0:
		return true // end of stream: the upstream closed it
	}
	// Bytes are waiting. On plain HTTP nothing may arrive between responses; under TLS they may be
	// post-handshake messages (session tickets), which the next read handles.
	return !isTLS
}
