package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"
)

// migrations holds the schema changes, one directory per dialect. Files are applied in name order
// (0001_…, 0002_…); a file once released is never edited, only followed by a new one.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// migrationLock is the PostgreSQL advisory lock key that keeps two nodes starting together from
// applying the same migration twice ("portico" in ASCII).
const migrationLock = 0x706f727469636f

// Migrate applies, in order, every embedded migration the database has not seen yet, each in its own
// transaction together with its row in schema_migrations.
func (s *Store) Migrate(ctx context.Context) error {
	dir := "migrations/" + s.dialect
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)

	createTable := `CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`
	if err := s.lockedTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, createTable)
		return err
	}); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}

	for _, name := range names {
		version := strings.TrimSuffix(name, ".sql")
		body, err := fs.ReadFile(migrations, path.Join(dir, name))
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		err = s.lockedTx(ctx, func(tx *Tx) error {
			var n int
			if err := tx.tx.QueryRowContext(ctx, tx.rebind(`SELECT COUNT(*) FROM schema_migrations WHERE version = $1`),
				version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil // applied earlier, or by another node while we waited for the lock
			}
			// No arguments: both drivers then run the whole file, several statements, in one call.
			if _, err := tx.tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			if step := migrationSteps[version]; step != nil {
				if err := step(ctx, tx); err != nil {
					return err
				}
			}
			_, err := tx.exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,
				version, time.Now().UTC().Format(time.RFC3339))
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
	}
	return nil
}

// lockedTx runs fn in a transaction that, on PostgreSQL, first takes the migration advisory lock (held
// until the transaction ends). On SQLite the immediate transaction already excludes other writers.
func (s *Store) lockedTx(ctx context.Context, fn func(*Tx) error) error {
	return s.Tx(ctx, func(tx *Tx) error {
		if s.dialect == DialectPostgres {
			if _, err := tx.tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
				return fmt.Errorf("take migration lock: %w", err)
			}
		}
		return fn(tx)
	})
}
