package observe

import "testing"

// authorizerValues is an authorizer's answer as the gateway exposes it.
type authorizerValues map[string]string

func (a authorizerValues) Value(name string) string { return a[name] }

// TestAuthorizerVariables: $context.authorizer.* come from the record's authorizer, escaped for
// the format; absent ones, or all of them without an authorizer, render "-".
func TestAuthorizerVariables(t *testing.T) {
	r := sampleRecord()
	const format = `{"p":"$context.authorizer.principalId","e":"$context.authorizer.claims.email","t":"$context.authorizer.tenant","x":"$context.authorizer.claims.nope"}`
	if got, want := string(CompileFormat(format).Append(nil, r)), `{"p":"-","e":"-","t":"-","x":"-"}`; got != want {
		t.Errorf("no authorizer: got %s, want %s", got, want)
	}
	r.Authorizer = authorizerValues{"principalId": "alice", "claims.email": `a"b@example.com`, "tenant": "t1"}
	if got, want := string(CompileFormat(format).Append(nil, r)), `{"p":"alice","e":"a\"b@example.com","t":"t1","x":"-"}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if got, want := string(CompileFormat("$context.authorizer.claims.email.").Append(nil, r)), `a"b@example.com.`; got != want {
		t.Errorf("trailing dot: got %s, want %s", got, want)
	}
}
