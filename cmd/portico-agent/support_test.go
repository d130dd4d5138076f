package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-dev/portico/client"
	"github.com/portico-dev/portico/internal/agent"
	"github.com/portico-dev/portico/internal/eventually"
	"github.com/portico-dev/portico/internal/jsonstrict"
	"github.com/portico-dev/portico/internal/protocol"
)

const (
	supportCode       = "123456789"
	supportSessionID  = "od_1"
	supportCredential = "odc_secret"
)

// fakeSupportServer is the server side of an on-demand session, just enough for the support agent:
// it redeems supportCode once, and accepts the support agent's connection with its credential.
type fakeSupportServer struct {
	t         *testing.T
	srv       *httptest.Server
	redeems   chan client.RedeemOnDemandRequest
	conns     chan *supportConn
	refuse    atomic.Bool // answer the connection with 401: the session is over
	rateLimit atomic.Bool // answer redeem with 429
	wg        sync.WaitGroup
}

type supportConn struct {
	conn   *protocol.Conn
	raw    net.Conn // the TCP connection under the WebSocket
	path   string
	header http.Header
	msgs   chan protocol.Message
}

func newFakeSupportServer(t *testing.T) *fakeSupportServer {
	t.Helper()
	fs := &fakeSupportServer{t: t, redeems: make(chan client.RedeemOnDemandRequest, 8), conns: make(chan *supportConn, 8)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/on-demand/redeem", fs.redeem)
	mux.HandleFunc("GET /api/v1/on-demand/agent/connect", fs.connect)
	fs.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		fs.srv.CloseClientConnections()
		fs.srv.Close()
		fs.wg.Wait()
	})
	return fs
}

func problem(w http.ResponseWriter, status int, kind, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"type": "https://portico.dev/problems/" + kind,
		"title": http.StatusText(status), "status": status, "detail": detail})
}

func (fs *fakeSupportServer) redeem(w http.ResponseWriter, r *http.Request) {
	var in client.RedeemOnDemandRequest
	b, _ := io.ReadAll(r.Body)
	if err := jsonstrict.Unmarshal(b, &in); err != nil {
		problem(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	fs.redeems <- in
	switch {
	case fs.rateLimit.Load():
		w.Header().Set("Retry-After", "600")
		problem(w, http.StatusTooManyRequests, "rate_limited", "too many wrong codes")
	case in.Code != supportCode:
		problem(w, http.StatusNotFound, "not_found", "no such code")
	default:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(client.OnDemandRedemption{SessionID: supportSessionID, Credential: supportCredential,
			CompanyName: "Acme IT", TechnicianName: "Tess", ExpiresAt: time.Now().Add(time.Hour)})
	}
}

func (fs *fakeSupportServer) connect(w http.ResponseWriter, r *http.Request) {
	if fs.refuse.Load() || r.Header.Get("Authorization") != "Bearer "+supportCredential ||
		r.Header.Get("X-Portico-On-Demand") != supportSessionID {
		problem(w, http.StatusUnauthorized, "unauthenticated", "the on-demand session is over")
		return
	}
	ws, err := protocol.Upgrader().Upgrade(w, r, nil)
	if err != nil {
		return
	}
	sc := &supportConn{path: r.URL.Path, header: r.Header.Clone(), msgs: make(chan protocol.Message, 64), raw: ws.UnderlyingConn()}
	sc.conn = protocol.NewConn(protocol.WebSocket(ws), protocol.Options{Role: protocol.RoleServer,
		OnControl: func(m protocol.Message) {
			switch m.Type {
			case protocol.MsgHello:
				go sc.conn.Send(context.Background(), protocol.MsgWelcome, protocol.Welcome{ProtocolVersion: protocol.Version,
					DeviceID: supportSessionID, HeartbeatSeconds: 30, ServerTime: time.Now()})
			case protocol.MsgHeartbeat, protocol.MsgInventory:
			default:
				sc.msgs <- m
			}
		}})
	fs.conns <- sc
	fs.wg.Add(1)
	defer fs.wg.Done()
	sc.conn.Run(r.Context())
}

func (fs *fakeSupportServer) next(t *testing.T) *supportConn {
	t.Helper()
	select {
	case sc := <-fs.conns:
		return sc
	case <-time.After(10 * time.Second):
		t.Fatal("the support agent did not connect")
	}
	return nil
}

func (sc *supportConn) send(t *testing.T, typ string, body any) {
	t.Helper()
	if err := sc.conn.Send(t.Context(), typ, body); err != nil {
		t.Fatalf("send %s: %v", typ, err)
	}
}

// expect waits for the support agent's next control message of interest and decodes it.
func (sc *supportConn) expect(t *testing.T, typ string, body any) {
	t.Helper()
	select {
	case m := <-sc.msgs:
		if m.Type != typ {
			t.Fatalf("got %s %s, want %s", m.Type, m.Body, typ)
		}
		if err := protocol.DecodeBody(m, body); err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s from the support agent", typ)
	}
}

// supportProcess is runSupport running in this process, as `portico-agent support` would.
type supportProcess struct {
	stdout, stderr lockedBuffer
	tempRoot       string
	exited         chan int
	cancel         context.CancelFunc
}

func testSupportOptions(t *testing.T, server string) supportOptions {
	return supportOptions{server: server, code: supportCode, windowAddr: "127.0.0.1:0", noBrowser: true,
		tempRoot: t.TempDir(), notify: func(string) {},
		actions: &agent.Actions{RunCommand: func(_ context.Context, c protocol.Command) protocol.CommandResult {
			return protocol.CommandResult{ID: c.ID, OK: true}
		}, Supported: []string{"chat"}},
		backoff:  agent.Backoff{Min: 10 * time.Millisecond, Max: 50 * time.Millisecond},
		stopWait: 300 * time.Millisecond, handoverGrace: 10 * time.Millisecond,
		openBrowser: func(string, *slog.Logger) error {
			t.Error("the browser was opened despite --no-browser")
			return nil
		}}
}

func startSupport(t *testing.T, o supportOptions) *supportProcess {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &supportProcess{tempRoot: o.tempRoot, exited: make(chan int, 1), cancel: cancel}
	go func() { p.exited <- runSupport(ctx, o, &p.stdout, &p.stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-p.exited:
		case <-time.After(15 * time.Second):
			t.Error("the support agent did not stop")
		}
	})
	return p
}

// wait returns the exit code.
func (p *supportProcess) wait(t *testing.T) int {
	t.Helper()
	select {
	case code := <-p.exited:
		p.exited <- code // for the cleanup
		return code
	case <-time.After(15 * time.Second):
		t.Fatalf("the support agent did not exit; stdout:\n%s\nstderr:\n%s", p.stdout.String(), p.stderr.String())
	}
	return 0
}

// windowURL waits for the line that names the window.
func (p *supportProcess) windowURL(t *testing.T) string {
	t.Helper()
	var url string
	eventually.True(t, 10*time.Second, "the window line", func() bool {
		for _, l := range strings.Split(p.stdout.String(), "\n") {
			if u, ok := strings.CutPrefix(l, "window: "); ok {
				url = u
				return true
			}
		}
		return false
	})
	if !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.HasSuffix(url, "/") {
		t.Fatalf("window URL %q", url)
	}
	return url
}

// checkGone fails unless the support agent left nothing in its temporary directory's parent.
func (p *supportProcess) checkGone(t *testing.T) {
	t.Helper()
	entries, err := os.ReadDir(p.tempRoot)
	if err != nil || len(entries) != 0 {
		t.Errorf("left behind in the temporary directory: %v %v", entries, err)
	}
}

func windowState(t *testing.T, url string) agent.State {
	t.Helper()
	resp, err := http.Get(url + "api/state")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st agent.State
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// windowPost posts to the window as its page does, with the token from the page.
func windowPost(t *testing.T, url, path, body string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	_, rest, _ := strings.Cut(string(page), `data-token="`)
	token, _, _ := strings.Cut(rest, `"`)
	req, _ := http.NewRequest("POST", url+strings.TrimPrefix(path, "/"), strings.NewReader(body))
	req.Header.Set(agent.WindowTokenHeader, token)
	req.Header.Set("Origin", strings.TrimSuffix(url, "/"))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST %s = %d %s", path, resp.StatusCode, b)
	}
}

func TestSupportSessionUntilStop(t *testing.T) {
	fs := newFakeSupportServer(t)
	p := startSupport(t, testSupportOptions(t, fs.srv.URL))
	red := <-fs.redeems
	if red.Code != supportCode || red.Hostname == "" || red.OSName == "" {
		t.Errorf("redeem request %+v", red)
	}
	sc := fs.next(t)
	if sc.path != "/api/v1/on-demand/agent/connect" || sc.header.Get("X-Portico-Device") != "" {
		t.Errorf("connected to %s with %v", sc.path, sc.header)
	}
	url := p.windowURL(t)
	var st agent.State
	eventually.True(t, 10*time.Second, "the window to show the connected support session", func() bool {
		st = windowState(t, url)
		return st.Connection == agent.ConnConnected
	})
	if st.Support == nil || st.Support.Technician != "Tess" || st.Support.Company != "Acme IT" || st.Support.ConnectedAt == nil {
		t.Errorf("window state %+v", st.Support)
	}
	if !strings.Contains(p.stdout.String(), "Support session with Tess (Acme IT).") {
		t.Errorf("stdout:\n%s", p.stdout.String())
	}
	// The temporary directory holds the window's address, and nothing else is written.
	dirs, _ := os.ReadDir(p.tempRoot)
	if len(dirs) != 1 {
		t.Fatalf("temporary directories %v", dirs)
	}
	if b, err := os.ReadFile(filepath.Join(p.tempRoot, dirs[0].Name(), "window.addr")); err != nil || "http://"+strings.TrimSpace(string(b))+"/" != url {
		t.Errorf("window.addr = %q, %v", b, err)
	}

	// A session request waits for the person, who approves it in the window.
	sc.send(t, protocol.MsgSessionRequest, protocol.SessionRequest{SessionID: "s1", Technician: "Tess",
		Actions: []string{"chat"}, AckRequired: true})
	eventually.True(t, 10*time.Second, "the pending request", func() bool { return len(windowState(t, url).Pending) == 1 })
	windowPost(t, url, "/api/answer", `{"session_id":"s1","accept":true}`)
	var ans protocol.SessionAnswer
	sc.expect(t, protocol.MsgSessionAnswer, &ans)
	if !ans.Accepted || ans.SessionID != "s1" {
		t.Errorf("answer %+v", ans)
	}

	sc.send(t, protocol.MsgStop, protocol.Stop{Reason: "the technician ended the session"})
	if code := p.wait(t); code != 0 {
		t.Errorf("exit code %d; stderr:\n%s", code, p.stderr.String())
	}
	if !strings.Contains(p.stdout.String(), "The support session has ended") {
		t.Errorf("stdout:\n%s", p.stdout.String())
	}
	p.checkGone(t)
	if _, err := http.Get(url + "api/state"); err == nil {
		t.Error("the window still answers")
	}
}

func TestSupportRefusedCredentialEnds(t *testing.T) {
	fs := newFakeSupportServer(t)
	fs.refuse.Store(true)
	p := startSupport(t, testSupportOptions(t, fs.srv.URL))
	if code := p.wait(t); code != 0 {
		t.Errorf("exit code %d; stderr:\n%s", code, p.stderr.String())
	}
	if !strings.Contains(p.stdout.String(), "The support session has ended") {
		t.Errorf("stdout:\n%s", p.stdout.String())
	}
	p.checkGone(t)
}

func TestSupportEndedInTheWindow(t *testing.T) {
	for _, stop := range []bool{true, false} {
		t.Run(map[bool]string{true: "server answers stop", false: "server silent"}[stop], func(t *testing.T) {
			fs := newFakeSupportServer(t)
			o := testSupportOptions(t, fs.srv.URL)
			o.stopWait = 2 * time.Second // the server's stop comes long before
			if !stop {
				o.stopWait = 200 * time.Millisecond
			}
			p := startSupport(t, o)
			sc := fs.next(t)
			url := p.windowURL(t)
			eventually.True(t, 10*time.Second, "connected", func() bool { return windowState(t, url).Connection == agent.ConnConnected })
			windowPost(t, url, "/api/end-support", `{"session_id":"`+supportSessionID+`"}`)
			var end protocol.SessionEnd
			sc.expect(t, protocol.MsgSessionEnd, &end)
			if end != (protocol.SessionEnd{SessionID: supportSessionID, By: "end_user"}) {
				t.Errorf("session_end %+v", end)
			}
			if stop {
				sc.send(t, protocol.MsgStop, protocol.Stop{Reason: "ended by the end user"})
			}
			if code := p.wait(t); code != 0 || !strings.Contains(p.stdout.String(), "The support session has ended") {
				t.Errorf("exit code %d; stdout:\n%s\nstderr:\n%s", code, p.stdout.String(), p.stderr.String())
			}
			p.checkGone(t)
		})
	}
}

func TestSupportSignalEnds(t *testing.T) {
	fs := newFakeSupportServer(t)
	p := startSupport(t, testSupportOptions(t, fs.srv.URL))
	sc := fs.next(t)
	url := p.windowURL(t)
	eventually.True(t, 10*time.Second, "connected", func() bool { return windowState(t, url).Connection == agent.ConnConnected })
	p.cancel() // what SIGINT and SIGTERM do
	var end protocol.SessionEnd
	sc.expect(t, protocol.MsgSessionEnd, &end)
	if end.SessionID != supportSessionID {
		t.Errorf("session_end %+v", end)
	}
	if code := p.wait(t); code != 0 || !strings.Contains(p.stdout.String(), "The support session has ended") {
		t.Errorf("exit code %d; stdout:\n%s", code, p.stdout.String())
	}
	p.checkGone(t)
}

func TestSupportElevateNotAvailable(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("elevation is available on Windows")
	}
	fs := newFakeSupportServer(t)
	p := startSupport(t, testSupportOptions(t, fs.srv.URL))
	sc := fs.next(t)
	p.windowURL(t)
	sc.send(t, protocol.MsgCommand, protocol.Command{ID: "c1", Action: "elevate"})
	var res protocol.CommandResult
	sc.expect(t, protocol.MsgCommandResult, &res)
	if res.OK || res.Error != "elevation is not available on "+runtime.GOOS {
		t.Errorf("result %+v", res)
	}
	// Other commands still reach the actions.
	sc.send(t, protocol.MsgCommand, protocol.Command{ID: "c2", Action: "lock"})
	sc.expect(t, protocol.MsgCommandResult, &res)
	if !res.OK || res.ID != "c2" {
		t.Errorf("result %+v", res)
	}
}

// TestSupportElevationHandsOver runs the elevation with a launcher that starts the "elevated" support
// agent in this process: it continues from the resume file without redeeming, and the first one
// exits once the second is connected.
func TestSupportElevationHandsOver(t *testing.T) {
	fs := newFakeSupportServer(t)
	o := testSupportOptions(t, fs.srv.URL)
	o.elevationAvailable = func() error { return nil }
	o.executable = func() (string, error) { return "/opt/portico-agent", nil }
	var second *supportProcess
	launched := make(chan []string, 1)
	o.launchElevated = func(exe string, args []string) error {
		launched <- append([]string{exe}, args...)
		if len(args) < 3 || args[0] != "support" || args[1] != "--resume" {
			t.Errorf("launched with %q", args)
			return nil
		}
		o2 := testSupportOptions(t, "")
		o2.code, o2.resume = "", args[2]
		second = startSupport(t, o2)
		return nil
	}
	first := startSupport(t, o)
	<-fs.redeems
	sc := fs.next(t)
	firstURL := first.windowURL(t)
	eventually.True(t, 10*time.Second, "connected", func() bool { return windowState(t, firstURL).Connection == agent.ConnConnected })
	connectedAt := windowState(t, firstURL).Support.ConnectedAt

	sc.send(t, protocol.MsgCommand, protocol.Command{ID: "c1", Action: "elevate"})
	var res protocol.CommandResult
	sc.expect(t, protocol.MsgCommandResult, &res)
	if !res.OK {
		t.Fatalf("elevate: %+v", res)
	}
	if args := <-launched; args[0] != "/opt/portico-agent" || !strings.Contains(strings.Join(args, " "), "--no-browser") {
		t.Errorf("launched %q", args)
	}
	sc2 := fs.next(t)
	if sc2.header.Get("X-Portico-On-Demand") != supportSessionID {
		t.Errorf("the elevated agent connected with %v", sc2.header)
	}
	if code := first.wait(t); code != 0 || !strings.Contains(first.stdout.String(), "continues with administrator rights") {
		t.Errorf("first exit code %d; stdout:\n%s\nstderr:\n%s", code, first.stdout.String(), first.stderr.String())
	}
	first.checkGone(t)
	select {
	case r := <-fs.redeems:
		t.Errorf("the elevated agent redeemed the code again: %+v", r)
	default:
	}
	secondURL := second.windowURL(t)
	if secondURL == firstURL || strings.Contains(second.stdout.String(), "window: "+firstURL) {
		t.Errorf("second window %s", secondURL)
	}
	st := windowState(t, secondURL)
	if st.Support == nil || st.Support.Technician != "Tess" || st.Support.ConnectedAt == nil || !st.Support.ConnectedAt.Equal(*connectedAt) {
		t.Errorf("elevated window state %+v, first connected at %v", st.Support, connectedAt)
	}
	sc2.send(t, protocol.MsgStop, protocol.Stop{Reason: "done"})
	if code := second.wait(t); code != 0 {
		t.Errorf("second exit code %d", code)
	}
	second.checkGone(t)
}

func TestSupportResumeFileIsTakenOnce(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "resume.json")
	if err := writeFileAtomic(file, []byte(`{"server":"https://p.example","session_id":"od_1","credential":"c","company":"A","technician":"T"}`)); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o600 {
			t.Errorf("resume file mode %#o", fi.Mode().Perm())
		}
	}
	s, err := takeResumeFile(file)
	if err != nil || s.Credential != "c" || s.Technician != "T" {
		t.Fatalf("take: %+v, %v", s, err)
	}
	if _, err := os.Stat(file); err == nil {
		t.Error("the resume file is still there")
	}
	if _, err := takeResumeFile(file); err == nil {
		t.Error("a resume file was taken twice")
	}
	for _, bad := range []string{`{"server":"ftp://x","session_id":"a","credential":"c"}`, `{"server":"https://x","session_id":"","credential":"c"}`,
		`{"server":"https://x","session_id":"a","credential":"c","extra":1}`} {
		os.WriteFile(file, []byte(bad), 0o600)
		if _, err := takeResumeFile(file); err == nil {
			t.Errorf("resume file %s accepted", bad)
		}
	}
}

func TestSupportCommandLineErrors(t *testing.T) {
	fs := newFakeSupportServer(t)
	for _, tc := range []struct {
		name      string
		args      []string
		rateLimit bool
		code      int
		want      string
		redeemed  bool
	}{
		{"nothing to go on", nil, false, 2, "--server and --code are required", false},
		{"no code", []string{"--server", fs.srv.URL}, false, 2, "--server and --code are required", false},
		{"code too short", []string{"--server", fs.srv.URL, "--code", "123 456 78"}, false, 2, "must be 9 digits", false},
		{"code with letters", []string{"--server", fs.srv.URL, "--code", "123-456-78x"}, false, 2, "must be 9 digits", false},
		{"bad server", []string{"--server", "portico.example.com", "--code", "123456789"}, false, 2, "must start with https://", false},
		{"stray argument", []string{"--server", fs.srv.URL, "--code", "123456789", "now"}, false, 2, "unexpected argument", false},
		{"wrong code", []string{"--server", fs.srv.URL, "--code", "999 999-999"}, false, 1, "the code is wrong, expired or already used", true},
		{"rate limited", []string{"--server", fs.srv.URL, "--code", "123456789"}, true, 1, "try again in 10m0s", true},
		{"server unreachable", []string{"--server", closedServerURL(t), "--code", "123456789"}, false, 1, "could not reach http://127.0.0.1:", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs.rateLimit.Store(tc.rateLimit)
			var out, errOut bytes.Buffer
			code := run(append([]string{"support", "--no-browser"}, tc.args...), &out, &errOut)
			if code != tc.code || !strings.Contains(errOut.String(), tc.want) {
				t.Errorf("code %d, stderr %q; want code %d mentioning %q", code, errOut.String(), tc.code, tc.want)
			}
			select {
			case r := <-fs.redeems:
				if !tc.redeemed {
					t.Errorf("a request was sent: %+v", r)
				} else if tc.name == "wrong code" && r.Code != "999999999" {
					t.Errorf("code sent as %q", r.Code)
				}
			default:
				if tc.redeemed {
					t.Error("no redeem request")
				}
			}
		})
	}
}

func TestNormalizeSupportCode(t *testing.T) {
	for in, want := range map[string]string{"123456789": "123456789", "123 456 789": "123456789", "123-456-789": "123456789",
		" 123\t456 - 789\n": "123456789", "12345678": "", "1234567890": "", "123.456.789": "", "": ""} {
		got, ok := normalizeSupportCode(in)
		if ok != (want != "") || (ok && got != want) {
			t.Errorf("normalizeSupportCode(%q) = %q, %v", in, got, ok)
		}
	}
}

func TestSupportReconnectsWithTheSameCredential(t *testing.T) {
	fs := newFakeSupportServer(t)
	p := startSupport(t, testSupportOptions(t, fs.srv.URL))
	<-fs.redeems
	blip := fs.next(t)
	url := p.windowURL(t)
	connectedAt := func() time.Time {
		var at *time.Time
		eventually.True(t, 10*time.Second, "connected", func() bool {
			st := windowState(t, url)
			at = st.Support.ConnectedAt
			return st.Connection == agent.ConnConnected && at != nil
		})
		return *at
	}
	first := connectedAt()
	blip.raw.Close() // a network blip
	sc := fs.next(t)
	if sc.header.Get("Authorization") != "Bearer "+supportCredential {
		t.Errorf("reconnected with %v", sc.header)
	}
	if again := connectedAt(); !again.Equal(first) {
		t.Errorf("the session's time restarted at the reconnection: %v, was %v", again, first)
	}
	select {
	case r := <-fs.redeems:
		t.Errorf("the code was redeemed again: %+v", r)
	default:
	}
	sc.send(t, protocol.MsgStop, protocol.Stop{Reason: "done"})
	if code := p.wait(t); code != 0 {
		t.Errorf("exit code %d", code)
	}
	p.checkGone(t)
}
