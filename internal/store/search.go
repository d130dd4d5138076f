package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Device search. A query matches a device when its case-folded text is a substring of the case-folded
// name, hostname, one IP address or logged-in user. The store keeps those folded forms in the columns
// search_name, search_hostname, search_ips and search_user (migration 0011), written with the fields on
// every write, so that both databases compare the same text whatever their own idea of case: SQLite's
// LOWER folds ASCII only, PostgreSQL's follows the database's locale. On SQLite a query is answered
// from the trigram index devices_search over those columns (migration 0012); on PostgreSQL from pg_trgm
// indexes on them, which the planner uses on its own for the LIKE condition.

// ipSeparator separates a device's IP addresses in search_ips. No IP address contains it, so a query
// that does cannot match an address and never searches that column: a match cannot straddle two
// addresses, and nothing of the stored list's encoding can match.
const ipSeparator = "\n"

// searchFold is the form in which device search compares text: full Unicode case folding ("Über" and
// "ÜBER" are "über", "Straße" is "strasse"), then NFC, so that a composed "Ü" and a "U" followed by a
// combining diaeresis are the same text.
func searchFold(s string) string {
	if isASCII(s) {
		return strings.ToLower(s) // what folding and NFC amount to for ASCII, at a fraction of the cost
	}
	return norm.NFC.String(cases.Fold().String(s)) // a Caser is not safe for concurrent use: one per call
}

// isASCII reports whether s holds ASCII only.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// searchIPs is the search_ips value of a device's IP addresses.
func searchIPs(ips []string) string {
	return searchFold(strings.Join(ips, ipSeparator))
}

// deviceSearchCols returns the folded columns a folded query is looked for in.
func deviceSearchCols(folded string) []string {
	if strings.Contains(folded, ipSeparator) {
		return []string{"search_name", "search_hostname", "search_user"}
	}
	return []string{"search_name", "search_hostname", "search_ips", "search_user"}
}

// trigramMinRunes is the shortest text a trigram index can answer; shorter texts scan.
const trigramMinRunes = 3

// broadMatches is how many index matches make a text broad. A broad text ("dev" on an account named
// device-000001…) matches so many devices that reading them all through the index and sorting them
// costs more than walking the name-ordered index and stopping once a page is full, which finds one
// match every few rows. A variable only so that tests can reach the broad case with a few devices.
var broadMatches = 1000

// deviceTextCond adds to w the condition that a device matches text. On SQLite it first asks the
// trigram index for up to broadMatches+1 matching rowids: if there are fewer (the usual case as the
// user types a selective text), the condition names them; otherwise, or for a text too short for
// trigrams, it is the substring scan. Both compare the same folded columns with the same folded text,
// so they give the same answer.
func (q *querier) deviceTextCond(ctx context.Context, w *where, text string) error {
	folded := searchFold(text)
	cols := deviceSearchCols(folded)
	if q.sqlite() && utf8.RuneCountInString(folded) >= trigramMinRunes {
		rowids, err := q.searchDeviceRowids(ctx, folded, cols, broadMatches+1)
		if err != nil {
			return err
		}
		if len(rowids) <= broadMatches {
			w.conds = append(w.conds, "rowid IN (SELECT value FROM json_each("+fmt.Sprintf("$%d", w.next())+"))")
			w.args = append(w.args, jsonList(rowids))
			return nil
		}
	}
	// The columns are folded already: LIKE need not fold them again (SQLite's LIKE ignores ASCII case,
	// which folded text no longer has; PostgreSQL's is exact).
	p := likeSubstring(folded)
	conds := make([]string, len(cols))
	args := make([]any, len(cols))
	for i, c := range cols {
		conds[i] = c + ` LIKE ? ESCAPE '\'`
		args[i] = p
	}
	w.add("("+strings.Join(conds, " OR ")+")", args...)
	return nil
}

// searchDeviceRowids returns the rowids, across accounts, of up to limit devices whose columns cols
// contain folded (of at least trigramMinRunes characters). SQLite only: the trigram index is case
// sensitive, as it holds folded text only.
func (q *querier) searchDeviceRowids(ctx context.Context, folded string, cols []string, limit int) ([]int64, error) {
	// A phrase of the whole text, limited to cols: the trigram tokenizer matches it as a substring of
	// one column.
	match := "{" + strings.Join(cols, " ") + `} : "` + strings.ReplaceAll(folded, `"`, `""`) + `"`
	rows, err := q.query(ctx, `SELECT rowid FROM devices_search WHERE devices_search MATCH $1 LIMIT $2`, match, limit)
	if err != nil {
		return nil, fmt.Errorf("search devices: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("search devices: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search devices: %w", err)
	}
	return ids, nil
}

// migrationSteps are the Go steps of migrations, keyed by version: each runs in its migration's
// transaction, after its SQL.
var migrationSteps = map[string]func(context.Context, *Tx) error{
	"0011_device_search_text": fillDeviceSearch,
}

// fillDeviceSearch writes the search columns of the devices that existed before migration 0011 added
// them; the store writes them with every later device write. It runs in the migration's transaction,
// a batch of devices per statement.
func fillDeviceSearch(ctx context.Context, tx *Tx) error {
	rows, err := tx.query(ctx, `SELECT id, name, hostname, ip_addresses, logged_in_user FROM devices`)
	if err != nil {
		return fmt.Errorf("fill device search: %w", err)
	}
	var all [][5]string // id and the four search values
	for rows.Next() {
		var id, name, hostname, user string
		var ips []string
		if err := rows.Scan(&id, &name, &hostname, jsonCol{&ips}, &user); err != nil {
			rows.Close()
			return fmt.Errorf("fill device search: %w", err)
		}
		all = append(all, [5]string{id, searchFold(name), searchFold(hostname), searchIPs(ips), searchFold(user)})
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("fill device search: %w", err)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("fill device search: %w", err)
	}
	stmt := `UPDATE devices SET search_name = j.value->>1, search_hostname = j.value->>2, search_ips = j.value->>3,
		search_user = j.value->>4 FROM json_each($1) AS j WHERE devices.id = j.value->>0`
	if !tx.sqlite() {
		stmt = `UPDATE devices SET search_name = j->>1, search_hostname = j->>2, search_ips = j->>3, search_user = j->>4
			FROM jsonb_array_elements($1::jsonb) AS j WHERE devices.id = j->>0`
	}
	const batch = 1000
	for len(all) > 0 {
		n := min(batch, len(all))
		b, err := json.Marshal(all[:n])
		if err != nil {
			return fmt.Errorf("fill device search: %w", err)
		}
		if _, err := tx.exec(ctx, stmt, string(b)); err != nil {
			return fmt.Errorf("fill device search: %w", err)
		}
		all = all[n:]
	}
	return nil
}
