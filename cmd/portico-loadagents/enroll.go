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

// postJSON posts in as JSON and decodes a 2xx answer into out.
func postJSON(ctx context.Context, hc *http.Client, url, bearer string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return problemError("POST "+url, resp)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("POST %s: decode answer: %w", url, err)
	}
	return nil
}

// createToken creates an account-wide enrollment token with the API key and returns its secret.
func createToken(ctx context.Context, hc *http.Client, server, apiKey string) (string, error) {
	var out struct {
		Secret string `json:"secret"`
	}
	if err := postJSON(ctx, hc, server+"/api/v1/enrollment-tokens", apiKey, struct{}{}, &out); err != nil {
		return "", fmt.Errorf("create an enrollment token: %w", err)
	}
	if out.Secret == "" {
		return "", errors.New("create an enrollment token: the answer holds no secret")
	}
	return out.Secret, nil
}

// enrollDevices enrolls n devices with the token, parallel at a time, appending each to w (the devices
// file, when set) as soon as it is enrolled so that an interrupted run keeps what it made. Hostnames
// are prefix-<i>.
func enrollDevices(ctx context.Context, hc *http.Client, server, token, prefix string, n, parallel int, w io.Writer) ([]device, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	out := make([]device, n)
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
				var d device
				in := map[string]any{"token": token, "hostname": fmt.Sprintf("%s-%d", prefix, i), "os_name": "Linux",
					"agent_version": "loadagents"}
				if err := postJSON(ctx, hc, server+"/api/v1/agent/enroll", "", in, &d); err != nil {
					cancel(fmt.Errorf("enroll device %d: %w", i, err))
					return
				}
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
