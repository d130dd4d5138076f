package api

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

// TestBackstop proves that a handler which forgets authorization fails in strict mode, and that
// the API's own input errors (made before any decision is possible) do not trip it.
func TestBackstop(t *testing.T) {
	forgetful := Route{Method: "GET", Path: "/x", OperationID: "x", Public: true, Status: 200,
		ep: noBody(func(c *call) (*healthResponse, error) { return &healthResponse{Status: "ok"}, nil })}
	for _, strict := range []bool{true, false} {
		s := &server{opts: Options{Strict: strict}, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			csrf: http.NewCrossOriginProtection(), metrics: newMetrics()}
		rec := httptest.NewRecorder()
		s.handler(&forgetful).ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
		want := 200
		if strict {
			want = 500
		}
		if rec.Code != want {
			t.Errorf("strict=%v: %d, want %d", strict, rec.Code, want)
		}
	}
	s := &server{opts: Options{Strict: true}, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		csrf: http.NewCrossOriginProtection(), metrics: newMetrics()}
	badInput := Route{Method: "POST", Path: "/y", OperationID: "y", Public: true, Status: 200,
		ep: jsonBody(func(c *call, in *struct{}) (*healthResponse, error) { return nil, nil })}
	rec := httptest.NewRecorder()
	s.handler(&badInput).ServeHTTP(rec, httptest.NewRequest("POST", "/y", nil))
	if rec.Code != http.StatusUnsupportedMediaType {
		t.Errorf("input error in strict mode: %d, want 415", rec.Code)
	}
}

func TestSourceIP(t *testing.T) {
	proxy := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "192.0.2.1:5555"
	r.Header.Set("X-Forwarded-For", "203.0.113.9, 10.0.0.1")
	if got := (&server{}).sourceIP(r); got != "192.0.2.1" {
		t.Errorf("no trusted proxy: %s", got)
	}
	// Behind a trusted proxy the header is read from the right: 10.0.0.1 is the last hop the proxy saw.
	if got := (&server{opts: Options{TrustedProxies: proxy}}).sourceIP(r); got != "10.0.0.1" {
		t.Errorf("trusted proxy: %s", got)
	}
	r.RemoteAddr = "198.51.100.3:5555" // not the proxy: its header is the client's own claim
	if got := (&server{opts: Options{TrustedProxies: proxy}}).sourceIP(r); got != "198.51.100.3" {
		t.Errorf("untrusted peer: %s", got)
	}
}
