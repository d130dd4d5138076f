package jsonstrict_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/portico-dev/portico/internal/jsonstrict"
)

type Base struct {
	ID    string `json:"id"`
	Shade string `json:"colour"`
}

type condition struct {
	Property string `json:"property"`
	Value    string `json:"value"`
}

type target struct {
	Base
	*Extra
	Name       string           `json:"name"`
	ScopeID    string           `json:"scope_id,omitempty"`
	Rename     *string          `json:"rename,omitempty"`
	Clear      *string          `json:"clear,omitempty" jsonstrict:"null"`
	Count      int              `json:"count,omitempty"`
	Conditions []condition      `json:"conditions,omitempty"`
	Settings   map[string]*bool `json:"settings,omitempty" jsonstrict:"null-values"`
	Flags      map[string]*bool `json:"flags,omitempty"`
	When       *time.Time       `json:"when,omitempty"`
	Args       json.RawMessage  `json:"args,omitempty"`
	Any        any              `json:"any,omitempty"`
	Hidden     string           `json:"-"`
	Dash       string           `json:"-,"`
	Untagged   string
	secret     string
}

type Extra struct {
	Note string `json:"note,omitempty"`
	Name string `json:"name"` // hidden by target's own name
}

func TestUnmarshal(t *testing.T) {
	tests := []struct {
		name string
		in   string
		path string // the path refused; "-" when accepted
		why  string // part of the reason
	}{
		{"plain", `{"name":"a","id":"x","colour":"#fff","note":"n","Untagged":"u","-":"d"}`, "-", ""},
		{"whitespace around", " \n{\"name\":\"a\"}\t\r\n", "-", ""},
		{"pointer nulls where tagged", `{"clear":null,"settings":{"chat":null,"x":true}}`, "-", ""},
		{"nulls inside raw and any", `{"args":{"a":null,"b":[null]},"any":{"k":null}}`, "-", ""},
		{"escaped pair", `{"name":"\ud83d\ude00"}`, "-", ""},
		{"escaped backslash then u", `{"name":"\\ud800"}`, "-", ""},
		{"replacement character itself", `{"name":"\ufffd �"}`, "-", ""},

		{"duplicate key", `{"name":"a","name":"b"}`, "name", "twice"},
		{"duplicate key spelt with an escape", `{"name":"a","n\u0061me":"b"}`, "name", "twice"},
		{"duplicate nested", `{"conditions":[{"value":"a"},{"value":"a","value":"b"}]}`, "conditions[1].value", "twice"},
		{"duplicate in a map", `{"settings":{"chat":true,"chat":false}}`, "settings.chat", "twice"},
		{"duplicate inside raw", `{"args":{"a":1,"a":2}}`, "args.a", "twice"},
		{"duplicate inside any", `{"any":[{"k":1,"k":1}]}`, "any[0].k", "twice"},
		{"duplicate of a promoted field", `{"id":"a","id":"a"}`, "id", "twice"},

		{"case variant", `{"Name":"a"}`, "Name", `"name"`},
		{"case variant with underscore", `{"Scope_ID":"a"}`, "Scope_ID", `"scope_id"`},
		{"case variant nested", `{"conditions":[{"VALUE":"a"}]}`, "conditions[0].VALUE", `"value"`},
		{"case variant of a promoted field", `{"Colour":"x"}`, "Colour", `"colour"`},
		{"case variant of a Go name", `{"untagged":"x"}`, "untagged", `"Untagged"`},

		{"invalid UTF-8 in a value", "{\"name\":\"a\xffb\"}", "name", "UTF-8"},
		{"invalid UTF-8 nested", "{\"conditions\":[{\"value\":\"\xc3\"}]}", "conditions[0].value", "UTF-8"},
		{"invalid UTF-8 in a key", "{\"na\xffme\":\"a\"}", "", "key that is not valid UTF-8"},
		{"overlong encoding", "{\"name\":\"\xc0\xaf\"}", "name", "UTF-8"},
		{"lone high surrogate", `{"name":"\ud800x"}`, "name", `\ud800`},
		{"lone low surrogate", `{"name":"\udc00"}`, "name", `\udc00`},
		{"reversed pair", `{"name":"\ude00\ud83d"}`, "name", `\ude00`},

		{"null document", `null`, "", "object, not null"},
		{"array document", `[]`, "", "object, not an array"},
		{"string document", `"x"`, "", "object, not a string"},
		{"null string", `{"name":null}`, "name", "must be a string, not null"},
		{"null number", `{"count":null}`, "count", "integer"},
		{"null pointer not meant to be null", `{"rename":null}`, "rename", "must be a string, not null"},
		{"null time", `{"when":null}`, "when", "RFC 3339"},
		{"null array", `{"conditions":null}`, "conditions", "array"},
		{"null element", `{"conditions":[null]}`, "conditions[0]", "object"},
		{"null map", `{"settings":null}`, "settings", "object"},
		{"null map value not meant to be null", `{"flags":{"a":null}}`, "flags.a", "true or false"},
		{"null raw", `{"args":null}`, "args", "JSON value"},
		{"null any", `{"any":null}`, "any", "JSON value"},
		{"null promoted", `{"colour":null}`, "colour", "string"},
		{"null in embedded pointer", `{"note":null}`, "note", "string"},

		{"a second value", `{"name":"a"}{"name":"b"}`, "", "single JSON value"},
		{"trailing garbage", `{"name":"a"} x`, "", "single JSON value"},
		{"trailing brace", `{"name":"a"}}`, "", "single JSON value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v target
			err := jsonstrict.Unmarshal([]byte(tt.in), &v)
			var se *jsonstrict.Error
			if tt.path == "-" {
				if errors.As(err, &se) {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want a refusal of %q", err, tt.path)
			}
			if se.Path != tt.path || !strings.Contains(se.Reason, tt.why) {
				t.Fatalf("refused %q: %q; want %q: …%s…", se.Path, se.Reason, tt.path, tt.why)
			}
		})
	}
}

// What the strict rules do not cover is encoding/json's own refusal.
func TestUnmarshalOtherErrors(t *testing.T) {
	var v target
	if err := jsonstrict.Unmarshal(nil, &v); err != io.EOF {
		t.Errorf("empty: %v, want io.EOF", err)
	}
	if err := jsonstrict.Unmarshal([]byte(`{"name":"a",`), &v); err != io.ErrUnexpectedEOF {
		t.Errorf("truncated: %v, want io.ErrUnexpectedEOF", err)
	}
	var syn *json.SyntaxError
	if err := jsonstrict.Unmarshal([]byte(`{"name" "a"}`), &v); !errors.As(err, &syn) {
		t.Errorf("syntax: %v", err)
	}
	var typ *json.UnmarshalTypeError
	if err := jsonstrict.Unmarshal([]byte(`{"name":5}`), &v); !errors.As(err, &typ) || typ.Field != "name" {
		t.Errorf("type: %v", err)
	}
	for in, field := range map[string]string{`{"nope":{"a":1,"a":1}}`: "nope", `{"Hidden":"x"}`: "Hidden",
		`{"secret":"x"}`: "secret", `{"K` + "\u212a" + `":1}`: "K\u212a", `{"conditions":[{},{"x":1}]}`: "conditions[1].x"} {
		if err := jsonstrict.Unmarshal([]byte(in), &v); err == nil || err.Error() != `json: unknown field "`+field+`"` {
			t.Errorf("%s: %v, want unknown field %q", in, err, field)
		}
	}
	if err := jsonstrict.Unmarshal([]byte(`{}`), v); err == nil {
		t.Error("decoded into a non-pointer")
	}
	deep := strings.Repeat("[", 10001) + strings.Repeat("]", 10001)
	var a any
	if err := jsonstrict.Unmarshal([]byte(deep), &a); !errors.As(err, &syn) {
		t.Errorf("deep nesting: %v", err)
	}
}

// What is accepted decodes as encoding/json decodes it.
func TestUnmarshalDecodes(t *testing.T) {
	in := `{"name":"a","id":"i","note":"n","clear":null,"settings":{"chat":null,"x":false},
		"conditions":[{"property":"p","value":"v"}],"when":"2026-01-02T03:04:05Z","args":{"z":[1]},"any":[1,"x"]}`
	var got, want target
	if err := jsonstrict.Unmarshal([]byte(in), &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(in), &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(target{})); diff != "" {
		t.Fatalf("decoded differently (-json +strict):\n%s", diff)
	}
	if got.Extra == nil || got.Note != "n" || got.Name != "a" || got.Extra.Name != "" {
		t.Fatalf("embedded fields: %+v %+v", got, got.Extra)
	}
}

func TestErrorText(t *testing.T) {
	for _, tt := range []struct {
		err  jsonstrict.Error
		want string
	}{
		{jsonstrict.Error{Path: "a[1].b", Reason: "appears twice"}, "json: a[1].b appears twice"},
		{jsonstrict.Error{Reason: "must be a JSON object, not null"}, "json: the document must be a JSON object, not null"},
	} {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%q, want %q", got, tt.want)
		}
	}
}

func TestTypeName(t *testing.T) {
	for _, tt := range []struct {
		v    any
		want string
	}{
		{"", "a string"}, {0, "an integer"}, {1.5, "a number"}, {true, "true or false"}, {[]int{}, "an array"},
		{map[string]int{}, "an object"}, {time.Time{}, "a string with an RFC 3339 time"}, {new(*string), "a string"},
		{json.RawMessage{}, "a JSON value"}, {[]byte{}, "a base64 string"},
	} {
		if got := jsonstrict.TypeName(reflect.TypeOf(tt.v)); got != tt.want {
			t.Errorf("TypeName(%T) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

// FuzzUnmarshal: the strict decoder never panics; what it accepts is valid UTF-8, holds no key twice,
// and decodes into the same value as encoding/json gives.
func FuzzUnmarshal(f *testing.F) {
	for _, s := range []string{
		`{"name":"a","id":"x","note":"n"}`,
		`{"name":"a","name":"b"}`,
		`{"Name":"a"}`,
		"{\"name\":\"\xff\"}",
		`{"name":"\ud800"}`,
		`{"clear":null,"settings":{"a":null}}`,
		`{"conditions":[{"property":"p","value":"v"},{"value":"v","value":"w"}]}`,
		`{"args":{"a":{"b":[1,{"c":null,"c":2}]}}}`,
		`{"any":[1.5e400,"x",{"y":true}]}`,
		`{"when":"2026-01-02T03:04:05Z","count":3}`,
		`null`, `[]`, `{"name":"a"} {}`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var got target
		if jsonstrict.Unmarshal(data, &got) != nil {
			return
		}
		if !utf8.Valid(data) {
			t.Fatalf("accepted bytes that are not UTF-8: %q", data)
		}
		if keys, distinct := countKeys(t, data); keys != distinct {
			t.Fatalf("accepted a key given twice: %s", data)
		}
		var want target
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("accepted %s, which encoding/json refuses: %v", data, err)
		}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(target{})); diff != "" {
			t.Fatalf("%s decoded differently (-json +strict):\n%s", data, diff)
		}
	})
}

// countKeys counts the keys of every object in a valid document as written, and as encoding/json
// keeps them in maps, where a repeated key leaves one entry.
func countKeys(t *testing.T, data []byte) (keys, distinct int) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var inObject []bool
	wantKey := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("accepted a document the tokenizer refuses: %s: %v", data, err)
		}
		if wantKey {
			if tok != json.Delim('}') {
				keys++
				wantKey = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			inObject = append(inObject, true)
		case json.Delim('['):
			inObject = append(inObject, false)
		case json.Delim('}'), json.Delim(']'):
			inObject = inObject[:len(inObject)-1]
		}
		wantKey = len(inObject) > 0 && inObject[len(inObject)-1]
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("accepted %s, which encoding/json refuses: %v", data, err)
	}
	var count func(any) int
	count = func(v any) int {
		n := 0
		switch v := v.(type) {
		case map[string]any:
			n += len(v)
			for _, x := range v {
				n += count(x)
			}
		case []any:
			for _, x := range v {
				n += count(x)
			}
		}
		return n
	}
	return keys, count(v)
}
