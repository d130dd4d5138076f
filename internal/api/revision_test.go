package api_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
)

// Responses name the account revision they reflect; a client sends it back to read its writes on any
// node; a malformed or future revision is refused naming the header.
func TestRevisionHeaders(t *testing.T) {
	e := newEnv(t)
	_, key, err := e.app.CreateAPIKey(context.Background(), e.A.ownerAct, "revisions", nil)
	must(t, err)
	c := e.bearer(key)
	r := c.Do("POST", "/api/v1/device-groups", map[string]any{"name": "Lyon", "colour": "#336699"})
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var rev int64
	rev, err = strconv.ParseInt(r.Header.Get("Portico-Revision"), 10, 64)
	if err != nil || rev <= 0 {
		t.Fatalf("a change answered Portico-Revision %q", r.Header.Get("Portico-Revision"))
	}
	read := c.DoWith("GET", "/api/v1/device-groups", nil, http.Header{"Portico-Min-Revision": {strconv.FormatInt(rev, 10)}})
	if read.Status != http.StatusOK {
		t.Fatalf("read at the write's revision: %d %s", read.Status, read.Body)
	}
	if got, _ := strconv.ParseInt(read.Header.Get("Portico-Revision"), 10, 64); got < rev {
		t.Fatalf("read answered revision %d, asked for %d", got, rev)
	}
	for _, bad := range []string{"soon", "-1", strconv.FormatInt(rev+1000, 10)} {
		r := c.DoWith("GET", "/api/v1/device-groups", nil, http.Header{"Portico-Min-Revision": {bad}})
		p := r.Problem(t)
		if r.Status == http.StatusOK || len(p.Errors) == 0 || p.Errors[0].Field != "Portico-Min-Revision" {
			t.Errorf("Portico-Min-Revision %q: %d %+v, want a refusal naming the header", bad, r.Status, p)
		}
	}
}
