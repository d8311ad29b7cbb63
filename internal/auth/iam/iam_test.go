package iam

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/auth/policy"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/bolt"
)

const account = "111122223333"

const fileYAML = `
users:
  - name: alice
    path: /team/
    accessKeys:
      - accessKeyId: AKIAALICE000000001
        secretAccessKey: alice-secret
      - accessKeyId: AKIAALICE000000002
        secretAccessKey: old
        status: Inactive
    policies:
      invoke:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: execute-api:Invoke
            Resource: arn:aws:execute-api:*:*:*/prod/GET/*
          - Effect: Deny
            Action: "*"
            Resource: arn:aws:execute-api:*:*:*/prod/GET/admin*
      cache: '{"Statement":{"Effect":"Allow","Action":"execute-api:InvalidateCache","Resource":"*"}}'
roles:
  - name: reader
    policies:
      all: {"Statement": [{"Effect": "Allow", "Action": "execute-api:*", "Resource": "*"}]}
    sessions:
      - name: job-7
        accessKeyId: ASIAREADER00000001
        secretAccessKey: reader-secret
        sessionToken: token-7
        expiration: 2030-01-02T03:04:05Z
`

func TestParseFile(t *testing.T) {
	ids, err := ParseFile([]byte(fileYAML), account)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Build(account, map[string]string{"AKIAROOT0000000001": "root"}, ids)
	if err != nil {
		t.Fatal(err)
	}
	alice := d.Caller("AKIAALICE000000001")
	if alice == nil || alice.ARN != "arn:aws:iam::"+account+":user/team/alice" || alice.Type != "User" ||
		!strings.HasPrefix(alice.UserID, "AIDA") || len(alice.UserID) != 21 {
		t.Fatalf("alice = %+v", alice)
	}
	if d.Caller("AKIAALICE000000002") != nil {
		t.Error("an Inactive key is known")
	}
	if c, ok := d.Credential("ASIAREADER00000001"); !ok || c.SessionToken != "token-7" || !c.Expires.Equal(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("session credential = %+v", c)
	}
	reader := d.Caller("ASIAREADER00000001")
	if reader.ARN != "arn:aws:sts::"+account+":assumed-role/reader/job-7" || reader.PrincipalARN != "arn:aws:iam::"+account+":role/reader" ||
		!strings.HasSuffix(reader.UserID, ":job-7") {
		t.Errorf("reader = %+v", reader)
	}
	arn := func(path string) string { return "arn:aws:execute-api:us-east-1:" + account + ":api/prod/GET/" + path }
	for _, c := range []struct {
		who          *Caller
		action, path string
		want         policy.Decision
	}{
		{alice, ActionInvoke, "pets", policy.Allow},
		{alice, ActionInvoke, "admin/x", policy.ExplicitDeny},
		{alice, ActionInvalidateCache, "pets", policy.Allow},
		{alice, ActionInvalidateCache, "admin", policy.ExplicitDeny},
		{reader, ActionInvalidateCache, "admin", policy.Allow},
		{d.Caller("AKIAROOT0000000001"), ActionInvoke, "anything", policy.Allow},
	} {
		if got := c.who.Decide(c.action, arn(c.path), netip.Addr{}, c.who.Key); got != c.want {
			t.Errorf("%s %s %s = %v, want %v", c.who.ARN, c.action, c.path, got, c.want)
		}
	}
	// The same file gives the same ids.
	again, _ := ParseFile([]byte(fileYAML), account)
	if again.Users[0].UserId != ids.Users[0].UserId || again.Roles[0].RoleId != ids.Roles[0].RoleId {
		t.Error("ids are not stable")
	}
}

func TestParseFileErrors(t *testing.T) {
	for _, c := range []struct{ name, text, want string }{
		{"unknown field", "users: [{name: a, secret: x}]", "field secret not found"},
		{"bad name", "users: [{name: 'a b'}]", "not a valid IAM name"},
		{"short key", "users: [{name: a, accessKeys: [{accessKeyId: AK, secretAccessKey: s}]}]", "accessKeyId of 16 to 128"},
		{"bad status", "users: [{name: a, accessKeys: [{accessKeyId: AKIA000000000000, secretAccessKey: s, status: Gone}]}]", "Active or Inactive"},
		{"policy", "users: [{name: a, policies: {p: '{\"Statement\":[{\"Effect\":\"Maybe\",\"Action\":\"*\",\"Resource\":\"*\"}]}'}}]", "user a: policy p"},
		{"principal in identity policy", "users: [{name: a, policies: {p: {Statement: [{Effect: Allow, Principal: '*', Action: '*', Resource: '*'}]}}}]", "cannot name a Principal"},
		{"session without token", "roles: [{name: r, sessions: [{name: s1, accessKeyId: ASIA000000000000, secretAccessKey: s}]}]", "sessionToken"},
		{"key twice", "users: [{name: a, accessKeys: [{accessKeyId: AKIA000000000000, secretAccessKey: s}]}, {name: b, accessKeys: [{accessKeyId: AKIA000000000000, secretAccessKey: t}]}]", "given twice"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseFile([]byte(c.text), account)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}

// TestRegistryFollowsStore: identities synced from a file, and users written by other means,
// reach the registry's Directory; a new file replaces the old file's identities only.
func TestRegistryFollowsStore(t *testing.T) {
	st, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ids, err := ParseFile([]byte(fileYAML), account)
	if err != nil {
		t.Fatal(err)
	}
	if err := Sync(st, ids); err != nil {
		t.Fatal(err)
	}
	reg, err := Open(st, Options{AccountID: account})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	if reg.Directory().Caller("AKIAALICE000000001") == nil {
		t.Fatal("file user not loaded")
	}
	api := model.IAMUser{UserName: "bob", UserId: "AIDABOB", Path: "/", Arn: UserARN(account, "", "bob"),
		AccessKeys: []model.IAMAccessKey{{AccessKeyId: "AKIABOB000000001", SecretAccessKey: "s", Status: "Active"}}}
	if err := st.Update(func(tx store.Tx) error { return tx.Put(store.KindIAM, "user/bob", api) }); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return reg.Directory().Caller("AKIABOB000000001") != nil })

	next, err := ParseFile([]byte("users: [{name: carol, accessKeys: [{accessKeyId: AKIACAROL0000001, secretAccessKey: c}]}]"), account)
	if err != nil {
		t.Fatal(err)
	}
	if err := Sync(st, next); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		d := reg.Directory()
		return d.Caller("AKIACAROL0000001") != nil && d.Caller("AKIAALICE000000001") == nil && d.Caller("AKIABOB000000001") != nil
	})
	// A file naming a user of the IAM API is refused and changes nothing.
	clash, _ := ParseFile([]byte("users: [{name: bob}]"), account)
	if err := Sync(st, clash); err == nil || !strings.Contains(err.Error(), "created through the IAM API") {
		t.Fatalf("clash: %v", err)
	}
	if reg.Directory().Caller("AKIACAROL0000001") == nil {
		t.Fatal("a refused file changed the identities")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

func FuzzParseFile(f *testing.F) {
	f.Add([]byte(fileYAML))
	f.Add([]byte(`{"users":[{"name":"a","policies":{"p":"{}"}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ids, err := ParseFile(b, account)
		if err != nil {
			return
		}
		if _, err := Build(account, nil, ids); err != nil {
			t.Fatalf("parsed file does not build: %v", err)
		}
	})
}
