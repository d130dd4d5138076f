package jsonstrict

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode"
)

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	timeType            = reflect.TypeFor[time.Time]()
	rawMessageType      = reflect.TypeFor[json.RawMessage]()
)

// opaque reports whether a value of type t is decoded by its own code (UnmarshalJSON, UnmarshalText)
// or into an interface, rather than by encoding/json's rules for its kind: the walk then checks only
// what holds for every document.
func opaque(t reflect.Type) bool {
	t = indirect(t)
	if t.Kind() == reflect.Interface {
		return true
	}
	pt := reflect.PointerTo(t) // its method set holds t's own
	return pt.Implements(unmarshalerType) || pt.Implements(textUnmarshalerType)
}

// structFields are the JSON names of a struct's fields, with what each expects.
type structFields struct {
	byName map[string]expect
	names  []string // in the order of the struct, for a deterministic suggestion
}

// folded returns the name of a field that equals key when case is ignored, as encoding/json
// would match it, or "".
func (f *structFields) folded(key string) string {
	for _, n := range f.names {
		if strings.EqualFold(n, key) {
			return n
		}
	}
	return ""
}

var fieldCache sync.Map // reflect.Type → *structFields

func fieldsOf(t reflect.Type) *structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*structFields)
	}
	f, _ := fieldCache.LoadOrStore(t, buildFields(t))
	return f.(*structFields)
}

// buildFields finds the fields of t the way encoding/json does: exported fields named by their json
// tag or else their Go name, "-" left out, the fields of untagged embedded structs promoted, and of
// several fields with one name the shallowest wins, then a tagged one, else none.
func buildFields(t reflect.Type) *structFields {
	type candidate struct {
		name   string
		depth  int
		tagged bool
		e      expect
	}
	var all []candidate
	visited := map[reflect.Type]bool{}
	level := []reflect.Type{t}
	for depth := 0; len(level) > 0; depth++ {
		var next []reflect.Type
		for _, st := range level {
			if visited[st] {
				continue
			}
			visited[st] = true
			for i := range st.NumField() {
				sf := st.Field(i)
				ft := sf.Type
				if sf.Anonymous {
					if ft.Kind() == reflect.Pointer {
						ft = ft.Elem()
					}
					if !sf.IsExported() && ft.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, _, _ := strings.Cut(tag, ",")
				if !validName(name) {
					name = ""
				}
				if name == "" && sf.Anonymous && ft.Kind() == reflect.Struct {
					next = append(next, ft)
					continue
				}
				c := candidate{name: name, depth: depth, tagged: name != "", e: expect{t: sf.Type}}
				if c.name == "" {
					c.name = sf.Name
				}
				for _, opt := range strings.Split(sf.Tag.Get("jsonstrict"), ",") {
					switch opt {
					case "null":
						c.e.null = true
					case "null-values":
						c.e.nullValues = true
					}
				}
				all = append(all, c)
			}
		}
		level = next
	}

	byName := map[string][]candidate{}
	f := &structFields{byName: map[string]expect{}}
	for _, c := range all {
		if byName[c.name] == nil {
			f.names = append(f.names, c.name)
		}
		byName[c.name] = append(byName[c.name], c)
	}
	names := f.names[:0]
	for _, name := range f.names {
		cs := byName[name] // in order of depth
		var shallow []candidate
		for _, c := range cs {
			if c.depth == cs[0].depth {
				shallow = append(shallow, c)
			}
		}
		var tagged []candidate
		for _, c := range shallow {
			if c.tagged {
				tagged = append(tagged, c)
			}
		}
		switch {
		case len(shallow) == 1:
			f.byName[name] = shallow[0].e
		case len(tagged) == 1:
			f.byName[name] = tagged[0].e
		default:
			continue // ambiguous: encoding/json ignores the name
		}
		names = append(names, name)
	}
	f.names = names
	return f
}

// validName reports whether encoding/json accepts s as the name in a json tag.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c) && !unicode.IsLetter(c) && !unicode.IsDigit(c) {
			return false
		}
	}
	return true
}
