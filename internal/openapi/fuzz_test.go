package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzImport feeds arbitrary documents to Import: it must never panic, and it either refuses
// with an *InputError or returns a definition whose tree is well formed and that exports.
func FuzzImport(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.*"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"swagger":"2.0","info":{"title":"t"},"paths":{"/{a+}":{"get":{}}}}`))
	f.Add([]byte("openapi: 3.0.0\ninfo: {title: t}\npaths: {/a: {get: {responses: {200: {}}}}}"))
	base, err := Import(readTestdata(f, "petstore-oas30.yaml"), ImportOptions{})
	if err != nil {
		f.Fatal(err)
	}
	before, _ := json.Marshal(base)
	f.Fuzz(func(t *testing.T, body []byte) {
		// Put must refuse or apply, never panic, and never touch the existing definition.
		for _, mode := range []string{"merge", "overwrite"} {
			if _, err := Put(base, body, mode, ImportOptions{}); err != nil {
				var ie *InputError
				if !errors.As(err, &ie) {
					t.Fatalf("put %s: error %v is not an InputError", mode, err)
				}
			}
		}
		if after, _ := json.Marshal(base); !bytes.Equal(before, after) {
			t.Fatal("Put modified the existing definition")
		}
		doc, err := Import(body, ImportOptions{BasePath: "prepend"})
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is not an InputError", err)
			}
			return
		}
		if doc.Root() == nil {
			t.Fatal("imported definition has no root resource")
		}
		for _, r := range doc.Resources {
			if r.Path != "/" && doc.Resources[r.ParentId] == nil {
				t.Fatalf("resource %s has no parent", r.Path)
			}
		}
		for _, typ := range []string{"oas30", "swagger"} {
			out, err := Export(doc, ExportOptions{Type: typ, Extensions: "apigateway"})
			if err != nil {
				t.Fatalf("export %s: %v", typ, err)
			}
			if _, err := Import(out, ImportOptions{}); err != nil {
				t.Fatalf("the %s export of an imported document does not import: %v\n%s", typ, err, out)
			}
		}
	})
}
