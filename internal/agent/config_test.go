package agent

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LoadConfig (-want +got):\n%s", diff)
	}
}

func TestConfigServerList(t *testing.T) {
	for _, tc := range []struct {
		name string
		file string // the config file as written
		want []string
	}{
		{"single server, as older agents wrote it",
			`{"server": "https://p.example", "device_id": "dev_1", "credential": "c"}`,
			[]string{"https://p.example"}},
		{"several servers",
			`{"server": "https://a.example", "servers": ["https://a.example", "https://b.example:8443"], "device_id": "dev_1", "credential": "c"}`,
			[]string{"https://a.example", "https://b.example:8443"}},
		{"servers without server",
			`{"servers": ["https://a.example", "https://b.example"], "device_id": "dev_1", "credential": "c"}`,
			[]string{"https://a.example", "https://b.example"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "agent.json")
			if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := LoadConfig(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, c.ServerURLs()); diff != "" {
				t.Errorf("ServerURLs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConfigServerListRoundTrips(t *testing.T) {
	for _, urls := range [][]string{
		{"https://p.example"},
		{"https://a.example", "https://b.example", "http://10.0.0.3:8080"},
	} {
		path := filepath.Join(t.TempDir(), "agent.json")
		c := Config{DeviceID: "dev_1", Credential: "c"}
		c.SetServerURLs(urls)
		if err := SaveConfig(path, c); err != nil {
			t.Fatal(err)
		}
		got, err := LoadConfig(path)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(urls, got.ServerURLs()); diff != "" {
			t.Errorf("ServerURLs after a round trip (-want +got):\n%s", diff)
		}
		// An older agent reads only "server": it must find the first URL there.
		var old struct{ Server string }
		b, _ := os.ReadFile(path)
		if err := json.Unmarshal(b, &old); err != nil || old.Server != urls[0] {
			t.Errorf("\"server\" in the file = %q, %v; want %q", old.Server, err, urls[0])
		}
		if len(urls) == 1 && strings.Contains(string(b), `"servers"`) {
			t.Errorf("a single server changed the file's format:\n%s", b)
		}
	}
}

func TestLoadConfigRefusesBadServerInList(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.json")
	file := `{"server": "https://a.example", "servers": ["https://a.example", "b.example"], "device_id": "dev_1", "credential": "c"}`
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadConfig(path)
	if err == nil || !strings.Contains(err.Error(), `"b.example"`) {
		t.Errorf("LoadConfig = %v, want a refusal naming b.example", err)
	}
}

func TestParseServerURLs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      []string
		want    []string
		wantErr string // a substring of the error; empty when none is expected
	}{
		{"one", []string{"https://a.example/"}, []string{"https://a.example"}, ""},
		{"comma-separated", []string{"https://a.example, https://b.example"}, []string{"https://a.example", "https://b.example"}, ""},
		{"repeated flag", []string{"https://a.example", "https://b.example"}, []string{"https://a.example", "https://b.example"}, ""},
		{"both, with repeats and a stray comma", []string{"https://a.example,https://b.example,", "https://a.example/", "https://c.example"},
			[]string{"https://a.example", "https://b.example", "https://c.example"}, ""},
		{"bad one named", []string{"https://a.example,ftp://b.example"}, nil, `"ftp://b.example"`},
		{"no host", []string{"https://a.example", "https://"}, nil, `"https://": has no host`},
		{"nothing", []string{" , "}, nil, "no server URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseServerURLs(tc.in...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("ParseServerURLs(%q) = %q, %v; want an error mentioning %s", tc.in, got, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseServerURLs(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
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
