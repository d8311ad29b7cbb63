package observe

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the golden files under testdata/")

// AWS's console examples of access log formats, as written in its guide.
var awsFormats = map[string]string{
	"clf":  `$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime] "$context.httpMethod $context.resourcePath $context.protocol" $context.status $context.responseLength $context.requestId $context.extendedRequestId`,
	"json": `{ "requestId":"$context.requestId", "extendedRequestId":"$context.extendedRequestId", "ip": "$context.identity.sourceIp", "caller":"$context.identity.caller", "user":"$context.identity.user", "requestTime":"$context.requestTime", "httpMethod":"$context.httpMethod", "resourcePath":"$context.resourcePath", "status":"$context.status", "protocol":"$context.protocol", "responseLength":"$context.responseLength" }`,
	"xml":  `<request id="$context.requestId"> <extendedRequestId>$context.extendedRequestId</extendedRequestId> <ip>$context.identity.sourceIp</ip> <caller>$context.identity.caller</caller> <user>$context.identity.user</user> <requestTime>$context.requestTime</requestTime> <httpMethod>$context.httpMethod</httpMethod> <resourcePath>$context.resourcePath</resourcePath> <status>$context.status</status> <protocol>$context.protocol</protocol> <responseLength>$context.responseLength</responseLength> </request>`,
	"csv":  `$context.identity.sourceIp,$context.identity.caller,$context.identity.user,$context.requestTime,$context.httpMethod,$context.resourcePath,$context.protocol,$context.status,$context.responseLength,$context.requestId,$context.extendedRequestId`,
}

func sampleRecord() *Record {
	return &Record{
		RequestID: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", ExtendedRequestID: "OPwe_ErKvHcF5ZA=",
		AccountID: "000000000000", APIID: "abc123", Stage: "prod", DeploymentID: "dep001",
		DomainName: "abc123.execute-api.localhost", DomainPrefix: "abc123",
		HTTPMethod: "GET", Path: "/prod/pets/7", Protocol: "HTTP/1.1",
		ResourceID: "r1", ResourcePath: "/pets/{petId}", SourceIP: "127.0.0.1", UserAgent: `curl "x"`,
		Start:  time.Date(2020, 3, 4, 19, 15, 17, 0, time.UTC),
		Status: 200, ResponseLength: 42, Latency: 12 * time.Millisecond,
		Integrated: true, IntegrationLatency: 9 * time.Millisecond, IntegrationStatus: 200,
	}
}

func TestAWSFormatsGolden(t *testing.T) {
	var out strings.Builder
	for _, name := range []string{"clf", "csv", "json", "xml"} {
		line := string(CompileFormat(awsFormats[name]).Append(nil, sampleRecord()))
		switch name {
		case "json":
			var v map[string]string
			if err := json.Unmarshal([]byte(line), &v); err != nil {
				t.Fatalf("json line does not parse: %v\n%s", err, line)
			}
			if v["status"] != "200" || v["resourcePath"] != "/pets/{petId}" || v["caller"] != "-" {
				t.Errorf("json fields: %v", v)
			}
		case "xml":
			var v struct {
				ID     string `xml:"id,attr"`
				Status string `xml:"status"`
				IP     string `xml:"ip"`
			}
			if err := xml.Unmarshal([]byte(line), &v); err != nil {
				t.Fatalf("xml line does not parse: %v\n%s", err, line)
			}
			if v.ID != "c6af9ac6-7b61-11e6-9a41-93e8deadbeef" || v.Status != "200" || v.IP != "127.0.0.1" {
				t.Errorf("xml fields: %+v", v)
			}
		case "csv":
			if got := strings.Split(line, ","); len(got) != 11 || got[7] != "200" {
				t.Errorf("csv fields: %q", got)
			}
		}
		out.WriteString(name + "\n" + line + "\n")
	}
	golden(t, "aws_formats.golden", out.String())
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *rewrite {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -rewrite)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

func TestFormatVariables(t *testing.T) {
	r := sampleRecord()
	r.ErrorMessage, r.ErrorType = `Missing "Authentication" Token`, "MISSING_AUTHENTICATION_TOKEN"
	tests := []struct{ format, want string }{
		{"$context.requestId", "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"},
		{"$context.status.", "200."},
		{"$context.status$context.stage", "200prod"},
		{"$context.", "$context."},
		{"$context.nope $context.authorizer.principalId $context.waf.status", "- - -"},
		{"$context.responseLatency $context.integrationLatency $context.integration.latency", "12 9 9"},
		{"$context.integrationStatus $context.integration.status", "200 200"},
		{"$context.requestTime $context.requestTimeEpoch", "04/Mar/2020:19:15:17 +0000 1583349317000"},
		{"$context.error.message|$context.error.responseType", `Missing "Authentication" Token|MISSING_AUTHENTICATION_TOKEN`},
		{"$context.error.messageString", `"Missing \"Authentication\" Token"`},
		{`{"e":$context.error.messageString}`, `{"e":\"Missing \\\"Authentication\\\" Token\"}`},
		{`{"ua":"$context.identity.userAgent"}`, `{"ua":"curl \"x\""}`},
		{`<ua>$context.identity.userAgent</ua>`, `<ua>curl &quot;x&quot;</ua>`},
		{"a\nb $context.identity.apiKey", "a b -"},
		{"$context.path $context.domainPrefix $context.deploymentId", "/prod/pets/7 abc123 dep001"},
	}
	for _, tt := range tests {
		if got := string(CompileFormat(tt.format).Append(nil, r)); got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.format, got, tt.want)
		}
	}
}

// TestIAMCallerVariables: an IAM caller's $context.identity values, as AWS's CLF format logs
// them.
func TestIAMCallerVariables(t *testing.T) {
	r := sampleRecord()
	r.AccessKey, r.CallerAccountID, r.Caller, r.User, r.UserArn = "AKIAALICE", "111122223333", "AIDAALICE", "AIDAALICE", "arn:aws:iam::111122223333:user/alice"
	got := string(CompileFormat(awsFormats["clf"]).Append(nil, r))
	if !strings.HasPrefix(got, "127.0.0.1 AIDAALICE AIDAALICE [") {
		t.Errorf("clf: %s", got)
	}
	format := "$context.identity.accessKey $context.identity.accountId $context.identity.userArn"
	if got := string(CompileFormat(format).Append(nil, r)); got != "AKIAALICE 111122223333 arn:aws:iam::111122223333:user/alice" {
		t.Errorf("got %q", got)
	}
	if got := string(CompileFormat(format).Append(nil, sampleRecord())); got != "- - -" {
		t.Errorf("no caller: %q", got)
	}
}

func TestAbsentIntegration(t *testing.T) {
	r := &Record{RequestID: "x"}
	got := string(CompileFormat("$context.status $context.integrationLatency $context.integrationStatus $context.responseLength").Append(nil, r))
	if got != "- - - 0" {
		t.Errorf("got %q", got)
	}
}

func FuzzCompileFormat(f *testing.F) {
	for _, s := range awsFormats {
		f.Add(s, "v")
	}
	f.Add("$context.$context..", "\x00\xff\"<")
	f.Fuzz(func(t *testing.T, format, value string) {
		r := sampleRecord()
		r.UserAgent, r.ErrorMessage = value, value
		line := CompileFormat(format).Append(nil, r)
		if bytes.ContainsAny(line, "\n\r") {
			t.Fatalf("line break in %q", line)
		}
		if strings.HasPrefix(format, "{") {
			// A value inside a JSON string never ends it early.
			f2 := CompileFormat(`{"v":"$context.identity.userAgent"}`)
			var v map[string]string
			if err := json.Unmarshal(f2.Append(nil, r), &v); err != nil {
				t.Fatalf("json: %v", err)
			}
		}
	})
}

func TestSinkNeverBlocks(t *testing.T) {
	stuck := &blockingWriter{release: make(chan struct{}), entered: make(chan struct{}, 1)}
	sinks := NewSinks(SinkOptions{Default: stuck, QueueLines: 4})
	k, err := sinks.For("arn:aws:logs:us-east-1:000000000000:log-group:x")
	if err != nil {
		t.Fatal(err)
	}
	f := CompileFormat("$context.requestId")
	done := make(chan struct{})
	go func() {
		// The writer holds one line and the queue four; 100 lines would block a naive sink.
		for i := 0; i < 100; i++ {
			k.Log(f, sampleRecord())
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("logging blocked on a stuck destination")
	}
	if d := sinks.Dropped(); d < 100-5-64 {
		t.Errorf("dropped %d lines, want most of 100", d)
	}
	close(stuck.release)
	if err := sinks.Close(); err != nil {
		t.Fatal(err)
	}
	if w, d := sinks.Written(), sinks.Dropped(); w+d != 100 {
		t.Errorf("%d lines written and %d dropped, want the 100 logged", w, d)
	}
}

type blockingWriter struct {
	release chan struct{}
	entered chan struct{}
	buf     bytes.Buffer
}

func (w *blockingWriter) Write(b []byte) (int, error) {
	select {
	case w.entered <- struct{}{}:
	default:
	}
	<-w.release
	return w.buf.Write(b)
}

func TestFileSinkRotates(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "access.log")
	sinks := NewSinks(SinkOptions{MaxFileBytes: 100})
	k, err := sinks.For("file://" + p)
	if err != nil {
		t.Fatal(err)
	}
	if k2, _ := sinks.For("file://" + p); k2 != k {
		t.Error("the same destination got two sinks")
	}
	f := CompileFormat("$context.requestId")
	for i := 0; i < 5; i++ {
		k.Log(f, sampleRecord()) // 37 bytes a line
	}
	if err := sinks.Close(); err != nil {
		t.Fatal(err)
	}
	// The file is past its limit now: the next line moves it aside.
	sinks = NewSinks(SinkOptions{MaxFileBytes: 100})
	k, err = sinks.For("file://" + p)
	if err != nil {
		t.Fatal(err)
	}
	k.Log(f, sampleRecord())
	if err := sinks.Close(); err != nil {
		t.Fatal(err)
	}
	cur, _ := os.ReadFile(p)
	old, _ := os.ReadFile(p + ".1")
	if strings.Count(string(cur), "\n") != 1 || strings.Count(string(old), "\n") != 5 {
		t.Errorf("rotation: current %q, previous %q", cur, old)
	}
	if _, err := NewSinks(SinkOptions{}).For("file://" + filepath.Join(dir, "no", "such", "dir")); err == nil {
		t.Error("an unopenable file was accepted")
	}
}

func TestHTTPSinkBatches(t *testing.T) {
	var mu sync.Mutex
	var posts []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		posts = append(posts, r.Method+" "+r.Header.Get("Content-Type")+"\n"+string(b))
		mu.Unlock()
	}))
	defer srv.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer failing.Close()

	sinks := NewSinks(SinkOptions{BatchInterval: time.Hour}) // only Close sends
	ok, err := sinks.For(srv.URL + "/logs")
	if err != nil {
		t.Fatal(err)
	}
	bad, err := sinks.For(failing.URL)
	if err != nil {
		t.Fatal(err)
	}
	f := CompileFormat("$context.requestId")
	for i := 0; i < 10; i++ {
		r := sampleRecord()
		r.RequestID = fmt.Sprint("id-", i)
		ok.Log(f, r)
		bad.Log(f, r)
	}
	if err := sinks.Close(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := "POST application/x-ndjson\nid-0\nid-1\nid-2\nid-3\nid-4\nid-5\nid-6\nid-7\nid-8\nid-9\n"
	if len(posts) != 1 || posts[0] != want {
		t.Errorf("posts %q, want one batch %q", posts, want)
	}
	if d := sinks.Dropped(); d != 10 {
		t.Errorf("dropped %d, want the 10 lines the failing endpoint refused", d)
	}
	if w := sinks.Written(); w != 10 {
		t.Errorf("written %d, want the 10 lines the working endpoint took", w)
	}
}

func TestHTTPSinkLingers(t *testing.T) {
	got := make(chan string, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- string(b)
	}))
	defer srv.Close()
	sinks := NewSinks(SinkOptions{BatchInterval: 20 * time.Millisecond})
	defer sinks.Close()
	k, err := sinks.For(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	k.Log(CompileFormat("$context.stage"), sampleRecord())
	select {
	case b := <-got:
		if b != "prod\n" {
			t.Errorf("batch %q", b)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a lingering batch was never sent")
	}
}

func TestCLFTime(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2020, 3, 4, 19, 15, 17, 0, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 999, time.FixedZone("x", -7*3600)),
		time.Date(5, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		want := tm.UTC().Format("02/Jan/2006:15:04:05 -0700")
		if got := string(appendCLFTime(nil, tm)); got != want {
			t.Errorf("%v: %q, want %q", tm, got, want)
		}
	}
}
