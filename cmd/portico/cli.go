package main

// The administration commands, `portico RESOURCE VERB [flags] [ARGS]`, speak to a running server
// through its REST API with the Go client: they need a server URL and an API key, and read nothing
// on this computer but the command line's configuration.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	apiclient "github.com/portico-dev/portico/client"
)

// resource is a noun of the command line (devices, groups…) with the verbs it takes.
type resource struct {
	name    string
	summary string
	verbs   []verb
}

// verb is one command on a resource.
type verb struct {
	name string
	// args describes the positional arguments for the usage line, and is checked: "" takes none,
	// "ID" exactly one, "ID..." one or more, "[ID...]" any number.
	args    string
	summary string
	// setup registers the verb's own flags and returns what runs it once they are parsed.
	setup func(fs *flag.FlagSet) action
}

// action runs a verb with its positional arguments.
type action func(ctx context.Context, c *cli, args []string) error

// resources lists every resource of the command line, in the order `portico help` shows them.
func resources() []resource {
	return []resource{
		devicesResource(), sessionsResource(), onDemandResource(), groupsResource(), enrollmentTokensResource(), usersResource(),
		userGroupsResource(), rolesResource(), assignmentsResource(), rulesResource(), apiKeysResource(), auditResource(),
		accessResource(), accountResource(), meResource(), permissionsResource(), ssoResource(), directoryResource(),
		legalResource(), brandingResource(), ipAllowlistResource(), passwordPolicyResource(),
	}
}

func lookupResource(name string) (resource, bool) {
	for _, r := range resources() {
		if r.name == name {
			return r, true
		}
	}
	return resource{}, false
}

func (r resource) lookup(name string) (verb, bool) {
	for _, v := range r.verbs {
		if v.name == name {
			return v, true
		}
	}
	return verb{}, false
}

// cli is what a running verb works with.
type cli struct {
	api    *apiclient.Client
	output string // table or json
	stdout io.Writer
	stderr io.Writer
}

// cliConfig is the configuration file (~/.config/portico/cli.json).
type cliConfig struct {
	Server string `json:"server,omitempty"`
	APIKey string `json:"api_key,omitempty"`
	Output string `json:"output,omitempty"`
}

// globalFlags are the flags every verb takes.
type globalFlags struct {
	server, apiKey, output, config string
}

func (g *globalFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&g.server, "server", "", "the server's URL, such as https://portico.example.com (default $PORTICO_SERVER, else the config file's \"server\")")
	fs.StringVar(&g.apiKey, "api-key", "", "an API key (default $PORTICO_API_KEY, else the config file's \"api_key\")")
	fs.StringVar(&g.output, "output", "", "table or json (default: the config file's \"output\", else table)")
	fs.StringVar(&g.output, "o", "", "short for --output")
	fs.StringVar(&g.config, "config", "", "the config file (default $PORTICO_CONFIG, else $XDG_CONFIG_HOME/portico/cli.json or ~/.config/portico/cli.json)")
}

// defaultConfigPath is $XDG_CONFIG_HOME/portico/cli.json, else ~/.config/portico/cli.json: the same
// place on every system, so that the documentation can name it.
func defaultConfigPath() string {
	if dir := os.Getenv("XDG_CONFIG_HOME"); dir != "" {
		return filepath.Join(dir, "portico", "cli.json")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".config", "portico", "cli.json")
}

// readConfig reads the config file at path. A missing file is an empty configuration unless the
// user named it (explicit).
func readConfig(path string, explicit bool, stderr io.Writer) (cliConfig, error) {
	var cfg cliConfig
	if path == "" {
		return cfg, nil
	}
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && !explicit {
		return cfg, nil
	}
	if err != nil {
		return cfg, fmt.Errorf("read the config file: %w", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields() // a misspelt key would otherwise be ignored in silence
	if err := dec.Decode(&cfg); err != nil {
		return cfg, fmt.Errorf("config file %s: %w", path, err)
	}
	if fi, err := os.Stat(path); err == nil && cfg.APIKey != "" && fi.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(stderr, "portico: warning: %s holds an API key and others may read it (chmod 600 it)\n", path)
	}
	return cfg, nil
}

// resolve settles the server, the API key and the output format. Precedence: flags, then the
// environment ($PORTICO_SERVER, $PORTICO_API_KEY), then the config file, then the defaults.
func (g *globalFlags) resolve(stderr io.Writer) (server, apiKey, output string, err error) {
	path, explicit := g.config, g.config != ""
	if !explicit {
		if path = os.Getenv("PORTICO_CONFIG"); path != "" {
			explicit = true
		} else {
			path = defaultConfigPath()
		}
	}
	cfg, err := readConfig(path, explicit, stderr)
	if err != nil {
		return "", "", "", err
	}
	first := func(vs ...string) string {
		for _, v := range vs {
			if v = strings.TrimSpace(v); v != "" {
				return v
			}
		}
		return ""
	}
	server = first(g.server, os.Getenv("PORTICO_SERVER"), cfg.Server)
	apiKey = first(g.apiKey, os.Getenv("PORTICO_API_KEY"), cfg.APIKey)
	output = first(g.output, cfg.Output, "table")
	switch {
	case output != "table" && output != "json":
		return "", "", "", fmt.Errorf("--output must be table or json, not %q", output)
	case server == "":
		return "", "", "", errors.New("no server: give --server URL, set $PORTICO_SERVER, or write \"server\" in " + path)
	case !strings.HasPrefix(server, "http://") && !strings.HasPrefix(server, "https://"):
		return "", "", "", fmt.Errorf("the server %q must be a URL starting with https:// or http://", server)
	case apiKey == "":
		return "", "", "", errors.New("no API key: give --api-key, set $PORTICO_API_KEY, or write \"api_key\" in " + path)
	}
	return server, apiKey, output, nil
}

// runResource runs `portico RESOURCE VERB [flags] [ARGS]`; args starts with the resource's name.
func runResource(ctx context.Context, r resource, args []string, stdout, stderr io.Writer) error {
	if len(args) < 2 || isHelp(args[1]) {
		w := stderr
		if len(args) >= 2 {
			w = stdout // asked for
		}
		fmt.Fprint(w, r.usage())
		if len(args) >= 2 {
			return nil
		}
		return flag.ErrHelp
	}
	v, ok := r.lookup(args[1])
	if !ok {
		fmt.Fprintf(stderr, "portico %s: unknown command %q\n\n%s", r.name, args[1], r.usage())
		return flag.ErrHelp
	}
	fs := newFlagSet("portico "+r.name+" "+v.name, stderr)
	var g globalFlags
	g.register(fs)
	run := v.setup(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: %s\n\n%s\n\nflags:\n", strings.TrimSpace("portico "+r.name+" "+v.name+" [flags] "+v.args), v.summary)
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args[2:])
	if err != nil {
		return err
	}
	if err := checkArgs(v.args, pos); err != nil {
		fmt.Fprintf(stderr, "portico %s %s: %v\n", r.name, v.name, err)
		fs.Usage()
		return flag.ErrHelp
	}
	server, key, output, err := g.resolve(stderr)
	if err != nil {
		return err
	}
	c := &cli{
		api:    apiclient.New(server, apiclient.WithAPIKey(key), apiclient.WithUserAgent("portico-cli/"+version)),
		output: output, stdout: stdout, stderr: stderr,
	}
	return explainAPIError(run(ctx, c, pos))
}

func isHelp(arg string) bool {
	return arg == "help" || arg == "-h" || arg == "--help" || arg == "-help"
}

// usageText is `portico help`: the server's commands, then the resources of the command line, read
// from their table.
func usageText() string {
	var b strings.Builder
	b.WriteString(usage)
	b.WriteString("\nadministration through the REST API: portico RESOURCE VERB [flags] [ARGS]\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, r := range resources() {
		names := make([]string, len(r.verbs))
		for i, v := range r.verbs {
			names[i] = v.name
		}
		fmt.Fprintf(tw, "  %s\t%s\n", r.name, strings.Join(names, ", "))
	}
	fmt.Fprintf(tw, "  completion\tprint a bash or zsh completion script\n")
	tw.Flush()
	b.WriteString(`
  They take --server URL, --api-key KEY and --output table|json (-o). Without the flags, the server
  and the key come from $PORTICO_SERVER and $PORTICO_API_KEY, else from ~/.config/portico/cli.json:
  {"server": "https://portico.example.com", "api_key": "pk_…", "output": "table"}. Flags win over
  the environment, the environment over the file. "portico RESOURCE" lists its commands.

  Two-factor authentication has no command here: the server refuses an API key both one's own
  enrolment (/api/v1/me/2fa) and resetting another user's (users/{id}/reset-2fa), which a signed-in
  person does in the portal.
`)
	return b.String()
}

func (r resource) usage() string {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: portico %s <command> [flags]\n\n%s\n\ncommands:\n", r.name, r.summary)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, v := range r.verbs {
		fmt.Fprintf(tw, "  %s %s\t%s\n", v.name, v.args, v.summary)
	}
	tw.Flush()
	fmt.Fprintf(&b, "\nRun `portico %s <command> --help` for its flags.\n", r.name)
	return b.String()
}

// parseInterspersed parses flags wherever they stand among the positional arguments (the flag
// package stops at the first argument that is not a flag): `devices delete dev_1 --server …`.
// Everything after "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// checkArgs holds the positional arguments to a verb's args.
func checkArgs(spec string, args []string) error {
	fields := strings.Fields(spec)
	optional := len(fields) > 0 && strings.HasPrefix(fields[len(fields)-1], "[")
	variadic := len(fields) > 0 && strings.HasSuffix(strings.Trim(fields[len(fields)-1], "[]"), "...")
	need := len(fields)
	if optional {
		need--
	}
	switch {
	case len(args) < need:
		return fmt.Errorf("expects %s", spec)
	case !variadic && len(args) > len(fields):
		if spec == "" {
			return fmt.Errorf("takes no arguments, got %q", args)
		}
		return fmt.Errorf("expects %s, got %q", spec, args)
	}
	return nil
}

// optional returns the flag's value when it was given, else nil: PATCH sends only what changes.
func optional(fs *flag.FlagSet, name string) *string {
	if !flagGiven(fs, name) {
		return nil
	}
	v := fs.Lookup(name).Value.String()
	return &v
}

// given copies a flag's value into dst when the flag was given: an update that starts from the current
// object (the API replaces it whole) changes only what the command line names. dst's type must be the
// flag's (string for fs.String, bool for fs.Bool, int for fs.Int).
func given[T any](fs *flag.FlagSet, name string, dst *T) {
	if flagGiven(fs, name) {
		*dst = fs.Lookup(name).Value.(flag.Getter).Get().(T)
	}
}

// readFileOrStdin reads a file, or standard input for "-", refusing more than limit bytes rather than
// sending a truncated document.
func readFileOrStdin(path string, limit int64) ([]byte, error) {
	var r io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d KiB", path, limit>>10)
	}
	return b, nil
}

// stringList is a flag that may be given several times, each a value or a comma-separated list.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*s = append(*s, part)
		}
	}
	return nil
}

// explainAPIError turns a refusal by the server into what to tell the user: the problem's detail,
// then every field at fault.
func explainAPIError(err error) error {
	var e *apiclient.Error
	if !errors.As(err, &e) {
		return err
	}
	var b strings.Builder
	b.WriteString(e.Message())
	if len(e.Fields) > 1 || (len(e.Fields) == 1 && !strings.Contains(e.Message(), e.Fields[0].Message)) {
		for _, f := range e.Fields {
			fmt.Fprintf(&b, "\n  %s: %s", f.Field, f.Message)
		}
	}
	if e.StatusCode == 401 {
		b.WriteString(" (check --api-key or $PORTICO_API_KEY)")
	}
	return &cliError{msg: b.String(), err: err}
}

// cliError is a refusal as the user reads it; Unwrap keeps the *apiclient.Error for callers.
type cliError struct {
	msg string
	err error
}

func (e *cliError) Error() string { return e.msg }
func (e *cliError) Unwrap() error { return e.err }

// Output.

// column is one column of a table: its title and how a row's value is written.
type column[T any] struct {
	title string
	value func(T) string
}

// writeJSON writes v indented, as the API answered it.
func (c *cli) writeJSON(v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeList writes items as a table with cols, or as a JSON array of the API's objects.
func writeList[T any](c *cli, items []T, cols []column[T]) error {
	if c.output == "json" {
		if items == nil {
			items = []T{} // [] rather than null, for scripts
		}
		return c.writeJSON(items)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	titles := make([]string, len(cols))
	for i, col := range cols {
		titles[i] = col.title
	}
	fmt.Fprintln(tw, strings.Join(titles, "\t"))
	for _, it := range items {
		vals := make([]string, len(cols))
		for i, col := range cols {
			vals[i] = cell(col.value(it))
		}
		fmt.Fprintln(tw, strings.Join(vals, "\t"))
	}
	return tw.Flush()
}

// writeOne writes one object as a one-row table, or as the API's JSON object.
func writeOne[T any](c *cli, item T, cols []column[T]) error {
	if c.output == "json" {
		return c.writeJSON(item)
	}
	return writeList(c, []T{item}, cols)
}

// writeFields writes one object as a table of its fields, one a line, named as in the API's JSON: an
// account-wide setting has too many fields for one row. JSON output is the API's object.
func writeFields[T any](c *cli, item T, fields []column[T]) error {
	if c.output == "json" {
		return c.writeJSON(item)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FIELD\tVALUE")
	for _, f := range fields {
		fmt.Fprintf(tw, "%s\t%s\n", f.title, cell(f.value(item)))
	}
	return tw.Flush()
}

// abbreviate shortens a long text for a table cell; JSON output keeps it whole.
func abbreviate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// done tells, in table mode, that a change without an answer worth showing was made; JSON output
// stays empty so that scripts read nothing they must skip.
func (c *cli) done(format string, args ...any) error {
	if c.output == "table" {
		fmt.Fprintf(c.stdout, format+"\n", args...)
	}
	return nil
}

// cell keeps a value on one line and in one column of the table.
func cell(s string) string {
	s = strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s)
	if s == "" {
		return "-"
	}
	return s
}

func formatTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func join[S ~string](xs []S) string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return strings.Join(out, ",")
}

// listFlags are the flags of every list: how many items to show.
type listFlags struct {
	limit int
}

func (l *listFlags) register(fs *flag.FlagSet, def int) {
	help := "show at most N items (0: all)"
	if def == 0 {
		help = "show at most N items (default: all)"
	}
	fs.IntVar(&l.limit, "limit", def, help)
}

// options asks for pages no larger than what will be shown.
func (l *listFlags) options() apiclient.ListOptions {
	if l.limit > 0 {
		return apiclient.ListOptions{Limit: min(l.limit, 500)}
	}
	return apiclient.ListOptions{}
}

// collect gathers the items of an iterator, at most l.limit of them when it is set.
func collect[T any](l *listFlags, seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for it, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, it)
		if l.limit > 0 && len(out) >= l.limit {
			break
		}
	}
	return out, nil
}

// oneOf checks a flag's value against the values the API accepts, so that a typo is caught here.
func oneOf(flagName, v string, allowed ...string) error {
	if v == "" || slices.Contains(allowed, v) {
		return nil
	}
	return fmt.Errorf("--%s must be one of %s, not %q", flagName, strings.Join(allowed, ", "), v)
}
