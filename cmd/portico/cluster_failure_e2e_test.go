package main

// End-to-end tests of a cluster when its parts fail: NATS stopped, a node cut off from PostgreSQL, a
// node killed; and of the limits every node must share (sign-in lockouts).

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/eventually"
	"github.com/portico-dev/portico/internal/servertest"
	"github.com/portico-dev/portico/internal/store/pgtest"
)

// TestClusterWithoutNATSAndCutOffFromTheDatabase covers acceptance point 3: with the test's NATS
// stopped, changes still reach every node through the database within the bound; a node cut off
// from PostgreSQL (through a TCP proxy the test owns, while the database keeps serving the others)
// answers 503 to every authorized request while another node revokes, ends the live sessions it
// relays, and recovers when the proxy lets it through again.
func TestClusterWithoutNATSAndCutOffFromTheDatabase(t *testing.T) {
	var proxy *pgtest.Proxy
	c := startCluster(t, 3, func(i int, db string) string {
		if i != 2 {
			return ""
		}
		p, u := pgtest.NewProxy(t, db)
		proxy = p
		return u
	})
	tt := c.technician()
	_, dev := c.agent("agent-c", c.nodes[2].url)
	c.owner.Must(http.StatusNoContent, "POST", "/api/v1/devices/move", map[string]any{"device_ids": []string{dev}, "group_id": c.acc.GroupID}, nil)
	c.waitAll("the technician to be allowed", func(i int) bool { return c.explain(i, tt.id, "device.terminal", dev) == "allowed" })

	// No bus: the nodes find the changes by reading the database.
	c.nats.Stop()
	for _, rv := range c.revocations(tt, dev, "")[:3] {
		c.waitAll("every node to allow the technician again", func(i int) bool { return rv.decided(i) == "no" })
		rv.revoke()
		acked := time.Now()
		c.checkAt(acked.Add(time.Second), rv.name+" without NATS", rv.decided)
		for i := range c.nodes {
			if got := rv.decided(i); got != "yes" {
				t.Errorf("%s without NATS: node %d decides %q, want by the change", rv.name, i, got)
			}
		}
		rv.restore()
	}
	c.nats.Start(t)

	// Node C relays a live session, then loses the database.
	c.waitAll("the technician to be allowed", func(i int) bool { return c.explain(i, tt.id, "device.terminal", dev) == "allowed" })
	eventually.True(t, 20*time.Second, "the agent on node C", func() bool { return c.deviceStatus(2, dev) == "available" })
	s := c.techAt(tt, 2).Session(dev, "terminal")
	s.State("active")
	proxy.Cut()
	cut := time.Now()
	c.at(0).Must(http.StatusNoContent, "DELETE", "/api/v1/role-assignments/"+tt.assignment, nil, nil)
	revoked := time.Now()
	if _, at := s.WaitEnd(10 * time.Second); at.Sub(cut) > 3*time.Second {
		t.Errorf("the session relayed by the cut-off node ended %v after the cut", at.Sub(cut))
	}
	// For three seconds node C answers nothing but 503 to authorized requests: reads, decisions,
	// the technician's own requests, new sessions.
	for time.Since(revoked) < 3*time.Second {
		checks := map[string]*servertest.Response{
			"explain":         c.at(2).Do("POST", "/api/v1/access/explain", map[string]any{"user_id": tt.id, "permission": "device.terminal", "device_id": dev}),
			"device list":     c.at(2).Do("GET", "/api/v1/devices", nil),
			"technician read": c.techAt(tt, 2).Do("GET", "/api/v1/devices/"+dev, nil),
		}
		for what, r := range checks {
			if r.Status != http.StatusServiceUnavailable && time.Since(cut) > time.Second {
				t.Fatalf("cut-off node, %s %v after the cut: %s, want 503", what, time.Since(cut), r)
			}
			if r.Status == http.StatusOK && what == "explain" && strings.Contains(string(r.Body), `"allowed":true`) && time.Since(revoked) > time.Second {
				t.Fatalf("the cut-off node allowed after the revocation: %s", r)
			}
		}
		if _, res, err := c.techAt(tt, 2).OpenSession(dev, "terminal"); err == nil {
			t.Fatal("the cut-off node opened a session")
		} else if res != nil && res.StatusCode != http.StatusServiceUnavailable && time.Since(cut) > time.Second {
			t.Fatalf("the cut-off node answered a session request %d, want 503", res.StatusCode)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if r := servertest.NewClient(t, c.nodes[2].url, "").Do("GET", "/readyz", nil); r.Status != http.StatusServiceUnavailable {
		t.Errorf("readiness of the cut-off node: %s, want 503", r)
	}
	// The others carry on and decide by the revocation.
	for i := range 2 {
		if got := c.explain(i, tt.id, "device.terminal", dev); got != "refused" {
			t.Errorf("node %d while node C is cut off: %s", i, got)
		}
	}
	proxy.Restore()
	eventually.True(t, 15*time.Second, "the cut-off node to recover and decide by the revocation", func() bool {
		return c.explain(2, tt.id, "device.terminal", dev) == "refused"
	})
}

// TestClusterSignInLockoutHoldsOnEveryNode covers acceptance point 5: wrong passwords sent round
// robin to three nodes get no more guesses checked than one node's threshold, for an account and
// for an address, and the lock then holds on every node.
func TestClusterSignInLockoutHoldsOnEveryNode(t *testing.T) {
	c := startCluster(t, 3, nil)
	for _, email := range []string{"victim@cluster.test", "other@cluster.test"} {
		c.owner.Must(http.StatusCreated, "POST", "/api/v1/users", map[string]any{"email": email, "name": email,
			"password": "the right password"}, nil)
	}
	// A locked attempt is answered 429 without its password being checked; any other answer means
	// the guess was checked.
	guess := func(i int, email, password, from string) (checked bool, status int, body string) {
		cl := servertest.NewClient(t, c.nodes[i].url, "")
		cl.Header.Set("X-Forwarded-For", from)
		r := cl.Do("POST", "/api/v1/session", map[string]string{"email": email, "password": password})
		return r.Status != http.StatusTooManyRequests, r.Status, string(r.Body)
	}

	// Per account: 20 wrong passwords round robin from several addresses, 10 of them at once.
	checked := 0
	for i := range 10 {
		if ok, _, _ := guess(i%3, "victim@cluster.test", "wrong", fmt.Sprintf("10.1.0.%d", i)); ok {
			checked++
		}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, _, _ := guess(i%3, "victim@cluster.test", "wrong", fmt.Sprintf("10.2.0.%d", i)); ok {
				mu.Lock()
				checked++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if checked > 5 {
		t.Errorf("the cluster checked %d wrong passwords for one account, one node's threshold is 5", checked)
	}
	for i := range c.nodes {
		if ok, status, body := guess(i, "victim@cluster.test", "the right password", "10.3.0.1"); ok || status == http.StatusOK {
			t.Errorf("node %d let the locked account sign in: %d %s", i, status, body)
		}
	}

	// Per address: one address spraying many accounts round robin.
	checked = 0
	for i := range 45 {
		email := fmt.Sprintf("nobody%d@cluster.test", i)
		if ok, _, _ := guess(i%3, email, "wrong", "10.4.0.1"); ok {
			checked++
		}
	}
	if checked > 30 {
		t.Errorf("the cluster checked %d guesses from one address, one node's threshold is 30", checked)
	}
	for i := range c.nodes {
		if ok, status, _ := guess(i, "other@cluster.test", "the right password", "10.4.0.1"); ok || status == http.StatusOK {
			t.Errorf("node %d let the locked-out address sign in", i)
		}
		if _, status, body := guess(i, "other@cluster.test", "the right password", "10.5.0.1"); status != http.StatusOK {
			t.Errorf("node %d refused another address: %d %s", i, status, body)
		}
	}
}

// TestClusterNodeKilled covers acceptance point 6: kill -9 of the node holding a third of the agents
// (they reach the nodes through the load balancer): they reconnect to the others within 30 s, their
// devices are Available again on every node, the session that node relayed ends with a reason, no
// write acknowledged meanwhile is lost, and restarting the dead node changes no other node's state.
func TestClusterNodeKilled(t *testing.T) {
	c := startCluster(t, 3, nil)
	// Whichever node the load balancer picks decides on the owner's last change or later.
	c.owner.ReadYourWrites = true
	var devices []string
	for i := range 6 {
		_, id := c.agent(fmt.Sprintf("agent-%d", i), c.lb.URL())
		devices = append(devices, id)
	}
	c.owner.Must(http.StatusNoContent, "POST", "/api/v1/devices/move", map[string]any{"device_ids": devices, "group_id": c.acc.GroupID}, nil)
	for _, d := range devices {
		eventually.True(t, 30*time.Second, "every agent to connect", func() bool { return c.deviceStatus(0, d) == "available" })
	}
	// A session through the load balancer: the node that relays it (its agent's) is the victim.
	s := c.owner.Session(devices[0], "terminal")
	sid := s.State("active")["session_id"].(string)
	var rec struct {
		NodeID    string `json:"node_id"`
		State     string `json:"state"`
		EndReason string `json:"end_reason"`
	}
	c.owner.Must(http.StatusOK, "GET", "/api/v1/sessions/"+sid, nil, &rec)
	victim := -1
	for i, nd := range c.nodes {
		if nd.id == rec.NodeID {
			victim = i
		}
	}
	if victim < 0 {
		t.Fatalf("the session is relayed by unknown node %q", rec.NodeID)
	}
	survivor := (victim + 1) % 3

	// Writes through the load balancer go on while the node dies; every acknowledged one must stay.
	stop := make(chan struct{})
	var acked []string
	var wmu sync.Mutex
	writer := make(chan struct{})
	go func() {
		defer close(writer)
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			name := fmt.Sprintf("Kept %d", n)
			if r := c.owner.Do("POST", "/api/v1/device-groups", map[string]any{"name": name, "colour": "#123456"}); r.Status == http.StatusCreated {
				wmu.Lock()
				acked = append(acked, name)
				wmu.Unlock()
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	time.Sleep(300 * time.Millisecond)
	c.nodes[victim].proc.Kill()
	killed := time.Now()

	at := c.at(survivor)
	for _, d := range devices {
		eventually.True(t, 30*time.Second, "every agent to be available again", func() bool {
			for i := range c.nodes {
				if i != victim && c.deviceStatus(i, d) != "available" {
					return false
				}
			}
			return true
		})
	}
	t.Logf("every agent available again %v after the kill", time.Since(killed).Round(time.Millisecond))
	eventually.True(t, 40*time.Second, "the dead node's session to be ended", func() bool {
		at.Must(http.StatusOK, "GET", "/api/v1/sessions/"+sid, nil, &rec)
		return rec.State == "ended"
	})
	if rec.EndReason == "" {
		t.Error("the dead node's session ended without a reason")
	}
	close(stop)
	<-writer
	var groups struct {
		Items []struct {
			Name string `json:"name"`
		} `json:"items"`
	}
	at.Must(http.StatusOK, "GET", "/api/v1/device-groups?limit=500", nil, &groups)
	have := map[string]bool{}
	for _, g := range groups.Items {
		have[g.Name] = true
	}
	wmu.Lock()
	for _, name := range acked {
		if !have[name] {
			t.Errorf("the acknowledged write %q was lost", name)
		}
	}
	t.Logf("%d writes acknowledged around the kill, none lost", len(acked))
	wmu.Unlock()

	// Restarting the dead node changes nothing the others hold.
	snapshot := func() string {
		var b strings.Builder
		for _, d := range devices {
			fmt.Fprintf(&b, "%s=%s ", d, c.deviceStatus(survivor, d))
		}
		var live struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		at.Must(http.StatusOK, "GET", "/api/v1/sessions", nil, &live)
		fmt.Fprintf(&b, "live=%d", len(live.Items))
		return b.String()
	}
	before := snapshot()
	c.startNode(c.nodes[victim])
	time.Sleep(3 * time.Second)
	if after := snapshot(); after != before {
		t.Errorf("restarting the dead node changed the others' state:\nbefore %s\nafter  %s", before, after)
	}
}
