package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode"

	"github.com/portico-dev/portico/client"
	"github.com/portico-dev/portico/internal/agent"
	"github.com/portico-dev/portico/internal/jsonstrict"
	"github.com/portico-dev/portico/internal/protocol"
)

// The support agent (`portico-agent support`, docs/on-demand.md) takes part in one on-demand session
// for a person whose computer Portico does not manage: it redeems the session's code, connects with
// the credential it got, shows the end-user window and exits when the session ends. It keeps the
// credential in memory and writes nothing outside a temporary directory of its own, removed at exit.

// actionElevate is the command that restarts the support agent with administrator rights (Windows).
const actionElevate = "elevate"

// endedMessage tells the person the session is over, whoever ended it.
const endedMessage = "The support session has ended."

// supportOptions are the flags of `support`, and what tests replace.
type supportOptions struct {
	server     string
	code       string
	resume     string // the file an elevated support agent continues from
	windowAddr string
	noBrowser  bool
	verbose    bool
	insecure   bool // --insecure-skip-verify, passed on to the elevated support agent
	tls        *tls.Config

	// Replaced by tests; defaults() fills what is left zero.
	tempRoot           string // where the temporary directory goes: os.TempDir() when ""
	actions            *agent.Actions
	backoff            agent.Backoff
	notify             func(text string)
	openBrowser        func(url string, log *slog.Logger) error
	elevationAvailable func() error
	launchElevated     func(exe string, args []string) error
	executable         func() (string, error)
	stopWait           time.Duration // how long to wait for the server's stop once the person ended the session
	handoverTimeout    time.Duration // how long a resume file waits for the elevated support agent to take it
	handoverGrace      time.Duration // how long the window stays up for its page to move to the elevated agent's
}

func (o *supportOptions) defaults() {
	if o.actions == nil {
		a := builtinActions()
		o.actions = &a
	}
	if o.notify == nil {
		o.notify = agent.DesktopNotify
	}
	if o.openBrowser == nil {
		o.openBrowser = openBrowser
	}
	if o.elevationAvailable == nil {
		o.elevationAvailable = elevationAvailable
	}
	if o.launchElevated == nil {
		o.launchElevated = launchElevated
	}
	if o.executable == nil {
		o.executable = os.Executable
	}
	if o.stopWait <= 0 {
		o.stopWait = 5 * time.Second
	}
	if o.handoverTimeout <= 0 {
		o.handoverTimeout = 2 * time.Minute
	}
	if o.handoverGrace <= 0 {
		o.handoverGrace = 3 * time.Second // the page asks for the state every second
	}
}

func cmdSupport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("support", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o supportOptions
	fs.StringVar(&o.server, "server", "", "the Portico server's URL (default: the one this download carries)")
	fs.StringVar(&o.code, "code", "", "the 9-digit code the technician gave, as 123456789, 123 456 789 or 123-456-789 "+
		"(default: the one this download carries)")
	fs.StringVar(&o.windowAddr, "window-addr", "127.0.0.1:0", "address of the support window (127.0.0.1 only; port 0 picks a free one)")
	fs.BoolVar(&o.noBrowser, "no-browser", false, "do not open the support window in the browser (its address is printed)")
	fs.StringVar(&o.resume, "resume", "", "continue the support session this file describes (used by the support agent "+
		"itself when it restarts with administrator rights)")
	fs.BoolVar(&o.verbose, "verbose", false, "log debug messages")
	tlsConfig := tlsFlag(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "portico-agent support: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	o.tls = tlsConfig()
	o.insecure = o.tls != nil
	if o.resume == "" {
		if code := resolveSupportDetails(&o, stderr); code != 0 {
			return code
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runSupport(ctx, o, stdout, stderr)
}

// resolveSupportDetails takes the server and code from the flags, else from the trailer of this
// program's file, and checks them. It returns the exit code of a failure, or 0.
func resolveSupportDetails(o *supportOptions, stderr io.Writer) int {
	if o.server == "" || o.code == "" {
		t, found, err := ownTrailer()
		switch {
		case err != nil:
			fmt.Fprintf(stderr, "portico-agent support: cannot read the support details this program carries (%v): "+
				"download it again, or pass --server and --code\n", err)
			return 1
		case found:
			if o.server == "" {
				o.server = t.Server
			}
			if o.code == "" {
				o.code = t.Code
			}
		}
	}
	if o.server == "" || o.code == "" {
		fmt.Fprintln(stderr, "portico-agent support: --server and --code are required: this program does not carry them "+
			"(download it from the link the technician sent, or ask them for the server's address and the code)")
		fmt.Fprint(stderr, "usage: portico-agent support [--server URL] [--code CODE] [--window-addr 127.0.0.1:PORT] [--no-browser]\n")
		return 2
	}
	server, err := agent.NormalizeServerURL(o.server)
	if err != nil {
		fmt.Fprintf(stderr, "portico-agent support: --server: %v\n", err)
		return 2
	}
	code, ok := normalizeSupportCode(o.code)
	if !ok {
		fmt.Fprintf(stderr, "portico-agent support: the code must be %d digits, as 123 456 789 (got %q)\n",
			protocol.SupportCodeDigits, o.code)
		return 2
	}
	o.server, o.code = server, code
	return 0
}

// ownTrailer reads the support trailer of this program's file, if it carries one.
func ownTrailer() (protocol.SupportTrailer, bool, error) {
	exe, err := os.Executable()
	if err != nil {
		return protocol.SupportTrailer{}, false, err
	}
	f, err := os.Open(exe)
	if err != nil {
		return protocol.SupportTrailer{}, false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return protocol.SupportTrailer{}, false, err
	}
	return protocol.ReadSupportTrailer(f, fi.Size())
}

// normalizeSupportCode drops the spaces and dashes people type in a code and reports whether nine
// digits remain.
func normalizeSupportCode(s string) (string, bool) {
	s = strings.Map(func(r rune) rune {
		if r == '-' || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	return s, protocol.ValidSupportCode(s)
}

// supportSession is what the support agent holds once the code is redeemed, and what an elevated
// support agent continues from (the resume file).
type supportSession struct {
	Server      string     `json:"server"`
	SessionID   string     `json:"session_id"`
	Credential  string     `json:"credential"`
	Company     string     `json:"company"`
	Technician  string     `json:"technician"`
	ConnectedAt *time.Time `json:"connected_at,omitempty"`
}

// redeem exchanges the code for the session's credential. On failure it tells the person why and
// returns the exit code.
func redeem(ctx context.Context, o supportOptions, stderr io.Writer) (supportSession, int) {
	id := agent.CollectIdentity(ctx)
	c := client.New(o.server, client.WithHTTPClient(httpClient(o.tls)), client.WithUserAgent("portico-agent/"+version))
	out, err := c.RedeemOnDemandCode(ctx, client.RedeemOnDemandRequest{Code: o.code, Hostname: id.Hostname,
		OSName: id.OSName, OSVersion: id.OSVersion, LoggedInUser: id.LoggedInUser})
	var (
		refused *client.Error
		dial    *url.Error
	)
	switch {
	case ctx.Err() != nil:
		fmt.Fprintln(stderr, "portico-agent support: interrupted before the session started")
		return supportSession{}, 1
	case errors.As(err, &refused) && (refused.Kind() == client.TypeNotFound || refused.StatusCode == 404):
		fmt.Fprintln(stderr, "portico-agent support: the code is wrong, expired or already used")
		return supportSession{}, 1
	case errors.As(err, &refused) && refused.StatusCode == 429:
		wait := "a while"
		if refused.RetryAfter > 0 {
			wait = refused.RetryAfter.Round(time.Second).String()
		}
		fmt.Fprintf(stderr, "portico-agent support: too many wrong codes were tried from this network: try again in %s\n", wait)
		return supportSession{}, 1
	case errors.As(err, &refused):
		fmt.Fprintf(stderr, "portico-agent support: %s refused the code: %s\n", o.server, refused.Message())
		return supportSession{}, 1
	case errors.As(err, &dial):
		fmt.Fprintf(stderr, "portico-agent support: could not reach %s: %v\n", o.server, dial.Err)
		return supportSession{}, 1
	case err != nil:
		fmt.Fprintf(stderr, "portico-agent support: unexpected answer from %s (is it a Portico server?): %v\n", o.server, err)
		return supportSession{}, 1
	case out.SessionID == "" || out.Credential == "":
		fmt.Fprintf(stderr, "portico-agent support: unexpected answer from %s (is it a Portico server?)\n", o.server)
		return supportSession{}, 1
	}
	return supportSession{Server: o.server, SessionID: out.SessionID, Credential: out.Credential,
		Company: out.CompanyName, Technician: out.TechnicianName}, 0
}

// supportRun is one run of the support agent, from its connection to its exit.
type supportRun struct {
	o        supportOptions
	log      *slog.Logger
	sess     supportSession
	dir      string // the temporary directory, removed at exit
	sessions *agent.Sessions
	window   *agent.Window

	elevating  atomic.Bool // a restart with administrator rights is under way
	handedOver chan string // the window URL of the elevated support agent that took over
	runCtx     context.Context
	connected  sync.Once
}

// runSupport runs the support agent and returns its exit code: 0 when the session ended (the server
// said stop or refused the credential, the person ended it, a signal), 1 when it could not start.
func runSupport(ctx context.Context, o supportOptions, stdout, stderr io.Writer) int {
	o.defaults()
	level := slog.LevelWarn
	if o.verbose {
		level = slog.LevelDebug
	}
	r := &supportRun{o: o, log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
		handedOver: make(chan string, 1)}
	if o.resume != "" {
		sess, err := takeResumeFile(o.resume)
		if err != nil {
			fmt.Fprintf(stderr, "portico-agent support: %v\n", err)
			return 1
		}
		r.sess = sess
	} else {
		sess, code := redeem(ctx, o, stderr)
		if code != 0 {
			return code
		}
		r.sess = sess
	}

	dir, err := os.MkdirTemp(o.tempRoot, "portico-support-")
	if err != nil {
		fmt.Fprintf(stderr, "portico-agent support: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	r.dir = dir
	r.sessions = agent.NewSessions(agent.SessionsOptions{Logger: r.log, Server: r.sess.Server, AgentVersion: version,
		Notify: o.notify, Support: &agent.Support{SessionID: r.sess.SessionID, Company: r.sess.Company,
			Technician: r.sess.Technician, ConnectedAt: r.sess.ConnectedAt}})
	r.window, err = agent.NewWindow(o.windowAddr, r.sessions, r.log)
	if err != nil {
		fmt.Fprintf(stderr, "portico-agent support: cannot open the support window: %v\n", err)
		return 1
	}
	if err := os.WriteFile(filepath.Join(dir, "window.addr"), []byte(r.window.Addr()+"\n"), 0o600); err != nil {
		r.log.Warn("could not record the window address", "err", err)
	}
	return r.run(ctx, stdout, stderr)
}

func (r *supportRun) run(ctx context.Context, stdout, stderr io.Writer) int {
	// The run has a context of its own: a signal first tells the server the person ended the session.
	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r.runCtx = runCtx
	windowDone := make(chan struct{})
	go func() {
		defer close(windowDone)
		if err := r.window.Serve(runCtx); err != nil {
			r.log.Error("support window stopped", "err", err)
		}
	}()
	defer func() { cancel(); <-windowDone }()

	fmt.Fprintf(stdout, "Support session with %s%s.\n", r.sess.Technician, pick(r.sess.Company != "", " ("+r.sess.Company+")", ""))
	fmt.Fprintf(stdout, "window: %s\n", r.window.URL())
	fmt.Fprintln(stdout, "Keep this program running during the session. To end it, click End session in the window or press Ctrl+C.")
	if !r.o.noBrowser {
		if err := r.o.openBrowser(r.window.URL(), r.log); err != nil {
			r.log.Warn("could not open the browser: open the window's address yourself", "url", r.window.URL(), "err", err)
		}
	}

	cfg := agent.Config{DeviceID: r.sess.SessionID, Credential: r.sess.Credential}
	cfg.SetServerURLs([]string{r.sess.Server})
	// The connection stops at once when an elevated support agent takes over; the window a moment later.
	agentCtx, stopAgent := context.WithCancel(runCtx)
	defer stopAgent()
	a := agent.New(agent.Options{Config: cfg, Version: version, Actions: r.actions(), Sessions: r.sessions,
		Logger: r.log, TLSConfig: r.o.tls, Backoff: r.o.backoff, Endpoint: agent.OnDemandEndpoint,
		OnConnected: func(string) { r.connected.Do(r.onFirstConnection) }})
	runDone := make(chan error, 1)
	go func() { runDone <- a.Run(agentCtx) }()
	// waitRun gives the server up to d to answer the end with stop, then ends the connection.
	waitRun := func(d time.Duration) error {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case err := <-runDone:
			return err
		case <-t.C:
			cancel()
			return <-runDone
		}
	}

	var err error
	select {
	case err = <-runDone:
	case <-ctx.Done():
		r.log.Info("signal: ending the support session")
		r.sessions.EndSupport(r.sess.SessionID)
		err = waitRun(r.o.stopWait)
	case <-r.sessions.SupportEnded():
		err = waitRun(r.o.stopWait)
	case next := <-r.handedOver:
		// The elevated support agent is connected: the page moves to its window, and this one goes.
		r.sessions.SetSupportMovedTo(next)
		stopAgent()
		<-runDone
		time.Sleep(r.o.handoverGrace)
		fmt.Fprintf(stdout, "The support session continues with administrator rights in a new window: %s\n", next)
		return 0
	}
	var stopped *agent.StoppedError
	switch {
	case err == nil, errors.As(err, &stopped), errors.Is(err, agent.ErrRevoked):
		// Stop and a refused credential both mean the on-demand session is over.
		r.log.Info("support session over", "err", err)
		fmt.Fprintln(stdout, endedMessage)
		return 0
	default:
		fmt.Fprintf(stderr, "portico-agent support: %v\n", err)
		return 1
	}
}

// onFirstConnection runs once the server first welcomed this support agent. An elevated one tells the
// support agent it took over from that it is connected, and where its window is.
func (r *supportRun) onFirstConnection() {
	if r.o.resume == "" {
		return
	}
	if err := writeFileAtomic(r.o.resume+".connected", []byte(r.window.URL())); err != nil {
		r.log.Warn("could not tell the support agent this one took over from that it is connected", "err", err)
	}
}

// actions are the built-in actions with the elevate command.
func (r *supportRun) actions() agent.Actions {
	acts := *r.o.actions
	inner := acts.RunCommand
	acts.RunCommand = func(ctx context.Context, c protocol.Command) protocol.CommandResult {
		switch {
		case c.Action == actionElevate:
			return r.elevate(c)
		case inner == nil:
			return protocol.CommandResult{ID: c.ID, Error: "not supported on this OS: " + c.Action}
		}
		return inner(ctx, c)
	}
	if r.o.elevationAvailable() == nil {
		acts.Supported = append(slices.Clone(acts.Supported), actionElevate)
	}
	return acts
}

// elevate restarts the support agent with administrator rights (Windows asks the person): the new
// process continues the session from a resume file, without the code, and this one exits once the new
// one is connected.
func (r *supportRun) elevate(c protocol.Command) protocol.CommandResult {
	res := protocol.CommandResult{ID: c.ID}
	if err := r.o.elevationAvailable(); err != nil {
		res.Error = err.Error()
		return res
	}
	if !r.elevating.CompareAndSwap(false, true) {
		res.Error = "elevate: the support agent is already restarting with administrator rights"
		return res
	}
	file := filepath.Join(r.dir, "resume.json")
	fail := func(err error) protocol.CommandResult {
		os.Remove(file)
		r.elevating.Store(false)
		res.Error = "elevate: " + err.Error()
		r.log.Warn("elevation failed", "err", err)
		return res
	}
	sess := r.sess
	sess.ConnectedAt = r.sessions.State().Support.ConnectedAt
	b, err := json.Marshal(sess)
	if err != nil {
		return fail(err)
	}
	if err := writeFileAtomic(file, b); err != nil {
		return fail(err)
	}
	exe, err := r.o.executable()
	if err != nil {
		return fail(err)
	}
	args := []string{"support", "--resume", file, "--no-browser", "--window-addr", "127.0.0.1:0"}
	if r.o.insecure {
		args = append(args, "--insecure-skip-verify")
	}
	if r.o.verbose {
		args = append(args, "--verbose")
	}
	if err := r.o.launchElevated(exe, args); err != nil {
		return fail(err)
	}
	r.log.Info("restarted with administrator rights; waiting for the new support agent to connect")
	go r.awaitHandover(file)
	res.OK = true
	return res
}

// awaitHandover waits for the elevated support agent to say it is connected. If it has not taken the
// resume file in time, the file is removed (so that it cannot take it later) and this support agent
// carries on; taking and removing are both a removal of the file, so only one of them wins.
func (r *supportRun) awaitHandover(file string) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(r.o.handoverTimeout)
	for {
		select {
		case <-r.runCtx.Done():
			return
		case <-tick.C:
		}
		if b, err := os.ReadFile(file + ".connected"); err == nil {
			r.handedOver <- strings.TrimSpace(string(b))
			return
		}
		if !deadline.IsZero() && time.Now().After(deadline) {
			deadline = time.Time{}
			if os.Remove(file) == nil {
				r.log.Warn("the support agent with administrator rights did not start in time; carrying on without")
				r.elevating.Store(false)
				return
			}
			// Taken: the new support agent is starting and will say when it is connected.
		}
	}
}

// takeResumeFile reads the session an elevated support agent continues, and removes the file: the
// removal is what claims it (see awaitHandover).
func takeResumeFile(path string) (supportSession, error) {
	var s supportSession
	b, err := os.ReadFile(path)
	if err != nil {
		return s, fmt.Errorf("resume: %w", err)
	}
	if err := os.Remove(path); err != nil {
		return s, fmt.Errorf("resume: the support agent gave up waiting for this one: %w", err)
	}
	if err := jsonstrict.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("resume %s: %w", path, err)
	}
	if _, err := agent.NormalizeServerURL(s.Server); err != nil {
		return s, fmt.Errorf("resume %s: %w", path, err)
	}
	if s.SessionID == "" || s.Credential == "" {
		return s, fmt.Errorf("resume %s: no session id or credential", path)
	}
	return s, nil
}

// writeFileAtomic writes a file readable by its owner only (os.CreateTemp's mode), under its final
// name only once complete.
func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op after the rename
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func pick[T any](cond bool, a, b T) T {
	if cond {
		return a
	}
	return b
}
