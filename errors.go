package portico

import (
	"errors"
	"fmt"
	"strings"
)

// ErrorKind classifies an error so that every interface (HTTP, CLI, portal) can map it to its own
// vocabulary in one place.
type ErrorKind string

// The kinds of error Portico reports.
const (
	KindInvalid         ErrorKind = "invalid"         // bad input; Fields says which
	KindNotFound        ErrorKind = "not_found"       // no such object in the caller's account
	KindConflict        ErrorKind = "conflict"        // the request clashes with current state
	KindForbidden       ErrorKind = "forbidden"       // authenticated but not allowed
	KindUnauthenticated ErrorKind = "unauthenticated" // no valid credentials
	KindUnavailable     ErrorKind = "unavailable"     // the server cannot answer now (its database, or a service it needs); try again
	KindDevice          ErrorKind = "device"          // the device cannot take the request now: offline or busy (409, not 403)
	KindLimit           ErrorKind = "limit"           // a plan limit (licences, seats) is exhausted
	KindRateLimited     ErrorKind = "rate_limited"    // too many attempts: locked out for a while (429)
	KindInternal        ErrorKind = "internal"
)

// FieldError names one field of the input and what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is Portico's error type: a kind, the operation that failed, a message fit for the user and, for
// invalid input, the fields at fault.
type Error struct {
	Kind    ErrorKind
	Op      string
	Message string
	Fields  []FieldError
	// Permission is the permission a refusal is about (KindForbidden), so that each interface can
	// name it in its own words; empty otherwise.
	Permission Permission
	// SwitchedOff marks a refusal by a device group setting rather than a missing grant.
	SwitchedOff bool
	Err         error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	if e.Message != "" {
		b.WriteString(e.Message)
	} else {
		b.WriteString(string(e.Kind))
	}
	for i, f := range e.Fields {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(f.Field)
		b.WriteString(" ")
		b.WriteString(f.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of the given kind with a formatted message.
func Errorf(kind ErrorKind, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// NotFound reports that an object of the named type does not exist (or is not visible to the caller:
// the two are never distinguished, so that no account can learn of another's objects).
func NotFound(what string) error {
	return &Error{Kind: KindNotFound, Message: what + " not found"}
}

// KindOf returns the kind of the first *Error in err's chain, or KindInternal.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// IsKind reports whether err is an *Error of the given kind.
func IsKind(err error, kind ErrorKind) bool {
	return err != nil && KindOf(err) == kind
}

// WithOp wraps err with an operation name, keeping its kind.
func WithOp(op string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		c := *e
		if c.Op == "" {
			c.Op = op
		} else {
			c.Op = op + ": " + c.Op
		}
		return &c
	}
	return &Error{Kind: KindInternal, Op: op, Err: err}
}

// Validation collects field errors; its Err method returns nil when there are none.
type Validation struct {
	Fields []FieldError
	// missing counts the field errors that name an object which does not exist in the caller's
	// account (see AddMissing).
	missing int
}

// AddMissing records that field refers to an object that does not exist in the caller's account,
// such as a device group id of another account. When every error is of this sort, Err reports
// not found rather than invalid input, so that ids of other accounts get the same answer in a body
// as in a path.
func (v *Validation) AddMissing(field, format string, args ...any) {
	v.Add(field, format, args...)
	v.missing++
}

// Add records that field is wrong, with a message such as "must be at most 100 characters".
func (v *Validation) Add(field, format string, args ...any) {
	v.Fields = append(v.Fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns an invalid-input *Error listing every field, or nil.
func (v *Validation) Err() error {
	if len(v.Fields) == 0 {
		return nil
	}
	if v.missing == len(v.Fields) {
		return &Error{Kind: KindNotFound, Message: v.Fields[0].Field + ": " + v.Fields[0].Message, Fields: v.Fields}
	}
	return &Error{Kind: KindInvalid, Message: "invalid input", Fields: v.Fields}
}
