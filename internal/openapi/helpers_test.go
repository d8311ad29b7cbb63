package openapi

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/model"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the golden files under testdata/golden")

// stabilise replaces every random id of an imported doc by one derived from what it names (the
// API by "testapi001", resources by path order, models and validators by name order), and fixes
// the creation date, so golden files do not change between runs.
func stabilise(t *testing.T, d *model.APIDoc) *model.APIDoc {
	t.Helper()
	ids := map[string]string{d.RestApi.Id: "testapi001"}
	for i, r := range d.SortedResources() {
		if r.Path == "/" {
			ids[r.Id] = "rootres001"
		} else {
			ids[r.Id] = fmt.Sprintf("res%03d", i)
		}
	}
	names := sortedKeys(d.Models)
	for i, n := range names {
		ids[d.Models[n].Id] = fmt.Sprintf("mod%03d", i)
	}
	var vnames []string
	byName := map[string]*model.RequestValidator{}
	for _, v := range d.RequestValidators {
		vnames = append(vnames, v.Name)
		byName[v.Name] = v
	}
	sort.Strings(vnames)
	for i, n := range vnames {
		ids[byName[n].Id] = fmt.Sprintf("val%03d", i)
	}
	var anames []string
	authByName := map[string]*model.Authorizer{}
	for _, a := range d.Authorizers {
		anames = append(anames, a.Name)
		authByName[a.Name] = a
	}
	sort.Strings(anames)
	for i, n := range anames {
		ids[authByName[n].Id] = fmt.Sprintf("aut%03d", i)
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	// Longest first, so no id is replaced inside another.
	old := make([]string, 0, len(ids))
	for k := range ids {
		old = append(old, k)
	}
	sort.Slice(old, func(i, j int) bool { return len(old[i]) > len(old[j]) })
	for _, k := range old {
		s = strings.ReplaceAll(s, k, ids[k])
	}
	var out model.APIDoc
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		t.Fatal(err)
	}
	out.RestApi.CreatedDate = model.Epoch{Time: time.Unix(1700000000, 0).UTC()}
	return &out
}

// golden compares got with testdata/golden/name, or writes it with -rewrite.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *rewrite {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -rewrite to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the golden file (run with -rewrite to accept):\n%s", name, firstDiff(string(want), string(got)))
	}
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n want: %s\n  got: %s", i+1, w, g)
		}
	}
	return ""
}

func docJSON(t *testing.T, d *model.APIDoc) []byte {
	t.Helper()
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
