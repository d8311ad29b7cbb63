package runtime

import (
	"sync"
	"testing"
)

func TestTable(t *testing.T) {
	tb := NewTable()
	a1 := &API{ID: "a", Stage: "prod", DeploymentID: "d1"}
	tb.Set(a1)
	tb.Set(&API{ID: "a", Stage: "dev"})
	tb.Set(&API{ID: "b", Stage: "prod"})
	if tb.Lookup("a", "prod") != a1 || tb.Len() != 3 || tb.Lookup("a", "nope") != nil {
		t.Fatal("Set/Lookup")
	}
	a2 := &API{ID: "a", Stage: "prod", DeploymentID: "d2"}
	tb.ReplaceAPI("a", []*API{a2})
	if tb.Lookup("a", "prod") != a2 || tb.Lookup("a", "dev") != nil || tb.Lookup("b", "prod") == nil {
		t.Fatal("ReplaceAPI")
	}
	tb.Delete("b", "prod")
	tb.DeleteAPI("a")
	if tb.Len() != 0 {
		t.Fatal("Delete/DeleteAPI")
	}
	tb.ReplaceAll([]*API{a1})
	if tb.Lookup("a", "prod") != a1 || tb.Len() != 1 {
		t.Fatal("ReplaceAll")
	}
}

// TestTableConcurrent swaps a stage while readers look it up; run with -race. A reader always
// gets one of the two values, never nil.
func TestTableConcurrent(t *testing.T) {
	tb := NewTable()
	x, y := &API{ID: "a", Stage: "s", DeploymentID: "x"}, &API{ID: "a", Stage: "s", DeploymentID: "y"}
	tb.Set(x)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if a := tb.Lookup("a", "s"); a != x && a != y {
					t.Error("lookup during swap returned", a)
					return
				}
			}
		}()
	}
	for i := range 1000 {
		if i%2 == 0 {
			tb.Set(y)
		} else {
			tb.Set(x)
		}
	}
	close(stop)
	wg.Wait()
}
