package main

// End-to-end tests of the managed agent: the real server binary and real portico-agent processes,
// a technician speaking the session WebSocket protocol (docs/sessions.md) and the end user answering
// in the agent's window.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"image/png"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/portico-dev/portico/internal/eventually"
	"github.com/portico-dev/portico/internal/protocol"
	"github.com/portico-dev/portico/internal/servertest"
)

// agentProc is a running `portico-agent run`.
type agentProc struct {
	t        *testing.T
	cmd      *exec.Cmd
	config   string
	deviceID string
	window   string // http://127.0.0.1:PORT
	token    string // the window's POST token
	done     chan error
	log      *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// enrollAgent runs `portico-agent enroll` into a fresh config file and returns its path and device id.
func enrollAgent(t *testing.T, serverURL, token string) (config, deviceID string) {
	t.Helper()
	config = filepath.Join(t.TempDir(), "agent.json")
	out, err := exec.Command(agentBin, "enroll", "--server", serverURL, "--token", token, "--config", config).CombinedOutput()
	if err != nil {
		t.Fatalf("portico-agent enroll: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`as device (dev_\S+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("enroll printed no device id:\n%s", out)
	}
	if fi, err := os.Stat(config); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	return config, string(m[1])
}

// runAgent starts `portico-agent run` with the config and extra environment, and waits for its window.
func runAgent(t *testing.T, config, deviceID string, env ...string) *agentProc {
	t.Helper()
	cmd := exec.Command(agentBin, "run", "--config", config, "--window-addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), env...)
	a := &agentProc{t: t, cmd: cmd, config: config, deviceID: deviceID, done: make(chan error, 1), log: &syncBuffer{}}
	cmd.Stdout, cmd.Stderr = a.log, a.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start agent: %v", err)
	}
	go func() { a.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-a.done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-a.done
			}
		}
		if t.Failed() {
			t.Logf("agent %s log:\n%s", deviceID, a.log.String())
		}
	})
	addrFile := filepath.Join(filepath.Dir(config), "window.addr")
	eventually.NoError(t, 30*time.Second, "the agent window to start", func() error {
		b, err := os.ReadFile(addrFile)
		if err != nil || len(bytes.TrimSpace(b)) == 0 {
			return fmt.Errorf("no window address yet (%v); agent log:\n%s", err, a.log.String())
		}
		a.window = "http://" + strings.TrimSpace(string(b))
		return nil
	})
	page, err := http.Get(a.window + "/")
	if err != nil {
		t.Fatalf("agent window page: %v", err)
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	m := regexp.MustCompile(`data-token="([0-9a-f]+)"`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("no token in the window page:\n%s", body)
	}
	a.token = string(m[1])
	return a
}

// windowState is the part of the agent window's state the tests read.
type windowState struct {
	Connection string `json:"connection"`
	Pending    []struct {
		ID         string   `json:"session_id"`
		Technician string   `json:"technician"`
		Actions    []string `json:"actions"`
	} `json:"pending"`
	Sessions []struct {
		ID   string `json:"session_id"`
		Chat []struct {
			From, Text string
		} `json:"chat"`
	} `json:"sessions"`
	Messages []struct {
		Text string `json:"text"`
	} `json:"messages"`
}

func (a *agentProc) state() windowState {
	a.t.Helper()
	res, err := http.Get(a.window + "/api/state")
	if err != nil {
		a.t.Fatalf("window state: %v", err)
	}
	defer res.Body.Close()
	var s windowState
	if err := json.NewDecoder(res.Body).Decode(&s); err != nil {
		a.t.Fatalf("window state: %v", err)
	}
	return s
}

// waitState polls the window until ok holds.
func (a *agentProc) waitState(what string, ok func(windowState) bool) windowState {
	a.t.Helper()
	var s windowState
	eventually.NoError(a.t, 10*time.Second, "agent window: "+what, func() error {
		if s = a.state(); !ok(s) {
			return fmt.Errorf("state %+v", s)
		}
		return nil
	})
	return s
}

// post calls one of the window's state-changing endpoints as the page would.
func (a *agentProc) post(path string, body any) int {
	a.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", a.window+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Portico-Window-Token", a.token)
	req.Header.Set("Origin", a.window)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("window %s: %v", path, err)
	}
	res.Body.Close()
	return res.StatusCode
}

// openSession dials the session endpoint with an API key; it returns the HTTP status when the upgrade
// is refused.
func openSession(t *testing.T, base, bearer, deviceID string, actions ...string) (*servertest.Tech, int) {
	t.Helper()
	return dialSession(t, base, http.Header{"Authorization": {"Bearer " + bearer}}, deviceID, actions...)
}

// dialSession dials the session endpoint with the given credentials (a bearer key, or a session cookie
// and the portal's Origin).
func dialSession(t *testing.T, base string, header http.Header, deviceID string, actions ...string) (*servertest.Tech, int) {
	t.Helper()
	u := strings.Replace(base, "http://", "ws://", 1) + "/api/v1/devices/" + deviceID + "/session?actions=" + strings.Join(actions, ",")
	c, res, err := websocket.DefaultDialer.DialContext(context.Background(), u, header)
	if err != nil {
		if res != nil {
			return nil, res.StatusCode
		}
		t.Fatalf("dial session: %v", err)
	}
	return servertest.NewTech(t, c), 101
}

// agentEnv is a server with an account, an API key and a group whose assignment rule catches this
// machine's hostname.
type agentEnv struct {
	srv     *serverProc
	api     *servertest.Client
	key     string
	lab     string
	token   string
	hostRul string
}

func newAgentEnv(t *testing.T) *agentEnv {
	t.Helper()
	data := t.TempDir()
	pwFile := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pwFile, []byte("correct horse battery staple\n"), 0o600)
	out, errOut, code := runCmd(t, "", "admin", "create-account", "--data", data, "--company", "Agents Ltd",
		"--owner-email", "owner@agents.test", "--owner-password-file", pwFile, "--print-api-key")
	if code != 0 {
		t.Fatalf("create-account: %s", errOut)
	}
	var created struct {
		APIKey string `json:"api_key"`
	}
	json.Unmarshal([]byte(out), &created)
	srv := startServer(t, "serve", "--data", data, "--addr", "127.0.0.1:0")
	e := &agentEnv{srv: srv, api: newClient(t, srv.URL, created.APIKey), key: created.APIKey}
	var lab idName
	e.api.Must(201, "POST", "/api/v1/device-groups", map[string]any{"name": "Lab", "colour": "#336699"}, &lab)
	e.lab = lab.ID
	host, _ := os.Hostname()
	var rule idName
	e.api.Must(
		201, "POST", "/api/v1/assignment-rules", map[string]any{"name": "This machine", "match": "all", "enabled": true,
			"target_group_id": lab.ID, "conditions": []map[string]any{{"property": "hostname", "operator": "equals", "value": host}}}, &rule)

	e.hostRul = rule.ID
	var tok struct {
		Secret string `json:"secret"`
	}
	e.api.Must(201, "POST", "/api/v1/enrollment-tokens", map[string]any{}, &tok)
	e.token = tok.Secret
	return e
}

type deviceJSON struct {
	ID      string `json:"id"`
	GroupID string `json:"group_id"`
	Status  string `json:"status"`
}

// waitDevice polls the device until ok holds.
func (e *agentEnv) waitDevice(t *testing.T, id, what string, ok func(deviceJSON) bool) deviceJSON {
	t.Helper()
	var d deviceJSON
	eventually.NoError(t, 20*time.Second, "device "+id+": "+what, func() error {
		d = deviceJSON{}
		if e.api.Must(200, "GET", "/api/v1/devices/"+id, nil, &d); !ok(d) {
			return fmt.Errorf("%+v", d)
		}
		return nil
	})
	return d
}

// TestAgentSessions is the agent issue's main scenario: enroll, rule, Available, then sessions with
// every kind of action through the real relay.
func TestAgentSessions(t *testing.T) {
	e := newAgentEnv(t)
	display := startXvfb(t)
	config, dev := enrollAgent(t, e.srv.URL, e.token)

	// The rule placed it: its history shows the enrollment into Unassigned, then the rule's move.
	var hist listOf[struct {
		Action string `json:"action"`
		Detail string `json:"detail"`
	}]
	e.api.Must(200, "GET", "/api/v1/devices/"+dev+"/history", nil, &hist)
	var actions []string
	for _, h := range hist.Items {
		actions = append(actions, h.Action+": "+h.Detail)
	}
	if !strings.Contains(strings.Join(actions, "\n"), "rule") {
		t.Fatalf("history does not show the rule's move: %q", actions)
	}
	if d := e.waitDevice(t, dev, "placed", func(d deviceJSON) bool { return true }); d.GroupID != e.lab || d.Status != "unavailable" {
		t.Fatalf("after enrollment: %+v, want in Lab and unavailable", d)
	}
	env := []string{}
	if display != "" {
		env = append(env, "DISPLAY="+display)
	}
	ag := runAgent(t, config, dev, env...)
	e.waitDevice(t, dev, "available", func(d deviceJSON) bool { return d.Status == "available" })

	// Inventory reaches the server (written in the background, shortly after the connection).
	eventually.NoError(t, 15*time.Second, "the inventory", func() error {
		r := e.api.Must(200, "GET", "/api/v1/devices/"+dev+"/inventory", nil, nil)
		if !strings.Contains(string(r.Body), "hostname") {
			return fmt.Errorf("inventory without a hostname: %s", r.Body)
		}
		return nil
	})

	s, _ := openSession(t, e.srv.URL, e.key, dev, "terminal", "chat", "file_transfer", "task_manager", "screenshot", "screen_view", "message")
	st := s.State("active")
	sessionID, _ := st["session_id"].(string)
	e.waitDevice(t, dev, "in session", func(d deviceJSON) bool { return d.Status == "in_session" })
	var live listOf[struct {
		ID       string `json:"id"`
		DeviceID string `json:"device_id"`
	}]
	e.api.Must(200, "GET", "/api/v1/sessions", nil, &live)
	if len(live.Items) != 1 || live.Items[0].DeviceID != dev {
		t.Fatalf("In session: %+v", live)
	}

	t.Run("terminal", func(t *testing.T) {
		s.Use(t)
		// /bin/sh rather than the login shell: the test machine's own profile is not under test.
		s.OpenChannel(1, "terminal", map[string]any{"cols": 100, "rows": 30, "shell": "/bin/sh"})
		in, _ := protocol.EncodeBytes(protocol.KindTermInput, []byte("echo portico-$((6*7))-ok\n"))
		s.SendBin(1, in)
		var out strings.Builder
		for !strings.Contains(out.String(), "portico-42-ok") {
			msg := s.Recv(1)
			if b, err := protocol.DecodeBytes(msg, protocol.KindTermOutput); err == nil {
				out.Write(b)
			}
		}
		in, _ = protocol.EncodeBytes(protocol.KindTermInput, []byte("exit 7\n"))
		s.SendBin(1, in)
		for {
			msg := s.Recv(1)
			if code, err := protocol.DecodeTermExit(msg); err == nil {
				if code != 7 {
					t.Fatalf("exit code %d, want 7", code)
				}
				break
			}
		}
	})

	t.Run("chat both ways and a message", func(t *testing.T) {
		s.Use(t)
		s.Send(map[string]any{"type": "chat", "text": "hello from the technician"})
		ag.waitState("the technician's chat line", func(w windowState) bool {
			for _, ss := range w.Sessions {
				for _, c := range ss.Chat {
					if c.Text == "hello from the technician" {
						return true
					}
				}
			}
			return false
		})
		if code := ag.post("/api/chat", map[string]any{"session_id": sessionID, "text": "hi from the desk"}); code != 200 && code != 204 {
			t.Fatalf("window chat: %d", code)
		}
		s.Expect("the end user's chat line", 10*time.Second, func(m map[string]any) bool {
			return m["type"] == "chat" && m["text"] == "hi from the desk" && m["from"] == "end_user"
		})
		s.Send(map[string]any{"type": "command", "id": "m1", "action": "message", "args": map[string]any{"text": "Please save your work"}})
		s.Expect("message result", 10*time.Second, func(m map[string]any) bool { return m["type"] == "command_result" && m["id"] == "m1" })
		ag.waitState("the message shown", func(w windowState) bool {
			return len(w.Messages) > 0 && w.Messages[len(w.Messages)-1].Text == "Please save your work"
		})
	})

	t.Run("file transfer of 100 MB", func(t *testing.T) {
		s.Use(t)
		const size = 100 << 20
		content := make([]byte, size)
		rand.Read(content)
		sum := sha256.Sum256(content)
		want := hex.EncodeToString(sum[:])
		dir := t.TempDir()
		path := filepath.Join(dir, "upload.bin")
		s.OpenChannel(2, "file_transfer", nil)
		fileReq := func(r protocol.FileRequest) {
			b, err := protocol.EncodeJSON(protocol.KindFileRequest, r)
			if err != nil {
				t.Fatal(err)
			}
			s.SendBin(2, b)
		}
		fileResp := func() protocol.FileResponse {
			for {
				msg := s.Recv(2)
				if k, _ := protocol.Kind(msg); k == protocol.KindFileResponse {
					r, err := protocol.DecodeFileResponse(msg)
					if err != nil {
						t.Fatal(err)
					}
					return r
				}
			}
		}
		fileReq(protocol.FileRequest{ID: 1, Op: protocol.FileOpUpload, Path: path, Size: size, SHA256: want})
		if r := fileResp(); !r.OK || r.Offset != 0 {
			t.Fatalf("upload start: %+v", r)
		}
		start := time.Now()
		for off := 0; off < size; off += protocol.MaxFileChunk {
			end := min(off+protocol.MaxFileChunk, size)
			msg, err := protocol.AppendFileChunk(nil, int64(off), content[off:end])
			if err != nil {
				t.Fatal(err)
			}
			s.SendBin(2, msg)
		}
		fileReq(protocol.FileRequest{ID: 2, Op: protocol.FileOpUploadEnd, Path: path, Size: size, SHA256: want})
		if r := fileResp(); !r.OK {
			t.Fatalf("upload end: %+v", r)
		}
		t.Logf("uploaded 100 MB through the relay in %v", time.Since(start))
		onDisk, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(onDisk, content) {
			t.Fatalf("uploaded file differs (%v)", err)
		}
		fileReq(protocol.FileRequest{ID: 3, Op: protocol.FileOpDownload, Path: path})
		h := sha256.New()
		var got int64
		for {
			msg := s.Recv(2)
			k, _ := protocol.Kind(msg)
			if k == protocol.KindFileChunk {
				off, data, err := protocol.DecodeFileChunk(msg)
				if err != nil || off != got {
					t.Fatalf("chunk at %d, want %d (%v)", off, got, err)
				}
				h.Write(data)
				got += int64(len(data))
				continue
			}
			r, err := protocol.DecodeFileResponse(msg)
			if err != nil || !r.OK {
				t.Fatalf("download: %+v %v", r, err)
			}
			if r.Done {
				if got != size || hex.EncodeToString(h.Sum(nil)) != want || r.SHA256 != want {
					t.Fatalf("download: %d bytes, sha %s (agent says %s), want %s", got, hex.EncodeToString(h.Sum(nil)), r.SHA256, want)
				}
				break
			}
		}
		s.Send(map[string]any{"type": "close", "channel": 2})
	})

	t.Run("process list and kill", func(t *testing.T) {
		s.Use(t)
		sleeper := exec.Command("sleep", "300")
		if err := sleeper.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- sleeper.Wait() }()
		t.Cleanup(func() { sleeper.Process.Kill() })
		s.OpenChannel(3, "task_manager", nil)
		req, _ := protocol.EncodeJSON(protocol.KindTaskRequest, protocol.TaskRequest{ID: 1, Op: protocol.TaskOpProcesses})
		s.SendBin(3, req)
		found := false
		for {
			var r protocol.TaskResponse
			if err := protocol.DecodeJSON(s.Recv(3), protocol.KindTaskResponse, &r); err != nil {
				t.Fatal(err)
			}
			for _, p := range r.Processes {
				if int(p.PID) == sleeper.Process.Pid {
					found = true
				}
			}
			if !r.More {
				break
			}
		}
		if !found {
			t.Fatalf("process list lacks pid %d", sleeper.Process.Pid)
		}
		req, _ = protocol.EncodeJSON(protocol.KindTaskRequest, protocol.TaskRequest{ID: 2, Op: protocol.TaskOpKill, PID: int32(sleeper.Process.Pid)})
		s.SendBin(3, req)
		var r protocol.TaskResponse
		if err := protocol.DecodeJSON(s.Recv(3), protocol.KindTaskResponse, &r); err != nil || !r.OK {
			t.Fatalf("kill: %+v %v", r, err)
		}
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			t.Fatal("the killed process is still running")
		}
	})

	t.Run("screenshot and screen view", func(t *testing.T) {
		s.Use(t)
		if display == "" {
			t.Skip("Xvfb is not installed")
		}
		s.OpenChannel(4, "screenshot", nil)
		begin, err := protocol.DecodeImageBegin(s.Recv(4))
		if err != nil {
			t.Fatal(err)
		}
		var img bytes.Buffer
		for int64(img.Len()) < begin.Size {
			b, err := protocol.DecodeBytes(s.Recv(4), protocol.KindImageChunk)
			if err != nil {
				t.Fatal(err)
			}
			img.Write(b)
		}
		if _, err := protocol.DecodeImageEnd(s.Recv(4)); err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(img.Bytes()))
		if err != nil || cfg.Width != begin.Width || cfg.Width != 640 {
			t.Fatalf("screenshot: %+v %v (begin %+v)", cfg, err, begin)
		}
		s.OpenChannel(5, "screen_view", map[string]any{"fps": 5})
		msg := s.Recv(5)
		if k, _ := protocol.Kind(msg); k != protocol.KindFrameBegin {
			t.Fatalf("first screen message kind %#x, want frame begin", k)
		}
		fb, err := protocol.DecodeFrameBegin(msg)
		if err != nil || fb.Width != 640 || fb.Height != 480 {
			t.Fatalf("frame begin %+v %v", fb, err)
		}
		tiles := 0
		for {
			msg := s.Recv(5)
			if k, _ := protocol.Kind(msg); k == protocol.KindFrameEnd {
				break
			}
			tiles++
		}
		if tiles == 0 {
			t.Fatal("the first frame has no tiles")
		}
		s.Send(map[string]any{"type": "close", "channel": 5})
	})

	t.Run("ended by the technician", func(t *testing.T) {
		s.Use(t)
		s.Send(map[string]any{"type": "end"})
		s.State("ended")
		e.waitDevice(t, dev, "available again", func(d deviceJSON) bool { return d.Status == "available" })
	})

	t.Run("acknowledgement accepted, denied, cancelled; ended by the end user", func(t *testing.T) {
		e.api.Must(200, "PUT", "/api/v1/device-groups/"+e.lab+"/settings", map[string]any{"own": map[string]bool{"require_acknowledgement": true}}, nil)

		s1, _ := openSession(t, e.srv.URL, e.key, dev, "terminal")
		s1.State("connecting")
		w := ag.waitState("a pending request", func(w windowState) bool { return len(w.Pending) == 1 })
		if w.Pending[0].Technician == "" || len(w.Pending[0].Actions) != 1 || w.Pending[0].Actions[0] != "terminal" {
			t.Fatalf("pending request as shown: %+v", w.Pending[0])
		}
		if code := ag.post("/api/answer", map[string]any{"session_id": w.Pending[0].ID, "accept": true}); code >= 300 {
			t.Fatalf("approve: %d", code)
		}
		s1.State("active")
		if code := ag.post("/api/end", map[string]any{"session_id": w.Pending[0].ID}); code >= 300 {
			t.Fatalf("end from the window: %d", code)
		}
		if m := s1.State("ended"); m["by"] != "end_user" {
			t.Fatalf("ended by %v, want end_user", m["by"])
		}

		s2, _ := openSession(t, e.srv.URL, e.key, dev, "terminal")
		s2.State("connecting")
		w = ag.waitState("a pending request", func(w windowState) bool { return len(w.Pending) == 1 })
		ag.post("/api/answer", map[string]any{"session_id": w.Pending[0].ID, "accept": false})
		if m := s2.State("ended"); m["by"] != "end_user" {
			t.Fatalf("denied: ended by %v, want end_user", m["by"])
		}

		s3, _ := openSession(t, e.srv.URL, e.key, dev, "terminal")
		s3.State("connecting")
		ag.waitState("a pending request", func(w windowState) bool { return len(w.Pending) == 1 })
		s3.Send(map[string]any{"type": "cancel"})
		s3.State("ended")
		ag.waitState("the request withdrawn", func(w windowState) bool { return len(w.Pending) == 0 })
		e.api.Must(200, "PUT", "/api/v1/device-groups/"+e.lab+"/settings", map[string]any{"own": map[string]bool{"require_acknowledgement": false}}, nil)
	})

	t.Run("revoking the technician's assignment ends the session within a second", func(t *testing.T) {
		techCookie, asg := e.technician(t, "terminal-tech@agents.test", dev)
		s4, _ := dialSession(t, e.srv.URL, techCookie, dev, "terminal")
		s4.State("active")
		start := time.Now()
		e.api.Must(204, "DELETE", "/api/v1/role-assignments/"+asg, nil, nil)
		s4.Expect("the session's end", 2*time.Second, func(m map[string]any) bool { return m["type"] == "state" && m["state"] == "ended" })
		if d := time.Since(start); d > time.Second {
			t.Fatalf("ended %v after the revocation, want ≤ 1 s", d)
		}
		// The device is no longer the technician's to see: not found, not forbidden.
		if _, code := dialSession(t, e.srv.URL, techCookie, dev, "terminal"); code != 404 {
			t.Fatalf("reopening after the revocation: %d, want 404", code)
		}
	})

	t.Run("deleting the device stops its agent", func(t *testing.T) {
		e.api.Must(204, "DELETE", "/api/v1/devices/"+dev, nil, nil)
		select {
		case err := <-ag.done:
			if err != nil {
				t.Fatalf("agent exit after delete: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("the agent of a deleted device is still running")
		}
	})
}

// technician creates a user with a role holding the terminal, assigned on the device, signs them in
// and returns the headers of their portal session (cookie and Origin) and the assignment id.
func (e *agentEnv) technician(t *testing.T, email, deviceID string) (portal http.Header, assignmentID string) {
	t.Helper()
	var u idName
	e.api.Must(201, "POST", "/api/v1/users", map[string]any{"email": email, "name": "Terry Tech", "password": "correct horse battery"}, &u)
	var r idName
	e.api.Must(
		201, "POST", "/api/v1/roles", map[string]any{"name": "Terminal " + email, "purpose": "devices",
			"permissions": []string{"device.view", "device.terminal"}}, &r)

	var a idName
	e.api.Must(
		201, "POST", "/api/v1/role-assignments", map[string]any{"principal_type": "user", "principal_id": u.ID, "role_id": r.ID,
			"scope_type": "device", "scope_id": deviceID}, &a)

	c := newClient(t, e.srv.URL, "")
	c.Must(200, "POST", "/api/v1/session", map[string]any{"email": email, "password": "correct horse battery"}, nil)
	su, _ := url.Parse(e.srv.URL)
	h := http.Header{"Origin": {e.srv.URL}}
	for _, ck := range c.HTTP.Jar.Cookies(su) {
		h.Add("Cookie", ck.String())
	}
	return h, a.ID
}

// TestAgentsSurviveServerRestart restarts the server under a few real agents: every one reconnects.
func TestAgentsSurviveServerRestart(t *testing.T) {
	const agents = 5
	data := t.TempDir()
	pwFile := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pwFile, []byte("correct horse battery staple\n"), 0o600)
	out, _, code := runCmd(t, "", "admin", "create-account", "--data", data, "--company", "Restart Ltd",
		"--owner-email", "owner@restart.test", "--owner-password-file", pwFile, "--print-api-key")
	if code != 0 {
		t.Fatal("create-account failed")
	}
	var created struct {
		APIKey string `json:"api_key"`
	}
	json.Unmarshal([]byte(out), &created)
	addr := freeAddr(t)
	srv := startServer(t, "serve", "--data", data, "--addr", addr)
	api := newClient(t, srv.URL, created.APIKey)
	var tok struct {
		Secret string `json:"secret"`
	}
	api.Must(201, "POST", "/api/v1/enrollment-tokens", map[string]any{}, &tok)
	var devs []string
	for range agents {
		config, dev := enrollAgent(t, srv.URL, tok.Secret)
		runAgent(t, config, dev)
		devs = append(devs, dev)
	}
	allAvailable := func(api *servertest.Client, want string) {
		t.Helper()
		eventually.NoError(t, 40*time.Second, "every device "+want, func() error {
			n := 0
			for _, d := range devs {
				var dj deviceJSON
				api.Must(200, "GET", "/api/v1/devices/"+d, nil, &dj)
				if dj.Status == want {
					n++
				}
			}
			if n < len(devs) {
				return fmt.Errorf("%d of %d devices %s", n, len(devs), want)
			}
			return nil
		})
	}
	allAvailable(api, "available")
	srv.stop()
	srv = startServer(t, "serve", "--data", data, "--addr", addr)
	api = newClient(t, srv.URL, created.APIKey)
	allAvailable(api, "available")
}

// freeAddr returns a 127.0.0.1 address with a port free right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startXvfb starts a virtual X display of 640×480 and returns its name, or "" when Xvfb is not
// installed (which fails in CI, where scripts/ensure-services installs it). Xvfb picks a free display
// number itself (-displayfd), so displays left over by other programs do not matter.
func startXvfb(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("Xvfb"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("Xvfb is required in CI (scripts/ensure-services installs it)")
		}
		return ""
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "640x480x24", "-nolisten", "tcp", "-noreset")
	cmd.ExtraFiles = []*os.File{pw}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM) // lets Xvfb remove its socket and lock file
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	number := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(pr, 16))
		number <- strings.TrimSpace(string(b))
	}()
	select {
	case n := <-number:
		if n == "" {
			t.Fatal("Xvfb did not report its display")
		}
		return ":" + n
	case <-done:
		t.Fatal("Xvfb exited before reporting its display")
	case <-time.After(20 * time.Second):
		t.Fatal("Xvfb did not start")
	}
	return ""
}

// TestAgentOverTLS serves HTTPS with a certificate of the test's own and runs an agent against it:
// enrollment over https, the live connection over wss.
func TestAgentOverTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeSelfSigned(t, certFile, keyFile)
	data := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	os.WriteFile(pwFile, []byte("correct horse battery staple\n"), 0o600)
	out, errOut, code := runCmd(t, "", "admin", "create-account", "--data", data, "--company", "TLS Ltd",
		"--owner-email", "owner@tls.test", "--owner-password-file", pwFile, "--print-api-key")
	if code != 0 {
		t.Fatalf("create-account: %s", errOut)
	}
	var created struct {
		APIKey string `json:"api_key"`
	}
	json.Unmarshal([]byte(out), &created)
	if _, errOut, code := runCmd(t, "", "serve", "--data", data, "--tls-cert", certFile); code == 0 || !strings.Contains(errOut, "go together") {
		t.Fatalf("--tls-cert alone: exit %d, %q", code, errOut)
	}
	srv := startServer(t, "serve", "--data", data, "--addr", "127.0.0.1:0", "--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(srv.URL, "https://") {
		t.Fatalf("server URL %s, want https", srv.URL)
	}
	api := newClient(t, srv.URL, created.APIKey)
	var tok struct {
		Secret string `json:"secret"`
	}
	api.Must(201, "POST", "/api/v1/enrollment-tokens", map[string]any{}, &tok)
	config := filepath.Join(t.TempDir(), "agent.json")
	// Without trusting the test's certificate, enrollment fails.
	if out, err := exec.Command(agentBin, "enroll", "--server", srv.URL, "--token", tok.Secret, "--config", config).CombinedOutput(); err == nil {
		t.Fatalf("enroll against an untrusted certificate succeeded:\n%s", out)
	}
	out2, err := exec.Command(agentBin, "enroll", "--insecure-skip-verify", "--server", srv.URL, "--token", tok.Secret, "--config", config).CombinedOutput()
	if err != nil {
		t.Fatalf("enroll over https: %v\n%s", err, out2)
	}
	dev := string(regexp.MustCompile(`as device (dev_\S+)`).FindSubmatch(out2)[1])
	cmd := exec.Command(agentBin, "run", "--insecure-skip-verify", "--config", config, "--window-addr", "off")
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	eventually.NoError(t, 20*time.Second, "the agent to connect over wss", func() error {
		var d deviceJSON
		if api.Must(200, "GET", "/api/v1/devices/"+dev, nil, &d); d.Status != "available" {
			return fmt.Errorf("device %s; agent log:\n%s", d.Status, logs.String())
		}
		return nil
	})
}

// writeSelfSigned writes a certificate for 127.0.0.1 and its key.
func writeSelfSigned(t *testing.T, certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "portico test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
}
