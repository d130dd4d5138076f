package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// config is what the command line asks for.
type config struct {
	server          string        // base URL, http:// or https://, without a trailing slash
	apiKey          string        // creates the enrollment token when devices must be enrolled
	agents          int           // how many simulated agents connect
	enrollParallel  int           // enrollments in flight at once
	connectParallel int           // connection attempts in flight at once
	devicesFile     string        // device id and credential pairs, reused by later runs
	heartbeatEvery  time.Duration // zero: the period the server's welcome names
	duration        time.Duration // how long every agent stays connected once all have tried
	reportEvery     time.Duration // progress lines and samples of the connected count
	sourceIPs       []netip.Addr  // client socket addresses, used in turn
	serverPID       int           // the server process to read memory and CPU time from; 0 for none
	jsonOut         string        // where the JSON summary goes; "-" or empty: standard output
	inProcess       string        // data directory of a server run inside this process; empty for none
}

// parseArgs reads and checks the command line.
func parseArgs(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("portico-loadagents", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: portico-loadagents --server URL --api-key KEY --agents N [flags]")
		fmt.Fprintln(fs.Output(), "Enrolls N devices (or reuses --devices-file), connects N simulated agents speaking the agent")
		fmt.Fprintln(fs.Output(), "protocol, keeps them heartbeating for --duration and reports connections, heartbeat round trips")
		fmt.Fprintln(fs.Output(), "and the server's memory and CPU time.")
		fs.PrintDefaults()
	}
	fs.StringVar(&c.server, "server", "", "server base URL, e.g. http://127.0.0.1:8080 (required)")
	fs.StringVar(&c.apiKey, "api-key", "", "API key allowed to create an enrollment token (required unless --devices-file already holds N devices)")
	fs.IntVar(&c.agents, "agents", 0, "number of simulated agents (required, ≥ 1)")
	fs.IntVar(&c.enrollParallel, "enroll-parallel", 32, "enrollments in flight at once")
	fs.IntVar(&c.connectParallel, "connect-parallel", 64, "connection attempts in flight at once")
	fs.StringVar(&c.devicesFile, "devices-file", "", "file of enrolled devices (JSON lines); read first, appended to, so reruns skip enrollment")
	fs.DurationVar(&c.heartbeatEvery, "heartbeat-every", 0, "heartbeat period; 0 follows the server's welcome (a longer period than the server's gets agents disconnected)")
	fs.DurationVar(&c.duration, "duration", time.Minute, "how long to hold the connections once every agent has tried to connect")
	fs.DurationVar(&c.reportEvery, "report-every", 5*time.Second, "period of the progress lines")
	ips := fs.String("source-ips", "127.0.0.1", "client source addresses: a list (a,b,c) or a range (127.0.0.2-127.0.0.9)")
	fs.IntVar(&c.serverPID, "server-pid", 0, "server process id, to report its resident memory and CPU time (Linux /proc)")
	fs.StringVar(&c.jsonOut, "json", "-", `file for the JSON summary; "-" for standard output`)
	fs.StringVar(&c.inProcess, "in-process", "", "data directory of an account (portico admin create-account --data DIR): run the server inside this\n"+
		"process on in-memory connections instead of connecting to --server, for more agents than the open-file limit allows sockets")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if c.inProcess != "" {
		if c.server != "" || c.serverPID != 0 {
			return c, errInProcessFlags
		}
		c.server = inProcessURL
	} else if c.server, err = normalizeServer(c.server); err != nil {
		return c, err
	}
	if c.sourceIPs, err = parseSourceIPs(*ips); err != nil {
		return c, fmt.Errorf("--source-ips: %w", err)
	}
	switch {
	case c.agents < 1:
		return c, errors.New("--agents must be at least 1")
	case c.enrollParallel < 1:
		return c, errors.New("--enroll-parallel must be at least 1")
	case c.connectParallel < 1:
		return c, errors.New("--connect-parallel must be at least 1")
	case c.heartbeatEvery < 0:
		return c, errors.New("--heartbeat-every must not be negative")
	case c.heartbeatEvery > 0 && c.heartbeatEvery < 10*time.Millisecond:
		return c, errors.New("--heartbeat-every must be at least 10ms")
	case c.duration < 0:
		return c, errors.New("--duration must not be negative")
	case c.reportEvery < 100*time.Millisecond:
		return c, errors.New("--report-every must be at least 100ms")
	case c.serverPID < 0:
		return c, errors.New("--server-pid must be a process id")
	}
	return c, nil
}

// normalizeServer checks the server URL and drops a trailing slash.
func normalizeServer(s string) (string, error) {
	if s == "" {
		return "", errors.New("--server is required")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("--server %q: want http://HOST:PORT or https://HOST:PORT", s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("--server %q: no query or fragment", s)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// maxSourceIPs bounds a range, so a typo such as 127.0.0.1-127.1.0.0 is refused rather than expanded.
const maxSourceIPs = 4096

// parseSourceIPs reads "a,b,c", "first-last" (IPv4, inclusive) or a mix of both.
func parseSourceIPs(s string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		first, last, isRange := strings.Cut(part, "-")
		a, err := netip.ParseAddr(strings.TrimSpace(first))
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address", first)
		}
		if !isRange {
			out = append(out, a)
			continue
		}
		b, err := netip.ParseAddr(strings.TrimSpace(last))
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address", last)
		}
		if !a.Is4() || !b.Is4() {
			return nil, fmt.Errorf("range %q: only IPv4 ranges are supported", part)
		}
		if b.Less(a) {
			return nil, fmt.Errorf("range %q ends before it starts", part)
		}
		for ip := a; ; ip = ip.Next() {
			out = append(out, ip)
			if len(out) > maxSourceIPs {
				return nil, fmt.Errorf("more than %d addresses", maxSourceIPs)
			}
			if ip == b {
				break
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no address given")
	}
	return out, nil
}
