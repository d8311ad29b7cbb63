package policy

import (
	"strings"
	"testing"
)

func TestParseIdentity(t *testing.T) {
	const m = arn + "/prod/GET/pets/7"
	cases := []struct {
		name, doc string
		want      Decision
		err       string
	}{
		{"allow", `{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"` + m + `"}]}`, Allow, ""},
		{"wildcard stage and path", `{"Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"` + arn + `/*/GET/*"}]}`, Allow, ""},
		{"other method", `{"Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"` + arn + `/prod/POST/pets/7"}]}`, ImplicitDeny, ""},
		{"deny among allows", `{"Statement":[{"Action":"*","Effect":"Allow","Resource":"*"},{"Action":["execute-api:Invoke"],"Effect":"Deny","Resource":["` + arn + `/*/GET/pets/*"]}]}`, ExplicitDeny, ""},
		{"single statement object", `{"Statement":{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"*"}}`, Allow, ""},
		{"principal refused", `{"Statement":[{"Principal":"*","Action":"execute-api:Invoke","Effect":"Allow","Resource":"*"}]}`, 0, "cannot name a Principal"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := ParseIdentity(c.doc)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Evaluate(&Request{Action: "execute-api:Invoke", Resource: m}); got != c.want {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
	if _, err := Parse(`{"Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"*"}]}`); err == nil {
		t.Fatal("a resource policy without Principal was accepted")
	}
}
