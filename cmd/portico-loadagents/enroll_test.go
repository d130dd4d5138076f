package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/portico-dev/portico/client"
)

// fakeEnrollServer answers the two endpoints the tool uses; enrollment fails after failAfter devices
// (never when zero).
func fakeEnrollServer(t *testing.T, failAfter int64) *httptest.Server {
	var n atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/enrollment-tokens", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer good-key" {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"title":"Unauthenticated","detail":"invalid API key"}`)
			return
		}
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"id":"enr_1","secret":"enr_secret"}`)
	})
	mux.HandleFunc("POST /api/v1/agent/enroll", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Token    string `json:"token"`
			Hostname string `json:"hostname"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Token != "enr_secret" || in.Hostname == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		i := n.Add(1)
		if failAfter > 0 && i > failAfter {
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"title":"Too many requests","detail":"slow down"}`)
			return
		}
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"device_id":"dev_%d","credential":"agc_%s"}`, i, in.Hostname)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestEnrollAndDevicesFile(t *testing.T) {
	srv := fakeEnrollServer(t, 0)
	ctx := context.Background()
	if _, err := createToken(ctx, srv.Client(), srv.URL, "bad-key"); !client.IsUnauthenticated(err) ||
		!strings.Contains(err.Error(), "invalid API key") {
		t.Fatalf("bad key: %v", err)
	}
	token, err := createToken(ctx, srv.Client(), srv.URL, "good-key")
	if err != nil || token != "enr_secret" {
		t.Fatalf("token %q, %v", token, err)
	}
	path := filepath.Join(t.TempDir(), "devices.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	devs, err := enrollDevices(ctx, srv.Client(), srv.URL, token, "h", 25, 4, f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, d := range devs {
		if d.ID == "" || d.Credential != fmt.Sprintf("agc_h-%d", i) || seen[d.ID] {
			t.Fatalf("device %d: %+v", i, d)
		}
		seen[d.ID] = true
	}
	back, err := loadDevices(path)
	if err != nil || len(back) != 25 {
		t.Fatalf("devices file holds %d devices, %v", len(back), err)
	}
	if missing, err := loadDevices(filepath.Join(t.TempDir(), "none")); err != nil || missing != nil {
		t.Errorf("a missing file: %v, %v", missing, err)
	}
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	os.WriteFile(bad, []byte(`{"device_id":"dev_1","credential":"c"}`+"\n\n"+`{"device_id":"dev_2"}`+"\n"), 0o600)
	if _, err := loadDevices(bad); err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("a line without a credential: %v", err)
	}
}

func TestEnrollStopsAtFirstRefusal(t *testing.T) {
	srv := fakeEnrollServer(t, 5)
	var file bytes.Buffer
	_, err := enrollDevices(context.Background(), srv.Client(), srv.URL, "enr_secret", "h", 50, 1, &file)
	if !client.IsRateLimited(err) || !strings.Contains(err.Error(), "enroll device 5") || !strings.Contains(err.Error(), "slow down") {
		t.Fatalf("error %v", err)
	}
	// What was enrolled before the refusal is kept, so a rerun does not enroll it again.
	if lines := strings.Count(file.String(), "\n"); lines != 5 {
		t.Errorf("%d devices written, want 5", lines)
	}
}
