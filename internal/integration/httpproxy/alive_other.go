//go:build !unix

package httpproxy

import "net"

// peerClosed cannot peek at a socket here; a stale connection is then caught by the retry in Do.
func peerClosed(net.Conn) bool { return false }
