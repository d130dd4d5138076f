package api

import (
	"iter"
	"mime"
	"net/http"
	"reflect"
	"time"

	"github.com/portico-dev/portico/internal/export"
)

// Route is one operation of the API: the entry of the route table that registers it on the mux and
// describes it in the OpenAPI document.
type Route struct {
	Method      string
	Path        string
	OperationID string
	Summary     string
	// Permission says what the caller needs, as documentation: a catalogue id such as "users.view",
	// with any nuance ("or themself"), "authenticated" for any signed-in caller, or "public".
	Permission string
	// Status is the status of a successful answer.
	Status int
	// Public routes need no credentials; their handlers mark the request as decided themselves.
	Public bool
	// Query lists the query parameters the operation reads.
	Query []Param

	ep endpoint
}

// Param is a query parameter of an operation.
type Param struct {
	Name        string
	Description string
	// Type is the JSON schema type: "string" (default), "integer" or "boolean".
	Type string
}

func (rt *Route) pattern() string { return rt.Method + " " + rt.Path }

// endpoint is a handler with the Go types of its request and response bodies, taken from its
// signature so that the OpenAPI document cannot drift from the code.
type endpoint struct {
	in, out reflect.Type // in is nil when the operation reads no body
	// lines marks an answer streamed as JSON Lines, one out per line.
	lines bool
	fn    func(c *call) (any, error)
}

// noContent is the result of an operation that answers 204 with no body.
type noContent struct{}

// noBody makes an endpoint of a handler that reads no request body.
func noBody[Out any](fn func(c *call) (Out, error)) endpoint {
	return endpoint{out: reflect.TypeFor[Out](), fn: func(c *call) (any, error) { return fn(c) }}
}

// jsonBody makes an endpoint of a handler that takes a JSON body, decoded strictly before it runs.
func jsonBody[In, Out any](fn func(c *call, in *In) (Out, error)) endpoint {
	return endpoint{in: reflect.TypeFor[In](), out: reflect.TypeFor[Out](), fn: func(c *call) (any, error) {
		in := new(In)
		if err := c.decode(in); err != nil {
			return nil, err
		}
		return fn(c, in)
	}}
}

// jsonLines makes an endpoint of a handler that streams a sequence as JSON Lines, downloaded as
// name-DATE.jsonl. The handler authorizes before it returns the sequence, so that a refusal is still
// a problem document; once lines are written, a failure can only cut the answer short.
func jsonLines[Item any](name string, fn func(c *call) (iter.Seq2[Item, error], error)) endpoint {
	return endpoint{out: reflect.TypeFor[Item](), lines: true, fn: func(c *call) (any, error) {
		seq, err := fn(c)
		if err != nil {
			return nil, err
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Type", export.JSONLinesType)
			h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{
				"filename": export.Filename(export.Table{Title: name, Generated: time.Now()}, "jsonl")}))
			h.Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusOK)
			if err := export.JSONLines(w, seq); err != nil {
				c.s.log.Error("json lines cut short", "path", r.URL.Path, "err", err)
				// Abort rather than end the answer normally, so that the client sees a broken
				// transfer instead of a file that looks complete.
				panic(http.ErrAbortHandler)
			}
		}), nil
	}}
}

// Routes returns the route table: every operation the API serves.
func Routes() []Route {
	rs := routes()
	for i := range rs {
		rs[i].ep = endpoint{}
	}
	return rs
}

var (
	pageQuery = []Param{
		{Name: "limit", Type: "integer", Description: "items per page, 1 to 500 (default 50)"},
		{Name: "offset", Type: "integer", Description: "items to skip"},
	}
	created   = http.StatusCreated
	ok        = http.StatusOK
	noContnt  = http.StatusNoContent
	withPages = func(ps ...Param) []Param { return append(append([]Param{}, ps...), pageQuery...) }
)
