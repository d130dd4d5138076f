package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico"
)

func TestNodeToken(t *testing.T) {
	e := newEnv(t)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	if err := e.a.SetSealKey(key); err != nil {
		t.Fatal(err)
	}
	tech := e.user("tech@example.test")
	// The narrowing travels as it is (an API key's; the token carries whatever the first node saw).
	narrowed := portico.NewPermissionSet(portico.PermDeviceView, portico.PermDeviceTerminal)
	tech.KeyPermissions, tech.SourceIP = &narrowed, "10.9.9.9"
	const path = "/api/v1/devices/dev_1/session?actions=terminal"
	token, err := e.a.NodeToken(tech, "GET", path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ac, err := e.a.AuthenticateNodeToken(ctx, token, "GET", path)
	if err != nil {
		t.Fatal(err)
	}
	if !ac.Relayed || ac.UserID != tech.UserID || ac.AccountID != tech.AccountID || ac.SourceIP != "10.9.9.9" ||
		ac.KeyPermissions == nil || *ac.KeyPermissions != narrowed {
		t.Fatalf("the token vouches for %+v", ac)
	}

	payload, mac, _ := strings.Cut(token, ".")
	other := make([]byte, 32)
	_, _ = rand.Read(other)
	otherNode := New(e.a.store, e.a.log)
	_ = otherNode.SetSealKey(other)
	for _, tc := range []struct {
		name, token, method, path string
		app                       *App
		at                        time.Time
	}{
		{name: "another request's path", token: token, method: "GET", path: "/api/v1/devices/dev_2/session?actions=terminal"},
		{name: "another method", token: token, method: "POST", path: path},
		{name: "tampered payload", token: base64.RawURLEncoding.EncodeToString([]byte(`{"kind":"user","account_id":"x"}`)) + "." + mac,
			method: "GET", path: path},
		{name: "no signature", token: payload, method: "GET", path: path},
		{name: "garbage", token: "!!.??", method: "GET", path: path},
		{name: "expired", token: token, method: "GET", path: path, at: e.now.Add(time.Minute)},
		{name: "signed with another cluster's key", token: token, method: "GET", path: path, app: otherNode},
	} {
		a := e.a
		if tc.app != nil {
			a = tc.app
		}
		if !tc.at.IsZero() {
			saved := e.now
			e.now = tc.at
			_, err = a.AuthenticateNodeToken(ctx, tc.token, tc.method, tc.path)
			e.now = saved
		} else {
			_, err = a.AuthenticateNodeToken(ctx, tc.token, tc.method, tc.path)
		}
		if !portico.IsKind(err, portico.KindUnauthenticated) {
			t.Errorf("%s: %v, want unauthenticated", tc.name, err)
		}
	}

	// Without the shared key there is no token at all.
	keyless := New(e.a.store, e.a.log)
	if _, err := keyless.NodeToken(tech, "GET", path); !portico.IsKind(err, portico.KindUnavailable) {
		t.Fatalf("a node without the server key made a token: %v", err)
	}
}

// FuzzAuthenticateNodeToken: a node token comes from the network; whatever it holds, checking it
// never panics, and it vouches for someone only when its signature is the key's over exactly its
// payload (no second spelling of a signed token is accepted).
func FuzzAuthenticateNodeToken(f *testing.F) {
	e := newEnv(f)
	key := make([]byte, 32)
	_ = e.a.SetSealKey(key)
	valid, _ := e.a.NodeToken(e.owner, "GET", "/p")
	f.Add(valid)
	f.Add("")
	f.Add(".")
	f.Add("eyJ9.AAAA")
	f.Fuzz(func(t *testing.T, token string) {
		ac, err := e.a.AuthenticateNodeToken(context.Background(), token, "GET", "/p")
		if err != nil {
			return
		}
		enc := base64.RawURLEncoding
		payload, _, _ := strings.Cut(token, ".")
		raw, _ := enc.DecodeString(payload)
		mac, _ := e.a.nodeMAC(raw)
		if token != enc.EncodeToString(raw)+"."+enc.EncodeToString(mac) {
			t.Fatalf("a token not signed over its own payload was accepted: %q → %+v", token, ac)
		}
	})
}
