package cli

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// TestMatchResource checks which resource `portico test` picks for a path: literal segments
// before {param} before {greedy+}, and only resources with the method (or ANY).
func TestMatchResource(t *testing.T) {
	res := func(id, path string, verbs ...string) types.Resource {
		r := types.Resource{Id: aws.String(id), Path: aws.String(path), ResourceMethods: map[string]types.Method{}}
		for _, v := range verbs {
			r.ResourceMethods[v] = types.Method{}
		}
		return r
	}
	resources := []types.Resource{
		res("root", "/", "GET"),
		res("pets", "/pets", "GET", "POST"),
		res("pet", "/pets/{petId}", "GET"),
		res("mine", "/pets/mine", "GET"),
		res("toys", "/pets/{petId}/toys", "ANY"),
		res("proxy", "/files/{proxy+}", "GET"),
	}
	for _, c := range []struct{ path, verb, want string }{
		{"/", "GET", "root"},
		{"/pets", "POST", "pets"},
		{"/pets/7", "GET", "pet"},
		{"/pets/mine", "GET", "mine"},
		{"/pets/7/toys", "DELETE", "toys"},
		{"/files/a/b/c", "GET", "proxy"},
		{"/files", "GET", ""},
		{"/pets/7", "DELETE", ""},
		{"/nowhere", "GET", ""},
	} {
		got := ""
		if r := matchResource(resources, c.path, c.verb); r != nil {
			got = *r.Id
		}
		if got != c.want {
			t.Errorf("%s %s: %q, want %q", c.verb, c.path, got, c.want)
		}
	}
}
