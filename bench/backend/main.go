// Command backend is the upstream of Portico's load benchmark (bench/run): an HTTP/1.1 server
// that answers every request with the same small JSON body over keep-alive connections, so the
// benchmark measures the proxy in front of it and not the backend's work.
//
// It is a benchmark tool: it imports nothing from Portico.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

// body is about 100 bytes: the size of a small API answer.
var body = []byte(`{"ok":true,"service":"portico-bench-backend","message":"a small fixed answer for load tests"}` + "\n")

var contentLength = []string{strconv.Itoa(len(body))}

func handle(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// Direct map assignment avoids canonicalising the keys on every request.
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = contentLength
	w.Write(body)
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	flag.Parse()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "backend:", err)
		os.Exit(1)
	}
	// The bound address on stdout lets a script use port 0.
	fmt.Println(ln.Addr().String())
	srv := &http.Server{Handler: http.HandlerFunc(handle), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 5 * time.Minute}
	if err := srv.Serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, "backend:", err)
		os.Exit(1)
	}
}
