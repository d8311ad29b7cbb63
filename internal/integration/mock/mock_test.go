package mock

import (
	"bytes"
	"errors"
	"strconv"
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
		{`{"statusCode": -1}`, -1},
		{`{"statusCode": 1000}`, 1000},
		{`{statusCode: 200}`, 200},
		{`{ 'statusCode' : 204, other: x}`, 204},
		{`{a: 1, statusCode: 302}`, 302},
		{`{"statusCode": "200"}`, 0},
		{`{"statusCode": 200.5}`, 0},
		{`{statusCode: 200.5}`, 0},
		{`{"status": 200}`, 0},
		{`{xstatusCode: 200}`, 0},
		{`{"statusCode": 99999999999999999999}`, 0},
		{`#set($x = 1){"statusCode": 200}`, 0},
		{``, 0},
		{`[200]`, 0},
		{`null`, 0},
	}
	for _, c := range cases {
		got, err := ParseStatus([]byte(c.body))
		if c.want == 0 { // 0 marks a body that must be refused
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
		if err != nil && n != 0 {
			t.Fatalf("ParseStatus(%q) = %d with error %v", body, n, err)
		}
		if err == nil && !bytes.Contains(body, []byte(strconv.Itoa(n))) {
			t.Fatalf("ParseStatus(%q) = %d, which the body does not hold", body, n)
		}
	})
}
