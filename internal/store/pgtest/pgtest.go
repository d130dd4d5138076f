// Package pgtest gives tests a database of their own on the PostgreSQL test server.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// NewDatabase creates an empty database on the test server (PORTICO_TEST_POSTGRES_URL, by default the
// local one), dropped when the test ends, and returns its URL. Without a reachable server the test is
// skipped, except in CI, where PostgreSQL must be tested.
func NewDatabase(t testing.TB) string {
	t.Helper()
	base := os.Getenv("PORTICO_TEST_POSTGRES_URL")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	admin, err := sql.Open("pgx", base)
	if err == nil {
		err = admin.PingContext(ctx)
	}
	if err != nil {
		if admin != nil {
			admin.Close()
		}
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL unreachable at %s (required in CI): %v", base, err)
		}
		t.Skipf("PostgreSQL unreachable at %s: %v", base, err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "portico_test_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		admin.Close()
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		ctx := context.Background()
		_, _ = admin.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = $1 AND pid <> pg_backend_pid()`, name)
		if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
