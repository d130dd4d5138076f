package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico-dev/portico/internal/agent"
)

func TestVersionAndUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"version"}, &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "portico-agent ") {
		t.Errorf("version: code %d, output %q", code, out.String())
	}
	if code := run(nil, &out, &errOut); code != 2 {
		t.Errorf("no command: code %d, want 2", code)
	}
	if code := run([]string{"frobnicate"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "unknown command") {
		t.Errorf("unknown command: code %d, stderr %q", code, errOut.String())
	}
}

// fakeEnrollServer answers POST /api/v1/agent/enroll: token "good" succeeds, others get a problem document.
func fakeEnrollServer(t *testing.T) (*httptest.Server, *map[string]any) {
	t.Helper()
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "POST" || r.URL.Path != "/api/v1/agent/enroll" {
			http.NotFound(w, r)
			return
		}
		json.NewDecoder(r.Body).Decode(&got)
		if got["token"] != "good" {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"type":"about:blank","title":"Unauthenticated","status":401,"detail":"this enrollment token has been revoked"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"device_id":"dev_42","credential":"agc_secret"}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func TestEnroll(t *testing.T) {
	srv, got := fakeEnrollServer(t)
	cfgPath := filepath.Join(t.TempDir(), "etc", "agent.json")
	var out, errOut bytes.Buffer
	code := run([]string{"enroll", "--server", srv.URL + "/", "--token", "good", "--config", cfgPath, "--name", "Front desk"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("enroll: code %d, stderr %s", code, errOut.String())
	}
	if (*got)["hostname"] == "" || (*got)["name"] != "Front desk" || (*got)["agent_version"] != version {
		t.Errorf("enroll request = %v", *got)
	}
	cfg, err := agent.LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DeviceID != "dev_42" || cfg.Credential != "agc_secret" || cfg.Server != srv.URL {
		t.Errorf("config = %+v", cfg)
	}
	if runtime.GOOS != "windows" {
		if fi, _ := os.Stat(cfgPath); fi.Mode().Perm() != 0o600 {
			t.Errorf("config mode %#o", fi.Mode().Perm())
		}
	}

	// A second enrolment needs --force.
	errOut.Reset()
	if code := run([]string{"enroll", "--server", srv.URL, "--token", "good", "--config", cfgPath}, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "--force") {
		t.Errorf("re-enroll without --force: code %d, stderr %q", code, errOut.String())
	}
}

func TestEnrollErrors(t *testing.T) {
	srv, _ := fakeEnrollServer(t)
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"token refused", []string{"--server", srv.URL, "--token", "bad"}, 1, "this enrollment token has been revoked"},
		{"server unreachable", []string{"--server", deadURL, "--token", "good"}, 1, "unreachable"},
		{"missing token", []string{"--server", srv.URL}, 2, "--token are required"},
		{"bad URL", []string{"--server", "portico.example.com", "--token", "good"}, 1, "must start with https://"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfgPath := filepath.Join(t.TempDir(), "agent.json")
			var out, errOut bytes.Buffer
			code := run(append([]string{"enroll", "--config", cfgPath}, tc.args...), &out, &errOut)
			if code != tc.code || !strings.Contains(errOut.String(), tc.want) {
				t.Errorf("code %d, stderr %q; want code %d mentioning %q", code, errOut.String(), tc.code, tc.want)
			}
			if _, err := os.Stat(cfgPath); err == nil {
				t.Error("a config file was written after a failed enrolment")
			}
		})
	}
}

// closedServerURL is the URL of a server that is down: its port refuses connections.
func closedServerURL(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	return srv.URL
}

func TestEnrollWithSeveralServers(t *testing.T) {
	first, gotFirst := fakeEnrollServer(t)
	second, gotSecond := fakeEnrollServer(t)
	down, down2 := closedServerURL(t), closedServerURL(t)
	for _, tc := range []struct {
		name        string
		args        []string
		code        int
		want        []string // the servers in the config, or substrings of the error
		secondAsked bool
	}{
		{"first down, comma-separated", []string{"--server", down + "," + second.URL, "--token", "good"},
			0, []string{down, second.URL}, true},
		{"first down, flag repeated", []string{"--server", down, "--server", second.URL + "/", "--token", "good"},
			0, []string{down, second.URL}, true},
		{"first up: the second is not asked", []string{"--server", first.URL + "," + second.URL, "--token", "good"},
			0, []string{first.URL, second.URL}, false},
		{"a refusal is final", []string{"--server", first.URL, "--server", second.URL, "--token", "bad"},
			1, []string{"this enrollment token has been revoked"}, false},
		{"all down", []string{"--server", down + "," + down2, "--token", "good"},
			1, []string{"none of the 2 servers answered", down + " unreachable", down2 + " unreachable"}, false},
		{"a bad URL is named", []string{"--server", second.URL + ",portico.example.com", "--token", "good"},
			1, []string{`"portico.example.com"`, "must start with https://"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			*gotFirst, *gotSecond = nil, nil
			cfgPath := filepath.Join(t.TempDir(), "agent.json")
			var out, errOut bytes.Buffer
			code := run(append([]string{"enroll", "--config", cfgPath}, tc.args...), &out, &errOut)
			if code != tc.code {
				t.Fatalf("code %d, want %d; stderr %s", code, tc.code, errOut.String())
			}
			if asked := *gotSecond != nil; asked != tc.secondAsked {
				t.Errorf("second server asked: %v, want %v", asked, tc.secondAsked)
			}
			if code != 0 {
				for _, w := range tc.want {
					if !strings.Contains(errOut.String(), w) {
						t.Errorf("stderr %q does not mention %q", errOut.String(), w)
					}
				}
				return
			}
			cfg, err := agent.LoadConfig(cfgPath)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, cfg.ServerURLs()); diff != "" {
				t.Errorf("servers in the config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRunServerOverride(t *testing.T) {
	srv, hellos := fakeAgentServer(t)
	cfgPath := filepath.Join(t.TempDir(), "agent.json")
	stored := agent.Config{Server: closedServerURL(t), DeviceID: "dev_1", Credential: "agc_x"}
	if err := agent.SaveConfig(cfgPath, stored); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}

	// A bad URL is refused before anything runs, naming it.
	var out, errOut bytes.Buffer
	if code := run([]string{"run", "--config", cfgPath, "--server", srv.URL + ",ftp://node2"}, &out, &errOut); code != 2 ||
		!strings.Contains(errOut.String(), `"ftp://node2"`) {
		t.Errorf("bad --server: code %d, stderr %q", code, errOut.String())
	}

	// The stored server is down: only the override reaches the fake server.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var logs lockedBuffer
	exited := make(chan int, 1)
	go func() {
		exited <- runAgent(ctx, runOptions{configPath: cfgPath, servers: []string{srv.URL}, windowAddr: "off"}, &logs)
	}()
	select {
	case <-hellos:
	case <-time.After(10 * time.Second):
		t.Fatalf("the agent did not connect to the --server URL; logs:\n%s", logs.String())
	}
	cancel()
	select {
	case code := <-exited:
		if code != 0 {
			t.Errorf("exit code %d; logs:\n%s", code, logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the agent did not stop")
	}
	if !strings.Contains(logs.String(), "server="+srv.URL) {
		t.Errorf("the logs do not name the server:\n%s", logs.String())
	}
	after, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("--server changed the config file:\n%s", after)
	}
}

func TestRunRefusesReadableConfig(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permissions")
	}
	cfgPath := filepath.Join(t.TempDir(), "agent.json")
	if err := agent.SaveConfig(cfgPath, agent.Config{Server: "http://127.0.0.1:1", DeviceID: "dev_1", Credential: "c"}); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(cfgPath, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := run([]string{"run", "--config", cfgPath, "--window-addr", "off"}, &out, &errOut)
	if code != exitNeedsAdmin || !strings.Contains(errOut.String(), "chmod 600") {
		t.Errorf("code %d, stderr %q; want a refusal naming chmod 600", code, errOut.String())
	}
}

func TestBuiltinActionsAreWired(t *testing.T) {
	a := builtinActions()
	if a.RunCommand == nil || len(a.Supported) == 0 {
		t.Fatalf("actions = %+v", a)
	}
	for _, name := range a.Supported {
		if _, isStream := a.Streams[name]; isStream {
			continue
		}
		if name == "file_transfer" || name == "task_manager" {
			t.Errorf("stream action %s is supported but has no handler", name)
		}
	}
	if a.Streams["file_transfer"] == nil {
		t.Error("file_transfer missing")
	}
}
