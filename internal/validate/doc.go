// Package validate is REST request validation as API Gateway does it: required method request
// parameters, and request bodies checked against the API's models (JSON Schema draft 4),
// compiled once at deploy.
//
// Behaviour where AWS leaves a choice, and what was chosen:
//
//   - Models are JSON Schema draft 4 whatever their "$schema" says is missing. A model refers to
//     another of the same API as https://apigateway.amazonaws.com/restapis/{apiId}/models/{name};
//     references may be circular. Nothing is ever fetched: a reference to any other URL makes the
//     model fail to compile.
//   - CheckModel is what the management API runs at CreateModel and UpdateModel, so that a model
//     validation could not use is refused there in AWS's words ("Model reference must be in
//     canonical form", "Invalid model schema specified") rather than failing at deploy.
//   - minItems and maxItems are enforced. AWS's note that they are "not included in simple
//     request validation" concerns OpenAPI import, which drops them; a model created or updated
//     with them is validated with them.
//   - Model selection: the request's media type (parameters dropped, application/json when
//     absent) names the model in requestModels, else "$default". When the method declares
//     models but none fits, the body is not validated (AWS: "If no matching content type is
//     found, request validation is not performed"). A method that declares no models at all is
//     validated against the Empty model (a JSON object), which also accepts an empty body so
//     bodiless requests pass.
//   - An empty body checked against a declared model, or a body that is not JSON, fails with the
//     detail "Unknown error parsing request body", the text AWS logs for an empty body.
//   - Detail strings ($context.error.validationErrorString) use the wording of the validator AWS
//     runs (java-json-tools json-schema-validator: "object has missing required properties
//     ([\"name\"])", "instance type (string) does not match any allowed primitive type
//     (allowed: [\"integer\"])"), one message per failed keyword, comma-separated inside
//     brackets, ordered by the instance's JSON pointer and then by text. allOf, anyOf, oneOf and
//     not report one message for the keyword, not the messages of their subschemas. At most
//     100 messages are kept, so a huge faulty body cannot make a huge detail.
//   - The JSON Schema library compiles models (references, regular expressions, formats);
//     validation walks the compiled schemas itself (walk.go) over the body parsed into a flat,
//     pooled tape of tokens (tape.go), reading keys, strings and numbers where they are
//     written. A valid body thus costs no allocation, but for strings checked against a format
//     (the library's checks take a copy) and uniqueItems over more than 16 items; an invalid
//     one stops collecting at the cap. A key repeated in an object counts once, with its last
//     value, as encoding/json reads it. A body of 4 GiB or more, beyond the tape's offsets, is
//     not parsed. Numbers compare exactly (1 equals 1.0 for enum and uniqueItems); "integer"
//     means written without fraction or exponent, as json-schema-validator reads JSON. A model
//     whose "$schema" names another draft is refused, as is one that can reach itself without
//     moving into the instance ({"$ref": "#"}), which would never finish. One validation may
//     visit at most 64 schema nodes per body byte (plus 65536): combinators nested over a deep
//     body fail it with "validation of the request body exceeded its work limit" instead of
//     running for exponential time.
//   - Required parameters: present and not empty (a header or query string given as "" is
//     missing). The message lists the missing names in the order of their full keys
//     (method.request.header.* before path before querystring, each sorted), which is the
//     order AWS-recorded responses show.
//
// validate imports only the model (and the JSON Schema library); it must never import the
// runtime, the gateway, the store or the management API.
package validate
