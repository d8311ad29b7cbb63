package policy

import "testing"

// caller supplies the principal keys of an IAM caller.
func caller(arn, account, userID string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		switch k {
		case "aws:principalarn":
			return arn, true
		case "aws:principalaccount":
			return account, true
		case "aws:userid":
			return userID, true
		}
		return "", false
	}
}

func TestPrincipals(t *testing.T) {
	const res = "arn:aws:execute-api:us-east-1:111122223333:api/prod/GET/pets"
	alice := caller("arn:aws:iam::111122223333:user/alice", "111122223333", "AIDAALICE")
	session := caller("arn:aws:iam::111122223333:role/reader", "111122223333", "AROAREADER:job-7")
	stranger := caller("arn:aws:iam::444455556666:user/bob", "444455556666", "AIDABOB")
	anonymous := func(string) (string, bool) { return "", false }
	doc := func(principal string) string {
		return `{"Statement":[{"Effect":"Allow","Principal":{"AWS":` + principal + `},"Action":"execute-api:Invoke","Resource":"*"}]}`
	}
	for _, tc := range []struct {
		name, principal string
		key             func(string) (string, bool)
		want            Decision
	}{
		{"user by ARN", `"arn:aws:iam::111122223333:user/alice"`, alice, Allow},
		{"another user", `"arn:aws:iam::111122223333:user/carol"`, alice, ImplicitDeny},
		{"account id", `"111122223333"`, alice, Allow},
		{"account root", `"arn:aws:iam::111122223333:root"`, session, Allow},
		{"other account", `"111122223333"`, stranger, ImplicitDeny},
		{"role covers its sessions", `"arn:aws:iam::111122223333:role/reader"`, session, Allow},
		{"session ARN", `"arn:aws:sts::111122223333:assumed-role/reader/job-7"`, session, Allow},
		{"another session", `"arn:aws:sts::111122223333:assumed-role/reader/job-8"`, session, ImplicitDeny},
		{"list", `["arn:aws:iam::999999999999:root","arn:aws:iam::111122223333:user/alice"]`, alice, Allow},
		{"anonymous is no IAM principal", `"111122223333"`, anonymous, ImplicitDeny},
		{"star", `"*"`, anonymous, Allow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(doc(tc.principal))
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Evaluate(&Request{Action: "execute-api:Invoke", Resource: res, Key: tc.key}); got != tc.want {
				t.Fatalf("decision = %v, want %v", got, tc.want)
			}
		})
	}
	// A service principal never applies to an invocation.
	p, err := Parse(`{"Statement":[{"Effect":"Deny","Principal":{"Service":"lambda.amazonaws.com"},"Action":"*","Resource":"*"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Evaluate(&Request{Action: "execute-api:Invoke", Resource: res, Key: alice}); got != ImplicitDeny {
		t.Fatalf("service principal applied: %v", got)
	}
}
