// Package store keeps Portico's data in SQLite (single node, embedded) or PostgreSQL (cluster).
//
// Both backends share one Store type and one set of SQL statements, written with PostgreSQL's $1
// placeholders and rebound for SQLite. The few places where the dialects differ are explicit (see
// dialect.go). Every data method exists on *Store (one statement, or its own transaction when it needs
// several) and on *Tx (inside the caller's transaction); both are implemented once on querier.
//
// Every method is scoped to an account: an id that belongs to another account is reported exactly as
// a missing one (portico.NotFound), so that no account can learn of another's objects.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver
)

// Dialect names.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// Config says where the data lives.
type Config struct {
	// DataDir holds the embedded SQLite database (DataDir/portico.db) when DatabaseURL is empty.
	DataDir string
	// DatabaseURL, when set ("postgres://…"), selects PostgreSQL.
	DatabaseURL string
}

// Store is an open database. Its methods run outside any caller transaction; use Tx to group several.
type Store struct {
	querier
	dialect string
	// wdb takes every write. rdb serves reads that run outside a transaction. For PostgreSQL they are the
	// same pool; for SQLite see openSQLite for why they differ.
	wdb, rdb *sql.DB
}

// Tx is one database transaction, handed to the function given to Store.Tx. It has every data method
// of Store.
type Tx struct {
	querier
}

// Open opens (and for SQLite creates) the database described by cfg. It does not migrate: call
// Migrate, or use OpenAndMigrate.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	var s *Store
	var err error
	switch {
	case cfg.DatabaseURL == "":
		s, err = openSQLite(ctx, cfg.DataDir)
	case strings.HasPrefix(cfg.DatabaseURL, "postgres://"), strings.HasPrefix(cfg.DatabaseURL, "postgresql://"):
		s, err = openPostgres(ctx, cfg.DatabaseURL)
	default:
		return nil, fmt.Errorf("open store: unsupported database URL scheme (want postgres://…)")
	}
	if err != nil {
		return nil, err
	}
	s.querier = querier{s: s}
	return s, nil
}

// OpenAndMigrate opens the database and applies any pending migrations.
func OpenAndMigrate(ctx context.Context, cfg Config) (*Store, error) {
	s, err := Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// openSQLite opens DataDir/portico.db.
//
// SQLite allows one writer at a time. A deferred transaction that first reads and later writes can fail
// at once with SQLITE_BUSY when another connection wrote in between (the busy timeout does not help
// there), so every write goes through a pool of exactly one connection whose transactions begin
// IMMEDIATE: writers queue inside database/sql (honouring ctx) instead of failing, and a transaction
// owns the write lock from its first statement. The immediate begin and the busy timeout also cover a
// second process (a CLI command next to a running server) writing the same file. Reads outside a
// transaction use a separate read-only pool: in WAL mode they run concurrently with the writer and see
// the last committed state, so a long read (LoadAccess of a large account) never blocks writes.
func openSQLite(ctx context.Context, dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("open store: a data directory is required for SQLite")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open store: create data directory: %w", err)
	}
	path := filepath.Join(dir, "portico.db")
	common := url.Values{}
	common.Add("_pragma", "busy_timeout(10000)")
	common.Add("_pragma", "foreign_keys(1)")
	common.Add("_pragma", "synchronous(NORMAL)")

	w := url.Values{}
	for k, v := range common {
		w[k] = append([]string{}, v...)
	}
	w.Add("_pragma", "journal_mode(WAL)")
	w.Set("_txlock", "immediate")
	wdb, err := sql.Open("sqlite", path+"?"+w.Encode())
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	// Connect the writer first: it switches the file to WAL (a persistent setting) before any reader opens.
	if err := wdb.PingContext(ctx); err != nil {
		wdb.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}

	r := common
	r.Add("_pragma", "query_only(1)")
	rdb, err := sql.Open("sqlite", path+"?"+r.Encode())
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	rdb.SetMaxOpenConns(n)
	rdb.SetMaxIdleConns(n)
	if err := rdb.PingContext(ctx); err != nil {
		wdb.Close()
		rdb.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return &Store{dialect: DialectSQLite, wdb: wdb, rdb: rdb}, nil
}

func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(8)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store: connect to PostgreSQL: %w", err)
	}
	return &Store{dialect: DialectPostgres, wdb: db, rdb: db}, nil
}

// Close closes the database.
func (s *Store) Close() error {
	err := s.wdb.Close()
	if s.rdb != s.wdb {
		err = errors.Join(err, s.rdb.Close())
	}
	return err
}

// Dialect returns "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect }

// Ping checks that the database answers (for readiness probes).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.wdb.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	if s.rdb != s.wdb {
		if err := s.rdb.PingContext(ctx); err != nil {
			return fmt.Errorf("ping database: %w", err)
		}
	}
	return nil
}

// Tx runs fn in one transaction: committed when fn returns nil, rolled back when it returns an error or
// panics (the panic then continues).
//
// Inside fn, use tx for every read and write. A write through the Store itself would, on SQLite, wait for
// the single writer connection that this transaction holds. On PostgreSQL a failed statement aborts the
// transaction: return its error rather than carrying on.
func (s *Store) Tx(ctx context.Context, fn func(*Tx) error) (err error) {
	sqlTx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = sqlTx.Rollback()
		}
	}()
	tx := &Tx{querier{s: s, tx: sqlTx}}
	if err := fn(tx); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", mapErr(err))
	}
	committed = true
	return nil
}

// querier carries the data methods. Outside a transaction (tx nil) reads go to the read pool and
// writes to the write pool; inside one, everything goes through the transaction.
type querier struct {
	s  *Store
	tx *sql.Tx
}

// dbtx is what *sql.DB and *sql.Tx have in common.
type dbtx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (q *querier) reader() dbtx {
	if q.tx != nil {
		return q.tx
	}
	return q.s.rdb
}

func (q *querier) writer() dbtx {
	if q.tx != nil {
		return q.tx
	}
	return q.s.wdb
}

func (q *querier) sqlite() bool { return q.s.dialect == DialectSQLite }

// exec runs a statement that writes.
func (q *querier) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return q.writer().ExecContext(ctx, q.rebind(query), q.args(args)...)
}

// query runs a read.
func (q *querier) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return q.reader().QueryContext(ctx, q.rebind(query), q.args(args)...)
}

// queryRow runs a read of one row.
func (q *querier) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return q.reader().QueryRowContext(ctx, q.rebind(query), q.args(args)...)
}

// queryRowW reads one row through the write path: for reads that belong to a write (UPDATE …
// RETURNING, or a check right after a write) and so must not go to SQLite's read-only pool.
func (q *querier) queryRowW(ctx context.Context, query string, args ...any) *sql.Row {
	return q.writer().QueryRowContext(ctx, q.rebind(query), q.args(args)...)
}

// atomic runs fn inside a transaction: the caller's when there is one, a new one otherwise. Methods
// that write several statements use it so that, called on *Store, they still write all or nothing.
func (q *querier) atomic(ctx context.Context, fn func(q *querier) error) error {
	if q.tx != nil {
		return fn(q)
	}
	return q.s.Tx(ctx, func(tx *Tx) error { return fn(&tx.querier) })
}

// execOne runs a write that must touch exactly one row; none means the object does not exist (in this
// account), reported as portico.NotFound(what).
func (q *querier) execOne(ctx context.Context, what string, query string, args ...any) error {
	res, err := q.exec(ctx, query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound(what)
	}
	return nil
}
