package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

// Problem is an RFC 9457 problem document, the body of every error response.
type Problem struct {
	// Type is a URI naming the kind of problem.
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Errors names each field at fault, for invalid input.
	Errors []portico.FieldError `json:"errors,omitempty"`
}

const problemBase = "https://portico.dev/problems/"

// problemKind is how one kind of error is answered: its status, its problem type (the last segment
// of the type URI, documented in docs/api.md) and its title.
type problemKind struct {
	status int
	typ    string
	title  string
}

// kinds maps an app error's kind to its answer. A plan limit (licences, seats) is 409: the request
// clashes with the account's current state, which an administrator can change; 402 is reserved by
// RFC 9110 and clients treat it unpredictably. A device that is offline or busy is 409 with a type
// of its own, so that a client can tell "try later" from "you may not".
var kinds = map[portico.ErrorKind]problemKind{
	portico.KindInvalid:         {http.StatusUnprocessableEntity, "validation", "Invalid input"},
	portico.KindNotFound:        {http.StatusNotFound, "not_found", "Not found"},
	portico.KindConflict:        {http.StatusConflict, "conflict", "Conflict"},
	portico.KindForbidden:       {http.StatusForbidden, "forbidden", "Forbidden"},
	portico.KindUnauthenticated: {http.StatusUnauthorized, "unauthenticated", "Authentication required"},
	portico.KindUnavailable:     {http.StatusServiceUnavailable, "service_unavailable", "Service unavailable"},
	portico.KindDevice:          {http.StatusConflict, "device_unavailable", "Device unavailable"},
	portico.KindLimit:           {http.StatusConflict, "plan_limit", "Plan limit reached"},
	portico.KindRateLimited:     {http.StatusTooManyRequests, "rate_limited", "Too many attempts"},
	portico.KindInternal:        {http.StatusInternalServerError, "internal", "Internal error"},
}

// inputTypes names the problems the API itself raises before the app sees a request, by status.
var inputTypes = map[int]string{
	http.StatusBadRequest:            "bad_request",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "not_found",
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusRequestEntityTooLarge: "too_large",
	http.StatusUnsupportedMediaType:  "unsupported_media_type",
	http.StatusUnprocessableEntity:   "validation",
	http.StatusTooManyRequests:       "rate_limited",
	http.StatusServiceUnavailable:    "service_unavailable",
}

// inputError is a request the API itself refuses before the app sees it: malformed JSON, a wrong
// content type, a bad query parameter. It makes no authorization decision, so the backstop lets it by.
type inputError struct {
	status int
	title  string
	detail string
	fields []portico.FieldError
}

func (e *inputError) Error() string { return e.detail }

func badRequest(field, format string, args ...any) *inputError {
	e := &inputError{status: http.StatusBadRequest, detail: "the request is malformed"}
	if field != "" {
		var v portico.Validation
		v.Add(field, format, args...)
		e.fields = v.Fields
		e.detail = field + " " + v.Fields[0].Message
	}
	return e
}

// invalidInput refuses a body the API will not read although it is JSON (a key given twice, a null
// where a value is needed…), naming the field, with the status of any other invalid input.
func invalidInput(field, format string, args ...any) *inputError {
	e := badRequest(field, format, args...)
	e.status, e.title = http.StatusUnprocessableEntity, "Invalid input"
	return e
}

func unauthenticated(detail string) error {
	return &portico.Error{Kind: portico.KindUnauthenticated, Message: detail}
}

// problemFor turns any error into its problem document. Internal errors say nothing of their cause.
// The detail names the first field at fault, so that a client that reads only the detail still
// learns what to fix.
func problemFor(err error) Problem {
	var ie *inputError
	if errors.As(err, &ie) {
		title := ie.title
		if title == "" {
			title = http.StatusText(ie.status)
		}
		typ := inputTypes[ie.status]
		if typ == "" {
			typ = "bad_request"
		}
		return Problem{Type: problemBase + typ, Title: title, Status: ie.status, Detail: ie.detail, Errors: ie.fields}
	}
	k, ok := kinds[portico.KindOf(err)]
	if !ok {
		k = kinds[portico.KindInternal]
	}
	if k.status == http.StatusInternalServerError && app.Unreachable(err) {
		k = kinds[portico.KindUnavailable]
		return Problem{Type: problemBase + k.typ, Title: k.title, Status: k.status,
			Detail: "the database does not answer; nothing was decided: try again"}
	}
	p := Problem{Type: problemBase + k.typ, Title: k.title, Status: k.status}
	if k.status == http.StatusInternalServerError {
		p.Detail = "something went wrong on the server; it has been logged"
		return p
	}
	var pe *portico.Error
	if errors.As(err, &pe) {
		// Message is written for the user; Op and the wrapped cause are for the log.
		p.Detail = pe.Message
		p.Errors = pe.Fields
		if len(pe.Fields) > 0 && (p.Detail == "" || p.Detail == "invalid input" || p.Detail == "conflict") {
			p.Detail = firstField(pe.Fields)
		}
	}
	return p
}

// firstField says what is wrong with the first field, and how many more are.
func firstField(fields []portico.FieldError) string {
	d := fields[0].Field + " " + fields[0].Message
	if n := len(fields) - 1; n == 1 {
		d += " (and 1 more error)"
	} else if n > 1 {
		d += fmt.Sprintf(" (and %d more errors)", n)
	}
	return d
}

func (s *server) writeError(c *call, err error) {
	p := problemFor(err)
	if p.Status >= 500 {
		s.log.LogAttrs(c.r.Context(), slog.LevelError, "request failed",
			slog.String("method", c.r.Method), slog.String("path", c.r.URL.Path), slog.Any("err", err))
	}
	if p.Status == http.StatusUnauthorized {
		c.w.Header().Set("WWW-Authenticate", `Bearer realm="portico"`)
	}
	switch p.Status {
	case http.StatusServiceUnavailable:
		c.w.Header().Set("Retry-After", "1")
	case http.StatusTooManyRequests:
		if c.w.Header().Get("Retry-After") == "" {
			c.w.Header().Set("Retry-After", "900") // the sign-in lockout's 15 minutes
		}
	}
	c.w.Header().Set("Content-Type", "application/problem+json")
	c.w.Header().Set("Cache-Control", "no-store")
	c.w.WriteHeader(p.Status)
	_ = json.NewEncoder(c.w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
