package api

import "testing"

func TestFieldHolding(t *testing.T) {
	cases := []struct {
		body, value, want string
	}{
		{`{"expires_at":"tomorrow"}`, "tomorrow", "expires_at"},
		{`{"name":"tomorrow","expires_at":"tomorrow"}`, "tomorrow", "name"},
		{`{"a":{"b":[1,"x",{"c":"tomorrow"}]}}`, "tomorrow", "a.b[2].c"},
		{`{"list":["a","tomorrow"]}`, "tomorrow", "list[1]"},
		{`{"tomorrow":"today"}`, "tomorrow", ""}, // a key is not a value
		{`{"a":[{"x":1},{"when":"later"}]}`, "later", "a[1].when"},
		{`{"a":"x"}`, "tomorrow", ""},
		{`{"a":`, "tomorrow", ""},
	}
	for _, c := range cases {
		if got := fieldHolding([]byte(c.body), c.value); got != c.want {
			t.Errorf("fieldHolding(%s, %q) = %q, want %q", c.body, c.value, got, c.want)
		}
	}
}

func FuzzFieldHolding(f *testing.F) {
	f.Add([]byte(`{"a":{"b":[1,"x",{"c":"tomorrow"}]}}`), "tomorrow")
	f.Add([]byte(`[[["x"]]]`), "x")
	f.Fuzz(func(t *testing.T, body []byte, value string) {
		_ = fieldHolding(body, value) // must not panic on any request body
	})
}
