package vtl

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func mustParse(t testing.TB, src string) *Template {
	t.Helper()
	tpl, err := Parse("t", src)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func TestCRLF(t *testing.T) {
	tpl := mustParse(t, "#set($a = 1)\r\n$a#if(true)\r\nx#end\r\ny\r\n")
	got, err := tpl.RenderString(nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "1xy\r\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestScopeWriteBack(t *testing.T) {
	tpl := mustParse(t, `#set($out = "v$in")#set($m.k = 1)#define($d)x#end`)
	s := NewScope()
	s.Set("in", "1")
	m := NewMap(0)
	s.Set("m", m)
	if _, err := tpl.RenderString(s); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Get("out"); v != "v1" {
		t.Fatalf("out = %v", v)
	}
	if v, _ := m.Get("k"); v != int64(1) {
		t.Fatalf("m.k = %v", v)
	}
}

func TestErrorTypes(t *testing.T) {
	_, err := Parse("req.vtl", "\n  #if(")
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 2 || pe.Col != 7 || err.Error() != "req.vtl:2:7: expected a value, found end of template" {
		t.Fatalf("got %#v (%v)", err, err)
	}
	tpl := mustParse(t, "ok\n $host.fail()")
	s := NewScope()
	s.Set("host", &testHost{})
	var buf bytes.Buffer
	err = tpl.Render(&buf, s)
	var re *RenderError
	if !errors.As(err, &re) || re.Line != 2 || re.Col != 7 || re.Err == nil || re.Err.Error() != "host failure" {
		t.Fatalf("got %#v (%v)", err, err)
	}
	if buf.Len() != 0 {
		t.Fatalf("partial output written: %q", buf.String())
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("closed") }

func TestWriterError(t *testing.T) {
	if err := mustParse(t, "x").Render(failWriter{}, nil); err == nil || err.Error() != "closed" {
		t.Fatalf("got %v", err)
	}
}

// A Template is shared by concurrent renders, each with its own Scope.
func TestConcurrentRenders(t *testing.T) {
	tpl := mustParse(t, `#set($acc = [])#foreach($i in [1..50])#set($ok = $acc.add("${n}-$i"))#end$acc.size() $acc[49]`)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for k := 0; k < 50; k++ {
				s := NewScope()
				s.Set("n", int64(g))
				got, err := tpl.RenderString(s)
				if want := fmt.Sprintf("50 %d-50", g); err != nil || got != want {
					t.Errorf("got %q, %v; want %q", got, err, want)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}

func TestToStringAndJSON(t *testing.T) {
	m := NewMap(0)
	m.Put("s", "a\"b\n")
	m.Put("l", &List{Items: []any{int64(1), 2.5, nil, true}})
	m.Put("n", nil)
	if got, want := ToString(m), `{s=a"b`+"\n"+`, l=[1, 2.5, null, true], n=null}`; got != want {
		t.Fatalf("ToString = %q, want %q", got, want)
	}
	if got, want := string(AppendJSON(nil, m)), `{"s":"a\"b\n","l":[1,2.5,null,true],"n":null}`; got != want {
		t.Fatalf("AppendJSON = %s, want %s", got, want)
	}
}

func TestJavaDouble(t *testing.T) {
	for f, want := range map[float64]string{
		1: "1.0", 0.1: "0.1", 100: "100.0", 249.99: "249.99", 1e7: "1.0E7", 9999999: "9999999.0",
		0.001: "0.001", 0.0001: "1.0E-4", 1.5e-10: "1.5E-10", -2.5: "-2.5", 123456789.123: "1.23456789123E8",
	} {
		if got := string(appendDouble(nil, f)); got != want {
			t.Errorf("%v: got %s, want %s", f, got, want)
		}
	}
}

func TestMapOrderAndIndex(t *testing.T) {
	m := NewMap(0)
	for i := 0; i < 40; i++ {
		m.Put(fmt.Sprint("k", i), int64(i))
	}
	m.Remove("k3")
	m.Put("k0", "zero")
	if v, _ := m.Get("k39"); v != int64(39) || m.Len() != 39 || m.Keys()[3] != "k4" {
		t.Fatalf("map broken: len %d, keys %v", m.Len(), m.Keys()[:5])
	}
	if v, _ := m.Get("k0"); v != "zero" || m.Keys()[0] != "k0" {
		t.Fatal("put moved or lost k0")
	}
	if _, ok := m.Get("k3"); ok {
		t.Fatal("k3 not removed")
	}
}

func TestTracer(t *testing.T) {
	tpl := mustParse(t, "#macro(m $a)$a#end#m(1)#define($d)x#end#foreach($i in [1])#break#end#stop")
	var kinds []string
	s := NewScope()
	s.Tracer = func(e TraceEvent) { kinds = append(kinds, e.Kind) }
	if _, err := tpl.RenderString(s); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(kinds, ","); got != "macro,define,foreach,item,break,stop" {
		t.Fatalf("trace kinds %s", got)
	}
}

// Hostile templates finish quickly with an error, whatever they try.
func TestHostileTemplates(t *testing.T) {
	for _, src := range []string{
		strings.Repeat("#if(true)", 10000),
		strings.Repeat("(", 10000),
		"#set($x = " + strings.Repeat("[", 5000),
		"#macro(a)#a()#a()#end#a()",
		"#set($l = [1])#foreach($i in [1..1000])#set($ok = $l.addAll($l))#end",
		"#set($s = 'x')#foreach($i in [1..100])#set($s = \"$s$s\")#end",
		"#set($l = [[1]])#foreach($i in [1..60])#set($l = [$l, $l])#end$l",
		"#set($l = [[1]])#foreach($i in [1..60])#set($l = [$l, $l])#end#if($l == $l.clone())#end#set($b = $l.contains([1]))",
		"#foreach($a in [1..1000])#foreach($b in [1..1000])#end#end",
	} {
		start := time.Now()
		tpl, err := Parse("h", src)
		if err == nil {
			_, err = tpl.RenderString(nil)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%.40q took %v", src, d)
		}
		_ = err
	}
}

func TestMapOf(t *testing.T) {
	chunkK := []string{"a", "b", "c", "x"}
	chunkV := []any{int64(1), int64(2), int64(3), "neighbour"}
	m := MapOf(chunkK[:3], chunkV[:3])
	m.Put("d", int64(4))
	if chunkK[3] != "x" || chunkV[3] != "neighbour" {
		t.Fatal("Put wrote into the neighbouring chunk")
	}
	if got := ToString(m); got != "{a=1, b=2, c=3, d=4}" {
		t.Fatalf("got %s", got)
	}
	var keys []string
	var vals []any
	for i := 0; i < 30; i++ {
		keys = append(keys, fmt.Sprint("k", i))
		vals = append(vals, int64(i))
	}
	var bulk [2]Map
	bulk[0].Init(keys, vals)
	if v, ok := bulk[0].Get("k29"); !ok || v != int64(29) {
		t.Fatalf("large adopted map: %v %v", v, ok)
	}
	bulk[1].Init(nil, nil)
	if bulk[1].Len() != 0 || ToString(&bulk[1]) != "{}" {
		t.Fatal("empty adopted map")
	}
}
