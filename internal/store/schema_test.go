package store

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The migrations are written by hand, once per dialect. The golden files are the schema of record: a
// migration that changes the schema changes one of them, and so shows in review as a schema, not only
// as SQL.
func TestSchema(t *testing.T) {
	t.Parallel() // each test has databases of its own
	for _, tc := range []struct {
		dialect string
		open    func(testing.TB) *Store
	}{
		{DialectSQLite, openSQLiteTest},
		{DialectPostgres, openPostgresTest},
	} {
		t.Run(tc.dialect, func(t *testing.T) {
			t.Parallel()
			s := tc.open(t)
			got, err := renderSchema(ctx, s)
			must(t, err)
			path := goldenSchemaPath(tc.dialect)
			if *update {
				must(t, os.MkdirAll(filepath.Dir(path), 0o755))
				must(t, os.WriteFile(path, []byte(got.String()), 0o644))
				return
			}
			checkGoldenSchema(t, got, "a fresh database")
		})
	}
}

// Both dialects must hold the same tables with the same column names, so that one set of statements
// serves both. Types differ by design (TEXT times and INTEGER booleans on SQLite, TIMESTAMPTZ and
// BOOLEAN on PostgreSQL), and so do constraints SQLite cannot express alike: only names are compared.
func TestSchemaParity(t *testing.T) {
	t.Parallel()
	lite, err := renderSchema(ctx, openSQLiteTest(t))
	must(t, err)
	pg, err := renderSchema(ctx, openPostgresTest(t))
	must(t, err)

	// SQLite's virtual tables do a job PostgreSQL does with indexes; each is named here with that job.
	sqliteOnly := map[string]string{
		"devices_search": "FTS5 trigram index of device search; PostgreSQL has pg_trgm indexes on devices",
	}
	var diffs []string
	for _, d := range schemaParity(lite, pg) {
		if d.only == DialectSQLite && sqliteOnly[d.table] != "" {
			continue
		}
		diffs = append(diffs, d.text)
	}
	for _, name := range slices.Sorted(maps.Keys(sqliteOnly)) {
		if tb := lite.table(name); tb == nil || tb.Virtual == "" {
			diffs = append(diffs, fmt.Sprintf("table %s: expected as a virtual table of SQLite only", name))
		}
	}
	if len(diffs) > 0 {
		t.Errorf("the dialects' schemas differ:\n\t%s", strings.Join(diffs, "\n\t"))
	}
}

type parityDiff struct {
	table string
	only  string // the dialect that alone has the table; "" for a difference in columns
	text  string
}

// schemaParity lists every table and column name that one schema has and the other lacks.
func schemaParity(lite, pg *schema) []parityDiff {
	var out []parityDiff
	names := map[string]bool{}
	for _, s := range []*schema{lite, pg} {
		for _, tb := range s.Tables {
			names[tb.Name] = true
		}
	}
	for _, name := range slices.Sorted(maps.Keys(names)) {
		a, b := lite.table(name), pg.table(name)
		switch {
		case b == nil:
			out = append(out, parityDiff{name, DialectSQLite, fmt.Sprintf("table %s: only in sqlite", name)})
		case a == nil:
			out = append(out, parityDiff{name, DialectPostgres, fmt.Sprintf("table %s: only in postgres", name)})
		default:
			only := map[string]string{} // column → the dialect that alone has it
			for _, c := range a.Columns {
				only[c.Name] = DialectSQLite
			}
			for _, c := range b.Columns {
				if only[c.Name] == DialectSQLite {
					delete(only, c.Name)
				} else {
					only[c.Name] = DialectPostgres
				}
			}
			for _, c := range slices.Sorted(maps.Keys(only)) {
				out = append(out, parityDiff{name, "", fmt.Sprintf("table %s: column %s only in %s", name, c, only[c])})
			}
		}
	}
	return out
}

func goldenSchemaPath(dialect string) string {
	return filepath.Join("testdata", "schema", dialect+".txt")
}

// checkGoldenSchema compares a rendered schema with its dialect's golden file; what names the database
// it came from.
func checkGoldenSchema(t *testing.T, got *schema, what string) {
	t.Helper()
	path := goldenSchemaPath(got.Dialect)
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden schema (make it with: go test ./internal/store -run TestSchema -update): %v", err)
	}
	if d := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got.String(), "\n")); d != "" {
		t.Errorf("the schema of %s differs from %s (-golden +got):\n%s\n"+
			"If the change is intended: go test ./internal/store -run TestSchema -update", what, path, d)
	}
}

// schema is a database's schema in a form that compares and prints stably: tables sorted by name,
// each with its columns sorted by name (statements name their columns, so their order means nothing,
// and a table a future migration rebuilds must not show as changed), then its keys, indexes and
// triggers, each kind sorted.
type schema struct {
	Dialect    string
	Version    string // the last migration applied
	Extensions []string
	Tables     []schemaTable
}

type schemaTable struct {
	Name string
	// Virtual is SQLite's USING clause of a virtual table, which then has no columns or keys of its own.
	Virtual     string
	Columns     []schemaColumn
	PrimaryKey  string
	Uniques     []string
	ForeignKeys []string
	Checks      []string
	Indexes     []string
	Triggers    []string
}

type schemaColumn struct {
	Name, Type string
	NotNull    bool
	// Extra is the default, identity or generation, as the database shows it.
	Extra string
}

func (s *schema) table(name string) *schemaTable {
	for i := range s.Tables {
		if s.Tables[i].Name == name {
			return &s.Tables[i]
		}
	}
	return nil
}

func (s *schema) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# The %s schema after every migration (up to %s).\n", s.Dialect, s.Version)
	b.WriteString("# Written by TestSchema; after a migration: go test ./internal/store -run TestSchema -update\n")
	for _, e := range s.Extensions {
		fmt.Fprintf(&b, "\nextension %s\n", e)
	}
	for _, tb := range s.Tables {
		if tb.Virtual != "" {
			fmt.Fprintf(&b, "\nvirtual table %s USING %s\n", tb.Name, tb.Virtual)
		} else {
			fmt.Fprintf(&b, "\ntable %s\n", tb.Name)
		}
		w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, c := range tb.Columns {
			null := "null"
			if c.NotNull {
				null = "not null"
			}
			fmt.Fprintf(w, "    %s\t%s\t%s\t%s\n", c.Name, c.Type, null, c.Extra)
		}
		w.Flush()
		lines := func(prefix string, items []string) {
			for _, it := range items {
				fmt.Fprintf(&b, "    %s %s\n", prefix, it)
			}
		}
		if tb.PrimaryKey != "" {
			lines("primary key", []string{tb.PrimaryKey})
		}
		lines("unique", tb.Uniques)
		lines("foreign key", tb.ForeignKeys)
		lines("check", tb.Checks)
		lines("index", tb.Indexes)
		lines("trigger", tb.Triggers)
	}
	// tabwriter pads the null column even when no default follows: trailing spaces are noise in a diff.
	lines := strings.Split(b.String(), "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	return strings.Join(lines, "\n")
}

func (tb *schemaTable) sort() {
	sort.Slice(tb.Columns, func(i, j int) bool { return tb.Columns[i].Name < tb.Columns[j].Name })
	for _, l := range [][]string{tb.Uniques, tb.ForeignKeys, tb.Checks, tb.Indexes, tb.Triggers} {
		sort.Strings(l)
	}
}

// renderSchema reads the schema of s's database from its catalogue.
func renderSchema(ctx context.Context, s *Store) (*schema, error) {
	out := &schema{Dialect: s.dialect}
	err := s.wdb.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&out.Version)
	if err == nil {
		if s.dialect == DialectSQLite {
			err = renderSQLite(ctx, s.wdb, out)
		} else {
			err = renderPostgres(ctx, s.wdb, out)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("render %s schema: %w", s.dialect, err)
	}
	for i := range out.Tables {
		out.Tables[i].sort()
	}
	sort.Slice(out.Tables, func(i, j int) bool { return out.Tables[i].Name < out.Tables[j].Name })
	return out, nil
}

// queryStrings runs a query whose rows are all strings (NULL reads as "") and returns them.
func queryStrings(ctx context.Context, db *sql.DB, query string, args ...any) ([][]string, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", strings.Join(strings.Fields(query), " "), err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = v.String
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// oneLine collapses the whitespace of SQL text kept as written (SQLite keeps the migrations' text).
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// renderSQLite reads the schema from sqlite_schema and the table pragmas. SQLite keeps no catalogue of
// CHECK constraints (they live only in the CREATE TABLE text); the migrations use none.
func renderSQLite(ctx context.Context, db *sql.DB, out *schema) error {
	objects, err := queryStrings(ctx, db, `SELECT l.name, l.type, COALESCE(m.sql, '') FROM pragma_table_list AS l
		LEFT JOIN sqlite_schema AS m ON m.name = l.name WHERE l.schema = 'main' AND l.name NOT LIKE 'sqlite\_%' ESCAPE '\'`)
	if err != nil {
		return err
	}
	for _, o := range objects {
		name, kind, text := o[0], o[1], oneLine(o[2])
		var tb schemaTable
		switch kind {
		case "shadow":
			continue // part of its virtual table
		case "virtual":
			_, using, _ := strings.Cut(text, " USING ")
			tb = schemaTable{Name: name, Virtual: using}
		case "table":
			if tb, err = sqliteTable(ctx, db, name, text); err != nil {
				return fmt.Errorf("table %s: %w", name, err)
			}
		default:
			return fmt.Errorf("%s is a %s, which the renderer does not know: teach it", name, kind)
		}
		out.Tables = append(out.Tables, tb)
	}
	triggers, err := queryStrings(ctx, db, `SELECT tbl_name, sql FROM sqlite_schema WHERE type = 'trigger'`)
	if err != nil {
		return err
	}
	for _, tr := range triggers {
		tb := out.table(tr[0])
		if tb == nil {
			return fmt.Errorf("trigger on unknown table %s", tr[0])
		}
		tb.Triggers = append(tb.Triggers, strings.TrimPrefix(oneLine(tr[1]), "CREATE TRIGGER "))
	}
	views, err := queryStrings(ctx, db, `SELECT name FROM sqlite_schema WHERE type = 'view'`)
	if err != nil {
		return err
	}
	if len(views) > 0 {
		return fmt.Errorf("view %s: the renderer does not know views: teach it", views[0][0])
	}
	return nil
}

func sqliteTable(ctx context.Context, db *sql.DB, name, text string) (schemaTable, error) {
	tb := schemaTable{Name: name}
	cols, err := queryStrings(ctx, db, `SELECT name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(?)`, name)
	if err != nil {
		return tb, err
	}
	pk := map[int]string{} // position in the key (from 1) → column
	for _, c := range cols {
		col := schemaColumn{Name: c[0], Type: c[1], NotNull: c[2] == "1"}
		if c[3] != "" {
			col.Extra = "default " + c[3]
		}
		if c[5] == "2" || c[5] == "3" {
			col.Extra = "generated"
		}
		tb.Columns = append(tb.Columns, col)
		if pos, _ := strconv.Atoi(c[4]); pos > 0 {
			pk[pos] = c[0]
		}
	}
	if len(pk) > 0 {
		key := make([]string, len(pk))
		for pos, name := range pk {
			key[pos-1] = name
		}
		tb.PrimaryKey = "(" + strings.Join(key, ", ") + ")"
		if strings.Contains(strings.ToUpper(text), "AUTOINCREMENT") {
			tb.PrimaryKey += " AUTOINCREMENT"
		}
	}

	indexes, err := queryStrings(ctx, db, `SELECT l.name, l."unique", l.origin, COALESCE(m.sql, '')
		FROM pragma_index_list(?) AS l LEFT JOIN sqlite_schema AS m ON m.name = l.name`, name)
	if err != nil {
		return tb, err
	}
	for _, ix := range indexes {
		switch ix[2] {
		case "pk": // shown as the primary key
		case "u": // a UNIQUE constraint: SQLite names its index itself, so only the columns say which
			cols, err := queryStrings(ctx, db, `SELECT name FROM pragma_index_info(?) ORDER BY seqno`, ix[0])
			if err != nil {
				return tb, err
			}
			var names []string
			for _, c := range cols {
				names = append(names, c[0])
			}
			tb.Uniques = append(tb.Uniques, "("+strings.Join(names, ", ")+")")
		default: // CREATE INDEX: its text from the column list on holds expressions and WHERE too
			text := oneLine(ix[3])
			i := strings.Index(text, "(")
			if i < 0 {
				return tb, fmt.Errorf("index %s: no column list in %q", ix[0], text)
			}
			def := ix[0] + " " + text[i:]
			if ix[1] == "1" {
				def = ix[0] + " UNIQUE " + text[i:]
			}
			tb.Indexes = append(tb.Indexes, def)
		}
	}

	fks, err := queryStrings(ctx, db, `SELECT id, "table", "from", "to", on_update, on_delete
		FROM pragma_foreign_key_list(?) ORDER BY id, seq`, name)
	if err != nil {
		return tb, err
	}
	for i := 0; i < len(fks); {
		j := i
		var from, to []string
		for ; j < len(fks) && fks[j][0] == fks[i][0]; j++ {
			from, to = append(from, fks[j][2]), append(to, fks[j][3])
		}
		// The same shape as PostgreSQL's pg_get_constraintdef, to read the two files side by side.
		def := fmt.Sprintf("(%s) REFERENCES %s", strings.Join(from, ", "), fks[i][1])
		if strings.Join(to, "") != "" {
			def += "(" + strings.Join(to, ", ") + ")"
		}
		if a := fks[i][4]; a != "NO ACTION" {
			def += " ON UPDATE " + a
		}
		if a := fks[i][5]; a != "NO ACTION" {
			def += " ON DELETE " + a
		}
		tb.ForeignKeys = append(tb.ForeignKeys, def)
		i = j
	}
	return tb, nil
}

// renderPostgres reads the schema of the current schema (public) from pg_catalog: the only place that
// has identity, collations, index methods and constraint names all at once.
func renderPostgres(ctx context.Context, db *sql.DB, out *schema) error {
	exts, err := queryStrings(ctx, db, `SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY extname`)
	if err != nil {
		return err
	}
	for _, e := range exts {
		out.Extensions = append(out.Extensions, e[0])
	}
	// Tables, their indexes and the sequences of identity columns are rendered; anything else would
	// be left out silently, so it is refused.
	other, err := queryStrings(ctx, db, `SELECT c.relname, c.relkind FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind NOT IN ('r', 'i', 'S')`)
	if err != nil {
		return err
	}
	if len(other) > 0 {
		return fmt.Errorf("%s has relkind %s, which the renderer does not know: teach it", other[0][0], other[0][1])
	}
	tables, err := queryStrings(ctx, db, `SELECT c.oid::text, c.relname FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'`)
	if err != nil {
		return err
	}
	for _, t := range tables {
		tb, err := postgresTable(ctx, db, t[0], t[1])
		if err != nil {
			return fmt.Errorf("table %s: %w", t[1], err)
		}
		out.Tables = append(out.Tables, tb)
	}
	triggers, err := queryStrings(ctx, db, `SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND NOT t.tgisinternal`)
	if err != nil {
		return err
	}
	if len(triggers) > 0 {
		return fmt.Errorf("trigger %s: the renderer does not know PostgreSQL triggers: teach it", triggers[0][0])
	}
	return nil
}

func postgresTable(ctx context.Context, db *sql.DB, oid, name string) (schemaTable, error) {
	tb := schemaTable{Name: name}
	cols, err := queryStrings(ctx, db, `SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull::text,
			COALESCE(pg_get_expr(d.adbin, d.adrelid), ''), a.attidentity::text, a.attgenerated::text,
			CASE WHEN a.attcollation <> t.typcollation THEN co.collname ELSE '' END
		FROM pg_attribute a
		JOIN pg_type t ON t.oid = a.atttypid
		LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		LEFT JOIN pg_collation co ON co.oid = a.attcollation
		WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped`, oid)
	if err != nil {
		return tb, err
	}
	for _, c := range cols {
		col := schemaColumn{Name: c[0], Type: c[1], NotNull: c[2] == "true"}
		if c[6] != "" {
			col.Type += ` COLLATE "` + c[6] + `"`
		}
		switch {
		case c[4] == "a":
			col.Extra = "GENERATED ALWAYS AS IDENTITY"
		case c[4] == "d":
			col.Extra = "GENERATED BY DEFAULT AS IDENTITY"
		case c[5] == "s":
			col.Extra = "GENERATED ALWAYS AS (" + c[3] + ") STORED"
		case c[3] != "":
			col.Extra = "default " + c[3]
		}
		tb.Columns = append(tb.Columns, col)
	}

	cons, err := queryStrings(ctx, db, `SELECT conname, contype::text, pg_get_constraintdef(oid)
		FROM pg_constraint WHERE conrelid = $1::oid`, oid)
	if err != nil {
		return tb, err
	}
	for _, c := range cons {
		conname, def := c[0], c[2]
		cut := func(keyword string) string { return conname + " " + strings.TrimPrefix(def, keyword+" ") }
		switch c[1] {
		case "p":
			tb.PrimaryKey = cut("PRIMARY KEY")
		case "u":
			tb.Uniques = append(tb.Uniques, cut("UNIQUE"))
		case "f":
			tb.ForeignKeys = append(tb.ForeignKeys, cut("FOREIGN KEY"))
		case "c":
			tb.Checks = append(tb.Checks, cut("CHECK"))
		case "n": // NOT NULL, shown on its column (PostgreSQL 18 and later)
		default:
			return tb, fmt.Errorf("constraint %s of type %s: the renderer does not know it: teach it", conname, c[1])
		}
	}

	// Indexes that back a primary key or unique constraint are shown as the constraint.
	indexes, err := queryStrings(ctx, db, `SELECT ic.relname, i.indisunique::text, pg_get_indexdef(i.indexrelid)
		FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
		WHERE i.indrelid = $1::oid AND NOT EXISTS (SELECT 1 FROM pg_constraint c
			WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x'))`, oid)
	if err != nil {
		return tb, err
	}
	for _, ix := range indexes {
		_, using, ok := strings.Cut(ix[2], " USING ")
		if !ok {
			return tb, fmt.Errorf("index %s: no USING in %q", ix[0], ix[2])
		}
		def := ix[0] + " USING " + using
		if ix[1] == "true" {
			def = ix[0] + " UNIQUE USING " + using
		}
		tb.Indexes = append(tb.Indexes, def)
	}
	return tb, nil
}
