package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

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

// enrollRequest mirrors the body of POST /api/v1/agent/enroll.
type enrollRequest struct {
	Token        string   `json:"token"`
	Hostname     string   `json:"hostname"`
	Name         string   `json:"name,omitempty"`
	OSName       string   `json:"os_name,omitempty"`
	OSVersion    string   `json:"os_version,omitempty"`
	DeviceType   string   `json:"device_type,omitempty"`
	Manufacturer string   `json:"manufacturer,omitempty"`
	AssetID      string   `json:"asset_id,omitempty"`
	AgentVersion string   `json:"agent_version,omitempty"`
	LoggedInUser string   `json:"logged_in_user,omitempty"`
	IPAddresses  []string `json:"ip_addresses,omitempty"`
}

type enrollResponse struct {
	DeviceID   string `json:"device_id"`
	Credential string `json:"credential"`
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
	body, err := json.Marshal(enrollRequest{Token: strings.TrimSpace(opt.Token), Hostname: inv.Hostname, Name: opt.Name,
		OSName: inv.OSName, OSVersion: inv.OSVersion, DeviceType: inv.DeviceType, Manufacturer: inv.Manufacturer,
		AssetID: inv.AssetID, AgentVersion: inv.AgentVersion, LoggedInUser: inv.LoggedInUser, IPAddresses: ips})
	if err != nil {
		return Config{}, fmt.Errorf("enroll: %w", err)
	}
	client := opt.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	var failures []error
	for _, server := range servers {
		out, tryNext, err := enrollAt(ctx, client, server, body)
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
func enrollAt(ctx context.Context, client *http.Client, server string, body []byte) (out enrollResponse, tryNext bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, server+"/api/v1/agent/enroll", bytes.NewReader(body))
	if err != nil {
		return out, false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return out, true, fmt.Errorf("server %s unreachable: %w", server, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return out, true, fmt.Errorf("read the answer of %s: %w", server, err)
	}
	switch {
	case resp.StatusCode == http.StatusBadGateway, resp.StatusCode == http.StatusServiceUnavailable,
		resp.StatusCode == http.StatusGatewayTimeout:
		return out, true, fmt.Errorf("server %s: %w", server, serverError(resp.StatusCode, raw))
	case resp.StatusCode/100 != 2:
		return out, false, serverError(resp.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.DeviceID == "" || out.Credential == "" {
		return out, false, fmt.Errorf("unexpected answer from %s (is it a Portico server?)", server)
	}
	return out, false, nil
}
