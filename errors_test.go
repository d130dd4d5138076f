package portico_test

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/portico-dev/portico"
)

func TestKindOf(t *testing.T) {
	notFound := portico.NotFound("device")
	tests := []struct {
		name string
		err  error
		want portico.ErrorKind
	}{
		{"Errorf", portico.Errorf(portico.KindConflict, "busy %d", 1), portico.KindConflict},
		{"NotFound", notFound, portico.KindNotFound},
		{"wrapped with %w", fmt.Errorf("load: %w", notFound), portico.KindNotFound},
		{"wrapped twice", fmt.Errorf("a: %w", fmt.Errorf("b: %w", portico.Errorf(portico.KindForbidden, "no"))), portico.KindForbidden},
		{"joined", errors.Join(io.EOF, portico.Errorf(portico.KindLimit, "no licence")), portico.KindLimit},
		{"WithOp keeps kind", portico.WithOp("device.move", portico.Errorf(portico.KindUnavailable, "offline")), portico.KindUnavailable},
		{"WithOp of wrapped", portico.WithOp("op", fmt.Errorf("x: %w", notFound)), portico.KindNotFound},
		{"validation", func() error {
			var v portico.Validation
			v.Add("name", "is required")
			return v.Err()
		}(), portico.KindInvalid},
		{"plain error", io.EOF, portico.KindInternal},
		{"wrapped plain error", fmt.Errorf("x: %w", io.EOF), portico.KindInternal},
		{"WithOp of plain error", portico.WithOp("op", io.EOF), portico.KindInternal},
		{"%v loses the kind", fmt.Errorf("x: %v", notFound), portico.KindInternal},
		{"unauthenticated", &portico.Error{Kind: portico.KindUnauthenticated}, portico.KindUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := portico.KindOf(tt.err); got != tt.want {
				t.Errorf("KindOf(%v) = %q, want %q", tt.err, got, tt.want)
			}
			if !portico.IsKind(tt.err, tt.want) {
				t.Errorf("IsKind(%v, %q) = false", tt.err, tt.want)
			}
		})
	}
	if portico.IsKind(nil, portico.KindInternal) {
		t.Errorf("IsKind(nil, internal) = true")
	}
	if portico.IsKind(notFound, portico.KindConflict) {
		t.Errorf("IsKind(not found, conflict) = true")
	}
}

func TestWithOp(t *testing.T) {
	if portico.WithOp("op", nil) != nil {
		t.Fatalf("WithOp(nil) != nil")
	}
	base := portico.NotFound("role")
	e1 := portico.WithOp("role.get", base)
	e2 := portico.WithOp("api", e1)
	if got, want := e2.Error(), "api: role.get: role not found"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got := base.Error(); got != "role not found" {
		t.Errorf("WithOp changed the original error: %q", got)
	}
	plain := portico.WithOp("store.open", io.EOF)
	if !errors.Is(plain, io.EOF) {
		t.Errorf("WithOp of a plain error does not unwrap to it")
	}
	if got := plain.Error(); got != "store.open: internal: EOF" {
		t.Errorf("Error() = %q", got)
	}
	var pe *portico.Error
	if !errors.As(e2, &pe) || pe.Op != "api: role.get" {
		t.Errorf("Op = %q", pe.Op)
	}
}

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		err  *portico.Error
		want string
	}{
		{&portico.Error{Kind: portico.KindConflict}, "conflict"},
		{&portico.Error{Kind: portico.KindConflict, Message: "name taken"}, "name taken"},
		{&portico.Error{Kind: portico.KindInvalid, Op: "role.create", Message: "invalid input",
			Fields: []portico.FieldError{{"name", "is required"}, {"permissions[2]", `"x" is not a known permission`}}},
			`role.create: invalid input: name is required; permissions[2] "x" is not a known permission`},
		{&portico.Error{Kind: portico.KindInternal, Op: "db", Err: io.ErrUnexpectedEOF}, "db: internal: unexpected EOF"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestValidationErr(t *testing.T) {
	var v portico.Validation
	if err := v.Err(); err != nil {
		t.Fatalf("empty validation: Err() = %v (a typed nil would break `err != nil`)", err)
	}
	v.Add("name", "must be at most %d characters", 100)
	v.Add("colour", "must be a colour")
	err := v.Err()
	var pe *portico.Error
	if !errors.As(err, &pe) {
		t.Fatalf("Err() is %T", err)
	}
	if pe.Kind != portico.KindInvalid || len(pe.Fields) != 2 || pe.Fields[0] != (portico.FieldError{Field: "name", Message: "must be at most 100 characters"}) {
		t.Errorf("Err() = %+v", pe)
	}
	if !strings.Contains(err.Error(), "colour must be a colour") {
		t.Errorf("Error() = %q", err.Error())
	}
}

var idRE = regexp.MustCompile(`^dev_[a-z2-7]{16}$`)

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	for range 10000 {
		id := portico.NewID("dev")
		if !idRE.MatchString(id) {
			t.Fatalf("NewID = %q, want %s", id, idRE)
		}
		if seen[id] {
			t.Fatalf("NewID repeated %q", id)
		}
		seen[id] = true
	}
	for _, prefix := range []string{"usr", "grp", "acc", "aud"} {
		if id := portico.NewID(prefix); !strings.HasPrefix(id, prefix+"_") {
			t.Errorf("NewID(%q) = %q", prefix, id)
		}
	}
}

func TestSecrets(t *testing.T) {
	s1, s2 := portico.NewSecret("pk"), portico.NewSecret("pk")
	if s1 == s2 {
		t.Fatalf("NewSecret repeated")
	}
	if !regexp.MustCompile(`^pk_[a-z2-7]{39}$`).MatchString(s1) {
		t.Errorf("NewSecret = %q (want 192 random bits)", s1)
	}
	// A known SHA-256 vector.
	if got := portico.HashSecret("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("HashSecret(abc) = %s", got)
	}
	h := portico.HashSecret(s1)
	if h == s1 || strings.Contains(h, s1) {
		t.Errorf("hash reveals the secret")
	}
	tests := []struct {
		secret, hash string
		want         bool
	}{
		{s1, h, true},
		{s2, h, false},
		{s1 + "x", h, false},
		{"", h, false},
		{s1, "", false},
		{s1, h[:63], false},
		{s1, strings.ToUpper(h), false},
		{"", portico.HashSecret(""), true},
	}
	for _, tt := range tests {
		if got := portico.SecretMatches(tt.secret, tt.hash); got != tt.want {
			t.Errorf("SecretMatches(%.10q, %.10q) = %v, want %v", tt.secret, tt.hash, got, tt.want)
		}
	}
}

func TestValidationMissingReferences(t *testing.T) {
	var only portico.Validation
	only.AddMissing("group_id", "no such device group")
	if k := portico.KindOf(only.Err()); k != portico.KindNotFound {
		t.Fatalf("only missing references: kind %s, want not_found", k)
	}
	if f := only.Err().(*portico.Error).Fields; len(f) != 1 || f[0].Field != "group_id" {
		t.Fatalf("fields %v, want group_id", f)
	}
	var mixed portico.Validation
	mixed.AddMissing("group_id", "no such device group")
	mixed.Add("name", "must not be empty")
	if k := portico.KindOf(mixed.Err()); k != portico.KindInvalid {
		t.Fatalf("missing reference plus bad field: kind %s, want invalid", k)
	}
}
