// Command portico-agent is the Portico managed agent that runs on each device: it enrolls the device
// with a server, then keeps a connection to it, reports the device's inventory, and takes part in the
// remote sessions technicians open, showing the person at the device what is happening in a small
// window served on 127.0.0.1.
//
//	portico-agent enroll --server URL[,URL…] --token TOKEN [--config PATH] [--name NAME]
//	portico-agent run [--config PATH] [--server URL[,URL…]] [--window-addr 127.0.0.1:PORT]
//	portico-agent support [--server URL] [--code CODE] [--window-addr 127.0.0.1:PORT] [--no-browser]
//	portico-agent install-service | uninstall-service    (Windows)
//	portico-agent version
//
// --server takes the URL of one server (or of the load balancer in front of a cluster), or the URLs of
// several nodes of a cluster, comma-separated or with the flag repeated.
//
// `support` is the same binary as a support agent for an on-demand session (docs/on-demand.md), on a
// computer Portico does not manage: it redeems the session's code, connects, opens the end-user window
// in the browser and exits when the session ends, with status 0 (1 when it could not start, 2 for a
// usage error). Downloaded from a session's page, the binary carries the server and the code in a
// trailer, so it runs without flags; flags win over the trailer. It needs no enrollment and no
// administrator rights, and writes nothing outside a temporary directory it removes at exit. On
// Windows the technician may ask it to restart with administrator rights (the person approves in UAC).
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/portico-dev/portico/internal/agent"
)

// exitNeedsAdmin is the exit code of `run` when restarting cannot help: no usable config or
// credential, or the server refused the credential. The systemd unit does not restart on it.
const exitNeedsAdmin = 3

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `usage:
  portico-agent enroll --server URL[,URL...] --token TOKEN [--config PATH] [--name NAME] [--force]
  portico-agent run [--config PATH] [--server URL[,URL...]] [--window-addr 127.0.0.1:PORT]
  portico-agent support [--server URL] [--code CODE] [--window-addr 127.0.0.1:PORT] [--no-browser]
  portico-agent install-service [--config PATH]     (Windows)
  portico-agent uninstall-service                   (Windows)
  portico-agent version
Run "portico-agent COMMAND -h" for a command's options.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches a command and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "version", "--version", "-version":
		fmt.Fprintf(stdout, "portico-agent %s\n", version)
		return 0
	case "enroll":
		return cmdEnroll(args[1:], stdout, stderr)
	case "run":
		return cmdRun(args[1:], stderr)
	case "support":
		return cmdSupport(args[1:], stdout, stderr)
	case "install-service":
		return installService(args[1:], stdout, stderr)
	case "uninstall-service":
		return uninstallService(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "portico-agent: unknown command %q\n%s", args[0], usage)
	return 2
}

// tlsFlag registers --insecure-skip-verify and returns the TLS config it selects.
func tlsFlag(fs *flag.FlagSet) func() *tls.Config {
	insecure := fs.Bool("insecure-skip-verify", false,
		"FOR TESTING ONLY: accept any TLS certificate from the server (anyone on the path could then impersonate it)")
	return func() *tls.Config {
		if *insecure {
			return &tls.Config{InsecureSkipVerify: true} //nolint:gosec // opt-in, documented as testing only
		}
		return nil // the system's CA pool
	}
}

// serverFlag collects --server, which may be repeated and takes one URL or a comma-separated list.
type serverFlag []string

func (f *serverFlag) String() string { return strings.Join(*f, ",") }

func (f *serverFlag) Set(v string) error {
	*f = append(*f, v)
	return nil
}

func cmdEnroll(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("enroll", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var server serverFlag
	fs.Var(&server, "server", "the Portico server's URL, e.g. https://portico.example.com (required); for a cluster, "+
		"the nodes' URLs, comma-separated or with the flag repeated, tried in order until one answers")
	token := fs.String("token", "", "the enrollment token (or --token-file)")
	tokenFile := fs.String("token-file", "", "read the enrollment token from this file instead of the command line")
	configPath := fs.String("config", agent.DefaultConfigPath(), "where to store the device credential")
	name := fs.String("name", "", "the device's display name (default: its hostname)")
	force := fs.Bool("force", false, "enroll again even if the config file already holds a credential")
	tlsConfig := tlsFlag(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *tokenFile != "" {
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			fmt.Fprintf(stderr, "portico-agent enroll: %v\n", err)
			return 1
		}
		*token = strings.TrimSpace(string(b))
	}
	if len(server) == 0 || *token == "" {
		fmt.Fprintln(stderr, "portico-agent enroll: --server and --token are required")
		fs.Usage()
		return 2
	}
	servers, err := agent.ParseServerURLs(server...)
	if err != nil {
		fmt.Fprintf(stderr, "portico-agent enroll: --server: %v\n", err)
		return 1
	}
	if cfg, err := agent.LoadConfig(*configPath); err == nil && !*force {
		fmt.Fprintf(stderr, "portico-agent enroll: %s is already enrolled as device %s with %s; pass --force to enroll again\n",
			*configPath, cfg.DeviceID, strings.Join(cfg.ServerURLs(), ", "))
		return 1
	}
	// Check the config file can be written before using up the token on the server.
	if err := checkWritable(*configPath); err != nil {
		fmt.Fprintf(stderr, "portico-agent enroll: cannot write the config file: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	inv := agent.CollectInventory(ctx, agent.CollectOptions{AgentVersion: version})
	cfg, err := agent.Enroll(ctx, agent.EnrollOptions{Servers: servers, Token: *token, Name: *name, Inventory: inv,
		HTTPClient: httpClient(tlsConfig())})
	if err != nil {
		fmt.Fprintf(stderr, "portico-agent: %v\n", err) // the error starts with "enroll:"
		return 1
	}
	if err := agent.SaveConfig(*configPath, cfg); err != nil {
		fmt.Fprintf(stderr, "portico-agent enroll: enrolled as device %s, but %v\n", cfg.DeviceID, err)
		return 1
	}
	fmt.Fprintf(stdout, "enrolled %s as device %s on %s\nconfig written to %s (readable by its owner only)\nstart the agent with: portico-agent run --config %s\n",
		inv.Hostname, cfg.DeviceID, strings.Join(cfg.ServerURLs(), ", "), *configPath, *configPath)
	return 0
}

// checkWritable creates the config file's directory and proves a file can be created in it.
func checkWritable(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}

// runOptions are the flags of `run`.
type runOptions struct {
	configPath string
	servers    []string // replace the config's servers for this run; nil keeps them
	windowAddr string
	tls        *tls.Config
	verbose    bool
}

func cmdRun(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o runOptions
	fs.StringVar(&o.configPath, "config", agent.DefaultConfigPath(), "the config file written by enroll")
	var server serverFlag
	fs.Var(&server, "server", "connect to these server URLs instead of the config's (comma-separated or the flag "+
		"repeated; the config file is not changed)")
	fs.StringVar(&o.windowAddr, "window-addr", agent.DefaultWindowAddr,
		`address of the end-user window (127.0.0.1 only; port 0 picks a free one; "off" disables it)`)
	fs.BoolVar(&o.verbose, "verbose", false, "log debug messages")
	tlsConfig := tlsFlag(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if len(server) > 0 {
		servers, err := agent.ParseServerURLs(server...)
		if err != nil {
			fmt.Fprintf(stderr, "portico-agent run: --server: %v\n", err)
			return 2
		}
		o.servers = servers
	}
	o.tls = tlsConfig()
	if isWindowsService() {
		return runService(func(ctx context.Context) int {
			return runAgent(ctx, o, serviceLogWriter(o.configPath))
		})
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runAgent(ctx, o, stderr)
}

// runAgent runs the agent until ctx ends or the server stops or refuses it, and returns the exit code.
func runAgent(ctx context.Context, o runOptions, logOut io.Writer) int {
	level := slog.LevelInfo
	if o.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: level}))
	cfg, err := agent.LoadConfig(o.configPath)
	if err != nil {
		log.Error("cannot start", "err", err)
		return exitNeedsAdmin
	}
	if o.servers != nil {
		cfg.SetServerURLs(o.servers)
	}
	acts := builtinActions()
	sessions := agent.NewSessions(agent.SessionsOptions{Logger: log, Server: cfg.Server, DeviceID: cfg.DeviceID,
		AgentVersion: version, Notify: agent.DesktopNotify})

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	windowDone := make(chan struct{})
	if o.windowAddr != "off" && o.windowAddr != "" {
		w, err := agent.NewWindow(o.windowAddr, sessions, log)
		if err != nil {
			// Without the window, requests that need the end user's approval time out and are denied:
			// safe, so the agent still runs.
			log.Error("end-user window unavailable; sessions that need approval will be denied", "err", err)
			close(windowDone)
		} else {
			log.Info("end-user window on " + strings.TrimSuffix(w.URL(), "/"))
			addrFile := agent.WindowAddrPath(o.configPath)
			if err := os.WriteFile(addrFile, []byte(w.Addr()+"\n"), 0o644); err != nil {
				log.Warn("could not record the window address", "path", addrFile, "err", err)
			}
			defer os.Remove(addrFile)
			go func() {
				defer close(windowDone)
				if err := w.Serve(ctx); err != nil {
					log.Error("end-user window stopped", "err", err)
				}
			}()
		}
	} else {
		close(windowDone)
	}

	a := agent.New(agent.Options{Config: cfg, ConfigPath: o.configPath, Version: version, Actions: acts,
		Sessions: sessions, Logger: log, TLSConfig: o.tls})
	err = a.Run(ctx)
	cancel()
	<-windowDone
	var stopped *agent.StoppedError
	switch {
	case err == nil:
		log.Info("agent stopped")
		return 0
	case errors.As(err, &stopped):
		log.Warn("the device was removed from Portico: credential deleted, the agent will not reconnect", "reason", stopped.Reason)
		return 0
	case errors.Is(err, agent.ErrRevoked):
		log.Error("agent stopped", "err", err)
		return exitNeedsAdmin
	default:
		log.Error("agent stopped", "err", err)
		return 1
	}
}

// httpClient is the HTTP client for enrolment.
func httpClient(tc *tls.Config) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	return &http.Client{Transport: tr, Timeout: time.Minute}
}
