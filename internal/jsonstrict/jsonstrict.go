// Package jsonstrict decodes JSON sent by people and peers, refusing what encoding/json quietly
// accepts: a key given twice, a key that matches a field only when case is ignored, bytes that are
// not UTF-8, a null where the Go type has no use for one, anything after the value. Each refusal names
// where in the document it is, so that a client can be told which field to fix.
//
// It is a checking pass over the document, guided by the Go type it is to be decoded into, followed by
// encoding/json's own decoding: what it accepts decodes exactly as encoding/json decodes it. The pass
// reads the bytes itself rather than through json.Decoder.Token, which allocates for every token: it
// runs on every agent heartbeat.
package jsonstrict

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error is a refusal under the strict rules.
type Error struct {
	// Path names the value at fault, as in conditions[2].value; it is "" for the whole document.
	Path string
	// Reason says what is wrong, as words that follow the path: "appears twice".
	Reason string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return "json: the document " + e.Reason
	}
	return "json: " + e.Path + " " + e.Reason
}

// Unmarshal decodes the one JSON value in data into v, a non-nil pointer, as json.Unmarshal does,
// once the document has passed these rules:
//
//   - no object holds a key twice, at any depth;
//   - every key of an object decoded into a struct names a field exactly: a key that matches a field
//     only when case is ignored is refused, and one that matches none too, as json.Decoder's
//     DisallowUnknownFields refuses it (`json: unknown field "conditions[0].x"`, with the path);
//   - every string, key or value, is valid UTF-8 and escapes no lone UTF-16 surrogate;
//   - null stands only where the Go type makes it mean something: in a struct field tagged
//     `jsonstrict:"null"`, as a value or element of a map or slice field tagged
//     `jsonstrict:"null-values"`, and anywhere within a json.RawMessage or interface value, whose Go
//     type says nothing of what it holds. Elsewhere encoding/json would skip it silently;
//   - the document is a JSON object when v points to a struct or a map, and nothing follows the value.
//
// A refusal under these rules is an *Error, except an unknown field. An empty document is io.EOF and
// a truncated one io.ErrUnexpectedEOF; any other error is encoding/json's (a *json.SyntaxError, a
// *json.UnmarshalTypeError…).
func Unmarshal(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return &json.InvalidUnmarshalError{Type: reflect.TypeOf(v)}
	}
	if !json.Valid(data) {
		// Not one JSON value: encoding/json says why, unless the first value is whole.
		var first json.RawMessage
		if err := json.NewDecoder(bytes.NewReader(data)).Decode(&first); err != nil {
			return err
		}
		return &Error{Reason: "must hold a single JSON value, with nothing after it"}
	}
	// From here on data is known to be one valid JSON value, nested at most 10,000 deep.
	w := &walker{data: data}
	w.skipSpace()
	t := rv.Type().Elem()
	if k := indirect(t).Kind(); (k == reflect.Struct || k == reflect.Map) && !opaque(t) && data[w.i] != '{' {
		return &Error{Reason: "must be a JSON object, not " + describe(data[w.i])}
	}
	if err := w.value(expect{t: t}); err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// expect is what one place in the document is decoded into: a Go type (nil when nothing constrains
// it), whether it may be null, and, for a map or slice, whether its values may be.
type expect struct {
	t          reflect.Type
	null       bool
	nullValues bool
}

// walker checks one valid document, keeping the path to the value it is in.
type walker struct {
	data []byte
	i    int // the next byte to read
	path []step
}

// step is one level of a path: an object's key, or an array's index when key is nil.
type step struct {
	key   []byte
	index int
}

// fail refuses the value at the current path.
func (w *walker) fail(format string, args ...any) error {
	return &Error{Path: w.where(), Reason: fmt.Sprintf(format, args...)}
}

// where renders the current path, as in conditions[2].value.
func (w *walker) where() string {
	var b strings.Builder
	for _, s := range w.path {
		switch {
		case s.key == nil:
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
		case b.Len() > 0:
			b.WriteString("." + string(s.key))
		default:
			b.Write(s.key)
		}
	}
	return b.String()
}

func (w *walker) skipSpace() {
	for w.i < len(w.data) {
		switch w.data[w.i] {
		case ' ', '\t', '\r', '\n':
			w.i++
		default:
			return
		}
	}
}

// value checks the value that begins at the next byte that is not space.
func (w *walker) value(e expect) error {
	w.skipSpace()
	switch c := w.data[w.i]; c {
	case 'n':
		w.i += len("null")
		if e.t != nil && !e.null {
			return w.fail("must be %s, not null", TypeName(e.t))
		}
	case 't':
		w.i += len("true")
	case 'f':
		w.i += len("false")
	case '"':
		s, escaped := w.str()
		if reason := checkString(s, escaped); reason != "" {
			return w.fail("%s", reason)
		}
	case '{', '[':
		t := e.t
		if t != nil && opaque(t) {
			t = nil // what it holds is its own decoder's business
		}
		w.i++
		if c == '{' {
			return w.object(indirect(t), e.nullValues)
		}
		return w.array(indirect(t), e.nullValues)
	default:
		for w.i < len(w.data) && strings.IndexByte("+-0123456789.eE", w.data[w.i]) >= 0 {
			w.i++
		}
	}
	return nil
}

// str reads a string from its opening quote and returns what is between the quotes, and whether that
// holds an escape.
func (w *walker) str() (s []byte, escaped bool) {
	start := w.i + 1
	for w.i = start; w.data[w.i] != '"'; w.i++ {
		if w.data[w.i] == '\\' {
			escaped = true
			w.i++
		}
	}
	w.i++
	return w.data[start : w.i-1], escaped
}

// checkString says what is wrong with s, the inside of a JSON string, or returns "". encoding/json
// turns bad bytes and lone surrogates into U+FFFD without a word.
func checkString(s []byte, escaped bool) string {
	if !utf8.Valid(s) {
		return "is not valid UTF-8"
	}
	if escaped {
		if r, ok := loneSurrogate(s); ok {
			return fmt.Sprintf("holds \\u%04x, half of a UTF-16 surrogate pair without its other half", r)
		}
	}
	return ""
}

// object checks the members of an object, once its '{' is read, to be decoded into t.
func (w *walker) object(t reflect.Type, nullValues bool) error {
	var fields *structFields
	values := expect{}
	if t != nil {
		switch t.Kind() {
		case reflect.Struct:
			fields = fieldsOf(t)
		case reflect.Map:
			values = expect{t: t.Elem(), null: nullValues}
		}
	}
	var seen keySet
	for {
		w.skipSpace()
		if w.data[w.i] == '}' {
			w.i++
			return nil
		}
		if w.data[w.i] == ',' {
			w.i++
			w.skipSpace()
		}
		raw, escaped := w.str()
		if reason := checkString(raw, escaped); reason != "" {
			return w.fail("has a key that %s", reason)
		}
		key := raw
		if escaped {
			var k string
			_ = json.Unmarshal(w.data[w.i-len(raw)-2:w.i], &k) // a valid string: it cannot fail
			key = []byte(k)
		}
		w.path = append(w.path, step{key: key})
		if seen.add(key) {
			return w.fail("appears twice")
		}
		e := values
		if fields != nil {
			f, ok := fields.byName[string(key)]
			switch {
			case ok:
				e = f
			case fields.folded(string(key)) != "":
				return w.fail("is not a known field: field names are case-sensitive (did you mean %q?)", fields.folded(string(key)))
			default:
				return fmt.Errorf("json: unknown field %q", w.where()) // as encoding/json words it, with the path
			}
		}
		w.skipSpace()
		w.i++ // the colon
		if err := w.value(e); err != nil {
			return err
		}
		w.path = w.path[:len(w.path)-1]
	}
}

// keySet holds the keys of one object, in a list while there are few, as in most objects.
type keySet struct {
	few  [8][]byte
	n    int
	many map[string]bool
}

// add records key and reports whether it was there already.
func (s *keySet) add(key []byte) bool {
	if s.many == nil {
		for _, k := range s.few[:s.n] {
			if bytes.Equal(k, key) {
				return true
			}
		}
		if s.n < len(s.few) {
			s.few[s.n] = key
			s.n++
			return false
		}
		s.many = make(map[string]bool, 2*len(s.few))
		for _, k := range s.few {
			s.many[string(k)] = true
		}
	}
	if s.many[string(key)] {
		return true
	}
	s.many[string(key)] = true
	return false
}

// array checks the elements of an array, once its '[' is read, to be decoded into t.
func (w *walker) array(t reflect.Type, nullValues bool) error {
	elems := expect{}
	if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		elems = expect{t: t.Elem(), null: nullValues}
	}
	w.path = append(w.path, step{})
	for i := 0; ; i++ {
		w.skipSpace()
		if w.data[w.i] == ']' {
			w.i++
			w.path = w.path[:len(w.path)-1]
			return nil
		}
		if w.data[w.i] == ',' {
			w.i++
		}
		w.path[len(w.path)-1].index = i
		if err := w.value(elems); err != nil {
			return err
		}
	}
}

// loneSurrogate finds a \u escape of a surrogate that is not part of a high-low pair in s, the inside
// of a JSON string.
func loneSurrogate(s []byte) (rune, bool) {
	hex := func(i int) (rune, bool) {
		if i+6 > len(s) || s[i] != '\\' || s[i+1] != 'u' {
			return 0, false
		}
		n, err := strconv.ParseUint(string(s[i+2:i+6]), 16, 16)
		return rune(n), err == nil
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			continue
		}
		r, ok := hex(i)
		if !ok {
			i++ // another escape: skip the escaped byte, which may be a backslash
			continue
		}
		switch {
		case r >= 0xd800 && r < 0xdc00:
			if low, ok := hex(i + 6); ok && low >= 0xdc00 && low < 0xe000 {
				i += 11
				continue
			}
			return r, true
		case r >= 0xdc00 && r < 0xe000:
			return r, true
		}
		i += 5
	}
	return 0, false
}

// describe names the kind of value that begins with the byte c, for a refusal.
func describe(c byte) string {
	switch c {
	case 'n':
		return "null"
	case '"':
		return "a string"
	case '[':
		return "an array"
	case 't':
		return "true"
	case 'f':
		return "false"
	case '{':
		return "an object"
	}
	return "a number"
}

// TypeName names a Go type the way a JSON client thinks of it: "a string", "an array"…
func TypeName(t reflect.Type) string {
	t = indirect(t)
	switch {
	case t == timeType:
		return "a string with an RFC 3339 time"
	case t == rawMessageType || t.Kind() == reflect.Interface:
		return "a JSON value"
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return "a base64 string"
	case t.Implements(textUnmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType):
		return "a string"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a " + t.String()
}

// indirect returns the type a pointer type finally points to; nil stays nil.
func indirect(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}
