package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/portico-dev/portico/internal/protocol"
)

// EnrollOptions is what enrolment needs.
type EnrollOptions struct {
	Server string // https://portico.example.com
	Token  string // the enrollment token
	Name   string // display name; the server uses the hostname when empty
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

// Enroll registers the device with the server and returns the config to save.
func Enroll(ctx context.Context, opt EnrollOptions) (Config, error) {
	server, err := NormalizeServerURL(opt.Server)
	if err != nil {
		return Config{}, err
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
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, server+"/api/v1/agent/enroll", bytes.NewReader(body))
	if err != nil {
		return Config{}, fmt.Errorf("enroll: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	client := opt.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return Config{}, fmt.Errorf("enroll: server %s unreachable: %w", server, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Config{}, fmt.Errorf("enroll: read the server's answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return Config{}, fmt.Errorf("enroll: %w", serverError(resp.StatusCode, raw))
	}
	var out enrollResponse
	if err := json.Unmarshal(raw, &out); err != nil || out.DeviceID == "" || out.Credential == "" {
		return Config{}, fmt.Errorf("enroll: unexpected answer from %s (is it a Portico server?)", server)
	}
	return Config{Server: server, DeviceID: out.DeviceID, Credential: out.Credential}, nil
}
