// Package examples bundles the example API that `portico serve --example` deploys.
package examples

import _ "embed"

// PetStore is an OpenAPI 3 document whose routes all work offline: MOCK routes, and an
// HTTP_PROXY route that reaches them again through the stage variable "self".
//
//go:embed petstore.yaml
var PetStore []byte

// Name is PetStore's info.title; Stage is the stage it is deployed to.
const (
	Name  = "Portico example pet store"
	Stage = "demo"
)
