package agent

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/portico-dev/portico/internal/protocol"
)

func startWindow(t *testing.T, m *Sessions) *Window {
	t.Helper()
	w, err := NewWindow("127.0.0.1:0", m, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); w.Serve(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return w
}

type windowCall struct {
	method, path, body string
	header             map[string]string
	host               string
}

func (c windowCall) do(t *testing.T, w *Window) (int, string) {
	t.Helper()
	req, err := http.NewRequest(c.method, w.URL()+strings.TrimPrefix(c.path, "/"), strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	if c.host != "" {
		req.Host = c.host
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestWindowRefusesNonLoopbackAddress(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.168.1.10:7755", "localhost:0"} {
		if w, err := NewWindow(addr, NewSessions(SessionsOptions{}), quietLog); err == nil {
			w.Close()
			t.Errorf("NewWindow(%q) accepted", addr)
		}
	}
}

func TestWindowPageCarriesToken(t *testing.T) {
	m, _, _ := newTestSessions(t)
	w := startWindow(t, m)
	status, body := windowCall{method: "GET", path: "/"}.do(t, w)
	if status != 200 || !strings.Contains(body, `data-token="`+w.Token()+`"`) {
		t.Fatalf("GET / = %d, token not embedded", status)
	}
	status, body = windowCall{method: "GET", path: "/api/state"}.do(t, w)
	var st State
	if status != 200 || json.Unmarshal([]byte(body), &st) != nil || st.Connection != ConnConnected {
		t.Fatalf("GET /api/state = %d %s", status, body)
	}
}

func TestWindowPostProtection(t *testing.T) {
	origin := func(w *Window) string { return "http://" + w.Addr() }
	for _, tc := range []struct {
		name       string
		call       func(w *Window) windowCall
		wantStatus int
		answered   bool
	}{
		{"no token", func(w *Window) windowCall {
			return windowCall{method: "POST", path: "/api/answer", body: `{"session_id":"s1","accept":true}`,
				header: map[string]string{"Origin": origin(w)}}
		}, 403, false},
		{"wrong token", func(w *Window) windowCall {
			return windowCall{method: "POST", path: "/api/answer", body: `{"session_id":"s1","accept":true}`,
				header: map[string]string{WindowTokenHeader: wrongToken(w.Token())}}
		}, 403, false},
		{"token but foreign origin", func(w *Window) windowCall {
			return windowCall{method: "POST", path: "/api/answer", body: `{"session_id":"s1","accept":true}`,
				header: map[string]string{WindowTokenHeader: w.Token(), "Origin": "https://evil.example"}}
		}, 403, false},
		{"token but cross-site fetch", func(w *Window) windowCall {
			return windowCall{method: "POST", path: "/api/answer", body: `{"session_id":"s1","accept":true}`,
				header: map[string]string{WindowTokenHeader: w.Token(), "Sec-Fetch-Site": "cross-site"}}
		}, 403, false},
		{"token but rebound host name", func(w *Window) windowCall {
			return windowCall{method: "POST", path: "/api/answer", body: `{"session_id":"s1","accept":true}`,
				header: map[string]string{WindowTokenHeader: w.Token()}, host: "attacker.example:" + w.port}
		}, 403, false},
		{"state through a rebound host name", func(w *Window) windowCall {
			return windowCall{method: "GET", path: "/api/state", host: "attacker.example"}
		}, 403, false},
		{"unknown field", func(w *Window) windowCall {
			return windowCall{method: "POST", path: "/api/answer", body: `{"session_id":"s1","accept":true,"x":1}`,
				header: map[string]string{WindowTokenHeader: w.Token()}}
		}, 400, false},
		{"accept missing", func(w *Window) windowCall {
			return windowCall{method: "POST", path: "/api/answer", body: `{"session_id":"s1"}`,
				header: map[string]string{WindowTokenHeader: w.Token()}}
		}, 400, false},
		{"unknown session", func(w *Window) windowCall {
			return windowCall{method: "POST", path: "/api/answer", body: `{"session_id":"s2","accept":true}`,
				header: map[string]string{WindowTokenHeader: w.Token()}}
		}, 404, false},
		{"token and same origin", func(w *Window) windowCall {
			return windowCall{method: "POST", path: "/api/answer", body: `{"session_id":"s1","accept":true}`,
				header: map[string]string{WindowTokenHeader: w.Token(), "Origin": origin(w), "Sec-Fetch-Site": "same-origin"}}
		}, 200, true},
		{"token through the localhost name", func(w *Window) windowCall {
			return windowCall{method: "POST", path: "/api/answer", body: `{"session_id":"s1","accept":false}`,
				header: map[string]string{WindowTokenHeader: w.Token()}, host: "localhost:" + w.port}
		}, 200, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, rec, _ := newTestSessions(t)
			m.Request(protocol.SessionRequest{SessionID: "s1", Technician: "T", Actions: []string{"terminal"}, AckRequired: true})
			w := startWindow(t, m)
			status, body := tc.call(w).do(t, w)
			if status != tc.wantStatus {
				t.Errorf("status = %d (%s), want %d", status, body, tc.wantStatus)
			}
			if got := len(rec.take()) > 0; got != tc.answered {
				t.Errorf("answer sent = %v, want %v", got, tc.answered)
			}
			if !tc.answered && len(m.State().Pending) != 1 {
				t.Error("the refused request changed the session")
			}
		})
	}
}

func TestWindowChatAndEnd(t *testing.T) {
	m, rec, _ := newTestSessions(t)
	m.Request(protocol.SessionRequest{SessionID: "s1", Technician: "T", Actions: []string{"chat"}})
	rec.take()
	w := startWindow(t, m)
	tok := map[string]string{WindowTokenHeader: w.Token()}
	if status, body := (windowCall{method: "POST", path: "/api/chat", body: `{"session_id":"s1","text":" hello "}`, header: tok}).do(t, w); status != 200 {
		t.Fatalf("chat = %d %s", status, body)
	}
	if status, _ := (windowCall{method: "POST", path: "/api/answer", body: `{"session_id":"s1","accept":true}`, header: tok}).do(t, w); status != 409 {
		t.Errorf("answering an active session = %d, want 409", status)
	}
	if status, body := (windowCall{method: "POST", path: "/api/end", body: `{"session_id":"s1"}`, header: tok}).do(t, w); status != 200 {
		t.Fatalf("end = %d %s", status, body)
	}
	msgs := rec.take()
	if len(msgs) != 2 || msgs[0].body.(protocol.Chat).Text != "hello" || msgs[1].body.(protocol.SessionEnd).By != "end_user" {
		t.Errorf("sent %+v", msgs)
	}
}

// wrongToken differs from token in its first character (a fixed "0" would equal a token that starts
// with one).
func wrongToken(token string) string {
	if token[0] == '0' {
		return "1" + token[1:]
	}
	return "0" + token[1:]
}
