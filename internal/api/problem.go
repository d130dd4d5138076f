package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/store"
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

// kindStatus maps an error kind to its HTTP status. A plan limit (licences, seats) is 409: the
// request clashes with the account's current state, which an administrator can change; 402 is
// reserved by RFC 9110 and clients treat it unpredictably.
var kindStatus = map[portico.ErrorKind]int{
	portico.KindInvalid:         http.StatusUnprocessableEntity,
	portico.KindNotFound:        http.StatusNotFound,
	portico.KindConflict:        http.StatusConflict,
	portico.KindForbidden:       http.StatusForbidden,
	portico.KindUnauthenticated: http.StatusUnauthorized,
	portico.KindUnavailable:     http.StatusServiceUnavailable,
	portico.KindLimit:           http.StatusConflict,
	portico.KindInternal:        http.StatusInternalServerError,
}

var kindTitle = map[portico.ErrorKind]string{
	portico.KindInvalid:         "Invalid input",
	portico.KindNotFound:        "Not found",
	portico.KindConflict:        "Conflict",
	portico.KindForbidden:       "Forbidden",
	portico.KindUnauthenticated: "Authentication required",
	portico.KindUnavailable:     "Unavailable",
	portico.KindLimit:           "Plan limit reached",
	portico.KindInternal:        "Internal error",
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

func unauthenticated(detail string) error {
	return &portico.Error{Kind: portico.KindUnauthenticated, Message: detail}
}

// problemFor turns any error into its problem document. Internal errors say nothing of their cause.
func problemFor(err error) Problem {
	var ie *inputError
	if errors.As(err, &ie) {
		title := ie.title
		if title == "" {
			title = http.StatusText(ie.status)
		}
		return Problem{Type: problemBase + "request", Title: title, Status: ie.status, Detail: ie.detail, Errors: ie.fields}
	}
	kind := portico.KindOf(err)
	status, ok := kindStatus[kind]
	if !ok {
		kind, status = portico.KindInternal, http.StatusInternalServerError
	}
	if kind == portico.KindInternal && store.Unreachable(err) {
		return Problem{Type: problemBase + string(portico.KindUnavailable), Title: kindTitle[portico.KindUnavailable],
			Status: http.StatusServiceUnavailable, Detail: "the database does not answer; nothing was decided: try again"}
	}
	p := Problem{Type: problemBase + string(kind), Title: kindTitle[kind], Status: status}
	if kind == portico.KindInternal {
		p.Detail = "something went wrong on the server; it has been logged"
		return p
	}
	var pe *portico.Error
	if errors.As(err, &pe) {
		// Message is written for the user; Op and the wrapped cause are for the log.
		p.Detail = pe.Message
		p.Errors = pe.Fields
	}
	return p
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
	if p.Status == http.StatusServiceUnavailable {
		c.w.Header().Set("Retry-After", "1")
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
