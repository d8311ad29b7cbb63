package httpproxy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

var (
	errMalformed      = errors.New("malformed response")
	errHeaderTooLarge = errors.New("response header section too large")
	errBodyClosed     = errors.New("httpproxy: read on closed response body")
)

// field locates one header line's name and value in headParser.buf.
type field struct{ k0, k1, v0, v1 int }

// headParser reads response heads. Its buffers live as long as the connection, so a head costs
// one string, one map and one slice of values however many lines it has.
type headParser struct {
	max    int // bound on the bytes of all heads of one response (1xx included)
	buf    []byte
	fields []field
	long   []byte // a line longer than the bufio.Reader's buffer is assembled here
	total  int
}

// head is a parsed response head and its body framing.
type head struct {
	status        int
	header        http.Header
	contentLength int64 // -1 when not given
	chunked       bool
	close         bool // either side asked to close, or the framing requires it
}

// readLine returns the next line without its line ending. The slice is valid until the next read.
func (p *headParser) readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		p.long = append(p.long[:0], line...)
		for err == bufio.ErrBufferFull {
			if p.total+len(p.long) > p.max {
				return nil, errHeaderTooLarge
			}
			line, err = br.ReadSlice('\n')
			p.long = append(p.long, line...)
		}
		line = p.long
	}
	p.total += len(line)
	if p.total > p.max {
		return nil, errHeaderTooLarge
	}
	if err != nil {
		if err == io.EOF && p.total > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// readHead reads one response head (status line and header section) from br. isHead says the
// request was HEAD, so the response has no body whatever its headers say.
func (p *headParser) readHead(br *bufio.Reader, isHead bool) (head, error) {
	p.total = 0
	for {
		h, err := p.readOne(br, isHead)
		if err != nil {
			return head{}, err
		}
		// 1xx responses (100 Continue, 103 Early Hints) precede the real one and are dropped.
		if h.status >= 200 {
			return h, nil
		}
		if h.status == 101 {
			return head{}, fmt.Errorf("%w: 101 Switching Protocols to a request that asked for no upgrade", errMalformed)
		}
	}
}

func (p *headParser) readOne(br *bufio.Reader, isHead bool) (head, error) {
	h := head{contentLength: -1}
	line, err := p.readLine(br)
	if err != nil {
		return h, err
	}
	var http10 bool
	if h.status, http10, err = parseStatusLine(line); err != nil {
		return h, err
	}
	p.buf = p.buf[:0]
	p.fields = p.fields[:0]
	var te, closeTok, keepAlive bool
	var nTE int
	for {
		line, err := p.readLine(br)
		if err != nil {
			return h, err
		}
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			return h, fmt.Errorf("%w: obsolete line folding in header section", errMalformed)
		}
		colon := 0
		for colon < len(line) && line[colon] != ':' {
			if !tokenChar[line[colon]] {
				return h, fmt.Errorf("%w: invalid header name %q", errMalformed, clip(line))
			}
			colon++
		}
		if colon == 0 || colon == len(line) {
			return h, fmt.Errorf("%w: header line %q", errMalformed, clip(line))
		}
		v := trimOWS(line[colon+1:])
		for _, c := range v {
			if (c < ' ' && c != '\t') || c == 0x7f {
				return h, fmt.Errorf("%w: control character in header %q", errMalformed, line[:colon])
			}
		}
		f := field{k0: len(p.buf)}
		p.buf = appendCanonical(p.buf, line[:colon])
		f.k1 = len(p.buf)
		f.v0 = len(p.buf)
		p.buf = append(p.buf, v...)
		f.v1 = len(p.buf)
		key := p.buf[f.k0:f.k1]
		switch string(key) {
		case "Content-Length":
			n, ok := parseContentLength(v)
			if !ok || (h.contentLength >= 0 && h.contentLength != n) {
				return h, fmt.Errorf("%w: Content-Length %q", errMalformed, clip(v))
			}
			h.contentLength = n
		case "Transfer-Encoding":
			nTE++
			te = true
			if !strings.EqualFold(string(v), "chunked") || nTE > 1 {
				return h, fmt.Errorf("%w: unsupported Transfer-Encoding %q", errMalformed, clip(v))
			}
			continue // the body is handed over decoded, so the header no longer applies
		case "Connection":
			c, k := connectionTokens(v)
			closeTok, keepAlive = closeTok || c, keepAlive || k
		}
		p.fields = append(p.fields, f)
	}
	// HTTP/1.0 closes unless it asks to keep alive; a close token wins over keep-alive.
	h.close = closeTok || (http10 && !keepAlive)
	if h.status < 200 {
		return h, nil
	}
	switch {
	case isHead || h.status == 204 || h.status == 304:
		if !isHead {
			h.contentLength = 0
		}
		return p.build(h, false), nil
	case te && http10:
		// RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
		return h, fmt.Errorf("%w: Transfer-Encoding in an HTTP/1.0 response", errMalformed)
	case te:
		// A message with both framings may be a smuggling attempt: decode chunked, drop the length
		// and never reuse the connection.
		if h.contentLength >= 0 {
			h.close = true
		}
		h.chunked = true
		h.contentLength = -1
		return p.build(h, true), nil
	case h.contentLength < 0:
		h.close = true // read until the upstream closes
	}
	return p.build(h, false), nil
}

// build makes the header map from the collected fields: one string holds every name and value.
func (p *headParser) build(h head, dropLength bool) head {
	s := string(p.buf)
	h.header = make(http.Header, len(p.fields))
	vals := make([]string, len(p.fields))
	for i, f := range p.fields {
		k := s[f.k0:f.k1]
		if dropLength && k == "Content-Length" {
			continue
		}
		vals[i] = s[f.v0:f.v1]
		if prev, ok := h.header[k]; ok {
			h.header[k] = append(prev, vals[i])
		} else {
			h.header[k] = vals[i : i+1 : i+1]
		}
	}
	return h
}

// parseStatusLine reads "HTTP/1.x NNN reason".
func parseStatusLine(line []byte) (status int, http10 bool, err error) {
	if len(line) < 12 || string(line[:7]) != "HTTP/1." || (line[7] != '0' && line[7] != '1') ||
		line[8] != ' ' || (len(line) > 12 && line[12] != ' ') {
		return 0, false, fmt.Errorf("%w: status line %q", errMalformed, clip(line))
	}
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return 0, false, fmt.Errorf("%w: status line %q", errMalformed, clip(line))
		}
		status = status*10 + int(c-'0')
	}
	if status < 100 {
		return 0, false, fmt.Errorf("%w: status code %d", errMalformed, status)
	}
	for _, c := range line[12:] {
		if (c < ' ' && c != '\t') || c == 0x7f {
			return 0, false, fmt.Errorf("%w: control character in status line", errMalformed)
		}
	}
	return status, line[7] == '0', nil
}

func parseContentLength(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// connectionTokens reports whether a Connection header value lists close and keep-alive.
func connectionTokens(v []byte) (closeTok, keepAlive bool) {
	for len(v) > 0 {
		i := 0
		for i < len(v) && v[i] != ',' {
			i++
		}
		t := string(trimOWS(v[:i]))
		closeTok = closeTok || strings.EqualFold(t, "close")
		keepAlive = keepAlive || strings.EqualFold(t, "keep-alive")
		if i == len(v) {
			break
		}
		v = v[i+1:]
	}
	return closeTok, keepAlive
}

// appendCanonical appends name in the canonical form net/http uses for keys ("content-type" →
// "Content-Type"), so Header.Get finds it.
func appendCanonical(dst, name []byte) []byte {
	upper := true
	for _, c := range name {
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		} else if !upper && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
		upper = c == '-'
	}
	return dst
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// clip shortens what an error quotes from the wire.
func clip(b []byte) string {
	if len(b) > 64 {
		return string(b[:64]) + "..."
	}
	return string(b)
}

// readResponse reads the response head on cn and returns the response with its body attached.
func (cn *conn) readResponse(isHead bool) (*Response, error) {
	if _, err := cn.br.Peek(1); err != nil {
		if err == io.EOF {
			return nil, fmt.Errorf("upstream closed the connection without answering: %w", err)
		}
		return nil, fmt.Errorf("awaiting response: %w", err)
	}
	cn.gotBytes = true
	h, err := cn.head.readHead(cn.br, isHead)
	if err != nil {
		if !errors.Is(err, errMalformed) && !errors.Is(err, errHeaderTooLarge) {
			err = fmt.Errorf("reading response head: %w", err)
		}
		return nil, err
	}
	r := &responseAndBody{}
	r.Response = Response{StatusCode: h.status, Header: h.header, ContentLength: h.contentLength, Body: &r.body}
	r.body = body{cn: cn, reusable: !h.close, remain: h.contentLength}
	switch {
	case h.chunked:
		r.body.mode = modeChunked
		r.body.remain = 0
	case h.contentLength >= 0:
		r.body.mode = modeLength
	default:
		r.body.mode = modeUntilClose
	}
	if isHead {
		r.body.mode = modeLength
		r.body.remain = 0
	}
	if r.body.mode == modeLength && r.body.remain == 0 {
		r.body.finish(nil)
	}
	return &r.Response, nil
}

// responseAndBody allocates a Response and its body reader together.
type responseAndBody struct {
	Response
	body body
}

type bodyMode uint8

const (
	modeLength bodyMode = iota
	modeChunked
	modeUntilClose
)

// body streams a response body off its connection and hands the connection back when the body
// has been read to its end.
type body struct {
	cn       *conn // nil once the body is finished or closed
	mode     bodyMode
	reusable bool
	remain   int64 // bytes left: of the body (modeLength) or of the current chunk (modeChunked)
	inChunk  bool  // a chunk's data has begun, so its CRLF is still to be read
	err      error // sticky: what every later Read returns
}

func (b *body) Read(p []byte) (int, error) {
	if b.cn == nil {
		return 0, b.err
	}
	switch b.mode {
	case modeLength:
		return b.readLength(p)
	case modeChunked:
		return b.readChunked(p)
	}
	n, err := b.cn.br.Read(p)
	if err == io.EOF {
		b.finish(io.EOF)
	} else if err != nil {
		return n, b.fail(err)
	}
	return n, err
}

func (b *body) readLength(p []byte) (int, error) {
	if int64(len(p)) > b.remain {
		p = p[:b.remain]
	}
	n, err := b.cn.br.Read(p)
	b.remain -= int64(n)
	if b.remain == 0 {
		b.finish(nil)
		return n, io.EOF
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return n, b.fail(err)
	}
	return n, nil
}

func (b *body) readChunked(p []byte) (int, error) {
	br := b.cn.br
	for b.remain == 0 {
		if b.inChunk {
			if err := readCRLF(br); err != nil {
				return 0, b.fail(err)
			}
			b.inChunk = false
		}
		size, err := readChunkSize(br)
		if err != nil {
			return 0, b.fail(err)
		}
		if size == 0 {
			if err := b.cn.head.skipTrailers(br); err != nil {
				return 0, b.fail(err)
			}
			b.finish(nil)
			return 0, io.EOF
		}
		b.remain, b.inChunk = size, true
	}
	if int64(len(p)) > b.remain {
		p = p[:b.remain]
	}
	n, err := br.Read(p)
	b.remain -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return n, b.fail(err)
	}
	return n, nil
}

// Close ends the body. A connection whose body was read to the end is pooled; one with unread
// bytes is pooled only when the rest is already buffered, and closed otherwise.
func (b *body) Close() error {
	if b.cn == nil {
		if b.err == io.EOF {
			b.err = errBodyClosed
		}
		return nil
	}
	if b.mode == modeLength && b.remain <= int64(b.cn.br.Buffered()) {
		b.cn.br.Discard(int(b.remain))
		b.finish(errBodyClosed)
		return nil
	}
	b.cn.close()
	b.cn, b.err = nil, errBodyClosed
	return nil
}

// finish hands the connection back and makes later Reads return err (io.EOF when nil).
func (b *body) finish(err error) {
	if err == nil {
		err = io.EOF
	}
	cn := b.cn
	b.cn, b.err = nil, err
	cn.release(b.reusable && b.mode != modeUntilClose)
}

// fail closes the connection and makes err sticky.
func (b *body) fail(err error) error {
	b.cn.close()
	b.cn, b.err = nil, fmt.Errorf("httpproxy: reading response body: %w", err)
	return b.err
}

func readCRLF(br *bufio.Reader) error {
	c, err := br.ReadByte()
	if err == nil && c == '\r' {
		c, err = br.ReadByte()
	}
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	if c != '\n' {
		return fmt.Errorf("%w: chunk data not followed by CRLF", errMalformed)
	}
	return nil
}

// readChunkSize reads a chunk-size line: hex digits, optional extensions after ';'.
func readChunkSize(br *bufio.Reader) (int64, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		} else if err == bufio.ErrBufferFull {
			err = fmt.Errorf("%w: chunk size line too long", errMalformed)
		}
		return 0, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	var size int64
	i := 0
	for ; i < len(line); i++ {
		c := line[i]
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			goto ext
		}
		if i >= 15 {
			return 0, fmt.Errorf("%w: chunk size too large", errMalformed)
		}
		size = size<<4 | int64(d)
	}
ext:
	if i == 0 {
		return 0, fmt.Errorf("%w: chunk size line %q", errMalformed, clip(line))
	}
	rest := trimOWS(line[i:])
	if len(rest) > 0 && rest[0] != ';' {
		return 0, fmt.Errorf("%w: chunk size line %q", errMalformed, clip(line))
	}
	for _, c := range rest {
		if (c < ' ' && c != '\t') || c == 0x7f {
			return 0, fmt.Errorf("%w: control character in chunk extension", errMalformed)
		}
	}
	return size, nil
}

// skipTrailers reads and drops a chunked body's trailer section. Trailers are not handed on: the
// gateway answers with its own framing.
func (p *headParser) skipTrailers(br *bufio.Reader) error {
	p.total = 0
	for {
		line, err := p.readLine(br)
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		if len(line) == 0 {
			return nil
		}
		if bytes.IndexByte(line, ':') <= 0 {
			return fmt.Errorf("%w: trailer line %q", errMalformed, clip(line))
		}
	}
}
