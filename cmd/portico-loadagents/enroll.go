package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"

	"github.com/portico-dev/portico/client"
)

// device is one enrolled device, as the devices file stores it.
type device struct {
	ID         string `json:"device_id"`
	Credential string `json:"credential"`
}

// loadDevices reads a devices file (one JSON object a line). A missing file is an empty list.
func loadDevices(path string) ([]device, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open devices file: %w", err)
	}
	defer f.Close()
	var out []device
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var d device
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil || d.ID == "" || d.Credential == "" {
			return nil, fmt.Errorf("devices file %s line %d: want {\"device_id\":…,\"credential\":…}", path, line)
		}
		out = append(out, d)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read devices file: %w", err)
	}
	return out, nil
}

// problemError is an API refusal, with the problem document's detail when there is one.
func problemError(what string, resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	var p struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
	}
	msg := string(bytes.TrimSpace(body))
	if json.Unmarshal(body, &p) == nil && (p.Title != "" || p.Detail != "") {
		msg = p.Title
		if p.Detail != "" {
			msg += ": " + p.Detail
		}
	}
	return fmt.Errorf("%s: %s: %s", what, resp.Status, msg)
}

// createToken creates an account-wide enrollment token with the API key and returns its secret.
func createToken(ctx context.Context, hc *http.Client, server, apiKey string) (string, error) {
	c := client.New(server, client.WithAPIKey(apiKey), client.WithHTTPClient(hc), client.WithUserAgent(userAgent))
	t, err := c.CreateEnrollmentToken(ctx, client.CreateEnrollmentTokenRequest{})
	if err != nil {
		return "", fmt.Errorf("create an enrollment token: %w", err)
	}
	if t.Secret == "" {
		return "", errors.New("create an enrollment token: the answer holds no secret")
	}
	return t.Secret, nil
}

// userAgent names the load generator in the server's logs.
const userAgent = "portico-loadagents"

// enrollDevices enrolls n devices with the token, parallel at a time, appending each to w (the devices
// file, when set) as soon as it is enrolled so that an interrupted run keeps what it made. Hostnames
// are prefix-<i>.
func enrollDevices(ctx context.Context, hc *http.Client, server, token, prefix string, n, parallel int, w io.Writer) ([]device, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	out := make([]device, n)
	c := client.New(server, client.WithHTTPClient(hc), client.WithUserAgent(userAgent)) // the token is the credential
	var next atomic.Int64
	var wmu sync.Mutex
	var wg sync.WaitGroup
	for range min(parallel, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				en, err := c.EnrollDevice(ctx, client.EnrollRequest{Token: token, Hostname: fmt.Sprintf("%s-%d", prefix, i),
					OSName: "Linux", AgentVersion: "loadagents"})
				if err != nil {
					cancel(fmt.Errorf("enroll device %d: %w", i, err))
					return
				}
				d := device{ID: en.DeviceID, Credential: en.Credential}
				out[i] = d
				if w != nil {
					line, _ := json.Marshal(d)
					wmu.Lock()
					_, err := w.Write(append(line, '\n'))
					wmu.Unlock()
					if err != nil {
						cancel(fmt.Errorf("write devices file: %w", err))
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return out, nil
}
