package functions

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/store/bolt"
)

// handlerBin is the test function built once: an aws-lambda-go program (testdata/handler).
var handlerBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "portico-functions-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	handlerBin = filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-o", handlerBin, "./testdata/handler")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the test function: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// zipOf makes a zip of the given entries (name → content; a "->" prefix makes a symlink).
func zipOf(t testing.TB, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range files {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(0o755)
		if target, ok := bytes.CutPrefix(data, []byte("->")); ok {
			h.SetMode(os.ModeSymlink | 0o777)
			data = target
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func handlerZip(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(handlerBin)
	if err != nil {
		t.Fatal(err)
	}
	return zipOf(t, map[string][]byte{"bootstrap": b})
}

func newRuntime(t testing.TB, opts Options) *Runtime {
	t.Helper()
	dir := t.TempDir()
	st, err := bolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	opts.DataDir, opts.Region, opts.AccountID = dir, "us-east-1", "123456789012"
	rt, err := New(st, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(); st.Close() })
	return rt
}

func createCmd(t testing.TB, rt *Runtime, name string, env map[string]string, timeout int) {
	t.Helper()
	if _, err := rt.Create(CreateInput{Function: Function{FunctionName: name, Command: handlerBin,
		Environment: env, Timeout: timeout}}); err != nil {
		t.Fatal(err)
	}
}

func invoke(t testing.TB, rt *Runtime, name, payload string) (*InvokeResult, map[string]any) {
	t.Helper()
	res, err := rt.Invoke(context.Background(), InvokeRequest{FunctionName: name, Payload: []byte(payload)})
	if err != nil {
		t.Fatalf("invoke %s: %v", payload, err)
	}
	var m map[string]any
	json.Unmarshal(res.Payload, &m)
	return res, m
}

func TestZipFunctionEnvironmentAndReuse(t *testing.T) {
	rt := newRuntime(t, Options{})
	fn, err := rt.Create(CreateInput{Function: Function{FunctionName: "hello", Runtime: "provided.al2023",
		Handler: "bootstrap", MemorySize: 256, Environment: map[string]string{"GREETING": "hi"}}, ZipFile: handlerZip(t)})
	if err != nil {
		t.Fatal(err)
	}
	if fn.Timeout != 3 || fn.CodeSha256 == "" || fn.CodeSize == 0 {
		t.Fatalf("defaults: %+v", fn)
	}
	res, m := invoke(t, rt, "hello", `{"op":"echo"}`)
	if res.StatusCode != 200 || res.FunctionError != "" {
		t.Fatalf("result %+v %s", res, res.Payload)
	}
	want := map[string]any{"name": "hello", "version": "$LATEST", "memory": "256", "region": "us-east-1",
		"handler": "bootstrap", "tz": ":UTC", "greeting": "hi", "requestId": res.RequestID,
		"arn": "arn:aws:lambda:us-east-1:123456789012:function:hello"}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	if d := m["deadline"].(float64); d < 2000 || d > 3000 {
		t.Errorf("deadline in %v ms, want about 3000", d)
	}
	if !strings.HasPrefix(m["trace"].(string), "Root=1-") {
		t.Errorf("trace %v", m["trace"])
	}
	// Warm: the same process answers again, by ARN and by partial ARN.
	for _, ref := range []string{"arn:aws:lambda:us-east-1:123456789012:function:hello", "123456789012:function:hello:$LATEST"} {
		_, m2 := invoke(t, rt, ref, `{"op":"echo"}`)
		if m2["pid"] != m["pid"] {
			t.Fatalf("warm invoke by %s ran in pid %v, first in %v", ref, m2["pid"], m["pid"])
		}
	}
}

func TestFunctionErrorAndTail(t *testing.T) {
	rt := newRuntime(t, Options{})
	createCmd(t, rt, "f", nil, 3)
	res, err := rt.Invoke(context.Background(), InvokeRequest{FunctionName: "f", Payload: []byte(`{"op":"error","text":"boom"}`), LogTail: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.FunctionError != "Unhandled" {
		t.Fatalf("FunctionError %q", res.FunctionError)
	}
	var pe struct{ ErrorMessage, ErrorType string }
	json.Unmarshal(res.Payload, &pe)
	if pe.ErrorMessage != "boom" || pe.ErrorType != "errorString" {
		t.Fatalf("payload %s", res.Payload)
	}
	logs, _ := base64.StdEncoding.DecodeString(res.LogResult)
	for _, want := range []string{"START RequestId: " + res.RequestID + " Version: $LATEST", "END RequestId: " + res.RequestID, "REPORT RequestId: " + res.RequestID, "Init Duration:"} {
		if !bytes.Contains(logs, []byte(want)) {
			t.Errorf("tail lacks %q:\n%s", want, logs)
		}
	}
	// What the function printed before answering is in its tail, before END.
	res, err = rt.Invoke(context.Background(), InvokeRequest{FunctionName: "f", Payload: []byte(`{"op":"print","text":"tail-line"}`), LogTail: true})
	if err != nil {
		t.Fatal(err)
	}
	logs, _ = base64.StdEncoding.DecodeString(res.LogResult)
	if i, j := bytes.Index(logs, []byte("tail-line\n")), bytes.Index(logs, []byte("END RequestId")); i < 0 || j < i {
		t.Errorf("tail:\n%s", logs)
	}
	// The followed log gets every line.
	past, ch, stop, err := rt.Logs("f", true)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	invoke(t, rt, "f", `{"op":"print","text":"printed-line"}`)
	seen := past
	for !bytes.Contains(seen, []byte("printed-line\n")) {
		seen = append(seen, <-ch...)
	}
	if b, _ := os.ReadFile(filepath.Join(rt.opts.DataDir, "logs", "functions", "f.log")); !bytes.Contains(b, []byte("printed-line")) {
		t.Errorf("log file lacks the printed line")
	}
}

func TestTimeoutReplacesWorker(t *testing.T) {
	rt := newRuntime(t, Options{})
	createCmd(t, rt, "slow", nil, 1)
	_, first := invoke(t, rt, "slow", `{}`)
	res, _ := invoke(t, rt, "slow", `{"op":"sleep","ms":5000}`)
	if res.FunctionError != "Unhandled" || !bytes.Contains(res.Payload, []byte(res.RequestID+" Task timed out after 1.00 seconds")) {
		t.Fatalf("timeout result %+v %s", res, res.Payload)
	}
	_, after := invoke(t, rt, "slow", `{}`)
	if after["pid"] == first["pid"] || after["pid"] == nil {
		t.Fatalf("the timed-out worker (pid %v) answered again (%v)", first["pid"], after["pid"])
	}
}

func TestCrashRecovers(t *testing.T) {
	rt := newRuntime(t, Options{})
	createCmd(t, rt, "c", nil, 3)
	res, _ := invoke(t, rt, "c", `{"op":"crash"}`)
	want := `{"errorMessage":"RequestId: ` + res.RequestID + ` Error: Runtime exited with error: exit status 2","errorType":"Runtime.ExitError"}`
	if res.FunctionError != "Unhandled" || string(res.Payload) != want {
		t.Fatalf("crash result %q %s\nwant %s", res.FunctionError, res.Payload, want)
	}
	if res, m := invoke(t, rt, "c", `{"op":"echo"}`); res.FunctionError != "" || m["op"] != "echo" {
		t.Fatalf("after a crash: %s", res.Payload)
	}
}

func TestStartFailures(t *testing.T) {
	for _, tc := range []struct{ mode, want string }{
		{"exit", `Runtime exited with error: exit status 3","errorType":"Runtime.ExitError"}`},
		{"init-error", `{"errorMessage":"no config","errorType":"Init.Config"}`},
		{"garbage", `{"errorMessage":"not json at all","errorType":"Runtime.Unknown"}`},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			rt := newRuntime(t, Options{})
			createCmd(t, rt, "m", map[string]string{"MODE": tc.mode}, 3)
			for range 2 {
				res, _ := invoke(t, rt, "m", `{}`)
				if res.FunctionError != "Unhandled" || !strings.HasSuffix(string(res.Payload), tc.want) {
					t.Fatalf("%q %s, want suffix %s", res.FunctionError, res.Payload, tc.want)
				}
			}
		})
	}
}

func TestResponseTooLarge(t *testing.T) {
	rt := newRuntime(t, Options{})
	createCmd(t, rt, "big", nil, 10)
	res, _ := invoke(t, rt, "big", `{"op":"big","bytes":7000000}`)
	if res.FunctionError != "Unhandled" || !bytes.Contains(res.Payload, []byte(`"errorType":"Function.ResponseSizeTooLarge"`)) {
		t.Fatalf("%q %.200s", res.FunctionError, res.Payload)
	}
	if res, _ := invoke(t, rt, "big", `{"op":"big","bytes":1000}`); res.FunctionError != "" || len(res.Payload) != 1002 {
		t.Fatalf("after: %q %d bytes", res.FunctionError, len(res.Payload))
	}
}

func TestConcurrencyLimitThrottles(t *testing.T) {
	rt := newRuntime(t, Options{QueueWait: 20 * time.Millisecond})
	createCmd(t, rt, "one", nil, 5)
	if _, err := rt.PutConcurrency("one", 1); err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		invoke(t, rt, "one", `{"op":"sleep","ms":1500}`)
	}()
	go func() {
		for len(rt.getPool("one").slots) == 0 {
			time.Sleep(time.Millisecond)
		}
		close(started)
	}()
	<-started
	_, err := rt.Invoke(context.Background(), InvokeRequest{FunctionName: "one", Payload: []byte(`{}`)})
	if !errors.Is(err, ErrThrottled) || AsError(err).Status != 429 {
		t.Fatalf("second invoke: %v", err)
	}
	wg.Wait()
	if _, err := rt.PutConcurrency("one", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.Invoke(context.Background(), InvokeRequest{FunctionName: "one"}); !errors.Is(err, ErrThrottled) {
		t.Fatalf("reserved 0: %v", err)
	}
}

func (rt *Runtime) getPool(name string) *pool { return (*rt.entries.Load())[name].pool }

func TestDeleteMidRequest(t *testing.T) {
	rt := newRuntime(t, Options{})
	createCmd(t, rt, "d", nil, 5)
	done := make(chan *InvokeResult)
	go func() {
		res, _ := invoke(t, rt, "d", `{"op":"sleep","ms":300}`)
		done <- res
	}()
	for len(rt.getPool("d").slots) == 0 {
		time.Sleep(time.Millisecond)
	}
	if err := rt.Delete("d"); err != nil {
		t.Fatal(err)
	}
	if res := <-done; res.FunctionError != "" {
		t.Fatalf("in-flight invocation: %s", res.Payload)
	}
	if _, err := rt.Invoke(context.Background(), InvokeRequest{FunctionName: "d"}); !errors.Is(err, ErrNotFound) ||
		err.Error() != "ResourceNotFoundException: Function not found: arn:aws:lambda:us-east-1:123456789012:function:d" {
		t.Fatalf("after delete: %v", err)
	}
}

func TestReapIdle(t *testing.T) {
	rt := newRuntime(t, Options{})
	createCmd(t, rt, "r", nil, 3)
	invoke(t, rt, "r", `{}`)
	p := rt.getPool("r")
	p.reap(time.Now().Add(time.Second))
	p.mu.Lock()
	n := len(p.idle)
	p.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d idle workers left", n)
	}
	if res, _ := invoke(t, rt, "r", `{}`); res.FunctionError != "" {
		t.Fatalf("after reaping: %s", res.Payload)
	}
}

func TestInvokeTypesAndBadInput(t *testing.T) {
	rt := newRuntime(t, Options{})
	createCmd(t, rt, "t", nil, 3)
	ctx := context.Background()
	if res, err := rt.Invoke(ctx, InvokeRequest{FunctionName: "t", InvocationType: "DryRun"}); err != nil || res.StatusCode != 204 {
		t.Fatalf("DryRun: %v %+v", err, res)
	}
	if res, err := rt.Invoke(ctx, InvokeRequest{FunctionName: "t", InvocationType: "Event", Payload: []byte(`{"op":"print","text":"async-ran"}`)}); err != nil || res.StatusCode != 202 {
		t.Fatalf("Event: %v %+v", err, res)
	}
	for _, tc := range []struct {
		req  InvokeRequest
		want error
	}{
		{InvokeRequest{FunctionName: "nope"}, ErrNotFound},
		{InvokeRequest{FunctionName: "t:v2"}, ErrNotFound},
		{InvokeRequest{FunctionName: "bad name!"}, ErrInvalidParam},
		{InvokeRequest{FunctionName: "t", InvocationType: "Sometimes"}, ErrInvalidParam},
		{InvokeRequest{FunctionName: "t", Payload: bytes.Repeat([]byte("x"), MaxRequestPayload+1)}, ErrPayloadTooLarge},
		{InvokeRequest{FunctionName: "t", InvocationType: "Event", Payload: []byte(`"` + strings.Repeat("x", MaxEventPayload) + `"`)}, ErrPayloadTooLarge},
	} {
		if _, err := rt.Invoke(ctx, tc.req); !errors.Is(err, tc.want) {
			t.Errorf("%.60s: %v, want %v", tc.req.FunctionName, err, tc.want)
		}
	}
	_, err := rt.Invoke(ctx, InvokeRequest{FunctionName: "t", Payload: []byte("{not json")})
	if AsError(err).Type != "InvalidRequestContentException" {
		t.Errorf("bad json: %v", err)
	}
}

func TestBadZipsRefused(t *testing.T) {
	rt := newRuntime(t, Options{})
	bin := []byte("#!/bin/sh\n")
	for name, files := range map[string]map[string][]byte{
		"no bootstrap":  {"main": bin},
		"dotdot":        {"bootstrap": bin, "../evil": bin},
		"nested dotdot": {"bootstrap": bin, "a/../../evil": bin},
		"absolute":      {"bootstrap": bin, "/etc/evil": bin},
		"symlink out":   {"bootstrap": bin, "link": []byte("->../../etc")},
		"symlink abs":   {"bootstrap": bin, "link": []byte("->/etc/passwd")},
		"bootstrap dir": {"bootstrap/": nil},
	} {
		_, err := rt.Create(CreateInput{Function: Function{FunctionName: "z", Runtime: "provided.al2"}, ZipFile: zipOf(t, files)})
		if !errors.Is(err, ErrInvalidParam) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, data := range map[string][]byte{"empty": nil, "not a zip": []byte("PK garbage")} {
		if _, err := rt.Create(CreateInput{Function: Function{FunctionName: "z", Runtime: "provided.al2"}, ZipFile: data}); !errors.Is(err, ErrInvalidParam) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(rt.opts.DataDir, "functions")); len(entries) != 0 {
		t.Errorf("refused zips left %d entries", len(entries))
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(rt.opts.DataDir), "evil")); err == nil {
		t.Errorf("an entry escaped")
	}
	// A symlink that stays inside is fine.
	if _, err := rt.Create(CreateInput{Function: Function{FunctionName: "ok", Runtime: "provided.al2"},
		ZipFile: zipOf(t, map[string][]byte{"bootstrap": bin, "lib/x": bin, "link": []byte("->lib/x")})}); err != nil {
		t.Errorf("inside symlink: %v", err)
	}
}

func TestDefinitionsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	st, err := bolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := New(st, Options{DataDir: dir, Region: "us-east-1", AccountID: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rt.Create(CreateInput{Function: Function{FunctionName: "keep", Runtime: "provided.al2023"}, ZipFile: handlerZip(t)}); err != nil {
		t.Fatal(err)
	}
	rt.Close()
	st.Close()
	st, err = bolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rt, err = New(st, Options{DataDir: dir, Region: "us-east-1", AccountID: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	if res, m := invoke(t, rt, "keep", `{"op":"echo"}`); res.FunctionError != "" || m["name"] != "keep" {
		t.Fatalf("after restart: %s", res.Payload)
	}
}

func TestLogRingBounded(t *testing.T) {
	l, _ := newFunctionLog(10, "", 0)
	l.Write([]byte("abcdef"))
	l.Write([]byte("ghijkl"))
	if got := string(l.Snapshot()); got != "cdefghijkl" {
		t.Fatalf("%q", got)
	}
	l.Write([]byte("0123456789ABC"))
	if got := string(l.Snapshot()); got != "3456789ABC" {
		t.Fatalf("%q", got)
	}
	l.Write([]byte("xy"))
	if got := string(l.Snapshot()); got != "56789ABCxy" {
		t.Fatalf("%q", got)
	}
	var tl tail
	for range 5000 {
		tl.Write([]byte("0123456789"))
	}
	if n := len(tl.Bytes()); n != TailBytes {
		t.Fatalf("tail %d bytes", n)
	}
}

func TestParseName(t *testing.T) {
	for in, want := range map[string][2]string{
		"f":         {"f", ""},
		"f:$LATEST": {"f", "$LATEST"},
		"arn:aws:lambda:us-east-1:123456789012:function:f":      {"f", ""},
		"arn:aws:lambda:us-east-1:123456789012:function:f:prod": {"f", "prod"},
		"123456789012:function:f":                               {"f", ""},
		"function:f":                                            {"f", ""},
	} {
		n, q, ok := ParseName(in)
		if !ok || n != want[0] || q != want[1] {
			t.Errorf("%s: %q %q %v", in, n, q, ok)
		}
	}
	for _, in := range []string{"", "a b", "123456789012:f", "arn:aws:s3:::bucket", strings.Repeat("a", 65), "f:"} {
		if _, _, ok := ParseName(in); ok {
			t.Errorf("%q accepted", in)
		}
	}
}

func FuzzParseName(f *testing.F) {
	for _, s := range []string{"f", "arn:aws:lambda:us-east-1:123456789012:function:f:1", "123456789012:function:f", "::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, _, ok := ParseName(s)
		if ok && !ValidName(n) {
			t.Fatalf("%q gave invalid name %q", s, n)
		}
	})
}

func FuzzCheckZip(f *testing.F) {
	f.Add([]byte("PK\x03\x04"))
	f.Add(zipOf(f, map[string][]byte{"bootstrap": []byte("x"), "a/b": []byte("y")}))
	f.Fuzz(func(t *testing.T, data []byte) {
		zr, err := checkZip(data, "bootstrap")
		if err != nil {
			return
		}
		for _, e := range zr.File {
			if !filepath.IsLocal(strings.TrimSuffix(e.Name, "/")) {
				t.Fatalf("accepted %q", e.Name)
			}
		}
	})
}

func TestCodeDirsRemovedWhenUnused(t *testing.T) {
	rt := newRuntime(t, Options{})
	zip1 := handlerZip(t)
	fn, err := rt.Create(CreateInput{Function: Function{FunctionName: "u", Runtime: "provided.al2023"}, ZipFile: zip1})
	if err != nil {
		t.Fatal(err)
	}
	invoke(t, rt, "u", `{}`)
	b, _ := os.ReadFile(handlerBin)
	zip2 := zipOf(t, map[string][]byte{"bootstrap": b, "VERSION": []byte("2")})
	_, err = rt.UpdateCode("u", zip2, "")
	if err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(rt.opts.DataDir, fn.CodeDir)
	waitUntil(t, "the old code directory removed", func() bool { _, err := os.Stat(old); return os.IsNotExist(err) })
	if res, _ := invoke(t, rt, "u", `{}`); res.FunctionError != "" {
		t.Fatalf("after the update: %s", res.Payload)
	}
	// The same zip under another name shares the directory; deleting one keeps it for the other.
	if _, err := rt.Create(CreateInput{Function: Function{FunctionName: "v", Runtime: "provided.al2023"}, ZipFile: zip2}); err != nil {
		t.Fatal(err)
	}
	if err := rt.Delete("u"); err != nil {
		t.Fatal(err)
	}
	if res, _ := invoke(t, rt, "v", `{}`); res.FunctionError != "" {
		t.Fatalf("the other function after the delete: %s", res.Payload)
	}
	if err := rt.Delete("v"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the code directories removed", func() bool {
		entries, _ := os.ReadDir(filepath.Join(rt.opts.DataDir, "functions"))
		return len(entries) == 0
	})
}

// waitUntil polls cond until it holds, failing after 10 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// A runtime that polls /next from several threads (aws-lambda-go does with
// AWS_LAMBDA_MAX_CONCURRENCY) runs that many invocations at once in one process.
func TestSeveralPollersPerProcess(t *testing.T) {
	rt := newRuntime(t, Options{})
	createCmd(t, rt, "mc", map[string]string{"AWS_LAMBDA_MAX_CONCURRENCY": "4"}, 5)
	_, first := invoke(t, rt, "mc", `{}`)
	var wg sync.WaitGroup
	pids := make([]any, 4)
	for i := range pids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := rt.Invoke(context.Background(), InvokeRequest{FunctionName: "mc", Payload: []byte(`{"op":"sleep","ms":300}`)})
			if err != nil || res.FunctionError != "" {
				t.Error(err, res)
				return
			}
			var m map[string]any
			json.Unmarshal(res.Payload, &m)
			pids[i] = m["pid"]
		}()
	}
	wg.Wait()
	for i, pid := range pids {
		if pid != first["pid"] {
			t.Errorf("invocation %d ran in pid %v, not the warm worker's %v", i, pid, first["pid"])
		}
	}
	p := rt.getPool("mc")
	p.mu.Lock()
	n, inflight := len(p.idle), p.idle[0].inflight
	p.mu.Unlock()
	if n != 1 || inflight != 0 {
		t.Fatalf("%d idle workers, %d invocations in flight after the burst", n, inflight)
	}
}

func TestLogFileRotates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.log")
	l, err := newFunctionLog(64, path, 100)
	if err != nil {
		t.Fatal(err)
	}
	defer l.close()
	line := []byte(strings.Repeat("x", 39) + "\n")
	for range 6 {
		l.Write(line)
	}
	cur, _ := os.ReadFile(path)
	old, _ := os.ReadFile(path + ".1")
	if len(cur) != 80 || len(old) != 80 {
		t.Fatalf("current %d bytes, previous %d bytes", len(cur), len(old))
	}
	// Reopening continues the current file's count.
	l.close()
	l, err = newFunctionLog(64, path, 100)
	if err != nil {
		t.Fatal(err)
	}
	l.Write(line)
	if cur, _ := os.ReadFile(path); len(cur) != 40 {
		t.Fatalf("after reopening: %d bytes", len(cur))
	}
}
