package policy

import (
	"net/netip"
	"strings"
	"testing"
)

const arn = "arn:aws:execute-api:us-east-1:123456789012:abcd123456"

func ipAllow(cidrs string) string {
	return `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"},
	 {"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*",
	  "Condition":{"NotIpAddress":{"aws:SourceIp":` + cidrs + `}}}]}`
}

func TestEvaluate(t *testing.T) {
	cases := []struct {
		name, doc, resource, ip string
		keys                    map[string]string
		want                    Decision
	}{
		{"allow all", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"*"}}`,
			arn + "/prod/GET/pets", "1.2.3.4", nil, Allow},
		{"nothing allows", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/prod/POST/*"}]}`,
			arn + "/prod/GET/pets", "1.2.3.4", nil, ImplicitDeny},
		{"shorthand stage and verb", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"execute-api:Invoke","Resource":"execute-api:/prod/GET/pets/*"}]}`,
			arn + "/prod/GET/pets/1", "1.2.3.4", nil, Allow},
		{"full arn with wildcards", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:*","Resource":"arn:aws:execute-api:*:*:abcd123456/*/GET/*"}]}`,
			arn + "/dev/GET/a/b/c", "1.2.3.4", nil, Allow},
		{"other api", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:execute-api:*:*:other/*"}]}`,
			arn + "/dev/GET/a", "1.2.3.4", nil, ImplicitDeny},
		{"question mark", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invok?","Resource":"execute-api:/prod/GET/pet?"}]}`,
			arn + "/prod/GET/pets", "1.2.3.4", nil, Allow},
		{"action case-insensitive", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"EXECUTE-API:invoke","Resource":"*"}]}`,
			arn + "/prod/GET/pets", "1.2.3.4", nil, Allow},
		{"other action", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:InvalidateCache","Resource":"*"}]}`,
			arn + "/prod/GET/pets", "1.2.3.4", nil, ImplicitDeny},
		{"root path", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/prod/GET/"}]}`,
			arn + "/prod/GET/", "1.2.3.4", nil, Allow},
		{"explicit deny wins", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*/DELETE/*"}]}`,
			arn + "/prod/DELETE/pets/1", "1.2.3.4", nil, ExplicitDeny},
		{"deny elsewhere", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*/DELETE/*"}]}`,
			arn + "/prod/GET/pets/1", "1.2.3.4", nil, Allow},
		{"ip inside v4 cidr", ipAllow(`["10.0.0.0/8","192.168.1.7"]`), arn + "/prod/GET/x", "10.20.30.40", nil, Allow},
		{"ip single address", ipAllow(`["10.0.0.0/8","192.168.1.7"]`), arn + "/prod/GET/x", "192.168.1.7", nil, Allow},
		{"ip outside", ipAllow(`["10.0.0.0/8","192.168.1.7"]`), arn + "/prod/GET/x", "192.168.1.8", nil, ExplicitDeny},
		{"ipv4-mapped ipv6 caller", ipAllow(`"127.0.0.1/32"`), arn + "/prod/GET/x", "::ffff:127.0.0.1", nil, Allow},
		{"ipv6 cidr", ipAllow(`["2001:db8::/32"]`), arn + "/prod/GET/x", "2001:db8:1::5", nil, Allow},
		{"ipv6 outside", ipAllow(`["2001:db8::/32"]`), arn + "/prod/GET/x", "2001:db9::5", nil, ExplicitDeny},
		{"v4 caller vs v6 block", ipAllow(`["2001:db8::/32"]`), arn + "/prod/GET/x", "10.0.0.1", nil, ExplicitDeny},
		{"IpAddress allow", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.0/24"}}}]}`,
			arn + "/prod/GET/x", "127.0.0.2", nil, Allow},
		{"IpAddress no allow", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.1/32"}}}]}`,
			arn + "/prod/GET/x", "127.0.0.2", nil, ImplicitDeny},
		{"NotResource", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","NotResource":"execute-api:/*/POST/*"}]}`,
			arn + "/prod/GET/x", "1.1.1.1", nil, Allow},
		{"NotResource excluded", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","NotResource":"execute-api:/*/POST/*"}]}`,
			arn + "/prod/POST/x", "1.1.1.1", nil, ImplicitDeny},
		{"NotAction", `{"Statement":[{"Effect":"Deny","Principal":"*","NotAction":"execute-api:Invoke","Resource":"*"},{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`,
			arn + "/prod/GET/x", "1.1.1.1", nil, Allow},
		{"specific principal never applies", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"*","Resource":"*"}]}`,
			arn + "/prod/GET/x", "1.1.1.1", nil, ImplicitDeny},
		{"principal list with star", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::1:root","*"]},"Action":"*","Resource":"*"}]}`,
			arn + "/prod/GET/x", "1.1.1.1", nil, Allow},
		{"StringEquals on vpce absent", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"}}}]}`,
			arn + "/prod/GET/x", "1.1.1.1", nil, ImplicitDeny},
		{"StringNotEquals on vpce absent", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}}]}`,
			arn + "/prod/GET/x", "1.1.1.1", nil, ExplicitDeny},
		{"StringLike user agent", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringLike":{"aws:UserAgent":["curl/*","Mozilla/*"]}}}]}`,
			arn + "/prod/GET/x", "1.1.1.1", map[string]string{"aws:useragent": "curl/8.5"}, Allow},
		{"StringEqualsIfExists absent", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEqualsIfExists":{"aws:Referer":"https://a"}}}]}`,
			arn + "/prod/GET/x", "1.1.1.1", nil, Allow},
		{"StringEqualsIgnoreCase", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEqualsIgnoreCase":{"aws:Referer":"HTTPS://A"}}}]}`,
			arn + "/prod/GET/x", "1.1.1.1", map[string]string{"aws:referer": "https://a"}, Allow},
		{"two operators ANDed", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"1.1.1.0/24"},"Bool":{"aws:SecureTransport":"true"}}}]}`,
			arn + "/prod/GET/x", "1.1.1.1", map[string]string{"aws:securetransport": "false"}, ImplicitDeny},
		{"bool holds", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false}}}]}`,
			arn + "/prod/GET/x", "1.1.1.1", map[string]string{"aws:securetransport": "false"}, Allow},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Parse(c.doc)
			if err != nil {
				t.Fatal(err)
			}
			p = p.Bind("us-east-1", "123456789012", "abcd123456")
			req := &Request{Action: "execute-api:Invoke", Resource: c.resource, SourceIP: netip.MustParseAddr(c.ip)}
			if c.keys != nil {
				req.Key = func(k string) (string, bool) { v, ok := c.keys[k]; return v, ok }
			}
			if got := p.Evaluate(req); got != c.want {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, doc := range []string{
		``, `[]`, `{"Statement":[]}`, `{"Statement":"x"}`, `{"Version":"2012-10-17"}`, `{"Statement":[{}]}`,
		`{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"*","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"me","Action":"*","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","NotAction":"*","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":[],"Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","NotPrincipal":"*","Action":"*","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01"}}}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.300/8"}}}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:UserAgent":"x"}}}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]} trailing`,
	} {
		if _, err := Parse(doc); err == nil {
			t.Errorf("accepted %s", doc)
		}
	}
}

func TestMatch(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"*", "", true}, {"a*", "a", true}, {"a*c", "abbbc", true}, {"a*c", "abbb", false},
		{"a?c", "abc", true}, {"a?c", "ac", false}, {"*/GET/*", "x/GET/y/z", true},
		{"a**b", "ab", true}, {"", "", true}, {"", "a", false}, {strings.Repeat("*a", 30), strings.Repeat("a", 40) + "b", false},
	}
	for _, c := range cases {
		if got := Match(c.p, c.s); got != c.want {
			t.Errorf("Match(%q, %q) = %v", c.p, c.s, got)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(ipAllow(`["10.0.0.0/8"]`))
	f.Add(`{"Statement":{"Effect":"Deny","Principal":{"AWS":["*"]},"NotAction":"x","NotResource":["*"],"Condition":{"StringLikeIfExists":{"k":["a*",1,true]}}}}`)
	f.Add(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"::/0"}}}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := Parse(doc)
		if err != nil {
			return
		}
		p = p.Bind("r", "a", "api")
		for _, ip := range []string{"127.0.0.1", "::1"} {
			p.Evaluate(&Request{Action: "execute-api:Invoke", Resource: "arn:aws:execute-api:r:a:api/s/GET/x",
				SourceIP: netip.MustParseAddr(ip), Key: func(string) (string, bool) { return "v", true }})
		}
	})
}

func BenchmarkEvaluate(b *testing.B) {
	p, err := Parse(ipAllow(`["10.0.0.0/8","192.168.0.0/16","2001:db8::/32"]`))
	if err != nil {
		b.Fatal(err)
	}
	p = p.Bind("*", "*", "abcd123456")
	req := &Request{Action: "execute-api:Invoke", Resource: arn + "/prod/GET/pets/7", SourceIP: netip.MustParseAddr("192.168.4.5")}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if p.Evaluate(req) != Allow {
			b.Fatal("not allowed")
		}
	}
}
