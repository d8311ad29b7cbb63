package gateway

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// FuzzCacheEntry: an answer laid out by encodeEntry is written back by replay as it was: the
// same status, the same headers (but the per-request ones) and the same body.
func FuzzCacheEntry(f *testing.F) {
	f.Add(200, "Content-Type", "application/json", "X-Multi", "a\x00b", []byte(`{"ok":true}`))
	f.Add(204, "", "", "Warning", "kept?", []byte{})
	f.Add(299, "X-Amzn-Requestid", "dropped", "Set-Cookie", "x=1", []byte("\xff\x00binary"))
	f.Fuzz(func(t *testing.T, status int, k1, v1, k2, v2 string, body []byte) {
		if status < 100 || status > 599 || len(body) > maxCachedResponse {
			return
		}
		h := http.Header{}
		for _, kv := range [][2]string{{k1, v1}, {k2, v2}} {
			if kv[0] != "" {
				h[kv[0]] = append(h[kv[0]], strings.Split(kv[1], "\x00")...)
			}
		}
		entry := encodeEntry(status, h, body)
		w := httptest.NewRecorder()
		rc := newRequest(w, httptest.NewRequest("GET", "/", nil))
		defer rc.release()
		replay(rc, entry)
		if w.Code != status || string(w.Body.Bytes()) != string(body) {
			t.Fatalf("status %d body %q, want %d %q", w.Code, w.Body.Bytes(), status, body)
		}
		got := w.Header()
		for k, vv := range h {
			if isPerRequest(k) {
				continue
			}
			if !slices.Equal(got[k], vv) {
				t.Fatalf("header %q: %q, want %q", k, got[k], vv)
			}
		}
		if cl := got["Content-Length"]; len(cl) != 1 || cl[0] != strconv.Itoa(len(body)) {
			t.Fatalf("Content-Length %q for %d bytes", cl, len(body))
		}
		if id := got["X-Amzn-Requestid"]; len(id) != 1 || id[0] != rc.requestID {
			t.Fatalf("x-amzn-RequestId %q, want the request's own %q", id, rc.requestID)
		}
	})
}

// FuzzCacheControl: asksForFresh finds max-age=0 exactly when one comma-separated directive of
// one of the header's values is it, in any case, with spaces around.
func FuzzCacheControl(f *testing.F) {
	for _, s := range []string{"max-age=0", "no-cache, MAX-AGE=0", "max-age=00", "max-age=0x", " max-age=0 ,", "", ",,"} {
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		h := http.Header{"Cache-Control": {a, b}}
		want := false
		for _, v := range []string{a, b} {
			for _, d := range strings.Split(v, ",") {
				want = want || strings.EqualFold(strings.TrimSpace(d), "max-age=0")
			}
		}
		if got := asksForFresh(h); got != want {
			t.Fatalf("asksForFresh(%q, %q) = %v, want %v", a, b, got, want)
		}
	})
}

// FuzzCacheKeyParts: two lists of key parameter values give the same key only when they are
// the same list.
func FuzzCacheKeyParts(f *testing.F) {
	f.Add("x\x00=y", "", "z", "x", "y\x00", "z", uint8(5), uint8(7))
	f.Add("a", "b", "", "a", "b", "", uint8(7), uint8(3))
	f.Fuzz(func(t *testing.T, a1, a2, a3, b1, b2, b3 string, pa, pb uint8) {
		key := func(vs [3]string, present uint8) string {
			var b []byte
			for i, v := range vs {
				b = appendKeyPart(b, v, present&(1<<i) != 0)
			}
			return string(b)
		}
		norm := func(vs [3]string, present uint8) [3]string {
			for i := range vs {
				if present&(1<<i) == 0 {
					vs[i] = "\xffabsent"
				}
			}
			return vs
		}
		a, b := [3]string{a1, a2, a3}, [3]string{b1, b2, b3}
		same := norm(a, pa) == norm(b, pb) && pa&7 == pb&7
		if (key(a, pa) == key(b, pb)) != same {
			t.Fatalf("%q (present %03b) and %q (present %03b): keys equal %v, values equal %v", a, pa&7, b, pb&7, !same, same)
		}
	})
}
