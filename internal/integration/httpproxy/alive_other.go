//go:build !linux

package httpproxy

import "net"

// peerClosed cannot ask the kernel about a socket here; a stale connection is then caught by the
// retry in Do.
func peerClosed(net.Conn) bool { return false }
