// Package openapi turns OpenAPI 3.0 and Swagger 2.0 documents (JSON or YAML) with AWS's
// x-amazon-apigateway-* extensions into the model's APIDoc, and an APIDoc back into either
// format, as API Gateway's ImportRestApi, PutRestApi and GetExport do.
//
// Documents are decoded into plain maps (encoding/json for JSON, gopkg.in/yaml.v3 for YAML) rather
// than a typed OpenAPI library: AWS's extensions live beside the standard fields in every object,
// the importer must see exactly what the author wrote (a 200 written as a YAML integer, a boolean
// written as a string), and plain values are cheap to fuzz. Import validates as AWS does: a
// document with errors creates nothing and is refused with an *InputError carrying AWS's
// BadRequestException text ("Errors found during import:" followed by each error on its own
// tab-indented line); things that are ignored become RestApi.Warnings, which FailOnWarnings turns
// into an error. Inline body schemas become generated models named after their content
// ("Model" + hash), so a request body can still be validated.
//
// openapi imports only the model (and yaml.v3); it must never import the store, the management
// API or the data plane.
package openapi

import (
	"errors"

	"github.com/portico/portico/internal/model"
)

// ImportOptions are the import parameters AWS takes on the query string.
type ImportOptions struct {
	// BasePath is "ignore" (default), "prepend" or "split": what to do with the document's base
	// path (Swagger basePath, or the path of the first OpenAPI 3 server URL).
	BasePath string
	// FailOnWarnings turns warnings into an error.
	FailOnWarnings bool
	// EndpointConfigurationTypes overrides the endpoint type ("EDGE", "REGIONAL", "PRIVATE").
	EndpointConfigurationTypes string
	// MaxTimeoutInMillis is the highest timeoutInMillis an integration may set: AWS's 29000
	// when zero; a server that raises its integration timeout cap raises it.
	MaxTimeoutInMillis int64
}

// maxTimeout returns the timeoutInMillis cap in force.
func (o ImportOptions) maxTimeout() int64 {
	if o.MaxTimeoutInMillis > 0 {
		return o.MaxTimeoutInMillis
	}
	return defaultTimeout
}

// InputError is a document Portico refuses; its message is AWS's BadRequestException text.
type InputError struct{ Message string }

func (e *InputError) Error() string { return e.Message }

// Import parses a document into a new APIDoc with freshly generated ids (RestApi.Id and the root
// resource included). The warnings AWS would list are in the doc's RestApi.Warnings.
func Import(body []byte, opts ImportOptions) (*model.APIDoc, error) {
	p, err := parse(body, opts, model.NewID(10))
	if err != nil {
		return nil, err
	}
	return p.doc, nil
}

// Put applies a document to an existing API as PutRestApi does: mode "overwrite" replaces the
// definition (keeping the API's id and creation date), mode "merge" (the default) adds the
// document's paths, methods, models and settings to what is there, the document winning on
// conflicts. The existing doc is not modified; the result is returned.
func Put(existing *model.APIDoc, body []byte, mode string, opts ImportOptions) (*model.APIDoc, error) {
	if existing == nil {
		return nil, errors.New("openapi: put onto a nil definition")
	}
	return put(existing, body, mode, opts)
}

// ExportOptions are GetExport's parameters.
type ExportOptions struct {
	// Type is "oas30" or "swagger".
	Type string
	// YAML selects YAML output (Accept: application/yaml); JSON otherwise.
	YAML bool
	// Extensions is AWS's `extensions` parameter: "" (none), "integrations", "apigateway",
	// "authorizers" or "postman". "integrations" and "apigateway" add the
	// x-amazon-apigateway-* extensions.
	Extensions string
	// Host and BasePath describe the stage's invoke URL (servers[0] / host+basePath).
	Host, BasePath string
	// StageName names the stage exported (goes into info and the server variables).
	StageName string
}

// Export renders a deployed API definition. Output is deterministic (keys sorted), so equal
// definitions export to equal bytes.
func Export(doc *model.APIDoc, opts ExportOptions) ([]byte, error) {
	if doc == nil {
		return nil, errors.New("openapi: export of a nil definition")
	}
	return exportDoc(compact(doc), opts)
}
