package main

// End-to-end tests of a cluster: three real `portico serve` processes on one PostgreSQL database, with
// a NATS server of the test's own and HAProxy in front, real agents spread over the nodes, and a
// technician on one node while the agent is on another.

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/eventually"
	"github.com/portico-dev/portico/internal/servertest"
	"github.com/portico-dev/portico/internal/store/pgtest"
)

// cluster is n nodes of one database, their NATS server and their load balancer, and an account
// made with `portico admin create-account`.
type cluster struct {
	t      *testing.T
	db     string
	nats   *servertest.NATS
	nodes  []*clusterNode
	lb     *servertest.HAProxy
	env    []string
	acc    createdAccount
	owner  *servertest.Client // the owner's API key, through the load balancer
	bearer string
}

type createdAccount struct {
	AccountID string `json:"account_id"`
	OwnerID   string `json:"owner_id"`
	GroupID   string `json:"default_device_group_id"`
	APIKey    string `json:"api_key"`
}

// clusterNode is one `portico serve` process; it keeps its address and id across restarts.
type clusterNode struct {
	id, addr, url, db string
	proc              *servertest.Process
}

var clusterListening = regexp.MustCompile(`listening on (https?://\S+)`)

// startCluster starts n nodes. dbFor, when it returns a URL for node i, points that node at it (a
// proxy the test owns) instead of the database itself.
func startCluster(t *testing.T, n int, dbFor func(i int, db string) string) *cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("cluster end-to-end test")
	}
	c := &cluster{t: t, db: pgtest.NewDatabase(t), nats: servertest.StartNATS(t)}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	c.env = []string{"PORTICO_SEAL_KEY=" + base64.StdEncoding.EncodeToString(key), "PORTICO_SMTP_URL="}
	pw := filepath.Join(t.TempDir(), "owner-password")
	if err := os.WriteFile(pw, []byte("correct horse battery staple"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCmd(t, "", "admin", "create-account", "--database-url", c.db, "--company", "Cluster Ltd",
		"--owner-email", "owner@cluster.test", "--owner-password-file", pw, "--print-api-key")
	if code != 0 {
		t.Fatalf("create-account: %s", errOut)
	}
	if err := json.Unmarshal([]byte(out), &c.acc); err != nil {
		t.Fatalf("create-account printed %q: %v", out, err)
	}
	var backends []string
	for i := range n {
		db := c.db
		if dbFor != nil {
			if u := dbFor(i, c.db); u != "" {
				db = u
			}
		}
		nd := &clusterNode{id: fmt.Sprintf("node-%c", 'a'+i), addr: servertest.FreeAddr(t), db: db}
		c.nodes = append(c.nodes, nd)
		c.startNode(nd)
		backends = append(backends, nd.addr)
	}
	c.lb = servertest.StartHAProxy(t, backends)
	c.bearer = c.acc.APIKey
	c.owner = servertest.NewClient(t, c.lb.URL(), c.bearer)
	eventually.True(t, 10*time.Second, "the load balancer to pass requests", func() bool {
		return c.owner.Do("GET", "/api/v1/me", nil).Status == http.StatusOK
	})
	return c
}

func (c *cluster) startNode(nd *clusterNode) {
	c.t.Helper()
	args := []string{"serve", "--database-url", nd.db, "--addr", nd.addr, "--nats-url", c.nats.URL(), "--node-id", nd.id,
		"--trusted-proxies", "127.0.0.1"}
	if nd.proc == nil {
		nd.proc = servertest.StartProcess(c.t, nd.id, porticoBin, args, c.env)
	} else {
		nd.proc.Restart()
	}
	nd.url = nd.proc.WaitLine(clusterListening, 60*time.Second)[1]
}

// at is the owner's client on node i.
func (c *cluster) at(i int) *servertest.Client { return c.owner.At(c.nodes[i].url) }

// logs is every node's last output lines, for failure messages.
func (c *cluster) logs() string {
	var b strings.Builder
	for _, nd := range c.nodes {
		b.WriteString(nd.proc.Logs(30))
		b.WriteString("\n")
	}
	return b.String()
}

// agent enrolls a real agent through the load balancer and runs it against servers.
func (c *cluster) agent(name string, servers ...string) (*servertest.Process, string) {
	c.t.Helper()
	var tok struct {
		Secret string `json:"secret"`
	}
	c.owner.Must(http.StatusCreated, "POST", "/api/v1/enrollment-tokens", map[string]any{}, &tok)
	config, id := enrollAgent(c.t, c.lb.URL(), tok.Secret)
	p := servertest.StartProcess(c.t, name, agentBin, []string{"run", "--config", config, "--server",
		strings.Join(servers, ","), "--window-addr", "off"}, nil)
	return p, id
}

// connectedTo reports the node whose hub holds the device's agent, as every node's device list says
// ("" while unknown).
func (c *cluster) deviceStatus(i int, deviceID string) string {
	var d struct {
		Status string `json:"status"`
	}
	r := c.at(i).Do("GET", "/api/v1/devices/"+deviceID, nil)
	if r.Status != http.StatusOK {
		return fmt.Sprint(r.Status)
	}
	r.Decode(c.t, &d)
	return d.Status
}

// explain asks node i whether user may use perm on the device: "allowed", "refused", or the status
// of an answer that is neither (503 while the node cannot confirm it is current).
func (c *cluster) explain(i int, userID, perm, deviceID string) string {
	r := c.at(i).Do("POST", "/api/v1/access/explain", map[string]any{"user_id": userID, "permission": perm, "device_id": deviceID})
	switch r.Status {
	case http.StatusOK:
		var e struct {
			Allowed bool `json:"allowed"`
		}
		r.Decode(c.t, &e)
		if e.Allowed {
			return "allowed"
		}
		return "refused"
	case http.StatusNotFound:
		return "refused"
	}
	return fmt.Sprint(r.Status)
}

// clusterTech is the technician of the cluster tests: a user in a user group that holds a role with
// the terminal on the group of the devices, with an API key of their own.
type clusterTech struct {
	id, userGroup, role, assignment, keyRole, key, keyID string
}

func (c *cluster) technician() *clusterTech {
	c.t.Helper()
	tt := &clusterTech{}
	var u struct {
		ID string `json:"id"`
	}
	c.owner.Must(http.StatusCreated, "POST", "/api/v1/users", map[string]any{"email": "tech@cluster.test", "name": "Tech",
		"password": "a long enough password"}, &u)
	tt.id = u.ID
	var obj struct {
		ID string `json:"id"`
	}
	c.owner.Must(http.StatusCreated, "POST", "/api/v1/roles", map[string]any{"name": "Terminal", "purpose": "devices",
		"permissions": []string{"device.view", "device.terminal"}}, &obj)
	tt.role = obj.ID
	c.owner.Must(http.StatusCreated, "POST", "/api/v1/roles", map[string]any{"name": "Own keys", "purpose": "general",
		"permissions": []string{"api_keys.view", "api_keys.manage"}}, &obj)
	tt.keyRole = obj.ID
	c.owner.Must(http.StatusCreated, "POST", "/api/v1/role-assignments", map[string]any{"principal_type": "user",
		"principal_id": tt.id, "role_id": tt.keyRole, "scope_type": "account"}, nil)
	c.owner.Must(http.StatusCreated, "POST", "/api/v1/user-groups", map[string]any{"name": "Support", "member_ids": []string{tt.id}}, &obj)
	tt.userGroup = obj.ID
	c.grant(tt)
	c.newKey(tt)
	return tt
}

// grant gives the technician's user group the terminal role on the devices' group.
func (c *cluster) grant(tt *clusterTech) *servertest.Response {
	var obj struct {
		ID string `json:"id"`
	}
	r := c.at(0).Must(http.StatusCreated, "POST", "/api/v1/role-assignments", map[string]any{"principal_type": "user_group",
		"principal_id": tt.userGroup, "role_id": tt.role, "scope_type": "device_group", "scope_id": c.acc.GroupID}, &obj)
	tt.assignment = obj.ID
	return r
}

// newKey makes the technician a new API key (signed in with their password).
func (c *cluster) newKey(tt *clusterTech) {
	c.t.Helper()
	tc := servertest.NewClient(c.t, c.lb.URL(), "")
	tc.SignIn("tech@cluster.test", "a long enough password")
	var k struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}
	tc.Must(http.StatusCreated, "POST", "/api/v1/api-keys", map[string]any{"name": "sessions"}, &k)
	tt.key, tt.keyID = k.Secret, k.ID
}

// techAt is the technician's API key client on node i, from an address outside 127.0.0.0/8 (the
// nodes believe the test's X-Forwarded-For), so that an allow list can refuse them alone.
func (c *cluster) techAt(tt *clusterTech, i int) *servertest.Client {
	cl := servertest.NewClient(c.t, c.nodes[i].url, tt.key)
	cl.Header.Set("X-Forwarded-For", "10.9.9.9")
	return cl
}

// revocation is one kind of change that takes a right away: made through node 0, it must be decided
// by on every node from a second after its acknowledgement, and end a live session through it.
type revocation struct {
	name string
	// revoke makes the change through node 0 and returns its answer.
	revoke func() *servertest.Response
	// decided reports how node i decides now: "yes" when it decides by the change, "no" when not,
	// or a status such as "503".
	decided func(i int) string
	// restore undoes it (nil for the last, which cannot be undone).
	restore func()
	// reason is the session's end reason to expect ("" to accept any).
	reason string
}

func (c *cluster) revocations(tt *clusterTech, deviceID, otherGroup string) []revocation {
	a := c.at(0)
	byExplain := func(i int) string {
		switch got := c.explain(i, tt.id, "device.terminal", deviceID); got {
		case "refused":
			return "yes"
		case "allowed":
			return "no"
		default:
			return got
		}
	}
	byTechRequest := func(refusal int) func(i int) string {
		return func(i int) string {
			r := c.techAt(tt, i).Do("GET", "/api/v1/devices/"+deviceID, nil)
			switch r.Status {
			case refusal:
				return "yes"
			case http.StatusOK:
				return "no"
			}
			return fmt.Sprint(r.Status)
		}
	}
	settings := func(on bool) *servertest.Response {
		return a.Must(http.StatusOK, "PUT", "/api/v1/device-groups/"+c.acc.GroupID+"/settings",
			map[string]any{"own": map[string]bool{"terminal": on}}, nil)
	}
	role := func(perms ...string) *servertest.Response {
		return a.Must(http.StatusOK, "PATCH", "/api/v1/roles/"+tt.role, map[string]any{"permissions": perms}, nil)
	}
	members := func(ids ...string) *servertest.Response {
		if ids == nil {
			ids = []string{}
		}
		return a.Must(http.StatusOK, "PUT", "/api/v1/user-groups/"+tt.userGroup+"/members", map[string]any{"user_ids": ids}, nil)
	}
	move := func(group string) *servertest.Response {
		return a.Must(http.StatusNoContent, "POST", "/api/v1/devices/move", map[string]any{"device_ids": []string{deviceID}, "group_id": group}, nil)
	}
	allow := func(cidrs ...string) *servertest.Response {
		entries := []map[string]string{}
		for _, c := range cidrs {
			entries = append(entries, map[string]string{"cidr": c})
		}
		return a.Must(http.StatusOK, "PUT", "/api/v1/ip-allowlist", map[string]any{"entries": entries}, nil)
	}
	return []revocation{
		{name: "assignment deleted", reason: "permission revoked",
			revoke: func() *servertest.Response {
				return a.Must(http.StatusNoContent, "DELETE", "/api/v1/role-assignments/"+tt.assignment, nil, nil)
			},
			decided: byExplain, restore: func() { c.grant(tt) }},
		{name: "role edited", reason: "permission revoked",
			revoke: func() *servertest.Response { return role("device.view") }, decided: byExplain,
			restore: func() { role("device.view", "device.terminal") }},
		{name: "user disabled", reason: "user disabled",
			revoke: func() *servertest.Response {
				return a.Must(http.StatusOK, "POST", "/api/v1/users/"+tt.id+"/disable", nil, nil)
			},
			decided: byExplain, restore: func() { a.Must(http.StatusOK, "POST", "/api/v1/users/"+tt.id+"/enable", nil, nil) }},
		{name: "membership removed", reason: "permission revoked",
			revoke: func() *servertest.Response { return members() }, decided: byExplain, restore: func() { members(tt.id) }},
		{name: "API key revoked", reason: "API key revoked",
			revoke: func() *servertest.Response {
				return a.Must(http.StatusNoContent, "DELETE", "/api/v1/api-keys/"+tt.keyID, nil, nil)
			},
			decided: byTechRequest(http.StatusUnauthorized), restore: func() { c.newKey(tt) }},
		{name: "group setting switched off", reason: "setting switched off",
			revoke: func() *servertest.Response { return settings(false) }, decided: byExplain, restore: func() { settings(true) }},
		{name: "device moved", reason: "device moved",
			revoke: func() *servertest.Response { return move(otherGroup) }, decided: byExplain, restore: func() { move(c.acc.GroupID) }},
		{name: "allow list changed", reason: "the technician's address is no longer in the IP allow list",
			revoke: func() *servertest.Response { return allow("127.0.0.0/8") }, decided: byTechRequest(http.StatusForbidden),
			restore: func() { allow() }},
		{name: "device deleted", // the agent, told to stop, may end the session first

			revoke: func() *servertest.Response {
				return a.Must(http.StatusNoContent, "DELETE", "/api/v1/devices/"+deviceID, nil, nil)
			},
			decided: func(i int) string {
				switch r := c.at(i).Do("GET", "/api/v1/devices/"+deviceID, nil); r.Status {
				case http.StatusNotFound:
					return "yes"
				case http.StatusOK:
					return "no"
				default:
					return fmt.Sprint(r.Status)
				}
			}},
	}
}

// TestClusterRevocationsReachEveryNodeAndLiveSessions covers acceptance points 1 and 2: for each kind
// of revocation made through node A, every node decides by it from one second after the write was
// acknowledged, and a live terminal session relayed by node B, whose technician is connected to node
// C, ends within a second. An assignment created on A is likewise decided by everywhere, and DELETE
// of a session on A ends it on B.
func TestClusterRevocationsReachEveryNodeAndLiveSessions(t *testing.T) {
	c := startCluster(t, 3, nil)
	tt := c.technician()
	var obj struct {
		ID string `json:"id"`
	}
	c.owner.Must(http.StatusCreated, "POST", "/api/v1/device-groups", map[string]any{"name": "Elsewhere", "colour": "#336699"}, &obj)
	elsewhere := obj.ID
	// One agent on each node; the sessions use the one on node B.
	var devices []string
	for i := range c.nodes {
		_, id := c.agent(fmt.Sprintf("agent-%d", i), c.nodes[i].url)
		devices = append(devices, id)
	}
	c.owner.Must(http.StatusNoContent, "POST", "/api/v1/devices/move", map[string]any{"device_ids": devices, "group_id": c.acc.GroupID}, nil)
	dev := devices[1]
	for i := range c.nodes {
		eventually.True(t, 20*time.Second, fmt.Sprintf("node %d to see agent %d available", i, i), func() bool {
			return c.deviceStatus(i, devices[i]) == "available"
		})
	}

	// An assignment created on A is decided by everywhere a second later.
	a := c.at(0)
	a.Must(http.StatusNoContent, "DELETE", "/api/v1/role-assignments/"+tt.assignment, nil, nil)
	c.waitAll("the technician to have no right", func(i int) bool { return c.explain(i, tt.id, "device.terminal", dev) == "refused" })
	acked := time.Now()
	c.grant(tt)
	c.checkAt(acked.Add(time.Second), "assignment created", func(i int) string {
		if got := c.explain(i, tt.id, "device.terminal", dev); got != "allowed" {
			return got
		}
		return "yes"
	})

	for _, rv := range c.revocations(tt, dev, elsewhere) {
		t.Run(rv.name, func(t *testing.T) {
			c.waitAll("every node to allow the technician again", func(i int) bool { return rv.decided(i) == "no" })
			// The technician reaches node C; the agent is connected to node B, which relays the session.
			s := c.techAt(tt, 2).Session(dev, "terminal")
			id := s.State("active")["session_id"].(string)
			s.Terminal(1, "echo cluster-$((6*7))", "cluster-42")
			var rec struct {
				NodeID string `json:"node_id"`
			}
			c.at(2).Must(http.StatusOK, "GET", "/api/v1/sessions/"+id, nil, &rec)
			if rec.NodeID != c.nodes[1].id {
				t.Fatalf("the session is relayed by %q, want %s", rec.NodeID, c.nodes[1].id)
			}
			rv.revoke()
			acked := time.Now()
			end, at := s.WaitEnd(10 * time.Second)
			if d := at.Sub(acked); d > time.Second {
				t.Errorf("the live session ended %v after the revocation, want within 1 s", d)
			}
			if end != nil && rv.reason != "" && end["reason"] != rv.reason {
				t.Errorf("the session ended with %q, want %q", end["reason"], rv.reason)
			}
			c.checkAt(acked.Add(time.Second), rv.name, rv.decided)
			if rv.restore != nil {
				rv.restore()
			}
		})
	}

	// DELETE of a session on A ends it on B, where it runs.
	t.Run("session deleted on another node", func(t *testing.T) {
		dev := devices[2] // on node C; the technician reaches node B
		c.waitAll("the technician to be allowed", func(i int) bool { return c.explain(i, tt.id, "device.terminal", dev) == "allowed" })
		s := c.techAt(tt, 1).Session(dev, "terminal")
		id := s.State("active")["session_id"].(string)
		a.Must(http.StatusNoContent, "DELETE", "/api/v1/sessions/"+id, nil, nil)
		acked := time.Now()
		if _, at := s.WaitEnd(10 * time.Second); at.Sub(acked) > time.Second {
			t.Errorf("the session ended %v after DELETE on another node, want within 1 s", at.Sub(acked))
		}
	})
}

// waitAll waits until ok holds on every node.
func (c *cluster) waitAll(what string, ok func(i int) bool) {
	c.t.Helper()
	for i := range c.nodes {
		eventually.True(c.t, 10*time.Second, fmt.Sprintf("%s on node %d", what, i), func() bool { return ok(i) })
	}
}

// checkAt waits until at, then asks every node how it decides: each must decide by the change
// ("yes") or refuse to decide (503).
func (c *cluster) checkAt(at time.Time, what string, decided func(i int) string) {
	c.t.Helper()
	time.Sleep(time.Until(at))
	for i := range c.nodes {
		switch got := decided(i); got {
		case "yes", "503":
		default:
			c.t.Errorf("%s: node %d, %v after the acknowledgement, decides %q (want by the change, or 503)\n%s",
				what, i, time.Since(at)+time.Second, got, c.logs())
		}
	}
}
