// Command portico is the Portico server and its administration tool:
//
//	portico serve   --data DIR --addr HOST:PORT [--database-url URL] [--tls-cert F --tls-key F]
//	portico demo    [--data DIR] [--addr HOST:PORT]
//	portico migrate --data DIR [--database-url URL]
//	portico admin create-account --data DIR --company NAME --owner-email E --owner-password-file F [--print-api-key]
//	portico audit verify --data DIR [--database-url URL]
//	portico version
//
// and the command line of the REST API (cli*.go), `portico RESOURCE VERB [flags] [ARGS]`:
//
//	portico devices list --output json
//	portico groups create --name Branch
//	portico audit verify --server https://portico.example.com
//	portico completion bash
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "portico:", err)
		var ec exitCode
		if errors.As(err, &ec) {
			os.Exit(int(ec))
		}
		os.Exit(1)
	}
}

// exitCode lets a command choose its exit status (audit verify exits 3 on a broken chain).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

const usage = `usage: portico <command> [flags]

commands:
  serve            run the server
  demo             run the server with a demo account on SQLite
  migrate          apply database migrations
  admin            administration (create-account)
  audit verify     check the audit log's hash chains (--data: in the database; --server: through the API)
  version          print the version
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText())
		return flag.ErrHelp
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	switch args[0] {
	case "serve":
		return cmdServe(ctx, args[1:], stdout, stderr, log)
	case "demo":
		return cmdDemo(ctx, args[1:], stdout, stderr, log)
	case "migrate":
		return cmdMigrate(ctx, args[1:], stdout, stderr)
	case "admin":
		if len(args) < 2 || args[1] != "create-account" {
			fmt.Fprint(stderr, "usage: portico admin create-account --data DIR --company NAME --owner-email E --owner-password-file F [--print-api-key]\n")
			return flag.ErrHelp
		}
		return cmdCreateAccount(ctx, args[2:], stdout, stderr)
	case "audit":
		if len(args) >= 2 && (args[1] == "events" || args[1] == "export" || (args[1] == "verify" && auditVerifyAsksServer(args[2:]))) {
			return runResource(ctx, auditResource(), args, stdout, stderr)
		}
		if len(args) < 2 || args[1] != "verify" {
			fmt.Fprint(stderr, "usage: portico audit verify --data DIR [--database-url URL]\n"+
				"       portico audit verify --server URL [--api-key KEY]\n"+
				"       portico audit events [flags]\n"+
				"       portico audit export [flags]\n")
			return flag.ErrHelp
		}
		return cmdAuditVerify(ctx, args[2:], stdout, stderr)
	case "completion":
		return cmdCompletion(args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "portico %s\n", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usageText())
		return nil
	}
	if r, ok := lookupResource(args[0]); ok {
		return runResource(ctx, r, args, stdout, stderr)
	}
	fmt.Fprintf(stderr, "portico: unknown command %q\n\n%s", args[0], usageText())
	return flag.ErrHelp
}
