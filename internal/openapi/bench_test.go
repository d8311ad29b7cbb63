package openapi

import (
	"fmt"
	"strings"
	"testing"
)

// largeSpec is a Swagger document with n resources, each with a MOCK method and a model.
func largeSpec(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"swagger": "2.0", "info": {"title": "large"}, "paths": {`)
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"/r%d/{id}": {"get": {"parameters": [{"name": "id", "in": "path"}], "responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/M%d"}}}, "x-amazon-apigateway-integration": {"type": "mock", "requestTemplates": {"application/json": "{\"statusCode\": 200}"}, "responses": {"default": {"statusCode": "200"}}}}}`, i, i)
	}
	b.WriteString(`}, "definitions": {`)
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"M%d": {"type": "object", "properties": {"id": {"type": "string"}}}`, i)
	}
	b.WriteString("}}")
	return []byte(b.String())
}

func BenchmarkImport(b *testing.B) {
	body := largeSpec(1000)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := Import(body, ImportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkExport(b *testing.B) {
	doc, err := Import(largeSpec(1000), ImportOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Export(doc, ExportOptions{Type: "oas30", Extensions: "apigateway"}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLargeMerge merges a large document onto itself: every path exists, nothing is added.
func TestLargeMerge(t *testing.T) {
	body := largeSpec(2000)
	doc, err := Import(body, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	merged, err := Put(doc, body, "merge", ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(merged.Resources) != len(doc.Resources) || len(merged.Resources) != 4001 {
		t.Errorf("merge onto itself: %d resources, had %d", len(merged.Resources), len(doc.Resources))
	}
}
