package httpproxy

import (
	"crypto/tls"
	"net"
	"syscall"
	"unsafe"
)

// tcpEstablished is the kernel's TCP_ESTABLISHED state (include/net/tcp_states.h).
const tcpEstablished = 1

// peerClosed reports whether the upstream has closed an idle connection, from the kernel's view
// of the socket: once the upstream's FIN or RST has arrived the socket has left ESTABLISHED. One
// system call, no read, so it works the same under TLS (where a pending close_notify would look
// like data).
func peerClosed(nc net.Conn) bool {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var info syscall.TCPInfo
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		size := uint32(unsafe.Sizeof(info))
		_, _, errno = syscall.Syscall6(syscall.SYS_GETSOCKOPT, fd, syscall.IPPROTO_TCP, syscall.TCP_INFO,
			uintptr(unsafe.Pointer(&info)), uintptr(unsafe.Pointer(&size)), 0)
	}); err != nil || errno != 0 {
		return err != nil // a closed descriptor is a dead connection; an unanswered query is not
	}
	return info.State != tcpEstablished
}
