package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

type opKind uint8

const (
	opIP opKind = iota
	opStringEquals
	opStringEqualsIgnoreCase
	opStringLike
	opBool
)

// condition is one operator applied to one key: true when any value matches (negated for
// the Not operators).
type condition struct {
	op       opKind
	negate   bool
	ifExists bool
	key      string // lower-cased: IAM condition keys are case-insensitive
	values   []string
	prefixes []netip.Prefix
}

var operators = map[string]struct {
	op     opKind
	negate bool
}{
	"IpAddress":                 {opIP, false},
	"NotIpAddress":              {opIP, true},
	"StringEquals":              {opStringEquals, false},
	"StringNotEquals":           {opStringEquals, true},
	"StringEqualsIgnoreCase":    {opStringEqualsIgnoreCase, false},
	"StringNotEqualsIgnoreCase": {opStringEqualsIgnoreCase, true},
	"StringLike":                {opStringLike, false},
	"StringNotLike":             {opStringLike, true},
	"Bool":                      {opBool, false},
}

func parseConditions(raw json.RawMessage) ([]condition, error) {
	var block map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &block); err != nil {
		return nil, errors.New("Condition must map operators to {key: value(s)}")
	}
	var out []condition
	ops := make([]string, 0, len(block))
	for name := range block {
		ops = append(ops, name)
	}
	sort.Strings(ops)
	for _, name := range ops {
		base, ifExists := strings.CutSuffix(name, "IfExists")
		spec, ok := operators[base]
		if !ok {
			return nil, fmt.Errorf("unsupported condition operator %s", name)
		}
		for key, v := range block[name] {
			values, err := conditionValues(v)
			if err != nil {
				return nil, fmt.Errorf("Condition %s %s: %v", name, key, err)
			}
			c := condition{op: spec.op, negate: spec.negate, ifExists: ifExists, key: strings.ToLower(key), values: values}
			switch spec.op {
			case opIP:
				if c.key != "aws:sourceip" {
					return nil, fmt.Errorf("Condition %s applies to aws:SourceIp, not %s", name, key)
				}
				for _, s := range values {
					pfx, err := parsePrefix(s)
					if err != nil {
						return nil, fmt.Errorf("Condition %s %s: %q is not an IP address or CIDR block", name, key, s)
					}
					c.prefixes = append(c.prefixes, pfx)
				}
			case opBool:
				for _, s := range values {
					if !strings.EqualFold(s, "true") && !strings.EqualFold(s, "false") {
						return nil, fmt.Errorf("Condition %s %s: %q is not true or false", name, key, s)
					}
				}
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// conditionValues reads a value or a list of values; IAM accepts numbers and booleans as
// strings.
func conditionValues(raw json.RawMessage) ([]string, error) {
	var one any
	if err := json.Unmarshal(raw, &one); err != nil {
		return nil, err
	}
	list, isList := one.([]any)
	if !isList {
		list = []any{one}
	}
	if len(list) == 0 {
		return nil, errors.New("no values")
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case bool, float64:
			out = append(out, fmt.Sprint(v))
		default:
			return nil, errors.New("values must be strings")
		}
	}
	return out, nil
}

// parsePrefix reads an address or a CIDR block; an address is a block of one.
func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func (c *condition) holds(r *Request) bool {
	var value string
	present := false
	if c.op == opIP {
		present = r.SourceIP.IsValid()
	} else if r.Key != nil {
		value, present = r.Key(c.key)
	}
	if !present {
		return c.ifExists || c.negate
	}
	return c.matchAny(r, value) != c.negate
}

func (c *condition) matchAny(r *Request, value string) bool {
	switch c.op {
	case opIP:
		ip := r.SourceIP.Unmap()
		for _, p := range c.prefixes {
			if p.Contains(ip) {
				return true
			}
		}
		return false
	case opBool:
		for _, v := range c.values {
			if strings.EqualFold(v, value) {
				return true
			}
		}
		return false
	}
	for _, v := range c.values {
		switch c.op {
		case opStringEquals:
			if v == value {
				return true
			}
		case opStringEqualsIgnoreCase:
			if strings.EqualFold(v, value) {
				return true
			}
		case opStringLike:
			if Match(v, value) {
				return true
			}
		}
	}
	return false
}
