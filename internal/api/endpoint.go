package api

import (
	"net/http"
	"reflect"
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
	fn      func(c *call) (any, error)
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
