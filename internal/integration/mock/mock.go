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
	"strconv"
)

// ErrNoStatus means the body is not a JSON object with an integer statusCode.
var ErrNoStatus = errors.New("mock: unable to parse statusCode: it must be an integer defined in the request template")

// ParseStatus reads the status code from a MOCK request body: a JSON object whose statusCode
// member is an integer from 100 to 599. Other members are ignored.
func ParseStatus(body []byte) (int, error) {
	var doc struct {
		StatusCode json.RawMessage `json:"statusCode"`
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return 0, ErrNoStatus
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return 0, fmt.Errorf("%w (%v)", ErrNoStatus, err)
	}
	n, err := strconv.Atoi(string(doc.StatusCode))
	if err != nil {
		return 0, ErrNoStatus
	}
	if n < 100 || n > 599 {
		return 0, fmt.Errorf("%w (statusCode %d is not an HTTP status)", ErrNoStatus, n)
	}
	return n, nil
}
