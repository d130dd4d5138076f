package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"

	"github.com/portico-dev/portico"
)

// This file holds everything that differs between SQLite and PostgreSQL at run time, plus the small
// conversion helpers both use. The schemas themselves differ only in column types (migrations/).

// rebound caches the SQLite form of each statement; the set of statements is fixed, so it stays small.
var rebound sync.Map

// rebind turns PostgreSQL placeholders ($1) into SQLite's numbered ones (?1). SQLite would read "$1" as
// a parameter named "$1", which the driver does not bind by position.
func (q *querier) rebind(query string) string {
	if !q.sqlite() {
		return query
	}
	if v, ok := rebound.Load(query); ok {
		return v.(string)
	}
	var b strings.Builder
	b.Grow(len(query))
	inString := false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			inString = !inString
		case c == '$' && !inString && i+1 < len(query) && query[i+1] >= '0' && query[i+1] <= '9':
			c = '?'
		}
		b.WriteByte(c)
	}
	out := b.String()
	rebound.Store(query, out)
	return out
}

// sqliteTimeLayout stores times as fixed-width UTC text with microseconds, so that text order is time
// order (range filters and ORDER BY work on the column) and a value reads back exactly.
const sqliteTimeLayout = "2006-01-02T15:04:05.000000Z"

// normTime is how a time is kept: UTC, microsecond precision (what PostgreSQL's timestamptz holds).
func normTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func normTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	n := normTime(*t)
	return &n
}

// args converts arguments to what both drivers take alike: times as normalised time.Time (PostgreSQL)
// or text (SQLite), nil for nil time pointers, and named string types (portico.UserState…) as string.
func (q *querier) args(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case time.Time:
			out[i] = q.timeArg(v)
		case *time.Time:
			if v == nil {
				out[i] = nil
			} else {
				out[i] = q.timeArg(*v)
			}
		case string, bool, int, int64, nil, []byte:
			out[i] = a
		default:
			if rv := reflect.ValueOf(a); rv.Kind() == reflect.String {
				out[i] = rv.String()
			} else {
				out[i] = a
			}
		}
	}
	return out
}

func (q *querier) timeArg(t time.Time) any {
	if q.sqlite() {
		return normTime(t).Format(sqliteTimeLayout)
	}
	return normTime(t)
}

// timeCol scans a NOT NULL time column from either dialect.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(src any) error {
	t, err := scanTime(src)
	if err != nil {
		return err
	}
	if t == nil {
		*c.t = time.Time{}
	} else {
		*c.t = *t
	}
	return nil
}

// nullTimeCol scans a nullable time column into a *time.Time.
type nullTimeCol struct{ t **time.Time }

func (c nullTimeCol) Scan(src any) error {
	t, err := scanTime(src)
	if err != nil {
		return err
	}
	*c.t = t
	return nil
}

func scanTime(src any) (*time.Time, error) {
	var t time.Time
	switch v := src.(type) {
	case nil:
		return nil, nil
	case time.Time:
		t = v
	case string:
		p, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return nil, fmt.Errorf("stored time %q: %w", v, err)
		}
		t = p
	case []byte:
		p, err := time.Parse(time.RFC3339Nano, string(v))
		if err != nil {
			return nil, fmt.Errorf("stored time %q: %w", v, err)
		}
		t = p
	default:
		return nil, fmt.Errorf("stored time: unexpected %T", src)
	}
	t = normTime(t)
	return &t, nil
}

// jsonCol scans a JSON text column into v (a pointer).
type jsonCol struct{ v any }

func (c jsonCol) Scan(src any) error {
	var b []byte
	switch s := src.(type) {
	case nil:
		return nil
	case string:
		b = []byte(s)
	case []byte:
		b = s
	default:
		return fmt.Errorf("stored JSON: unexpected %T", src)
	}
	if err := json.Unmarshal(b, c.v); err != nil {
		return fmt.Errorf("stored JSON: %w", err)
	}
	return nil
}

// toJSON encodes a value for a JSON column. Lists and maps are opaque documents to the database (never
// queried inside), so both dialects keep them as text.
func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode JSON: %w", err)
	}
	return string(b), nil
}

// jsonList encodes a list that must read back as a list, never null.
func jsonList[T any](xs []T) string {
	if xs == nil {
		xs = []T{}
	}
	b, _ := json.Marshal(xs) // strings only: cannot fail
	return string(b)
}

// nullStr maps "" to NULL, for optional references.
func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// inJSON is a condition "col is one of the JSON list in $n". A list can hold tens of thousands of ids
// (every device a technician may see), beyond both databases' limits on parameters, so it travels as
// one JSON text parameter and is unpacked by the database.
func (q *querier) inJSON(col string, n int) string {
	if q.sqlite() {
		return fmt.Sprintf("%s IN (SELECT value FROM json_each($%d))", col, n)
	}
	return fmt.Sprintf("%s IN (SELECT jsonb_array_elements_text($%d::jsonb))", col, n)
}

// textOrder makes ORDER BY compare text byte by byte on both databases (SQLite's BINARY collation; on
// PostgreSQL the database's locale would otherwise decide), so lists come out in the same order as
// Go's string comparison, which the authorization engine uses.
func (q *querier) textOrder(col string) string {
	if q.sqlite() {
		return col
	}
	return col + ` COLLATE "C"`
}

// where accumulates conditions whose "?" marks become numbered parameters.
type where struct {
	conds []string
	args  []any
}

// add appends a condition; each "?" in it takes the next argument.
func (w *where) add(cond string, args ...any) {
	var b strings.Builder
	for i := 0; i < len(cond); i++ {
		if cond[i] == '?' {
			w.args = append(w.args, args[0])
			args = args[1:]
			b.WriteString("$" + strconv.Itoa(len(w.args)))
			continue
		}
		b.WriteByte(cond[i])
	}
	w.conds = append(w.conds, b.String())
}

// next returns the number the next parameter will have, for conditions built by hand.
func (w *where) next() int { return len(w.args) + 1 }

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// limit returns LIMIT/OFFSET for p, numbering its parameters after w's.
func (w *where) limit(p portico.Page) string {
	limit := int64(p.Limit)
	if limit <= 0 {
		limit = math.MaxInt64
	}
	w.args = append(w.args, limit, int64(max(p.Offset, 0)))
	return fmt.Sprintf(" LIMIT $%d OFFSET $%d", len(w.args)-1, len(w.args))
}

// likeSubstring returns a LIKE pattern (used with ESCAPE '\') that matches s, as it is, as a substring.
func likeSubstring(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// notFound is portico.NotFound; a function so call sites read the same everywhere.
func notFound(what string) error { return portico.NotFound(what) }

// constraintViolation tells which kind of constraint an error broke, and names it: the constraint or
// index name on PostgreSQL, SQLite's message ("UNIQUE constraint failed: users.email") otherwise.
func constraintViolation(err error) (kind, name string) {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "23505":
			return "unique", pg.ConstraintName
		case "23503":
			return "foreign_key", pg.ConstraintName
		}
		return "", ""
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) && lite.Code()&0xff == 19 { // SQLITE_CONSTRAINT and its extended codes
		msg := lite.Error()
		switch {
		case strings.Contains(msg, "UNIQUE constraint failed"), strings.Contains(msg, "PRIMARY KEY"):
			return "unique", msg
		case strings.Contains(msg, "FOREIGN KEY constraint failed"):
			return "foreign_key", msg
		}
	}
	return "", ""
}

// mapErr turns constraint violations that no call site anticipated into portico errors and leaves
// everything else alone. A missing row is mapped by the callers, which know what they looked for.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if pe := (*portico.Error)(nil); errors.As(err, &pe) {
		return err // already classified
	}
	switch kind, _ := constraintViolation(err); kind {
	case "unique":
		return &portico.Error{Kind: portico.KindConflict, Message: "already exists", Err: err}
	case "foreign_key":
		return &portico.Error{Kind: portico.KindConflict, Message: "refers to an object that does not exist or is still in use", Err: err}
	}
	return err
}

// conflict returns a conflict naming the field at fault.
func conflict(field, format string, args ...any) error {
	return &portico.Error{Kind: portico.KindConflict, Message: "conflict",
		Fields: []portico.FieldError{{Field: field, Message: fmt.Sprintf(format, args...)}}}
}

// wrap adds the operation to err: errors.Is/As and portico.KindOf still see through it.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", op, mapErr(err))
}

// forUpdate is the clause that locks the rows a SELECT inside a transaction reads until commit, on
// PostgreSQL; SQLite needs none, its single writer already serialises.
func (q *querier) forUpdate() string {
	if q.sqlite() {
		return ""
	}
	return " FOR UPDATE"
}

// Unreachable reports whether err says the database could not be reached or stopped answering (a
// refused or broken connection, a timeout), as opposed to a refused statement: such a request may
// succeed when retried, and is answered 503, not 500.
func Unreachable(err error) bool {
	if err == nil {
		return false
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	var ue *url.Error
	if errors.As(err, &ue) {
		return false // an outbound HTTP request of the app's (an IdP's metadata), not the database
	}
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.As(err, &ne), errors.As(err, &ce), pgconn.Timeout(err):
		return true
	}
	// pgx reports a connection that died mid-query as "conn closed" or an unexpected EOF, untyped.
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "unexpected EOF") ||
		strings.Contains(msg, "failed to connect")
}
