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
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/portico-dev/portico/internal/api"
	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/hub"
	"github.com/portico-dev/portico/internal/mail"
	"github.com/portico-dev/portico/internal/portal"
	"github.com/portico-dev/portico/internal/store"
)

// dbFlags are the storage flags every command shares.
type dbFlags struct {
	data        string
	databaseURL string
}

func (d *dbFlags) register(fs *flag.FlagSet, defaultData string) {
	fs.StringVar(&d.data, "data", defaultData, "data directory (embedded SQLite database)")
	fs.StringVar(&d.databaseURL, "database-url", os.Getenv("PORTICO_DATABASE_URL"),
		"PostgreSQL URL (postgres://…); overrides the embedded database")
}

func (d *dbFlags) open(ctx context.Context) (*store.Store, error) {
	if d.databaseURL == "" && d.data == "" {
		return nil, errors.New("--data or --database-url is required")
	}
	st, err := store.Open(ctx, store.Config{DataDir: d.data, DatabaseURL: d.databaseURL})
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer, log *slog.Logger) error {
	fs := newFlagSet("serve", stderr)
	var db dbFlags
	db.register(fs, "portico-data")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	publicURL := fs.String("public-url", "", "the address users reach the portal at (for invitation links); default http(s)://ADDR")
	proxies := fs.String("trusted-proxies", "", "comma-separated addresses or networks of reverse proxies whose X-Forwarded-For is believed (for the audit log and the IP allow list)")
	var tlsFiles tlsFlags
	fs.StringVar(&tlsFiles.cert, "tls-cert", "", "serve HTTPS with this certificate (PEM, with its chain); agents then connect over wss")
	fs.StringVar(&tlsFiles.key, "tls-key", "", "the certificate's private key (PEM)")
	localIdP := fs.Bool("allow-local-idp-metadata", false, "let accounts' SSO metadata URLs reach loopback and link-local addresses (an IdP on this host); off, an account administrator cannot make the server fetch from itself or a cloud metadata service")
	localDirectory := fs.Bool("allow-local-directory", false, "let accounts' directory (LDAP) URLs reach loopback and link-local addresses (a directory on this host); off, an account administrator cannot make the server connect to itself or a cloud metadata service")
	smtpURL := fs.String("smtp-url", os.Getenv("PORTICO_SMTP_URL"), "send email through this SMTP server: smtp[s]://USER:PASS@HOST:PORT?from=ADDRESS[&tls=none|starttls|tls] (default $PORTICO_SMTP_URL; without it invitation links are only shown to the inviter)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (tlsFiles.cert == "") != (tlsFiles.key == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	trusted, err := app.ParseTrustedProxies(*proxies)
	if err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	tlsFiles.trustedProxies = trusted
	var sender *mail.SMTP
	if *smtpURL != "" {
		cfg, err := mail.ParseURL(*smtpURL)
		if err != nil {
			return fmt.Errorf("--smtp-url: %w", err)
		}
		if sender, err = mail.NewSMTP(cfg); err != nil {
			return fmt.Errorf("--smtp-url: %w", err)
		}
	}
	st, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	a := app.New(st, log)
	a.AllowLocalIdPMetadata = *localIdP
	a.AllowLocalDirectory = *localDirectory
	keyDir := db.data
	if db.databaseURL != "" && !flagGiven(fs, "data") {
		keyDir = "" // with PostgreSQL, server files live only where the operator says
	}
	useTwoFactorKey(a, keyDir, log)
	if sender != nil {
		a.SetMailSender(sender)
		log.Info("email enabled", "smtp", sender.Config().String())
		go a.RunMailOutbox(ctx, 30*time.Second)
	} else {
		log.Info("email disabled: no --smtp-url; invitation links are shown to the inviter only")
	}
	return serve(ctx, a, *addr, *publicURL, stdout, log, nil, tlsFiles)
}

// flagGiven reports whether the named flag was set on the command line.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// useTwoFactorKey gives the app the key that seals TOTP secrets (PORTICO_2FA_KEY, else DIR/2fa.key,
// created at first start). Without one the server still runs; enrolling in 2FA is then refused.
func useTwoFactorKey(a *app.App, dataDir string, log *slog.Logger) {
	key, err := app.LoadTwoFactorKey(dataDir)
	if err == nil {
		err = a.SetTwoFactorKey(key)
	}
	if err != nil {
		log.Warn("two-factor authentication is unavailable", "err", err)
	}
}

// tlsFlags name the certificate and key of an HTTPS server; empty for plain HTTP (local use, or
// behind a reverse proxy that terminates TLS).
type tlsFlags struct {
	cert, key string
	// trustedProxies are the reverse proxies in front of the server (--trusted-proxies).
	trustedProxies []netip.Prefix
}

// serve listens on addr and serves until ctx ends, then shuts down gracefully. ready, when set, is
// called with the listening address once the server accepts connections.
func serve(ctx context.Context, a *app.App, addr, publicURL string, stdout io.Writer, log *slog.Logger, ready func(string), tlsFiles tlsFlags) error {
	var cert tls.Certificate
	if tlsFiles.cert != "" {
		var err error
		if cert, err = tls.LoadX509KeyPair(tlsFiles.cert, tlsFiles.key); err != nil {
			return fmt.Errorf("load the TLS certificate: %w", err)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	url := "http://" + ln.Addr().String()
	if tlsFiles.cert != "" {
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		url = "https://" + ln.Addr().String()
	}
	if publicURL != "" {
		a.BaseURL = strings.TrimRight(publicURL, "/")
	} else {
		a.BaseURL = url
	}
	// The hub holds the live agent connections and remote sessions.
	h := hub.New(a, hub.Options{Logger: log})
	if err := h.Start(ctx); err != nil {
		return fmt.Errorf("start the agent hub: %w", err)
	}
	defer h.Close()
	web, err := portal.New(a, portal.Options{Logger: log, Hub: h, TrustedProxies: tlsFiles.trustedProxies})
	if err != nil {
		return fmt.Errorf("load the portal: %w", err)
	}
	srv := &http.Server{
		Handler:           routeRoot(api.New(a, api.Options{Logger: log, Hub: h, TrustedProxies: tlsFiles.trustedProxies}), web),
		ReadHeaderTimeout: 10 * time.Second,
	}
	fmt.Fprintf(stdout, "Portico is listening on %s\n", url)
	log.Info("listening", "addr", ln.Addr().String(), "store", a.Store().Dialect())
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	log.Info("shutting down")
	h.Close() // hijacked WebSockets are not Shutdown's to close
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	return nil
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

func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("migrate", stderr)
	var db dbFlags
	db.register(fs, "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(stdout, "migrations applied (%s)\n", st.Dialect())
	return nil
}

func cmdCreateAccount(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin create-account", stderr)
	var db dbFlags
	db.register(fs, "")
	company := fs.String("company", "", "company name (required)")
	email := fs.String("owner-email", "", "owner's email (required)")
	name := fs.String("owner-name", "", "owner's name (default: from the email)")
	pwFile := fs.String("owner-password-file", "", "file holding the owner's password; - for standard input (required)")
	printKey := fs.Bool("print-api-key", false, "also create an API key for the owner and print it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *pwFile == "" {
		return errors.New("--owner-password-file is required")
	}
	var raw []byte
	var err error
	if *pwFile == "-" {
		raw, err = io.ReadAll(io.LimitReader(os.Stdin, 4096))
	} else {
		raw, err = os.ReadFile(*pwFile)
	}
	if err != nil {
		return fmt.Errorf("read owner password: %w", err)
	}
	st, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	a := app.New(st, nil)
	out, err := a.CreateAccount(ctx, app.NewAccount{Company: *company, OwnerEmail: *email, OwnerName: *name,
		OwnerPassword: strings.TrimRight(string(raw), "\r\n"), WithAPIKey: *printKey})
	if err != nil {
		return err
	}
	res := map[string]string{"account_id": out.Account.ID, "owner_id": out.Owner.ID,
		"default_device_group_id": out.DefaultGroup.ID}
	if *printKey {
		res["api_key"] = out.APIKey
	}
	return json.NewEncoder(stdout).Encode(res)
}

func cmdAuditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("audit verify", stderr)
	var db dbFlags
	db.register(fs, "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	ids, err := st.ListAccountIDs(ctx)
	if err != nil {
		return err
	}
	bad := 0
	for _, id := range ids {
		p, n, err := st.VerifyAudit(ctx, id)
		if err != nil {
			return err
		}
		if p != nil {
			bad++
			fmt.Fprintf(stdout, "account %s: BROKEN at entry %d (%s): %s\n", id, p.Seq, p.EventID, p.Reason)
			continue
		}
		fmt.Fprintf(stdout, "account %s: ok, %d entries\n", id, n)
	}
	if bad > 0 {
		return exitCode(3)
	}
	return nil
}
