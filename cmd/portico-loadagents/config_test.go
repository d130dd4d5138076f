package main

import (
	"io"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseArgs(t *testing.T) {
	base := []string{"--server", "http://127.0.0.1:8080/", "--api-key", "k", "--agents", "10"}
	c, err := parseArgs(append(base, "--source-ips", "127.0.0.2-127.0.0.4", "--heartbeat-every", "2s"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.server != "http://127.0.0.1:8080" || c.agents != 10 || c.heartbeatEvery != 2*time.Second ||
		c.enrollParallel != 32 || c.connectParallel != 64 || c.duration != time.Minute {
		t.Errorf("parsed %+v", c)
	}
	want := []netip.Addr{netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.3"), netip.MustParseAddr("127.0.0.4")}
	if !slices.Equal(c.sourceIPs, want) {
		t.Errorf("source ips %v, want %v", c.sourceIPs, want)
	}

	c, err = parseArgs([]string{"--in-process", "/tmp/data", "--agents", "3"}, io.Discard)
	if err != nil || c.server != inProcessURL || c.inProcess != "/tmp/data" {
		t.Errorf("in-process: parsed %+v, %v", c, err)
	}

	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no server", []string{"--agents", "1"}, "--server is required"},
		{"bad scheme", []string{"--server", "ftp://x", "--agents", "1"}, "want http://"},
		{"no host", []string{"--server", "http://", "--agents", "1"}, "want http://"},
		{"no agents", []string{"--server", "http://x"}, "--agents must be at least 1"},
		{"negative agents", append(base, "--agents", "-3"), "--agents must be at least 1"},
		{"zero parallel", append(base, "--enroll-parallel", "0"), "--enroll-parallel"},
		{"zero connect parallel", append(base, "--connect-parallel", "0"), "--connect-parallel"},
		{"tiny heartbeat", append(base, "--heartbeat-every", "1ms"), "at least 10ms"},
		{"negative duration", append(base, "--duration", "-1s"), "--duration"},
		{"bad ip", append(base, "--source-ips", "127.0.0.300"), "not an IP address"},
		{"backwards range", append(base, "--source-ips", "127.0.0.9-127.0.0.2"), "ends before it starts"},
		{"ipv6 range", append(base, "--source-ips", "::1-::3"), "only IPv4"},
		{"huge range", append(base, "--source-ips", "127.0.0.1-127.1.0.0"), "more than"},
		{"stray argument", append(base, "extra"), "unexpected argument"},
		{"unknown flag", append(base, "--nope"), "flag provided but not defined"},
		{"in-process with a server", append(base, "--in-process", "/tmp/x"), "--server and --server-pid do not apply"},
		{"in-process with a server pid", []string{"--in-process", "/tmp/x", "--agents", "1", "--server-pid", "7"}, "do not apply"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseArgs(tt.args, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseSourceIPsList(t *testing.T) {
	got, err := parseSourceIPs("127.0.0.1, 127.0.0.5-127.0.0.6,::1")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"127.0.0.1", "127.0.0.5", "127.0.0.6", "::1"}
	var s []string
	for _, a := range got {
		s = append(s, a.String())
	}
	if !slices.Equal(s, want) {
		t.Errorf("got %v, want %v", s, want)
	}
}

func TestConnectURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8080":   "ws://127.0.0.1:8080/api/v1/agent/connect",
		"https://portico.example": "wss://portico.example/api/v1/agent/connect",
	} {
		if got := connectURL(in); got != want {
			t.Errorf("connectURL(%q) = %q, want %q", in, got, want)
		}
	}
}
