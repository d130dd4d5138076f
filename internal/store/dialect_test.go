package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/store/pgtest"
)

func TestUnreachable(t *testing.T) {
	_, refused := net.Dial("tcp", "127.0.0.1:1")
	if refused == nil {
		t.Skip("something listens on port 1")
	}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", fmt.Errorf("get user: %w", refused), true},
		{"deadline", fmt.Errorf("read: %w", context.DeadlineExceeded), true},
		{"a conflict", conflict("name", "taken"), false},
		{"not found", portico.NotFound("device"), false},
		{"an outbound request", &url.Error{Op: "Get", URL: "https://idp.example", Err: refused}, false},
		{"anything else", errors.New("syntax error at or near"), false},
		{"none", nil, false},
	} {
		if got := Unreachable(tc.err); got != tc.want {
			t.Errorf("%s: Unreachable(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

// TestUnreachableDatabase: a store cut off from PostgreSQL fails with an error Unreachable knows, so
// that the API answers 503 rather than 500.
func TestUnreachableDatabase(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	proxy, proxied := pgtest.NewProxy(t, dbURL)
	ctx := context.Background()
	s, err := OpenAndMigrate(ctx, Config{DatabaseURL: proxied})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	proxy.Cut()
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err = s.GetAccount(qctx, "acc_x")
	if err == nil || !Unreachable(err) {
		t.Fatalf("a read through the cut proxy: %v, want an unreachable database", err)
	}
}
