package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/portico-dev/portico"
)

// Problem types (the last segment of a problem document's type URI, docs/api.md).
const (
	TypeBadRequest         = "bad_request"
	TypeUnauthenticated    = "unauthenticated"
	TypeForbidden          = "forbidden"
	TypeNotFound           = "not_found"
	TypeMethodNotAllowed   = "method_not_allowed"
	TypeConflict           = "conflict"
	TypeDeviceUnavailable  = "device_unavailable"
	TypePlanLimit          = "plan_limit"
	TypeValidation         = "validation"
	TypeRateLimited        = "rate_limited"
	TypeInternal           = "internal"
	TypeServiceUnavailable = "service_unavailable"
)

// Error is a refusal by the server: its RFC 9457 problem document, or what the client could make of
// an answer that was not one (a proxy's error page). Find it with errors.As.
type Error struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Type is the problem type's URI, such as https://portico.dev/problems/not_found.
	Type   string
	Title  string
	Detail string
	// Fields names each field at fault (JSON paths such as conditions[2].value).
	Fields []portico.FieldError
	// RetryAfter is the server's Retry-After, when it sent one (429, 503).
	RetryAfter time.Duration
}

// Kind is the problem type's last segment: not_found, validation, conflict… ("" when the answer was
// not a problem document).
func (e *Error) Kind() string {
	if i := strings.LastIndex(e.Type, "/"); i >= 0 {
		return e.Type[i+1:]
	}
	return e.Type
}

// Message is what to tell a person: the detail (which names the first field at fault), else the title.
func (e *Error) Message() string {
	switch {
	case e.Detail != "":
		return e.Detail
	case e.Title != "":
		return e.Title
	}
	return http.StatusText(e.StatusCode)
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%d %s", e.StatusCode, e.Message())
	if k := e.Kind(); k != "" {
		s = fmt.Sprintf("%d %s: %s", e.StatusCode, k, e.Message())
	}
	return s
}

// problem is the wire form of a problem document.
type problem struct {
	Type   string               `json:"type"`
	Title  string               `json:"title"`
	Status int                  `json:"status"`
	Detail string               `json:"detail"`
	Errors []portico.FieldError `json:"errors"`
}

// errorFrom builds the *Error of a refused response from its body.
func errorFrom(resp *http.Response, body []byte) *Error {
	e := &Error{StatusCode: resp.StatusCode}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	var p problem
	if json.Unmarshal(body, &p) == nil && (p.Type != "" || p.Title != "" || p.Detail != "") {
		e.Type, e.Title, e.Detail, e.Fields = p.Type, p.Title, p.Detail, p.Errors
		return e
	}
	// Not a problem document: a proxy or something else answered. Keep a readable start of it.
	text := strings.TrimSpace(string(body))
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	e.Title, e.Detail = http.StatusText(resp.StatusCode), text
	return e
}

// StatusCode is the HTTP status of err's *Error, or 0 when err is not a refusal by the server.
func StatusCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}

// HasKind reports whether err is a refusal of the given problem type (TypeNotFound…).
func HasKind(err error, kind string) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind() == kind
}

// IsNotFound reports whether err says the object does not exist, or is hidden from the caller.
func IsNotFound(err error) bool { return StatusCode(err) == http.StatusNotFound }

// IsUnauthenticated reports whether err says the credentials are missing or invalid.
func IsUnauthenticated(err error) bool { return StatusCode(err) == http.StatusUnauthorized }

// IsForbidden reports whether err says the caller may not do this.
func IsForbidden(err error) bool { return StatusCode(err) == http.StatusForbidden }

// IsConflict reports whether err is any 409: a clash with the current state, a device that is
// offline or busy, or a plan limit (tell them apart with HasKind).
func IsConflict(err error) bool { return StatusCode(err) == http.StatusConflict }

// IsValidation reports whether err refuses the input, naming the fields at fault.
func IsValidation(err error) bool { return StatusCode(err) == http.StatusUnprocessableEntity }

// IsRateLimited reports whether err asks to wait (see Error.RetryAfter).
func IsRateLimited(err error) bool { return StatusCode(err) == http.StatusTooManyRequests }

// IsUnavailable reports whether the server could not decide now and nothing was done: try again.
func IsUnavailable(err error) bool { return StatusCode(err) == http.StatusServiceUnavailable }
