package e2e

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCertificateReloadOnSIGHUP runs the portico binary with a TLS listener, renews its
// certificate on disk and sends the process SIGHUP: new handshakes present the renewed
// certificate. A half-written renewal then leaves the renewed one in force.
func TestCertificateReloadOnSIGHUP(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "portico")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/portico/portico/cmd/portico").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ca := newTestCA(t, "Portico Test Server CA")
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	certFile, keyFile := filepath.Join(dir, "tls", "gateway.crt"), filepath.Join(dir, "tls", "gateway.key")
	certA, keyA, _ := ca.issue(t, 1001, "localhost", "localhost")
	writeFile(t, certFile, certA)
	writeFile(t, keyFile, keyA)

	cmd := exec.Command(bin, "serve", "--listen", "off", "--admin-listen", "127.0.0.1:0", "--tls-listen", "127.0.0.1:0",
		"--tls-cert", certFile, "--tls-key", keyFile, "--data-dir", filepath.Join(dir, "data"))
	cmd.Env = append(os.Environ(), "PORTICO_ADMIN_ACCESS_KEY_ID="+testKeyID, "PORTICO_ADMIN_SECRET_ACCESS_KEY="+testSecret)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	var logs syncBuffer
	tlsAddr := make(chan string, 1)
	go func() {
		started := regexp.MustCompile(`msg="portico started" .*\btls=(\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs.Write(append(sc.Bytes(), '\n'))
			if m := started.FindStringSubmatch(sc.Text()); m != nil {
				tlsAddr <- m[1]
			}
		}
		exited <- cmd.Wait() // after the pipe is drained, as Wait closes it
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("portico serve ended with %v:\n%s", err, logs.String())
			}
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Errorf("portico serve did not stop on SIGTERM:\n%s", logs.String())
		}
	})
	var addr string
	select {
	case addr = <-tlsAddr:
	case err := <-exited:
		t.Fatalf("portico serve ended before it started: %v\n%s", err, logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("portico serve did not start:\n%s", logs.String())
	}

	// serial is what a verifying client is presented with on a new connection; 0 when the
	// handshake fails.
	serial := func() int64 {
		conn, err := tls.Dial("tcp", addr, &tls.Config{ServerName: "localhost", RootCAs: roots})
		if err != nil {
			return 0
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
	}
	if got := serial(); got != 1001 {
		t.Fatalf("presented serial %d, want certificate A's 1001", got)
	}
	before, err := tls.Dial("tcp", addr, &tls.Config{ServerName: "localhost", RootCAs: roots})
	if err != nil {
		t.Fatal(err)
	}
	defer before.Close()

	certB, keyB, _ := ca.issue(t, 2002, "localhost", "localhost")
	writeFile(t, certFile, certB)
	writeFile(t, keyFile, keyB)
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "certificate B's serial 2002 after SIGHUP", func() bool { return serial() == 2002 })
	waitFor(t, "the reload's INFO line", func() bool {
		return strings.Contains(logs.String(), `msg="certificates reloaded" certificates=1 truststores=0 failed=0`)
	})
	// The connection opened before the reload goes on being served.
	before.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(before, "GET /prod/pets HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	if resp, err := http.ReadResponse(bufio.NewReader(before), nil); err != nil {
		t.Errorf("the connection opened before the reload: %v", err)
	} else {
		resp.Body.Close()
	}

	// A half-written certificate is refused, logged with its file, and B stays.
	certC, _, _ := ca.issue(t, 3003, "localhost", "localhost")
	writeFile(t, certFile, certC[:len(certC)/3])
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the failed reload's ERROR and INFO lines", func() bool {
		l := logs.String()
		return strings.Contains(l, "level=ERROR") && strings.Contains(l, "file="+certFile) && strings.Contains(l, "failed=1")
	})
	if got := serial(); got != 2002 {
		t.Errorf("after a failed reload: serial %d, want certificate B's 2002", got)
	}
}
