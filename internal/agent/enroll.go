package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/portico-dev/portico/client"
	"github.com/portico-dev/portico/internal/protocol"
)

// EnrollOptions is what enrolment needs.
type EnrollOptions struct {
	Server string // https://portico.example.com
	// Servers are more URLs of the same server, tried in order after Server when one does not answer:
	// the nodes of a cluster. All of them go into the config.
	Servers []string
	Token   string // the enrollment token
	Name    string // display name; the server uses the hostname when empty
	// Inventory supplies the basic facts sent with the request (hostname, addresses, OS…).
	Inventory protocol.Inventory
	// HTTPClient is used for the request; http.DefaultClient when nil.
	HTTPClient *http.Client
}

// Problem is an RFC 9457 problem document returned by the server.
type Problem struct {
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

// ServerError is a refusal by the server, with its explanation.
type ServerError struct {
	Status  int
	Problem Problem
}

func (e *ServerError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "server refused (%d", e.Status)
	if e.Problem.Title != "" {
		b.WriteString(" " + e.Problem.Title)
	}
	b.WriteString(")")
	if e.Problem.Detail != "" {
		b.WriteString(": " + e.Problem.Detail)
	}
	for _, f := range e.Problem.Errors {
		fmt.Fprintf(&b, "; %s %s", f.Field, f.Message)
	}
	return b.String()
}

// serverError builds the error of a refused request from its body, a problem document or plain text.
func serverError(status int, body []byte) *ServerError {
	se := &ServerError{Status: status}
	if json.Unmarshal(body, &se.Problem) != nil || (se.Problem.Title == "" && se.Problem.Detail == "") {
		se.Problem = Problem{Detail: strings.TrimSpace(clip(string(body), 200))}
	}
	return se
}

// responseError reads a refused response's explanation (the WebSocket dialer leaves the first KiB of the
// body readable after a failed handshake).
func responseError(resp *http.Response) *ServerError {
	var body []byte
	if resp.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(resp.Body, 1024))
	}
	return serverError(resp.StatusCode, body)
}

// maxEnrollIPs matches the server's limit on reported addresses.
const maxEnrollIPs = 64

// Enroll registers the device with the server and returns the config to save. With several server
// URLs it tries them in order and stops at the first that answers, so that a node that is down does
// not fail the enrolment while another is up.
func Enroll(ctx context.Context, opt EnrollOptions) (Config, error) {
	var servers []string
	for _, raw := range (Config{Server: opt.Server, Servers: opt.Servers}).ServerURLs() {
		s, err := NormalizeServerURL(raw)
		if err != nil {
			return Config{}, fmt.Errorf("enroll: %w", err)
		}
		servers = append(servers, s)
	}
	if len(servers) == 0 {
		return Config{}, errors.New("enroll: a server URL is required (--server)")
	}
	if strings.TrimSpace(opt.Token) == "" {
		return Config{}, fmt.Errorf("enroll: an enrollment token is required (--token)")
	}
	inv := opt.Inventory
	ips := inv.IPAddresses
	if len(ips) > maxEnrollIPs {
		ips = ips[:maxEnrollIPs]
	}
	in := client.EnrollRequest{Token: strings.TrimSpace(opt.Token), Hostname: inv.Hostname, Name: opt.Name,
		OSName: inv.OSName, OSVersion: inv.OSVersion, DeviceType: inv.DeviceType, Manufacturer: inv.Manufacturer,
		AssetID: inv.AssetID, AgentVersion: inv.AgentVersion, LoggedInUser: inv.LoggedInUser, IPAddresses: ips}
	hc := opt.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	var failures []error
	for _, server := range servers {
		out, tryNext, err := enrollAt(ctx, hc, server, in)
		if err == nil {
			c := Config{DeviceID: out.DeviceID, Credential: out.Credential}
			c.SetServerURLs(servers)
			return c, nil
		}
		if !tryNext || ctx.Err() != nil {
			// The server refused or the caller gave up: another node would answer the same.
			return Config{}, fmt.Errorf("enroll: %w", err)
		}
		failures = append(failures, err)
	}
	if len(failures) == 1 {
		return Config{}, fmt.Errorf("enroll: %w", failures[0])
	}
	return Config{}, fmt.Errorf("enroll: none of the %d servers answered:\n%w", len(servers), errors.Join(failures...))
}

// enrollAt sends the enrolment request to one server. On failure, tryNext reports that the server
// could not be reached or that a proxy in front of it found it down: another node may answer.
func enrollAt(ctx context.Context, hc *http.Client, server string, in client.EnrollRequest) (out *client.Enrollment, tryNext bool, err error) {
	c := client.New(server, client.WithHTTPClient(hc), client.WithUserAgent("portico-agent"))
	out, err = c.EnrollDevice(ctx, in)
	var (
		refused  *client.Error
		dial     *url.Error
		syntax   *json.SyntaxError
		mismatch *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &refused):
		se := fromClientError(refused)
		switch refused.StatusCode {
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return nil, true, fmt.Errorf("server %s: %w", server, se)
		}
		return nil, false, se
	case errors.As(err, &dial):
		return nil, true, fmt.Errorf("server %s unreachable: %w", server, dial)
	case errors.As(err, &syntax), errors.As(err, &mismatch):
		return nil, false, fmt.Errorf("unexpected answer from %s (is it a Portico server?)", server)
	case err != nil:
		return nil, true, fmt.Errorf("read the answer of %s: %w", server, err)
	case out.DeviceID == "" || out.Credential == "":
		return nil, false, fmt.Errorf("unexpected answer from %s (is it a Portico server?)", server)
	}
	return out, false, nil
}

// fromClientError keeps the agent's own error for a refusal, as the connection loop reports it too.
func fromClientError(e *client.Error) *ServerError {
	se := &ServerError{Status: e.StatusCode, Problem: Problem{Title: e.Title, Status: e.StatusCode, Detail: e.Detail}}
	for _, f := range e.Fields {
		se.Problem.Errors = append(se.Problem.Errors, struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		}{f.Field, f.Message})
	}
	return se
}
