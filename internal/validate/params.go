package validate

import (
	"fmt"
	"sort"
	"strings"
)

// Location says where a method request parameter is read from.
type Location uint8

// The locations of method request parameters.
const (
	Header Location = iota
	Path
	Query
)

// Param is one required method request parameter.
type Param struct {
	Loc  Location
	Name string
}

// RequiredParams returns the parameters a method's requestParameters mark required, in the
// order AWS lists missing ones: by full key (method.request.header.* < path.* < querystring.*).
// Keys that name no parameter location are an error.
func RequiredParams(requestParameters map[string]bool) ([]Param, error) {
	keys := make([]string, 0, len(requestParameters))
	for k, required := range requestParameters {
		if required {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]Param, 0, len(keys))
	for _, k := range keys {
		rest, ok := strings.CutPrefix(k, "method.request.")
		if !ok {
			return nil, fmt.Errorf("invalid method request parameter %q", k)
		}
		where, name, _ := strings.Cut(rest, ".")
		if name == "" {
			return nil, fmt.Errorf("invalid method request parameter %q", k)
		}
		var p Param
		switch where {
		case "header":
			p = Param{Header, name}
		case "path":
			p = Param{Path, name}
		case "querystring":
			p = Param{Query, name}
		case "multivalueheader":
			p = Param{Header, name}
		case "multivaluequerystring":
			p = Param{Query, name}
		default:
			return nil, fmt.Errorf("invalid method request parameter %q", k)
		}
		out = append(out, p)
	}
	return out, nil
}

// MissingMessage is AWS's message for missing required parameters.
func MissingMessage(names []string) string {
	return "Missing required request parameters: [" + strings.Join(names, ", ") + "]"
}
