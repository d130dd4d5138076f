package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/portico-dev/portico/internal/jsonstrict"
)

// decode reads the JSON body into v: it must be declared as application/json, be at most maxBody
// bytes, and pass jsonstrict's rules (one value, no key twice, keys that name v's fields exactly, valid
// UTF-8, no null where v has no use for one). Every refusal names the field or the byte offset at
// fault: a body that breaks the strict rules is 422, one that is not JSON or does not fit v 400.
func (c *call) decode(v any) error {
	mt, _, err := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return &inputError{status: http.StatusUnsupportedMediaType,
			detail: "send the request body as JSON with Content-Type: application/json"}
	}
	// The body is read whole first, so that an error the decoder reports without a field can be
	// traced back to the field that holds the bad value.
	body, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, maxBody))
	if err != nil {
		return decodeError(err)
	}
	if err := jsonstrict.Unmarshal(body, v); err != nil {
		return decodeError(err, body)
	}
	return nil
}

// decodeError turns a decoding error into a refusal naming the field at fault; body, when given, is
// what was decoded.
func decodeError(err error, body ...[]byte) error {
	var (
		strict *jsonstrict.Error
		syn    *json.SyntaxError
		typ    *json.UnmarshalTypeError
		big    *http.MaxBytesError
		tErr   *time.ParseError
	)
	switch {
	case errors.As(err, &strict):
		field := strict.Path
		if field == "" {
			field = "body"
		}
		return invalidInput(field, "%s", strict.Reason)
	case errors.Is(err, io.EOF):
		return badRequest("body", "is empty: send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("body", "is not valid JSON: it ends too early")
	case errors.As(err, &syn):
		return badRequest("body", "is not valid JSON: %s at byte %d", syn.Error(), syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return badRequest(field, "must be %s, not %s", jsonstrict.TypeName(typ.Type), typ.Value)
	case errors.As(err, &big):
		return &inputError{status: http.StatusRequestEntityTooLarge,
			detail: fmt.Sprintf("the request body is larger than %d bytes", big.Limit)}
	case errors.As(err, &tErr):
		// encoding/json does not say which field a time.Time refused: find the one holding the value.
		field := "body"
		if len(body) > 0 {
			if f := fieldHolding(body[0], tErr.Value); f != "" {
				field = f
			}
		}
		return badRequest(field, "must be a time in RFC 3339 form such as 2025-01-31T12:00:00Z, not %q", tErr.Value)
	}
	// encoding/json reports an unknown field only as text: `json: unknown field "x"`.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if f, err := strconv.Unquote(name); err == nil {
			name = f
		}
		return badRequest(name, "is not a known field")
	}
	return badRequest("body", "cannot be read: %v", err)
}

// fieldHolding returns the path (as in "a.b[2].c") of the first string in the JSON document body
// whose value is value, or "" if there is none or body is not valid JSON.
func fieldHolding(body []byte, value string) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	// Each open object or array on the way down: its path, whether it is an array, the next array
	// index, and whether the next string in an object is a key.
	type level struct {
		path    string
		array   bool
		index   int
		wantKey bool
		key     string
	}
	var stack []level
	child := func() string { // the path of the value about to be read
		if len(stack) == 0 {
			return ""
		}
		top := &stack[len(stack)-1]
		if top.array {
			p := fmt.Sprintf("%s[%d]", top.path, top.index)
			top.index++
			return p
		}
		top.wantKey = true
		if top.path == "" {
			return top.key
		}
		return top.path + "." + top.key
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				stack = append(stack, level{path: child(), array: d == '[', wantKey: d == '{'})
			default:
				stack = stack[:len(stack)-1]
			}
			continue
		}
		if n := len(stack); n > 0 && !stack[n-1].array && stack[n-1].wantKey {
			stack[n-1].key, stack[n-1].wantKey = fmt.Sprint(tok), false
			continue
		}
		p := child()
		if str, ok := tok.(string); ok && str == value {
			return p
		}
	}
}

// queryInt reads an optional integer query parameter within [min, max].
func (c *call) queryInt(name string, def, min, max int) (int, error) {
	s := c.r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < min || n > max {
		return 0, badRequest(name, "must be an integer from %d to %d", min, max)
	}
	return n, nil
}

// queryBool reads an optional true/false query parameter.
func (c *call) queryBool(name string) (bool, error) {
	s := c.r.URL.Query().Get(name)
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, badRequest(name, "must be true or false")
	}
	return b, nil
}

// queryTime reads an optional RFC 3339 time query parameter.
func (c *call) queryTime(name string) (*time.Time, error) {
	s := c.r.URL.Query().Get(name)
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil, badRequest(name, "must be a time in RFC 3339 form such as 2025-01-31T12:00:00Z")
	}
	return &t, nil
}

// queryOneOf reads an optional query parameter that must be one of the allowed values.
func (c *call) queryOneOf(name string, allowed ...string) (string, error) {
	s := c.r.URL.Query().Get(name)
	if s == "" {
		return "", nil
	}
	for _, a := range allowed {
		if s == a {
			return s, nil
		}
	}
	return "", badRequest(name, "must be one of %s", strings.Join(allowed, ", "))
}

// Page is one page of a list.
type Page[T any] struct {
	Items []T `json:"items"`
	// Total counts every item the filters match, beyond this page.
	Total  int `json:"total"`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

const (
	defaultLimit = 50
	maxLimit     = 500
)

// pageParams reads ?limit= (default 50, at most 500) and ?offset=.
func (c *call) pageParams() (limit, offset int, err error) {
	if limit, err = c.queryInt("limit", defaultLimit, 1, maxLimit); err != nil {
		return 0, 0, err
	}
	if offset, err = c.queryInt("offset", 0, 0, 1<<31-1); err != nil {
		return 0, 0, err
	}
	return limit, offset, nil
}

// paginate reads the page parameters, then fetches the whole list from the app and cuts one page
// out of it (for the lists the app does not page itself).
func paginate[T any](c *call, fetch func() ([]T, error)) (*Page[T], error) {
	limit, offset, err := c.pageParams()
	if err != nil {
		return nil, err
	}
	all, err := fetch()
	if err != nil {
		return nil, err
	}
	p := &Page[T]{Items: []T{}, Total: len(all), Limit: limit, Offset: offset}
	if offset < len(all) {
		p.Items = all[offset:min(len(all), offset+limit)]
	}
	return p, nil
}
