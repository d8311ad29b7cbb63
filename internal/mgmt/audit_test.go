package mgmt

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestAuditRequestParameters(t *testing.T) {
	big := `{"x":"` + strings.Repeat("a", maxAuditedBody) + `"}`
	tests := []struct {
		op     string
		params map[string]string
		query  map[string][]string
		body   string
		want   string
	}{
		{"CreateApiKey", nil, nil, `{"name":"k","value":"s3cret","enabled":true}`,
			`{"enabled":true,"name":"k","value":"***"}`},
		{"UpdateApiKey", map[string]string{"key": "k1"}, nil, `{"patchOperations":[{"op":"replace","path":"/description","value":"d"}]}`,
			`{"apiKey":"k1","patchOperations":[{"op":"replace","path":"/description","value":"d"}]}`},
		{"PutIntegration", map[string]string{"api": "a", "res": "r", "verb": "GET"}, nil,
			`{"type":"HTTP","nested":{"clientSecret":"x","list":[{"password":"p","accessToken":"t"}]}}`,
			`{"httpMethod":"GET","nested":{"clientSecret":"***","list":[{"accessToken":"***","password":"***"}]},"resourceId":"r","restApiId":"a","type":"HTTP"}`},
		{"ImportApiKeys", nil, map[string][]string{"mode": {"import"}, "format": {"csv"}}, "name,key\nk,s3cret\n",
			`{"body":{"bytes":18},"format":"csv","mode":"import"}`},
		{"ImportRestApi", nil, map[string][]string{"mode": {"import"}}, "openapi: 3.0.1\n",
			`{"body":{"bytes":15,"sha256":"d8f0b4a5a9a3ea44d1b0f8c8e6f9d8b1d2ac07e4c6a0ac3b3e2d37ed9c1dc4e5"},"mode":"import"}`},
		{"PutRestApi", map[string]string{"api": "a"}, nil, big, ""},
		{"DeleteUsagePlanKey", map[string]string{"plan": "p", "key": "k"}, nil, "", `{"keyId":"k","usagePlanId":"p"}`},
		{"GetExport", map[string]string{"type": "oas30"}, nil, "", `{"exportType":"oas30"}`},
		{"PutGatewayResponse", map[string]string{"type": "DEFAULT_4XX"}, nil, "", `{"responseType":"DEFAULT_4XX"}`},
		{"DeleteRestApi", nil, nil, "", `null`},
		{"TestInvokeMethod", map[string]string{"api": "a", "res": "r", "verb": "GET"}, nil,
			`{"headers":{"Authorization":"Bearer t","X-Api-Key":"k","Accept":"*/*"},"multiValueHeaders":{"authorization":["a","b"]}}`,
			`{"headers":{"Accept":"*/*","Authorization":"***","X-Api-Key":"***"},"httpMethod":"GET","multiValueHeaders":{"authorization":"***"},"resourceId":"r","restApiId":"a"}`},
	}
	for _, tt := range tests {
		got, _ := json.Marshal(requestParameters(tt.op, tt.params, tt.query, []byte(tt.body)))
		switch {
		case tt.op == "ImportRestApi":
			// The digest itself is checked by its shape; the size exactly.
			if !strings.Contains(string(got), `"bytes":15,"sha256":"`) || len(got) != len(tt.want) {
				t.Errorf("%s: %s", tt.op, got)
			}
		case tt.op == "PutRestApi":
			if !strings.Contains(string(got), `"sha256"`) || strings.Contains(string(got), "aaaa") {
				t.Errorf("%s: a body past the limit is recorded as %.200s", tt.op, got)
			}
		case string(got) != tt.want:
			t.Errorf("%s: %s, want %s", tt.op, got, tt.want)
		}
	}
}

func TestSigningKey(t *testing.T) {
	for in, want := range map[string]string{
		"AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/apigateway/aws4_request, SignedHeaders=host, Signature=x": "AKID",
		"Bearer abc":                             "",
		"":                                       "",
		"Credential=":                            "",
		"Credential=" + strings.Repeat("A", 300): strings.Repeat("A", 128),
	} {
		if got := signingKey(in); got != want {
			t.Errorf("signingKey(%.40q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzAuditRequestParameters(f *testing.F) {
	f.Add("CreateApiKey", `{"value":"x","a":[{"secret":1}]}`)
	f.Add("ImportRestApi", "openapi: 3.0.1")
	f.Fuzz(func(t *testing.T, op, body string) {
		p := requestParameters(op, map[string]string{"api": "a"}, nil, []byte(body))
		if _, err := json.Marshal(p); err != nil {
			t.Fatalf("parameters do not encode: %v", err)
		}
		if op == "CreateApiKey" {
			var doc map[string]any
			if json.Unmarshal([]byte(body), &doc) == nil && len(body) <= maxAuditedBody {
				if v, ok := p["value"]; ok && v != "***" {
					t.Fatalf("API key value recorded: %v", v)
				}
			}
		}
	})
}
