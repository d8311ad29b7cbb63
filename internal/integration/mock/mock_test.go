package mock

import (
	"errors"
	"testing"
)

func TestParseStatus(t *testing.T) {
	cases := []struct {
		body string
		want int
	}{
		{`{"statusCode": 200}`, 200},
		{`{"statusCode":404, "other": [1,2]}`, 404},
		{" \n{ \"statusCode\" : 500 }\n", 500},
		{`{"statusCode": "200"}`, 0},
		{`{"statusCode": 200.5}`, 0},
		{`{"statusCode": 99}`, 0},
		{`{"statusCode": 600}`, 0},
		{`{"status": 200}`, 0},
		{`#set($x = 1){"statusCode": 200}`, 0},
		{``, 0},
		{`[200]`, 0},
		{`null`, 0},
	}
	for _, c := range cases {
		got, err := ParseStatus([]byte(c.body))
		if c.want == 0 {
			if err == nil || !errors.Is(err, ErrNoStatus) {
				t.Errorf("ParseStatus(%q) = %d, %v; want ErrNoStatus", c.body, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseStatus(%q) = %d, %v; want %d", c.body, got, err, c.want)
		}
	}
}

func FuzzParseStatus(f *testing.F) {
	f.Add([]byte(`{"statusCode": 200}`))
	f.Add([]byte(`{"statusCode": -1e9}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := ParseStatus(body)
		if err == nil && (n < 100 || n > 599) {
			t.Fatalf("ParseStatus(%q) = %d without error", body, n)
		}
	})
}
