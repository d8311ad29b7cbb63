package runtime

import "testing"

func TestSelectByAccept(t *testing.T) {
	ts := []ResponseTemplate{{ContentType: "text/html"}, {ContentType: "application/json"}, {ContentType: "application/xml"}}
	cases := []struct {
		accept string
		want   string
	}{
		{"application/xml", "application/xml"},
		{"Application/XML; q=0.9, text/html", "application/xml"},
		{"text/html,application/xml", "text/html"},
		{"", "application/json"},
		{"*/*", "application/json"},
		{"image/png", "application/json"},
	}
	for _, c := range cases {
		if got := SelectResponseTemplate(ts, c.accept); got == nil || got.ContentType != c.want {
			t.Errorf("Accept %q chose %+v, want %s", c.accept, got, c.want)
		}
	}
	if got := SelectResponseTemplate(ts[:1], "application/json"); got != &ts[0] {
		t.Errorf("a single template is always chosen")
	}
	if SelectResponseTemplate(nil, "") != nil {
		t.Errorf("no templates chose one")
	}
	noJSON := []ResponseTemplate{{ContentType: "text/plain"}, {ContentType: "text/html"}}
	if got := SelectResponseTemplate(noJSON, "image/png"); got != &noJSON[0] {
		t.Errorf("without application/json the first is chosen, got %+v", got)
	}
	if MediaType("") != "application/json" || MediaType(" Text/Plain ; charset=utf-8") != "text/plain" {
		t.Errorf("MediaType")
	}
}
