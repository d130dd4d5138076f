package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/eventually"
	"github.com/portico-dev/portico/internal/hub"
	"github.com/portico-dev/portico/internal/server"
	"github.com/portico-dev/portico/internal/servertest"
)

const password = "correct horse battery staple"

// limitedNode starts a node with cfg (in a temporary data directory) and creates an account whose
// owner has an API key.
func limitedNode(t *testing.T, cfg server.Config) (*servertest.Node, *app.CreatedAccount) {
	t.Helper()
	cfg.DataDir = t.TempDir()
	n := servertest.StartNode(t, cfg)
	acc, err := n.App().CreateAccount(context.Background(), app.NewAccount{Company: "Limits Ltd",
		OwnerEmail: "owner@limits.test", OwnerName: "Owner", OwnerPassword: password, WithAPIKey: true})
	if err != nil {
		t.Fatal(err)
	}
	return n, acc
}

// rawConn is a client connection from a loopback address of the test's choosing (127.0.0.0/8 all
// reaches this host), so that clients count as different addresses.
type rawConn struct {
	net.Conn
	br   *bufio.Reader
	host string
}

func dial(n *servertest.Node, from string) (*rawConn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", n.Addr().String())
	if err != nil {
		return nil, fmt.Errorf("dial from %s: %w", from, err)
	}
	return &rawConn{Conn: c, br: bufio.NewReader(c), host: n.Addr().String()}, nil
}

// dialFrom dials as dial does and closes the connection when the test ends.
func dialFrom(t *testing.T, n *servertest.Node, from string) *rawConn {
	t.Helper()
	c, err := dial(n, from)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// do sends a bodiless request with extra header lines and reads the answer.
func (c *rawConn) do(method, path string, header ...string) (*http.Response, []byte, error) {
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	defer c.SetDeadline(time.Time{})
	req := method + " " + path + " HTTP/1.1\r\nHost: " + c.host + "\r\n"
	for _, h := range header {
		req += h + "\r\n"
	}
	if _, err := io.WriteString(c, req+"\r\n"); err != nil {
		return nil, nil, err
	}
	res, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res, b, err
}

// closedWithin waits for the server to end the connection, reading (and dropping) what it sends;
// it reports false if the connection is still open after d.
func (c *rawConn) closedWithin(d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c.br)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// TestDeadlinesCutSlowClients: slow-body, idle keep-alive, silent and slow-reading clients are all cut
// off within their deadlines, while a thousand real API requests are served alongside them.
func TestDeadlinesCutSlowClients(t *testing.T) {
	lim := server.Limits{ReadHeader: 500 * time.Millisecond, ReadBody: 500 * time.Millisecond, Write: 5 * time.Second,
		ExportWrite: 4 * time.Second, Idle: 500 * time.Millisecond}
	n, acc := limitedNode(t, server.Config{Limits: lim})
	// An audit export of 8 MB: more than the client's and the server's socket buffers hold.
	for i := range 200 {
		e := &portico.AuditEvent{AccountID: acc.Account.ID, At: time.Now(), ActorType: "system", Action: "test.filler",
			Outcome: portico.OutcomeSuccess, Detail: fmt.Sprintf("%d %s", i, strings.Repeat("x", 40<<10))}
		if err := n.Store().AppendAudit(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	browser := servertest.NewClient(t, n.URL(), "")
	browser.SignIn("owner@limits.test", password)
	var cookie string
	for _, ck := range browser.HTTP.Jar.Cookies(mustURL(t, n.URL())) {
		cookie = ck.Name + "=" + ck.Value
	}

	const within = 5 * time.Second // the deadlines are 0.5 s; the rest is slack for a busy machine
	stop := make(chan struct{})
	var attackers sync.WaitGroup
	// attack runs fn from an address until the real requests are done, a new connection each time.
	attack := func(name, from string, fn func(c *rawConn) error) {
		attackers.Go(func() {
			for i := 0; ; i++ {
				c, err := dial(n, from)
				if err == nil {
					err = fn(c)
					c.Close()
				}
				if err != nil {
					t.Errorf("%s, connection %d: %v", name, i, err)
					return
				}
				select {
				case <-stop:
					return
				default:
				}
			}
		})
	}
	for i := range 10 {
		attack(fmt.Sprintf("slow body %d", i), "127.0.0.2", func(c *rawConn) error {
			// A sign-in whose body would take 100 s: one byte every 100 ms.
			fmt.Fprintf(c, "POST /api/v1/session HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n", c.host)
			done := make(chan struct{})
			defer close(done)
			go func() {
				tick := time.NewTicker(100 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-done:
						return
					case <-tick.C:
						if _, err := c.Write([]byte(" ")); err != nil {
							return
						}
					}
				}
			}()
			if !c.closedWithin(within) {
				return errors.New("still open")
			}
			return nil
		})
		attack(fmt.Sprintf("idle keep-alive %d", i), "127.0.0.3", func(c *rawConn) error {
			res, _, err := c.do("GET", "/healthz")
			if err != nil || res.StatusCode != http.StatusOK {
				return fmt.Errorf("first request: %v %v", res, err)
			}
			if !c.closedWithin(within) {
				return errors.New("still open")
			}
			return nil
		})
		attack(fmt.Sprintf("silent %d", i), "127.0.0.4", func(c *rawConn) error {
			if !c.closedWithin(within) {
				return errors.New("still open")
			}
			return nil
		})
	}
	// The slow readers' exports are built before the real requests start, so that building them does
	// not compete with the requests: from then on the server is only writing to them, or has stopped.
	var readers, heads sync.WaitGroup
	for i := range 2 {
		c := dialFrom(t, n, "127.0.0.5")
		// Small, but not below loopback's 64 KiB segments: a smaller window makes the transfer crawl
		// by zero-window probes, and the rest of the answer could then not be drained quickly.
		if err := c.Conn.(*net.TCPConn).SetReadBuffer(64 << 10); err != nil {
			t.Fatal(err)
		}
		heads.Add(1)
		readers.Go(func() {
			err := func() error {
				// 40 KB/s for 7 s, past the export's write deadline (4 s), then as fast as it comes: a
				// server that had not given up would then send the whole file.
				fmt.Fprintf(c, "GET /audit?format=csv HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\n\r\n", c.host, cookie)
				_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
				slow := &slowReader{r: c.Conn, until: time.Now().Add(7 * time.Second)}
				res, err := http.ReadResponse(bufio.NewReaderSize(slow, 4<<10), nil)
				heads.Done()
				if err != nil {
					return fmt.Errorf("read the answer's head: %w", err)
				}
				if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
					return fmt.Errorf("export answered %d %s", res.StatusCode, res.Header.Get("Content-Type"))
				}
				got, err := io.Copy(io.Discard, res.Body)
				if err == nil {
					return fmt.Errorf("the whole export (%d bytes) was sent to a client that read it slowly", got)
				}
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					return fmt.Errorf("still open after 30 s, %d bytes read", got)
				}
				return nil
			}()
			if err != nil {
				t.Errorf("slow reader %d: %v", i, err)
			}
		})
	}
	heads.Wait()

	var served, failed atomic.Int64
	var clients sync.WaitGroup
	for range 20 {
		clients.Go(func() {
			hc := &http.Client{Timeout: 30 * time.Second}
			defer hc.CloseIdleConnections()
			for range 50 {
				req, _ := http.NewRequest("GET", n.URL()+"/api/v1/me", nil)
				req.Header.Set("Authorization", "Bearer "+acc.APIKey)
				res, err := hc.Do(req)
				if err != nil {
					failed.Add(1)
					t.Logf("GET /api/v1/me: %v", err)
					continue
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					failed.Add(1)
					t.Logf("GET /api/v1/me: %d", res.StatusCode)
					continue
				}
				served.Add(1)
			}
		})
	}
	clients.Wait()
	close(stop)
	attackers.Wait()
	readers.Wait()
	if served.Load() != 1000 {
		t.Errorf("%d of 1000 real requests served (%d failed)", served.Load(), failed.Load())
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// slowReader reads at most 4 KiB every 100 ms until a time, then as fast as it is asked.
type slowReader struct {
	r     io.Reader
	until time.Time
}

func (s *slowReader) Read(p []byte) (int, error) {
	if time.Now().Before(s.until) {
		time.Sleep(100 * time.Millisecond)
		p = p[:min(len(p), 4<<10)]
	}
	return s.r.Read(p)
}

// healthy is nil when a request was answered 200, else why not.
func healthy(res *http.Response, _ []byte, err error) error {
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("answered %d", res.StatusCode)
	}
	return nil
}

// TestUnauthenticatedCap: an address may hold a few connections that have not authenticated; one more
// is closed unread, while other addresses, authenticated connections and, behind a trusted proxy,
// other clients are served; a proxied client over its cap is answered 429.
func TestUnauthenticatedCap(t *testing.T) {
	const limit = 4
	n, acc := limitedNode(t, server.Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.9/32")},
		Limits: server.Limits{UnauthenticatedPerClient: limit, ReadHeader: time.Minute, ReadBody: time.Minute}})
	bearer := "Authorization: Bearer " + acc.APIKey

	t.Run("direct", func(t *testing.T) {
		var held []*rawConn
		for range limit {
			c := dialFrom(t, n, "127.0.0.2")
			io.WriteString(c, "GET /healthz HTTP/1.1\r\n") // headers begun, never finished
			held = append(held, c)
		}
		if over := dialFrom(t, n, "127.0.0.2"); !over.closedWithin(5 * time.Second) {
			t.Error("a connection over the cap was not closed")
		}
		if res, _, err := dialFrom(t, n, "127.0.0.3").do("GET", "/healthz"); err != nil || res.StatusCode != http.StatusOK {
			t.Errorf("another address was not served: %v %v", res, err)
		}
		// A connection that ends makes room.
		held[0].Close()
		eventually.NoError(t, 5*time.Second, "room after a held connection closed", func() error {
			return healthy(dialFrom(t, n, "127.0.0.2").do("GET", "/healthz"))
		})
	})

	t.Run("authenticated connections do not count", func(t *testing.T) {
		for range limit {
			if res, _, err := dialFrom(t, n, "127.0.0.4").do("GET", "/api/v1/me", bearer); err != nil || res.StatusCode != http.StatusOK {
				t.Fatalf("authenticated request: %v %v", res, err)
			}
		}
		var anonymous []*rawConn
		for range limit {
			c := dialFrom(t, n, "127.0.0.4")
			if res, _, err := c.do("GET", "/healthz"); err != nil || res.StatusCode != http.StatusOK {
				t.Fatalf("unauthenticated request within the cap: %v %v", res, err)
			}
			anonymous = append(anonymous, c)
		}
		if !dialFrom(t, n, "127.0.0.4").closedWithin(5 * time.Second) {
			t.Fatal("a connection over the cap was not closed")
		}
		// Authenticating on a counted connection frees its place at once.
		if res, _, err := anonymous[0].do("GET", "/api/v1/me", bearer); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("authenticated request: %v %v", res, err)
		}
		if res, _, err := dialFrom(t, n, "127.0.0.4").do("GET", "/healthz"); err != nil || res.StatusCode != http.StatusOK {
			t.Errorf("no room after a connection authenticated: %v %v", res, err)
		}
	})

	t.Run("behind a trusted proxy", func(t *testing.T) {
		var held []*rawConn
		for range limit {
			c := dialFrom(t, n, "127.0.0.9")
			held = append(held, c)
			fmt.Fprintf(c, "POST /api/v1/session HTTP/1.1\r\nHost: %s\r\nX-Forwarded-For: 10.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{", c.host)
		}
		// The proxy's own connections are not counted (it has more than the cap open); the requests
		// of the client it names are, once the server has read their headers.
		var res *http.Response
		var body []byte
		eventually.NoError(t, 5*time.Second, "the client over its cap to be answered 429", func() error {
			var err error
			res, body, err = dialFrom(t, n, "127.0.0.9").do("GET", "/healthz", "X-Forwarded-For: 10.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != http.StatusTooManyRequests {
				return fmt.Errorf("answered %d", res.StatusCode)
			}
			return nil
		})
		var p struct {
			Status int `json:"status"`
		}
		if res.Header.Get("Retry-After") == "" || res.Header.Get("Content-Type") != "application/problem+json" ||
			json.Unmarshal(body, &p) != nil || p.Status != http.StatusTooManyRequests || !res.Close {
			t.Errorf("429 without Retry-After, a problem document or Connection: close: %v %s", res.Header, body)
		}
		if res, _, err := dialFrom(t, n, "127.0.0.9").do("GET", "/healthz", "X-Forwarded-For: 10.0.0.2"); err != nil || res.StatusCode != http.StatusOK {
			t.Errorf("another client behind the proxy was not served: %v %v", res, err)
		}
		// Requests that end make room.
		for _, c := range held {
			c.Close()
		}
		eventually.NoError(t, 5*time.Second, "room after the held requests ended", func() error {
			return healthy(dialFrom(t, n, "127.0.0.9").do("GET", "/healthz", "X-Forwarded-For: 10.0.0.1"))
		})
	})
}

// sessionNode starts a node with HTTP deadlines far shorter than a session lasts in the test, an agent
// connected to it, and the owner's API client.
func sessionNode(t *testing.T, techTimeout time.Duration) (*servertest.Node, *servertest.Client, *servertest.Agent) {
	t.Helper()
	n, acc := limitedNode(t, server.Config{
		Limits: server.Limits{ReadHeader: 300 * time.Millisecond, ReadBody: 300 * time.Millisecond, Write: time.Second,
			ExportWrite: time.Second, Idle: 300 * time.Millisecond},
		Hub: hub.Options{Heartbeat: 2 * time.Second, TechTimeout: techTimeout}})
	owner := servertest.NewClient(t, n.URL(), acc.APIKey)
	var tok struct {
		Secret string `json:"secret"`
	}
	owner.Must(http.StatusCreated, "POST", "/api/v1/enrollment-tokens", map[string]any{}, &tok)
	ag := servertest.StartAgent(t, "limits-pc", tok.Secret, n.URL())
	owner.Must(http.StatusNoContent, "POST", "/api/v1/devices/move", map[string]any{"device_ids": []string{ag.DeviceID},
		"group_id": acc.DefaultGroup.ID}, nil)
	eventually.True(t, 10*time.Second, "the agent to connect", func() bool { return n.Hub().Online(ag.DeviceID) })
	return n, owner, ag
}

// TestWebSocketsOutliveHTTPDeadlines: an agent that heartbeats and a technician who answers pings keep
// their connections for many times the HTTP deadlines.
func TestWebSocketsOutliveHTTPDeadlines(t *testing.T) {
	n, owner, ag := sessionNode(t, 2*time.Second)
	s := owner.Session(ag.DeviceID, "terminal")
	s.State("active")
	// Five times the longest HTTP deadline and two and a half technician timeouts, with nothing sent
	// but heartbeats and pings.
	time.Sleep(5 * time.Second)
	select {
	case <-s.Closed:
		t.Fatalf("the session's WebSocket closed: %v", s.CloseErr)
	default:
	}
	s.Terminal(1, "echo still-$((6*7))", "still-42")
	if !n.Hub().Online(ag.DeviceID) {
		t.Error("the agent is no longer connected")
	}
}

// TestSilentTechnicianIsCut: a technician whose connection stays open but answers no ping is cut off
// within the technician timeout, and the session ends saying why.
func TestSilentTechnicianIsCut(t *testing.T) {
	_, owner, ag := sessionNode(t, 600*time.Millisecond)
	ws, _, err := owner.OpenSession(ag.DeviceID, "terminal")
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.SetPingHandler(func(string) error { return nil }) // reads everything, answers no ping
	var active time.Time
	var last map[string]any
	for {
		_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		typ, b, err := ws.ReadMessage()
		if err != nil {
			if !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
				t.Errorf("the connection ended with %v, want a normal close", err)
			}
			break
		}
		if typ != websocket.TextMessage {
			continue
		}
		last = nil
		_ = json.Unmarshal(b, &last)
		if last["type"] == "state" && last["state"] == "active" {
			active = time.Now()
		}
	}
	if active.IsZero() {
		t.Fatal("the session never became active")
	}
	if d := time.Since(active); d > 5*time.Second {
		t.Errorf("cut off %v after the session began, want about the technician timeout (600 ms)", d)
	}
	if last["state"] != "ended" || last["reason"] != "the technician stopped answering" {
		t.Errorf("final message %v, want the session ended because the technician stopped answering", last)
	}
}
