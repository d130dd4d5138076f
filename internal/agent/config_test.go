package agent

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestSaveConfigIsPrivateAndRoundTrips(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "agent.json")
	want := Config{Server: "https://portico.example.com", DeviceID: "dev_1", Credential: "agc_secret"}
	if err := SaveConfig(path, want); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("config mode = %#o, want 0600", perm)
		}
	}
	got, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("LoadConfig = %+v, want %+v", got, want)
	}
}

func TestLoadConfigRefusesReadableFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permissions")
	}
	path := filepath.Join(t.TempDir(), "agent.json")
	if err := SaveConfig(path, Config{Server: "https://p.example", DeviceID: "dev_1", Credential: "c"}); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o660} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := LoadConfig(path)
		if err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("mode %#o: LoadConfig error = %v, want a refusal telling to chmod 600", mode, err)
		}
	}
}

func TestClearCredential(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.json")
	if err := SaveConfig(path, Config{Server: "https://p.example", DeviceID: "dev_1", Credential: "c"}); err != nil {
		t.Fatal(err)
	}
	if err := ClearCredential(path); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(path)
	if !errors.Is(err, ErrNotEnrolled) {
		t.Fatalf("LoadConfig after ClearCredential: err = %v, want ErrNotEnrolled", err)
	}
	if c.DeviceID != "dev_1" || c.Credential != "" {
		t.Errorf("config after ClearCredential = %+v", c)
	}
}

func TestNormalizeServerURL(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"https://portico.example.com/", "https://portico.example.com", true},
		{" http://127.0.0.1:8080 ", "http://127.0.0.1:8080", true},
		{"https://example.com/portico/", "https://example.com/portico", true},
		{"ftp://example.com", "", false},
		{"example.com", "", false},
		{"https://", "", false},
		{"https://example.com/?x=1", "", false},
	} {
		got, err := NormalizeServerURL(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("NormalizeServerURL(%q) = %q, %v; want %q, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestConnectURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://p.example.com":      "wss://p.example.com/api/v1/agent/connect",
		"http://127.0.0.1:8080/":     "ws://127.0.0.1:8080/api/v1/agent/connect",
		"https://p.example.com/base": "wss://p.example.com/base/api/v1/agent/connect",
	} {
		got, err := ConnectURL(in)
		if err != nil || got != want {
			t.Errorf("ConnectURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
