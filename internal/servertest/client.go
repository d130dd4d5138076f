package servertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/portico-dev/portico"
)

// Client speaks JSON to one node (or the load balancer) with a bearer API key or, after SignIn, a
// portal session cookie.
type Client struct {
	t      testing.TB
	Base   string
	Bearer string
	// Header is sent with every request (X-Forwarded-For…).
	Header http.Header
	HTTP   *http.Client
	// ReadYourWrites sends back the newest account revision the client was answered with
	// (Portico-Min-Revision), so that whichever node answers next decides on it or later.
	ReadYourWrites bool
	// Check, when set, sees every answer (a test validating responses against the OpenAPI document).
	Check func(method, path string, r *Response)
	seen  *atomic.Int64
}

// RawJSON is a request body sent exactly as written (malformed input, duplicate keys…).
type RawJSON string

// NewClient returns a client of base, authenticated by the API key bearer when it is not empty.
func NewClient(t testing.TB, base, bearer string) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{t: t, Base: strings.TrimRight(base, "/"), Bearer: bearer, Header: http.Header{},
		HTTP: &http.Client{Jar: jar, Timeout: 30 * time.Second}, seen: &atomic.Int64{}}
}

// At returns a client of another base URL with the same credentials and cookies (another node).
func (c *Client) At(base string) *Client {
	d := *c
	d.Base = strings.TrimRight(base, "/")
	d.Header = c.Header.Clone()
	if c.HTTP.Jar != nil {
		// Cookies are per host: copy this client's session cookie to the other node's host.
		jar, _ := cookiejar.New(nil)
		from, _ := url.Parse(c.Base)
		to, _ := url.Parse(d.Base)
		jar.SetCookies(to, c.HTTP.Jar.Cookies(from))
		d.HTTP = &http.Client{Jar: jar, Timeout: c.HTTP.Timeout}
	}
	return &d
}

// Response is an API answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Revision is the account revision the answer names (Portico-Revision), or 0.
func (r *Response) Revision() int64 {
	n, _ := strconv.ParseInt(r.Header.Get("Portico-Revision"), 10, 64)
	return n
}

// Decode reads the body as JSON into v.
func (r *Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Problem reads the body as a problem document (RFC 9457), failing the test unless it is one whose
// status is the answer's.
func (r *Response) Problem(t testing.TB) Problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("status %d with Content-Type %q, want a problem document: %s", r.Status, ct, r.Body)
	}
	var p Problem
	r.Decode(t, &p)
	if p.Status != r.Status {
		t.Fatalf("problem status %d != response status %d", p.Status, r.Status)
	}
	return p
}

// Problem is an error answer.
type Problem struct {
	Type   string               `json:"type"`
	Title  string               `json:"title"`
	Status int                  `json:"status"`
	Detail string               `json:"detail"`
	Errors []portico.FieldError `json:"errors"`
}

func (r *Response) String() string { return fmt.Sprintf("%d %s", r.Status, bytes.TrimSpace(r.Body)) }

// Do sends a request with an optional JSON body. A transport error is returned as status 0 with
// the error in the body.
func (c *Client) Do(method, path string, body any) *Response {
	return c.DoWith(method, path, body, nil)
}

// DoWith sends a request with extra headers, which replace the client's own of the same name. A
// body is sent as JSON, or as written when it is RawJSON.
func (c *Client) DoWith(method, path string, body any, hdr http.Header) *Response {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case RawJSON:
		rd = strings.NewReader(string(b))
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range c.Header {
		req.Header[k] = v
	}
	if rev := c.seen.Load(); c.ReadYourWrites && rev > 0 {
		req.Header.Set("Portico-Min-Revision", strconv.FormatInt(rev, 10))
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.Bearer)
	} else {
		// Cookie requests that change state must look like the portal's own (same origin).
		req.Header.Set("Origin", c.Base)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		return &Response{Status: 0, Body: []byte(err.Error()), Header: http.Header{}}
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := &Response{Status: res.StatusCode, Header: res.Header, Body: b}
	for rev := r.Revision(); ; {
		old := c.seen.Load()
		if rev <= old || c.seen.CompareAndSwap(old, rev) {
			break
		}
	}
	if c.Check != nil {
		c.Check(method, path, r)
	}
	return r
}

// Must sends a request, fails the test unless the answer has the status, and decodes the body into
// out when it is not nil.
func (c *Client) Must(status int, method, path string, body, out any) *Response {
	c.t.Helper()
	r := c.Do(method, path, body)
	if r.Status != status {
		c.t.Fatalf("%s %s%s: %s, want %d", method, c.Base, path, r, status)
	}
	if out != nil {
		r.Decode(c.t, out)
	}
	return r
}

// SignIn opens a portal session with a password; the cookie then authenticates this client.
func (c *Client) SignIn(email, password string) {
	c.t.Helper()
	c.Bearer = ""
	c.Must(http.StatusOK, "POST", "/api/v1/session", map[string]string{"email": email, "password": password}, nil)
}

// OpenSession opens a remote session WebSocket on a device with the client's credentials.
func (c *Client) OpenSession(deviceID string, actions ...string) (*websocket.Conn, *http.Response, error) {
	u := strings.Replace(c.Base, "http", "ws", 1) + "/api/v1/devices/" + deviceID + "/session?actions=" + strings.Join(actions, ",")
	h := c.Header.Clone()
	if rev := c.seen.Load(); c.ReadYourWrites && rev > 0 {
		h.Set("Portico-Min-Revision", strconv.FormatInt(rev, 10))
	}
	if c.Bearer != "" {
		h.Set("Authorization", "Bearer "+c.Bearer)
	} else {
		h.Set("Origin", c.Base)
		base, _ := url.Parse(c.Base)
		var cookies []string
		for _, ck := range c.HTTP.Jar.Cookies(base) {
			cookies = append(cookies, ck.Name+"="+ck.Value)
		}
		h.Set("Cookie", strings.Join(cookies, "; "))
	}
	d := websocket.Dialer{HandshakeTimeout: 30 * time.Second}
	return d.Dial(u, h)
}
