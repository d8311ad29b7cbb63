package gateway

import (
	"math"
	"strconv"

	"github.com/portico/portico/internal/jsonpath"
	"github.com/portico/portico/internal/observe"
)

// jsonDoc is a body decoded once, on the first mapping that reads into it.
type jsonDoc struct {
	v       any
	ok      bool
	decoded bool
}

// bodyPathValue evaluates a body JSONPath mapping (method.request.body.X,
// integration.response.body.X): a string match maps as its characters, any other value as
// compact JSON. A body that is not JSON, or a path that matches nothing, maps nothing.
func bodyPathValue(p *jsonpath.Path, body []byte, doc *jsonDoc) (string, bool) {
	if !doc.decoded {
		doc.decoded = true
		doc.v, doc.ok = nil, false
		if v, err := jsonpath.Decode(body, jsonpath.Plain); err == nil {
			doc.v, doc.ok = v, true
		}
	}
	if !doc.ok || p == nil {
		return "", false
	}
	v, ok := p.Eval(doc.v, jsonpath.Plain)
	if !ok || v == nil {
		return "", false
	}
	if s, isString := v.(string); isString {
		return s, true
	}
	return string(appendPlainJSON(nil, v)), true
}

// appendPlainJSON appends a value of jsonpath's Plain model as compact JSON.
func appendPlainJSON(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, v)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return append(b, "null"...)
		}
		return strconv.AppendFloat(b, v, 'g', -1, 64)
	case string:
		return observe.AppendJSONString(b, v)
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendPlainJSON(b, e)
		}
		return append(b, ']')
	case *jsonpath.Object:
		b = append(b, '{')
		for i, k := range v.Keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = observe.AppendJSONString(b, k)
			b = append(b, ':')
			b = appendPlainJSON(b, v.Vals[i])
		}
		return append(b, '}')
	}
	return append(b, "null"...)
}
