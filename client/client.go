// Package client is a typed Go client of Portico's REST API (/api/v1, docs/api.md): one method per
// operation of GET /api/v1/openapi.json, context-aware, with lists as pages and iterators, problem
// documents as *Error, and the account revision remembered for read-your-writes across a cluster.
//
// It imports only the standard library and the root package portico (the domain's wire types), so
// that any program, the agent included, can use it without linking server code.
//
// Two operations are WebSockets and are not covered: opening a remote session
// (GET /api/v1/devices/{id}/session, the technician protocol of docs/sessions.md) and the agent's
// connection (GET /api/v1/agent/connect, internal/protocol).
//
//	c := client.New("https://portico.example.com", client.WithAPIKey(os.Getenv("PORTICO_API_KEY")))
//	for d, err := range c.AllDevices(ctx, client.DeviceQuery{Status: portico.DeviceAvailable}) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(d.ID, d.Name)
//	}
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// RevisionHeader names the account revision a response reflects.
	RevisionHeader = "Portico-Revision"
	// MinRevisionHeader asks the server to answer on that revision or a later one.
	MinRevisionHeader = "Portico-Min-Revision"
	// SessionCookie is the name of the portal session cookie.
	SessionCookie = "portico_session"
)

// DefaultUserAgent is sent when no other is set with WithUserAgent.
const DefaultUserAgent = "portico-client-go"

// maxResponse bounds what the client reads of one answer; the largest page of the largest objects
// stays well under it.
const maxResponse = 64 << 20

// Client calls one Portico server with one set of credentials. It is safe for concurrent use.
type Client struct {
	base           string
	http           *http.Client
	apiKey         string
	userAgent      string
	readYourWrites bool

	mu      sync.Mutex
	session string // the portal session cookie's value

	revision atomic.Int64
}

// Option configures a Client.
type Option func(*Client)

// WithAPIKey authenticates every request with an API key (Authorization: Bearer pk_…).
func WithAPIKey(key string) Option { return func(c *Client) { c.apiKey = strings.TrimSpace(key) } }

// WithSession authenticates with a portal session cookie's value, as SignIn obtains one.
func WithSession(cookie string) Option { return func(c *Client) { c.session = cookie } }

// WithHTTPClient sends requests through hc instead of a client with a one-minute timeout.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// WithReadYourWrites sends the newest revision the client was answered with as Portico-Min-Revision,
// so that any node of a cluster answers on a state that includes the client's own changes.
func WithReadYourWrites() Option { return func(c *Client) { c.readYourWrites = true } }

// New returns a client of the server at baseURL (https://portico.example.com; a trailing slash and
// a trailing /api/v1 are ignored).
func New(baseURL string, opts ...Option) *Client {
	base := strings.TrimRight(strings.TrimSpace(baseURL), "/")
	base = strings.TrimSuffix(base, "/api/v1")
	c := &Client{base: base, userAgent: DefaultUserAgent}
	for _, o := range opts {
		o(c)
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: time.Minute}
	}
	return c
}

// BaseURL is the server's address, as New was given it.
func (c *Client) BaseURL() string { return c.base }

// Revision is the newest account revision the client has been answered with (Portico-Revision), or 0.
func (c *Client) Revision() int64 { return c.revision.Load() }

// Session is the portal session cookie the client holds (from WithSession or SignIn), or "".
func (c *Client) Session() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.session
}

func (c *Client) setSession(v string) {
	c.mu.Lock()
	c.session = v
	c.mu.Unlock()
}

// noteRevision keeps the newest revision seen: answers of concurrent requests may arrive out of order.
func (c *Client) noteRevision(h http.Header) {
	rev, err := strconv.ParseInt(h.Get(RevisionHeader), 10, 64)
	if err != nil || rev <= 0 {
		return
	}
	for {
		cur := c.revision.Load()
		if rev <= cur || c.revision.CompareAndSwap(cur, rev) {
			return
		}
	}
}

// request is one call: the method and path as the route table writes them ("/api/v1/users/{id}").
type request struct {
	method string
	path   string
	id     string // fills {id}
	query  url.Values
	// body is encoded as JSON; raw, when set, is sent as it is with contentType.
	body        any
	raw         []byte
	contentType string
	// accept is the media type of a successful answer that is not JSON.
	accept string
}

// errNoID refuses a call whose path needs an id it was not given, rather than asking another endpoint.
var errNoID = errors.New("an id is required")

// do sends r and decodes a successful answer into out (when not nil); it returns the response's
// headers for the few calls that read them.
func (c *Client) do(ctx context.Context, r request, out any) (http.Header, error) {
	resp, op, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, fmt.Errorf("%s: read the answer: %w", op, err)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return resp.Header, nil
	}
	switch o := out.(type) {
	case *[]byte:
		*o = raw
	default:
		if err := json.Unmarshal(raw, out); err != nil {
			return nil, fmt.Errorf("%s: decode the answer: %w", op, err)
		}
	}
	return resp.Header, nil
}

// send sends r and returns a successful answer, whose body the caller closes, with the operation's
// name for errors; an answer that is not a success is returned as an error.
func (c *Client) send(ctx context.Context, r request) (*http.Response, string, error) {
	path := r.path
	if strings.Contains(path, "{id}") {
		if strings.TrimSpace(r.id) == "" {
			return nil, "", fmt.Errorf("%s %s: %w", r.method, r.path, errNoID)
		}
		path = strings.Replace(path, "{id}", url.PathEscape(r.id), 1)
	}
	op := r.method + " " + path
	u := c.base + path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader
	contentType := r.contentType
	switch {
	case r.raw != nil:
		body = bytes.NewReader(r.raw)
	case r.body != nil:
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, op, fmt.Errorf("%s: encode the request: %w", op, err)
		}
		body, contentType = bytes.NewReader(b), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return nil, op, fmt.Errorf("%s: %w", op, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	accept := "application/json, application/problem+json"
	if r.accept != "" {
		accept = r.accept + ", application/problem+json"
	}
	req.Header.Set("Accept", accept)
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	if c.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	if s := c.Session(); s != "" {
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: s})
	}
	if rev := c.Revision(); c.readYourWrites && rev > 0 {
		req.Header.Set(MinRevisionHeader, strconv.FormatInt(rev, 10))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, op, fmt.Errorf("%s: %w", op, err)
	}
	c.noteRevision(resp.Header)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
		if err != nil {
			return nil, op, fmt.Errorf("%s: read the answer: %w", op, err)
		}
		return nil, op, fmt.Errorf("%s: %w", op, errorFrom(resp, raw))
	}
	return resp, op, nil
}

// call sends r and returns the answer decoded as a T.
func call[T any](ctx context.Context, c *Client, r request) (*T, error) {
	out := new(T)
	if _, err := c.do(ctx, r, out); err != nil {
		return nil, err
	}
	return out, nil
}

// exec sends r, whose answer has no body worth reading (204 No Content).
func (c *Client) exec(ctx context.Context, r request) error {
	_, err := c.do(ctx, r, nil)
	return err
}
