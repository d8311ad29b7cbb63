package gateway

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/portico/portico/internal/runtime"
)

// coding is a content-coding Portico compresses responses with.
type coding uint8

const (
	codingIdentity coding = iota
	codingGzip
	codingDeflate
)

// chooseEncoding picks the response coding of an Accept-Encoding value as API Gateway does:
// the coding with the highest q-value among gzip, deflate and identity (a "*" stands for each
// one not named; x-gzip is gzip); on a tie gzip, then deflate, then identity. An absent or
// empty header, a value naming none of them, or identity winning gives identity: the answer is
// not compressed.
func chooseEncoding(accept string) coding {
	if accept == "" {
		return codingIdentity
	}
	// q-values in thousandths; -1 is not named.
	q := [3]int{-1, -1, -1}
	star := -1
	for accept != "" {
		var item string
		item, accept, _ = strings.Cut(accept, ",")
		name, params, _ := strings.Cut(item, ";")
		name = strings.ToLower(strings.TrimSpace(name))
		v := parseQ(params)
		if v < 0 {
			continue // a malformed q-value: the entry is ignored
		}
		switch name {
		case "gzip", "x-gzip":
			q[codingGzip] = max(q[codingGzip], v)
		case "deflate":
			q[codingDeflate] = max(q[codingDeflate], v)
		case "identity":
			q[codingIdentity] = max(q[codingIdentity], v)
		case "*":
			star = max(star, v)
		}
	}
	for i := range q {
		if q[i] < 0 {
			q[i] = star
		}
	}
	best, bestQ := codingIdentity, 0
	for _, c := range [...]coding{codingGzip, codingDeflate} {
		if q[c] > bestQ {
			best, bestQ = c, q[c]
		}
	}
	if best != codingIdentity && q[codingIdentity] > bestQ {
		return codingIdentity
	}
	return best
}

// parseQ reads the q parameter of an Accept-Encoding entry in thousandths (1000 when there is
// none) and -1 when it is malformed.
func parseQ(params string) int {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		k, v, _ := strings.Cut(p, "=")
		if strings.TrimSpace(strings.ToLower(k)) != "q" {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f < 0 || f > 1 {
			return -1
		}
		return int(f*1000 + 0.5)
	}
	return 1000
}

var (
	gzipPool  = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression); return w }}
	zlibPool  = sync.Pool{New: func() any { w, _ := zlib.NewWriterLevel(nil, zlib.DefaultCompression); return w }}
	gzipRPool sync.Pool
)

// compressWriter compresses a response once it knows the body reaches the API's
// minimumCompressionSize: from Content-Length when the answer declares one, else by holding
// the first bytes until there are enough (an answer that ends shorter goes out as it came).
// An answer that already has a Content-Encoding, a HEAD answer and one without a body are
// left alone.
type compressWriter struct {
	http.ResponseWriter
	coding  coding
	min     int64
	status  int
	decided bool
	held    []byte
	enc     io.WriteCloser
	isHead  bool
}

// compressing routes rc's writes through a compressWriter when the stage compresses and the
// client accepts a coding; a stage without minimumCompressionSize costs this nil check.
func (rc *request) compressing(c *runtime.Compression) {
	if c == nil {
		return
	}
	cd := chooseEncoding(rc.r.Header.Get("Accept-Encoding"))
	if cd == codingIdentity {
		return
	}
	rc.compress = compressWriter{ResponseWriter: rc.w, coding: cd, min: c.MinSize, isHead: rc.r.Method == http.MethodHead}
	rc.w = &rc.compress
}

func (w *compressWriter) WriteHeader(code int) {
	if w.status != 0 {
		return
	}
	w.status = code
	h := w.Header()
	switch {
	case w.isHead || code < 200 || code == http.StatusNoContent || code == http.StatusNotModified,
		h.Get("Content-Encoding") != "":
		w.pass()
	default:
		if cl := h.Get("Content-Length"); cl != "" {
			n, err := strconv.ParseInt(cl, 10, 64)
			if err != nil || n < w.min || n == 0 {
				w.pass()
			} else {
				w.start()
			}
		} else if w.min == 0 {
			w.start()
		}
	}
}

// pass sends the answer uncompressed.
func (w *compressWriter) pass() {
	w.decided = true
	w.ResponseWriter.WriteHeader(w.status)
}

// start sends the header of a compressed answer and opens the encoder.
func (w *compressWriter) start() {
	w.decided = true
	h := w.Header()
	delete(h, "Content-Length")
	h.Add("Vary", "Accept-Encoding")
	if w.coding == codingGzip {
		h["Content-Encoding"] = gzipValue
		gz := gzipPool.Get().(*gzip.Writer)
		gz.Reset(w.ResponseWriter)
		w.enc = gz
	} else {
		h["Content-Encoding"] = deflateValue
		zw := zlibPool.Get().(*zlib.Writer)
		zw.Reset(w.ResponseWriter)
		w.enc = zw
	}
	w.ResponseWriter.WriteHeader(w.status)
}

// Shared Content-Encoding values (never modified).
var gzipValue, deflateValue = []string{"gzip"}, []string{"deflate"}

func (w *compressWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.decided {
		if w.enc != nil {
			return w.enc.Write(b)
		}
		return w.ResponseWriter.Write(b)
	}
	w.held = append(w.held, b...)
	if int64(len(w.held)) >= w.min {
		w.start()
		held := w.held
		w.held = nil
		if _, err := w.enc.Write(held); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

// Flush pushes out what the encoder holds, for answers streamed from an HTTP_PROXY backend.
func (w *compressWriter) Flush() {
	switch e := w.enc.(type) {
	case *gzip.Writer:
		e.Flush()
	case *zlib.Writer:
		e.Flush()
	}
	http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *compressWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// finish ends the answer: it closes the encoder, or sends the held bytes of an answer that
// stayed under the threshold uncompressed.
func (w *compressWriter) finish() {
	if w.ResponseWriter == nil {
		return
	}
	switch {
	case w.enc != nil:
		w.enc.Close()
		switch e := w.enc.(type) {
		case *gzip.Writer:
			e.Reset(io.Discard)
			gzipPool.Put(e)
		case *zlib.Writer:
			e.Reset(io.Discard)
			zlibPool.Put(e)
		}
		w.enc = nil
	case !w.decided && w.status != 0:
		w.pass()
		if len(w.held) > 0 {
			w.ResponseWriter.Write(w.held)
		}
	}
}

// errUndecodable answers a request body whose Content-Encoding does not decode (Portico's
// choice: AWS does not document the answer).
var errUndecodable = &gatewayError{typ: runtime.BadRequestBody, message: "Invalid request body"}

// decodedBody returns the reader of the request body with its gzip or deflate
// Content-Encoding undone, for a stage that compresses (AWS decompresses only then). The
// decoded bytes are held to the payload limit as the raw ones are, so a small body that
// expands without bound (a decompression bomb) is cut and answered 413. Any other coding is
// passed on as it came. The Content-Encoding header is dropped once decoded.
func (rc *request) decodedBody() (io.Reader, *gatewayError) {
	if rc.api.Compression == nil {
		return rc.body, nil
	}
	ce := rc.r.Header["Content-Encoding"]
	if len(ce) != 1 {
		return rc.body, nil
	}
	var dec io.Reader
	switch strings.ToLower(strings.TrimSpace(ce[0])) {
	case "gzip", "x-gzip":
		zr, _ := gzipRPool.Get().(*gzip.Reader)
		var err error
		if zr == nil {
			zr, err = gzip.NewReader(rc.body)
		} else {
			err = zr.Reset(rc.body)
		}
		if err != nil {
			if rc.body.tripped {
				return nil, errTooLarge
			}
			return nil, errUndecodable
		}
		dec = &pooledGzip{zr}
	case "deflate":
		br := bufio.NewReader(rc.body)
		// RFC 9110's deflate is zlib-wrapped; some clients send a raw deflate stream.
		if hdr, err := br.Peek(2); err == nil && isZlibHeader(hdr) {
			zr, err := zlib.NewReader(br)
			if err != nil {
				return nil, errUndecodable
			}
			dec = zr
		} else {
			dec = flate.NewReader(br)
		}
	default:
		return rc.body, nil
	}
	delete(rc.r.Header, "Content-Encoding")
	// Nothing of the raw body is read yet, so what it has left is the payload limit.
	return &limitedBody{rc: io.NopCloser(dec), left: rc.body.left}, nil
}

// pooledGzip returns its reader to the pool at the end of the stream.
type pooledGzip struct{ *gzip.Reader }

func (p *pooledGzip) Read(b []byte) (int, error) {
	if p.Reader == nil {
		return 0, io.EOF
	}
	n, err := p.Reader.Read(b)
	if err == io.EOF {
		gzipRPool.Put(p.Reader)
		p.Reader = nil
	}
	return n, err
}

func isZlibHeader(h []byte) bool {
	return h[0]&0x0f == 8 && (uint16(h[0])<<8|uint16(h[1]))%31 == 0
}
