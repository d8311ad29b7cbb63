package gateway

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/runtime"
)

// TestChooseEncoding is the Accept-Encoding negotiation table.
func TestChooseEncoding(t *testing.T) {
	for _, c := range []struct {
		accept string
		want   coding
	}{
		{"", codingIdentity},
		{"gzip", codingGzip},
		{"deflate", codingDeflate},
		{"identity", codingIdentity},
		{"br", codingIdentity},
		{"gzip, deflate, br", codingGzip},
		{"deflate, gzip", codingGzip}, // a tie goes to gzip
		{"GZIP", codingGzip},
		{"x-gzip", codingGzip},
		{"deflate;q=1, gzip;q=0.5", codingDeflate},
		{"gzip;q=0.2, deflate;q=0.3, identity;q=0.9", codingIdentity},
		{"gzip;q=0", codingIdentity},
		{"gzip;q=0, deflate", codingDeflate},
		{"*", codingGzip},
		{"*;q=0.5, gzip;q=0.1", codingDeflate},
		{"*;q=0", codingIdentity},
		{"identity;q=0, *;q=0", codingIdentity},
		{"gzip;q=abc", codingIdentity}, // a malformed q ignores the entry
		{"gzip;q=1.5, deflate", codingDeflate},
		{"gzip ; q=0.8 , deflate ; q=0.9", codingDeflate},
		{"gzip;level=1", codingGzip},
		{" , ,gzip", codingGzip},
		{"identity, gzip", codingGzip}, // equal q: the server prefers gzip
		{"identity;q=1, gzip;q=0.999", codingIdentity},
	} {
		if got := chooseEncoding(c.accept); got != c.want {
			t.Errorf("chooseEncoding(%q) = %d, want %d", c.accept, got, c.want)
		}
	}
}

// FuzzChooseEncoding: any Accept-Encoding value picks one of the three codings, never a
// coding whose q is explicitly 0.
func FuzzChooseEncoding(f *testing.F) {
	for _, s := range []string{"gzip", "deflate;q=0.5, gzip;q=0.4", "*;q=0", "identity;q=0", "gzip;q=", ";;,,=", "gzip;q=0.0001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		c := chooseEncoding(accept)
		if c > codingDeflate {
			t.Fatalf("coding %d", c)
		}
		if c == codingGzip && strings.TrimSpace(strings.ToLower(accept)) == "gzip;q=0" {
			t.Fatal("gzip chosen at q=0")
		}
	})
}

// compressionDoc answers GET /text with size bytes of text from a MOCK, GET /stream through an
// HTTP_PROXY whose backend streams without a Content-Length, and POST /echo with the body its
// HTTP backend received.
func compressionDoc(backend string, min *int64) *model.APIDoc {
	body := strings.Repeat("portico ", 300) // 2,400 bytes
	echo := ir("200", "", "", nil)
	doc := newDoc(
		&model.Resource{Id: "text01", Path: "/text", ResourceMethods: map[string]*model.Method{
			"GET": mockMethod("GET", `{"statusCode": 200}`, map[string]*model.IntegrationResponse{"200": ir("200", "", body, nil)}, "200")}},
		&model.Resource{Id: "smal01", Path: "/small", ResourceMethods: map[string]*model.Method{
			"GET": mockMethod("GET", `{"statusCode": 200}`, map[string]*model.IntegrationResponse{"200": ir("200", "", "tiny", nil)}, "200")}},
		&model.Resource{Id: "strm01", Path: "/stream", ResourceMethods: map[string]*model.Method{
			"GET": proxyMethod("GET", "GET", "http://"+backend+"/stream", nil, 0)}},
		&model.Resource{Id: "echo01", Path: "/echo", ResourceMethods: map[string]*model.Method{
			"POST": httpMethod("POST", "POST", "http://"+backend+"/echo", nil, nil, map[string]*model.IntegrationResponse{"200": echo}, "200")}},
	)
	doc.RestApi.MinimumCompressionSize = min
	return doc
}

// compressionBackend streams /stream in chunks without a length and echoes /echo's body.
func compressionBackend(t *testing.T) *httptest.Server {
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/stream":
			w.Header().Set("Content-Type", "text/plain")
			for range 30 {
				io.WriteString(w, strings.Repeat("s", 100))
				w.(http.Flusher).Flush()
			}
		case "/echo":
			got, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", "text/plain")
			w.Write(got)
		}
	}))
	t.Cleanup(b.Close)
	return b
}

func decodeAs(t *testing.T, encoding, body string) string {
	t.Helper()
	var r io.Reader
	var err error
	switch encoding {
	case "gzip":
		r, err = gzip.NewReader(strings.NewReader(body))
	case "deflate":
		r, err = zlib.NewReader(strings.NewReader(body))
	default:
		return body
	}
	if err != nil {
		t.Fatalf("%s body does not decode: %v", encoding, err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s body does not decode: %v", encoding, err)
	}
	return string(b)
}

// TestResponseCompression checks which answers are compressed: by the client's coding, by
// the threshold against the body's size (declared or streamed), and never when the API sets
// no minimumCompressionSize.
func TestResponseCompression(t *testing.T) {
	b := compressionBackend(t)
	backend := strings.TrimPrefix(b.URL, "http://")
	min := func(n int64) *int64 { return &n }
	// A transport that leaves Accept-Encoding and the body as they come.
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	for _, c := range []struct {
		name     string
		min      *int64
		path     string
		accept   string
		encoding string
	}{
		{"off", nil, "/text", "gzip", ""},
		{"gzip", min(1000), "/text", "gzip, deflate", "gzip"},
		{"deflate", min(1000), "/text", "deflate", "deflate"},
		{"identity preferred", min(1000), "/text", "gzip;q=0.1, identity", ""},
		{"no Accept-Encoding", min(1000), "/text", "", ""},
		{"under the threshold", min(3000), "/text", "gzip", ""},
		{"at the threshold", min(2400), "/text", "gzip", "gzip"},
		{"zero compresses all", min(0), "/small", "gzip", "gzip"},
		{"small under threshold", min(10), "/small", "gzip", ""},
		{"streamed over the threshold", min(1000), "/stream", "gzip", "gzip"},
		{"streamed under the threshold", min(5000), "/stream", "deflate", ""},
		{"error answers too", min(0), "/nowhere", "gzip", "gzip"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			e.deploy(compressionDoc(backend, c.min), "dep001", "prod", nil)
			req, _ := http.NewRequest("GET", e.pathURL(apiID, "prod", c.path), nil)
			if c.accept != "" {
				req.Header.Set("Accept-Encoding", c.accept)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if got := resp.Header.Get("Content-Encoding"); got != c.encoding {
				t.Fatalf("Content-Encoding %q, want %q", got, c.encoding)
			}
			body := decodeAs(t, c.encoding, string(raw))
			if c.encoding != "" {
				if resp.Header.Get("Vary") != "Accept-Encoding" {
					t.Errorf("Vary %q", resp.Header.Get("Vary"))
				}
				if resp.ContentLength != -1 && resp.ContentLength != int64(len(raw)) {
					t.Errorf("Content-Length %d for %d bytes", resp.ContentLength, len(raw))
				}
			}
			want := map[string]string{"/text": strings.Repeat("portico ", 300), "/small": "tiny",
				"/stream": strings.Repeat("s", 3000), "/nowhere": `{"message":"Missing Authentication Token"}`}[c.path]
			if body != want {
				t.Errorf("body %.60q..., want %.60q...", body, want)
			}
		})
	}
}

func gzipped(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	io.WriteString(w, s)
	w.Close()
	return b.Bytes()
}

// TestCompressedRequestBody: a gzip or deflate (zlib or raw) request body reaches the backend
// decoded; one that does not decode answers 400; a decompression bomb is cut at the payload
// limit and answered 413; without minimumCompressionSize the body passes as it came.
func TestCompressedRequestBody(t *testing.T) {
	b := compressionBackend(t)
	backend := strings.TrimPrefix(b.URL, "http://")
	zero := int64(0)
	e := newEnv(t, Options{MaxPayloadBytes: 64 << 10})
	e.deploy(compressionDoc(backend, &zero), "dep001", "prod", nil)
	text := strings.Repeat(`{"pet":"dog"}`, 100)
	var zl, raw bytes.Buffer
	zw := zlib.NewWriter(&zl)
	io.WriteString(zw, text)
	zw.Close()
	fw, _ := flate.NewWriter(&raw, flate.BestSpeed)
	io.WriteString(fw, text)
	fw.Close()
	post := func(encoding string, body []byte) result {
		return e.do("POST", e.pathURL(apiID, "prod", "/echo"), "", bytes.NewReader(body),
			map[string]string{"Content-Encoding": encoding, "Content-Type": "application/json"})
	}
	for _, c := range []struct {
		encoding string
		body     []byte
	}{{"gzip", gzipped(text)}, {"deflate", zl.Bytes()}, {"deflate", raw.Bytes()}, {"GZIP", gzipped(text)}} {
		if r := post(c.encoding, c.body); r.status != 200 || r.body != text {
			t.Errorf("%s (%d bytes): %d %d bytes %q", c.encoding, len(c.body), r.status, len(r.body), r.body[max(0, len(r.body)-60):])
		}
	}
	if r := post("gzip", []byte("not gzip at all")); r.status != 400 || r.body != `{"message":"Invalid request body"}` {
		t.Errorf("undecodable: %d %s", r.status, r.body)
	}
	if r := post("gzip", gzipped(text)[:40]); r.status != 400 {
		t.Errorf("truncated: %d %s", r.status, r.body)
	}
	bomb := gzipped(strings.Repeat("\x00", 16<<20)) // 16 MB of zeros in about 16 KB
	if len(bomb) > 64<<10 {
		t.Fatalf("the bomb is %d bytes, over the raw limit", len(bomb))
	}
	if r := post("gzip", bomb); r.status != 413 {
		t.Errorf("decompression bomb: %d %.80s", r.status, r.body)
	}
	if r := post("br", []byte("opaque")); r.status != 200 || r.body != "opaque" {
		t.Errorf("unknown coding passes as it came: %d %q", r.status, r.body)
	}

	// A body validator checks the decoded body; the integration still gets it decoded once.
	doc := compressionDoc(backend, &zero)
	echo := doc.Resources["echo01"].ResourceMethods["POST"]
	echo.RequestValidatorId = "bod001"
	echo.RequestModels = map[string]string{"application/json": "Pet"}
	doc.Models = map[string]*model.Model{"Pet": {Name: "Pet", ContentType: "application/json",
		Schema: `{"type":"object","required":["pet"],"properties":{"pet":{"type":"string"}}}`}}
	doc.RequestValidators = map[string]*model.RequestValidator{"bod001": {Id: "bod001", Name: "body", ValidateRequestBody: true}}
	e.deploy(doc, "dep003", "prod", nil)
	if r := post("gzip", gzipped(`{"pet":"dog"}`)); r.status != 200 || r.body != `{"pet":"dog"}` {
		t.Errorf("valid gzip body: %d %q", r.status, r.body)
	}
	if r := post("deflate", zl.Bytes()); r.status != 400 {
		t.Errorf("a decoded body that is not one object passed validation: %d %q", r.status, r.body)
	}
	if r := post("gzip", gzipped(`{"pet":7}`)); r.status != 400 || r.body != `{"message":"Invalid request body"}` {
		t.Errorf("invalid gzip body: %d %q", r.status, r.body)
	}
	if r := post("gzip", bomb); r.status != 413 {
		t.Errorf("decompression bomb under a validator: %d %.80s", r.status, r.body)
	}

	e.deploy(compressionDoc(backend, nil), "dep002", "prod", nil)
	if r := post("gzip", gzipped("x")); r.status != 200 || r.body != string(gzipped("x")) {
		t.Errorf("compression off: the body should pass as it came: %d %q", r.status, r.body)
	}
}

// BenchmarkCompressionOff and BenchmarkCompressionGzip serve a 2.4 kB MOCK answer to a client
// that accepts gzip, with minimumCompressionSize unset and at 1,000.
func BenchmarkCompressionOff(b *testing.B) { benchCompression(b, nil) }

func BenchmarkCompressionGzip(b *testing.B) {
	n := int64(1000)
	benchCompression(b, &n)
}

func benchCompression(b *testing.B, min *int64) {
	gw := nonProxyBench(b, compressionDoc("127.0.0.1:1", min))
	req := httptest.NewRequest("GET", "/restapis/"+apiID+"/prod/_user_request_/text", nil)
	req.Header.Set("Accept-Encoding", "gzip, deflate, br")
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		w := httptest.NewRecorder()
		gw.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(fmt.Sprint(w.Code, w.Body.String()))
		}
	}
}

// FuzzDecodedBody sends arbitrary bodies under each Content-Encoding through the request body
// reader of a compressing stage: it never panics, and never holds more than the payload limit.
func FuzzDecodedBody(f *testing.F) {
	var zl bytes.Buffer
	zw := zlib.NewWriter(&zl)
	io.WriteString(zw, `{"a":1}`)
	zw.Close()
	for _, s := range []struct {
		enc  string
		body []byte
	}{{"gzip", gzipped(`{"a":1}`)}, {"deflate", zl.Bytes()}, {"deflate", []byte{0x4b, 0x04, 0x00}}, {"gzip", []byte("x")},
		{"x-gzip", gzipped(strings.Repeat("a", 5000))}, {"br", []byte("y")}} {
		f.Add(s.enc, s.body)
	}
	const limit = 4096
	f.Fuzz(func(t *testing.T, enc string, body []byte) {
		r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		r.Header.Set("Content-Encoding", enc)
		rc := &request{r: r, api: &runtime.API{Compression: &runtime.Compression{}}}
		rc.bodyBuf = limitedBody{rc: r.Body, left: limit}
		rc.body = &rc.bodyBuf
		if err := rc.readRequestBody(); err == nil && len(rc.reqBody) > limit {
			t.Fatalf("%d bytes held past the limit", len(rc.reqBody))
		}
	})
}
