// Package server assembles a Portico node from its parts — store, application, bus, hub, API and
// portal — from one Config, the same way for `portico serve`, `portico demo`, the load generator and
// the test harness (internal/servertest). A single node (SQLite) and a node of a cluster
// (PostgreSQL, NATS) run the same code; only the store and the bus differ.
package server

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/portico-dev/portico/internal/api"
	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/bus"
	"github.com/portico-dev/portico/internal/hub"
	"github.com/portico-dev/portico/internal/mail"
	"github.com/portico-dev/portico/internal/portal"
	"github.com/portico-dev/portico/internal/store"
)

// Config is everything a node is made of. Zero fields take the defaults noted.
type Config struct {
	// DataDir holds the embedded SQLite database when DatabaseURL is empty, and the server's files
	// (seal.key, node-id) when KeyDir is not given otherwise.
	DataDir string
	// DatabaseURL selects PostgreSQL (postgres://…): the database every node of a cluster shares.
	DatabaseURL string
	// KeyDir is where the server key (seal.key) is read or created when $PORTICO_SEAL_KEY is not set;
	// "" means none (the key must then come from the environment).
	KeyDir string

	// Addr is the address to listen on (default 127.0.0.1:8080); ignored when Listener is set.
	Addr string
	// Listener, when set, is served instead of listening on Addr (the load generator's in-memory one).
	Listener net.Listener
	// PublicURL is the address users reach the portal at (invitation links); default the listening
	// address.
	PublicURL string
	// TLSCert and TLSKey serve HTTPS.
	TLSCert, TLSKey string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// Limits bound what a client can hold of the server: deadlines, and the unauthenticated
	// connections of one address.
	Limits Limits

	// NodeID names this node among those sharing the database; it must survive restarts (default:
	// DataDir/node-id, created at first start, or the host name and port).
	NodeID string
	// NodeURL is the address the other nodes reach this one at (default the listening address).
	NodeURL string
	// NATSURL is the NATS server the nodes of a cluster share for notices (nats://host:port); empty
	// keeps notices within the process (a single node).
	NATSURL string

	AllowLocalIdPMetadata bool
	AllowLocalDirectory   bool
	// SMTPURL sends email (see mail.ParseURL); empty shows invitation links to the inviter only.
	SMTPURL string

	// Portal serves the web portal (default true through NoPortal's zero value).
	NoPortal bool
	// Strict makes the API fail any request that finished without an authorization decision (tests).
	Strict bool
	// Hub overrides the hub's timing (tests); its NodeID, NodeURL, Bus and Logger are set here.
	Hub hub.Options
	// FreshFor and PollEvery override the replica's timing (tests); zero keeps the defaults.
	FreshFor, PollEvery time.Duration

	Logger *slog.Logger
	// Stdout receives the "listening" line (default io.Discard).
	Stdout io.Writer
}

// Server is one assembled node. Create it with New, then Run it.
type Server struct {
	cfg   Config
	log   *slog.Logger
	store *store.Store
	app   *app.App
	bus   bus.Bus
	hub   *hub.Hub
	ln    net.Listener
	url   string
	http  *http.Server
	mail  *mail.SMTP
	// clients counts unauthenticated connections per client address; nil when the cap is off.
	clients *clientLimits

	closeOnce sync.Once
}

// New opens the store (migrating it), builds the node and listens; it serves nothing until Run.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Stdout == nil {
		cfg.Stdout = io.Discard
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:8080"
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return nil, errors.New("a TLS certificate and its key go together")
	}
	if cfg.DatabaseURL == "" && cfg.DataDir == "" {
		return nil, errors.New("a data directory or a database URL is required")
	}
	cfg.Limits.defaults()
	s := &Server{cfg: cfg, log: cfg.Logger}
	if cfg.Limits.UnauthenticatedPerClient > 0 {
		s.clients = newClientLimits(cfg.Limits.UnauthenticatedPerClient, cfg.TrustedProxies, cfg.Logger)
	}
	var sender *mail.SMTP
	if cfg.SMTPURL != "" {
		mc, err := mail.ParseURL(cfg.SMTPURL)
		if err != nil {
			return nil, fmt.Errorf("SMTP URL: %w", err)
		}
		if sender, err = mail.NewSMTP(mc); err != nil {
			return nil, fmt.Errorf("SMTP URL: %w", err)
		}
	}
	s.mail = sender
	st, err := store.OpenAndMigrate(ctx, store.Config{DataDir: cfg.DataDir, DatabaseURL: cfg.DatabaseURL})
	if err != nil {
		return nil, err
	}
	s.store = st
	ok := false
	defer func() {
		if !ok {
			s.closeParts()
		}
	}()
	if err := s.listen(); err != nil {
		return nil, err
	}
	if s.cfg.NodeID == "" {
		if s.cfg.NodeID, err = defaultNodeID(cfg.DataDir, cfg.DatabaseURL != "", s.ln.Addr()); err != nil {
			return nil, err
		}
	}
	if s.cfg.NodeURL == "" {
		s.cfg.NodeURL = s.url
	}

	a := app.New(st, cfg.Logger)
	a.BaseURL = s.url
	if cfg.PublicURL != "" {
		a.BaseURL = strings.TrimRight(cfg.PublicURL, "/")
	}
	a.AllowLocalIdPMetadata = cfg.AllowLocalIdPMetadata
	a.AllowLocalDirectory = cfg.AllowLocalDirectory
	a.SetSyncTiming(cfg.FreshFor, cfg.PollEvery)
	if key, err := app.LoadSealKey(cfg.KeyDir); err != nil {
		s.log.Warn("two-factor authentication and cross-node sessions are unavailable: no server key", "err", err)
	} else if err := a.SetSealKey(key); err != nil {
		s.log.Warn("two-factor authentication and cross-node sessions are unavailable", "err", err)
	}
	if sender != nil {
		a.SetMailSender(sender)
	}
	s.app = a

	if cfg.NATSURL != "" {
		nb, err := bus.ConnectNATS(cfg.NATSURL, "portico node "+s.cfg.NodeID, cfg.Logger)
		if err != nil {
			return nil, err
		}
		s.bus = nb
	} else {
		s.bus = bus.NewLocal(cfg.Logger)
	}
	a.SetRevisionPublisher(func(accountID string, rev int64) {
		b, _ := json.Marshal(revisionNotice{AccountID: accountID, Revision: rev})
		if err := s.bus.Publish(revisionSubject, b); err != nil {
			s.log.Debug("publish a revision; the other nodes find it in the database", "err", err)
		}
	})

	ho := cfg.Hub
	ho.Logger, ho.NodeID, ho.NodeURL, ho.Bus = cfg.Logger, s.cfg.NodeID, s.cfg.NodeURL, s.bus
	s.hub = hub.New(a, ho)

	var web http.Handler = http.NotFoundHandler()
	if !cfg.NoPortal {
		p, err := portal.New(a, portal.Options{Logger: cfg.Logger, Hub: s.hub, TrustedProxies: cfg.TrustedProxies})
		if err != nil {
			return nil, fmt.Errorf("load the portal: %w", err)
		}
		web = p
	}
	apiHandler := api.New(a, api.Options{Logger: cfg.Logger, Hub: s.hub, TrustedProxies: cfg.TrustedProxies, Strict: cfg.Strict})
	lim := cfg.Limits
	s.http = &http.Server{Handler: s.guard(routeRoot(apiHandler, web)), ReadHeaderTimeout: off(lim.ReadHeader),
		IdleTimeout: off(lim.Idle)}
	if s.clients != nil {
		s.http.ConnContext, s.http.ConnState = s.clients.connContext, s.clients.connState
	}
	ok = true
	return s, nil
}

// revisionSubject carries "account A is at revision R" notices between nodes.
const revisionSubject = "portico.revisions"

type revisionNotice struct {
	AccountID string `json:"account_id"`
	Revision  int64  `json:"revision"`
}

func (s *Server) listen() error {
	ln := s.cfg.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", s.cfg.Addr); err != nil {
			return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
		}
	}
	s.url = "http://" + ln.Addr().String()
	if s.clients != nil {
		// Under TLS, so that a client over its cap costs no handshake.
		ln = &limitListener{Listener: ln, cl: s.clients}
	}
	if s.cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("load the TLS certificate: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		s.url = "https://" + ln.Addr().String()
	}
	s.ln = ln
	return nil
}

// defaultNodeID is the node's id when none is configured: kept in DataDir/node-id (created at first
// start) for a node with a data directory, else the host name and the listening port, which a node
// behind a load balancer keeps across restarts.
func defaultNodeID(dataDir string, cluster bool, addr net.Addr) (string, error) {
	if dataDir != "" {
		path := filepath.Join(dataDir, "node-id")
		if b, err := os.ReadFile(path); err == nil {
			if id := strings.TrimSpace(string(b)); id != "" {
				return id, nil
			}
		}
		if err := os.MkdirAll(dataDir, 0o700); err == nil {
			var r [6]byte
			_, _ = rand.Read(r[:])
			host, _ := os.Hostname()
			id := strings.Trim(host+"-"+hex.EncodeToString(r[:]), "-")
			if err := os.WriteFile(path, []byte(id+"\n"), 0o600); err == nil {
				return id, nil
			}
		}
		if !cluster {
			return "", fmt.Errorf("create the node id file in %s", dataDir)
		}
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "node"
	}
	_, port, _ := net.SplitHostPort(addr.String())
	return host + ":" + port, nil
}

// routeRoot sends the REST API and the operational endpoints to the API handler and every other path
// to the portal.
func routeRoot(apiHandler, portalHandler http.Handler) http.Handler {
	mux := http.NewServeMux()
	for _, p := range []string{"/api/", "/healthz", "/readyz", "/metrics"} {
		mux.Handle(p, apiHandler)
	}
	mux.Handle("/", portalHandler)
	return mux
}

// App is the node's application (for seeding demo data and for tests).
func (s *Server) App() *app.App { return s.app }

// Hub is the node's live side.
func (s *Server) Hub() *hub.Hub { return s.hub }

// Store is the node's database (for the command line's maintenance and for tests).
func (s *Server) Store() *store.Store { return s.store }

// URL is the address the node listens at (http://host:port, or https).
func (s *Server) URL() string { return s.url }

// Addr is the listening address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// NodeID is the node's id.
func (s *Server) NodeID() string { return s.cfg.NodeID }

// Run starts the node's background work and serves until ctx ends, then shuts down gracefully:
// agents and sessions are told, their ends recorded, and the node's registration removed. It
// closes the store and the bus when it returns. ready, when set, is called once the node serves.
func (s *Server) Run(ctx context.Context, ready func()) error {
	defer s.closeParts()
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	// Revisions are caught up from notices and confirmed from the database before the hub starts,
	// so that the first decisions need not wait.
	go s.app.RunSync(runCtx)
	unsub, err := s.bus.Subscribe(revisionSubject, func(data []byte) {
		var n revisionNotice
		if json.Unmarshal(data, &n) == nil && n.AccountID != "" {
			s.app.NoticeRevision(n.AccountID, n.Revision)
		}
	})
	if err != nil {
		return err
	}
	defer unsub()
	if err := s.hub.Start(ctx); err != nil {
		return fmt.Errorf("start the agent hub: %w", err)
	}
	defer s.hub.Close()
	if s.mail != nil {
		go s.app.RunMailOutbox(runCtx, 30*time.Second)
		s.log.Info("email enabled", "smtp", s.mail.Config().String())
	} else {
		s.log.Info("email disabled: no SMTP URL; invitation links are shown to the inviter only")
	}
	fmt.Fprintf(s.cfg.Stdout, "Portico is listening on %s\n", s.url)
	s.log.Info("listening", "addr", s.ln.Addr().String(), "store", s.store.Dialect(), "node", s.cfg.NodeID,
		"bus", map[bool]string{true: "nats", false: "in-process"}[s.cfg.NATSURL != ""])
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(s.ln) }()
	if ready != nil {
		ready()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down")
	s.hub.Close() // hijacked WebSockets are not Shutdown's to close
	shutdownCtx, cancelShutdown := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelShutdown()
	return s.http.Shutdown(shutdownCtx)
}

// Close releases a node that was built but never run (Run closes what it ran).
func (s *Server) Close() { s.closeParts() }

func (s *Server) closeParts() {
	s.closeOnce.Do(func() {
		if s.bus != nil {
			s.bus.Close()
		}
		if s.ln != nil {
			s.ln.Close()
		}
		if s.store != nil {
			s.store.Close()
		}
	})
}
