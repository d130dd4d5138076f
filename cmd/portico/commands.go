package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/server"
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
	tlsCert := fs.String("tls-cert", "", "serve HTTPS with this certificate (PEM, with its chain); agents then connect over wss")
	tlsKey := fs.String("tls-key", "", "the certificate's private key (PEM)")
	localIdP := fs.Bool("allow-local-idp-metadata", false, "let accounts' SSO metadata URLs reach loopback and link-local addresses (an IdP on this host); off, an account administrator cannot make the server fetch from itself or a cloud metadata service")
	localDirectory := fs.Bool("allow-local-directory", false, "let accounts' directory (LDAP) URLs reach loopback and link-local addresses (a directory on this host); off, an account administrator cannot make the server connect to itself or a cloud metadata service")
	smtpURL := fs.String("smtp-url", os.Getenv("PORTICO_SMTP_URL"), "send email through this SMTP server: smtp[s]://USER:PASS@HOST:PORT?from=ADDRESS[&tls=none|starttls|tls] (default $PORTICO_SMTP_URL; without it invitation links are only shown to the inviter)")
	natsURL := fs.String("nats-url", os.Getenv("PORTICO_NATS_URL"), "the NATS server the nodes of a cluster share for notices: nats://HOST:PORT (default $PORTICO_NATS_URL; without it, changes reach other nodes through the database only, within a second)")
	nodeID := fs.String("node-id", os.Getenv("PORTICO_NODE_ID"), "this node's name among the nodes sharing the database; must stay the same across restarts (default $PORTICO_NODE_ID, else DIR/node-id, else HOST:PORT)")
	nodeURL := fs.String("node-url", os.Getenv("PORTICO_NODE_URL"), "the address the other nodes reach this one at, to relay remote sessions (default $PORTICO_NODE_URL, else the listening address)")
	unauthenticated := fs.Int("unauthenticated-per-client", 0, "connections (or, behind a trusted proxy, requests) one client address may hold before it authenticates; more are refused (default 64; raise it for many users behind one NAT)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	trusted, err := app.ParseTrustedProxies(*proxies)
	if err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	if db.databaseURL == "" && db.data == "" {
		return errors.New("--data or --database-url is required")
	}
	cfg := server.Config{DataDir: db.data, DatabaseURL: db.databaseURL, KeyDir: db.data, Addr: *addr, PublicURL: *publicURL,
		TLSCert: *tlsCert, TLSKey: *tlsKey, TrustedProxies: trusted, NodeID: *nodeID, NodeURL: *nodeURL, NATSURL: *natsURL,
		AllowLocalIdPMetadata: *localIdP, AllowLocalDirectory: *localDirectory, SMTPURL: *smtpURL, Logger: log, Stdout: stdout,
		Limits: server.Limits{UnauthenticatedPerClient: *unauthenticated}}
	if db.databaseURL != "" && !flagGiven(fs, "data") {
		// With PostgreSQL, server files (the server key, the node id) live only where the operator says.
		cfg.DataDir, cfg.KeyDir = "", ""
	}
	srv, err := server.New(ctx, cfg)
	if err != nil {
		return err
	}
	return srv.Run(ctx, nil)
}

// flagGiven reports whether the named flag was set on the command line.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
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
