// Package mock is the MOCK integration: the (rendered) request body names the status code the
// integration answers with, {"statusCode": 200}; integration response selection then runs on
// that status as for any non-proxy integration.
//
// mock imports only the standard library; it must never import the gateway or the store.
package mock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
)

// ErrNoStatus means the body names no integer statusCode.
var ErrNoStatus = errors.New("mock: unable to parse statusCode: it must be an integer defined in the request template")

// lenientStatus finds statusCode in an object that is not quite JSON. AWS does not parse the
// body as JSON: CDK's CORS preflight template {statusCode: 200} (unquoted key) works on AWS
// (localstack#11967 records it), so an unquoted or single-quoted key is accepted too.
var lenientStatus = regexp.MustCompile(`^\s*\{(?:[^{}]*?[,\s{])?["']?statusCode["']?\s*:\s*(-?[0-9]+)\s*[,}]`)

// ParseStatus reads the status code from a MOCK request body: an object whose statusCode member
// is an integer. Any integer is taken (AWS accepts negative ones too); the integration response
// selected for it decides what the client sees. Other members are ignored.
func ParseStatus(body []byte) (int, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return 0, ErrNoStatus
	}
	var doc struct {
		StatusCode json.RawMessage `json:"statusCode"`
	}
	raw := ""
	if err := json.Unmarshal(body, &doc); err == nil {
		raw = string(doc.StatusCode)
	} else if m := lenientStatus.FindSubmatch(body); m != nil {
		raw = string(m[1])
	} else {
		return 0, fmt.Errorf("%w (%v)", ErrNoStatus, err)
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		return 0, ErrNoStatus
	}
	return n, nil
}
