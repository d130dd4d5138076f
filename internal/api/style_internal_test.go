package api

import (
	"reflect"
	"strings"
	"testing"
)

// The written style of the API (docs/api.md), checked over the route table's Go types so that a new
// endpoint cannot drift from it.

// jsonFields returns the JSON names of a struct type's fields, flattening embedded structs as
// encoding/json does.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	out := map[string]reflect.Type{}
	if t.Kind() != reflect.Struct {
		return out
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			for k, v := range jsonFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

func isStruct(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct && t != timeType
}

func isScalar(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int64, reflect.Int32, reflect.Float64:
		return true
	}
	return t == timeType
}

func isPage(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return strings.HasPrefix(t.Name(), "Page[")
}

func hasID(t reflect.Type) bool {
	_, ok := jsonFields(t)["id"]
	return ok
}

// TestEnvelope: a single object is answered bare, never wrapped under a key ({"user": {...}}); a list
// is answered as a page {items, total, limit, offset}.
func TestEnvelope(t *testing.T) {
	for _, rt := range routes() {
		out := rt.ep.out
		if out == nil || out == noneType || out == handlerType || out == rawJSONType || isPage(out) || hasID(out) {
			continue // a resource of its own (it has an id), or no JSON object at all
		}
		var wrapped, objectLists, other []string
		for name, ft := range jsonFields(out) {
			switch {
			case isStruct(ft) && hasID(ft):
				wrapped = append(wrapped, name)
			case ft.Kind() == reflect.Slice && isStruct(ft.Elem()):
				objectLists = append(objectLists, name)
			case name == "total" || name == "count" || name == "more" || name == "limit" || name == "offset":
			default:
				other = append(other, name)
			}
		}
		name := rt.Method + " " + rt.Path
		if len(wrapped) == 1 && len(objectLists) == 0 {
			t.Errorf("%s answers the resource %q wrapped under a key (%s): answer the object itself", name, wrapped[0], out)
		}
		if len(objectLists) == 1 && len(wrapped) == 0 && len(other) == 0 {
			t.Errorf("%s answers the list %q without the page envelope (%s): answer Page[T]", name, objectLists[0], out)
		}
	}
}

// confirmations are request fields that confirm or authenticate a change rather than describe the
// resource: they are not part of what GET answers.
// Secrets a client sets but never reads back are such fields too.
var confirmations = map[string]bool{"i_understand": true, "current_password": true, "password": true, "bind_password": true}

// TestSameShape: what a PUT or PATCH of a resource takes is part of what a GET of it answers, so that
// a client can send back what it read.
func TestSameShape(t *testing.T) {
	gets := map[string]reflect.Type{}
	for _, rt := range routes() {
		if rt.Method == "GET" && rt.ep.out != nil {
			gets[rt.Path] = rt.ep.out
		}
	}
	for _, rt := range routes() {
		if (rt.Method != "PUT" && rt.Method != "PATCH") || rt.ep.in == nil {
			continue
		}
		get, ok := gets[rt.Path]
		if !ok {
			continue // an action on a resource, not its representation
		}
		read := jsonFields(get)
		for field := range jsonFields(rt.ep.in) {
			if _, ok := read[field]; !ok && !confirmations[field] {
				t.Errorf("%s %s takes %q, which GET %s does not answer", rt.Method, rt.Path, field, rt.Path)
			}
		}
	}
}
