package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/portico-dev/portico/internal/export"
)

// openAPIDocument describes the route table as an OpenAPI 3.1 document. Schemas come from the Go
// types of each endpoint by reflection, following their json tags; named structs become components.
func openAPIDocument(rs []Route) ([]byte, error) {
	g := &schemaGen{components: map[string]any{}, names: map[string]reflect.Type{}}
	paths := map[string]map[string]any{}
	for _, rt := range rs {
		op := map[string]any{
			"operationId":  rt.OperationID,
			"summary":      rt.Summary,
			"description":  "Requires: " + rt.Permission + ".",
			"x-permission": rt.Permission,
			"tags":         []string{tagOf(rt.Path)},
		}
		var params []any
		for _, name := range pathParams(rt.Path) {
			params = append(params, map[string]any{"name": name, "in": "path", "required": true,
				"schema": map[string]any{"type": "string"}})
		}
		for _, q := range rt.Query {
			t := q.Type
			if t == "" {
				t = "string"
			}
			p := map[string]any{"name": q.Name, "in": "query", "schema": map[string]any{"type": t}}
			if q.Description != "" {
				p["description"] = q.Description
			}
			params = append(params, p)
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.ep.in != nil {
			g.input = true
			media := map[string]any{"schema": g.schema(rt.ep.in)}
			if ex, ok := examples[rt.OperationID]; ok {
				media["example"] = ex
			}
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": media}}
			g.input = false
		}
		ok := map[string]any{"description": http.StatusText(rt.Status)}
		switch {
		case rt.Status == http.StatusNoContent:
		case rt.Path == "/metrics":
			ok["content"] = map[string]any{"text/plain": map[string]any{"schema": map[string]any{"type": "string"}}}
		case rt.ep.lines:
			// OpenAPI 3.1 cannot describe a sequence of JSON values; 3.2 calls the schema of each one
			// itemSchema, which this extension anticipates.
			ok["content"] = map[string]any{export.JSONLinesType: map[string]any{
				"schema":       map[string]any{"type": "string", "description": "JSON Lines: one " + componentName(rt.ep.out) + " per line"},
				"x-itemSchema": g.schema(rt.ep.out)}}
		case rt.ep.out != nil:
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": g.schema(rt.ep.out)}}
		}
		op["responses"] = map[string]any{
			strconv.Itoa(rt.Status): ok,
			"default": map[string]any{"description": "A problem document (RFC 9457)",
				"content": map[string]any{"application/problem+json": map[string]any{"schema": g.schema(reflect.TypeFor[Problem]())}}},
		}
		if rt.Public {
			op["security"] = []any{}
		}
		if paths[rt.Path] == nil {
			paths[rt.Path] = map[string]any{}
		}
		paths[rt.Path][strings.ToLower(rt.Method)] = op
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "Portico API", "version": "1",
			"description": "Errors are RFC 9457 problem documents. Request bodies are read strictly: a key given twice, a key in another case than documented, bytes that are not UTF-8, a null where none is documented, or anything after the object is refused with 422 naming the field. Lists take ?limit= (1–500, default 50) and ?offset= and answer {items, total, limit, offset}. A plan limit (licences, seats) is refused with 409. Responses name the account revision they reflect in the Portico-Revision header (for a change, the revision it produced); send it back as Portico-Min-Revision to be answered on that revision or a later one by any node of a cluster (read your writes). A node that cannot confirm its view of the access rights is current answers 503 with Retry-After."},
		"paths": paths,
		"components": map[string]any{
			"schemas": g.components,
			"securitySchemes": map[string]any{
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": SessionCookie},
				"apiKey":  map[string]any{"type": "http", "scheme": "bearer"},
			},
		},
		"security": []any{map[string]any{"session": []string{}}, map[string]any{"apiKey": []string{}}},
	}
	return json.Marshal(doc)
}

var pathParamRE = regexp.MustCompile(`\{([a-z_]+)\}`)

func pathParams(path string) []string {
	var out []string
	for _, m := range pathParamRE.FindAllStringSubmatch(path, -1) {
		out = append(out, m[1])
	}
	return out
}

// tagOf groups operations by their first path segment after /api/v1.
func tagOf(path string) string {
	rest, ok := strings.CutPrefix(path, "/api/v1/")
	if !ok {
		return "operations"
	}
	first, _, _ := strings.Cut(rest, "/")
	return first
}

// schemaGen builds JSON schemas from Go types. Request bodies (input) and responses get schemas of
// their own where a type serves as both: a response's field is required when it is always present,
// a request's field when the operation refuses the request without it (tag `openapi:"required"`).
type schemaGen struct {
	components map[string]any
	names      map[string]reflect.Type // component name → the type it describes, to catch clashes
	input      bool
}

var (
	timeType    = reflect.TypeFor[time.Time]()
	rawJSONType = reflect.TypeFor[json.RawMessage]()
	handlerType = reflect.TypeFor[http.Handler]()
	noneType    = reflect.TypeFor[noContent]()
)

// schema returns the JSON schema of t, registering named structs as components.
func (g *schemaGen) schema(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawJSONType, t == handlerType, t == noneType:
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "contentEncoding": "base64"}
		}
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		values := g.schema(t.Elem())
		if t.Elem().Kind() == reflect.Pointer {
			values = map[string]any{"anyOf": []any{values, map[string]any{"type": "null"}}} // null: unset
		}
		return map[string]any{"type": "object", "additionalProperties": values}
	case reflect.Struct:
		if t.Name() == "" {
			return g.structSchema(t)
		}
		name := componentName(t)
		if g.input && !strings.HasSuffix(name, "Request") {
			name += "Input"
		}
		if prev, ok := g.names[name]; ok && prev != t {
			panic("api: two types make the OpenAPI schema " + name + ": " + prev.String() + " and " + t.String())
		}
		g.names[name] = t
		if _, done := g.components[name]; !done {
			g.components[name] = map[string]any{} // placeholder: stops recursion on self-reference
			g.components[name] = g.structSchema(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func (g *schemaGen) structSchema(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	g.addFields(t, props, &required)
	// No other field appears: answers carry exactly these, and requests with another are refused.
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// addFields adds t's JSON fields, flattening untagged embedded structs as encoding/json does.
func (g *schemaGen) addFields(t reflect.Type, props map[string]any, required *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				g.addFields(ft, props, required)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		ps := g.schema(f.Type)
		if !g.input && !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") && nullable(f.Type) {
			// Go writes a nil pointer, slice or map as null.
			ps = map[string]any{"anyOf": []any{ps, map[string]any{"type": "null"}}}
		}
		props[name] = ps
		if g.input {
			if f.Tag.Get("openapi") == "required" {
				*required = append(*required, name)
			}
		} else if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") && f.Type.Kind() != reflect.Pointer {
			*required = append(*required, name)
		}
	}
}

func nullable(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Map:
		return true
	case reflect.Slice:
		return t != rawJSONType && t.Elem().Kind() != reflect.Uint8
	}
	return false
}

// componentName is a schema's name: the Go type's name as a client would write it, without its
// package ("User", "CreateAPIKeyRequest"); a page of T is "TPage".
func componentName(t reflect.Type) string {
	name := t.Name()
	if base, arg, ok := strings.Cut(name, "["); ok {
		arg = strings.TrimSuffix(arg, "]")
		if i := strings.LastIndex(arg, "."); i >= 0 {
			arg = arg[i+1:]
		}
		return exported(arg) + exported(base)
	}
	return exported(name)
}

func exported(name string) string {
	if name == "" {
		return name
	}
	r := []rune(name)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}
