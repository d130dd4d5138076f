package store

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Device search. A substring query over the device fields is answered on SQLite from the trigram
// index devices_search (migration 0004) and on PostgreSQL from pg_trgm indexes, which the planner
// uses on its own for the LOWER(col) LIKE condition. Both keep the meaning of the plain scan: a
// case-insensitive substring of the name, hostname, IP addresses or logged-in user.

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
// trigrams, it is the substring scan.
func (q *querier) deviceTextCond(ctx context.Context, w *where, text string) error {
	if q.sqlite() && utf8.RuneCountInString(text) >= trigramMinRunes {
		rowids, err := q.searchDeviceRowids(ctx, text, broadMatches+1)
		if err != nil {
			return err
		}
		if len(rowids) <= broadMatches {
			w.conds = append(w.conds, "rowid IN (SELECT value FROM json_each("+fmt.Sprintf("$%d", w.next())+"))")
			w.args = append(w.args, jsonList(rowids))
			return nil
		}
	}
	p := likePattern(text)
	w.add(`(LOWER(name) LIKE ? ESCAPE '\' OR LOWER(hostname) LIKE ? ESCAPE '\' OR LOWER(ip_addresses) LIKE ? ESCAPE '\'
		OR LOWER(logged_in_user) LIKE ? ESCAPE '\')`, p, p, p, p)
	return nil
}

// searchDeviceRowids returns the rowids, across accounts, of up to limit devices whose indexed
// fields contain text (of at least trigramMinRunes characters), ignoring case. SQLite only.
func (q *querier) searchDeviceRowids(ctx context.Context, text string, limit int) ([]int64, error) {
	// A phrase of the whole text: the trigram tokenizer matches it as a substring of one column.
	phrase := `"` + strings.ReplaceAll(text, `"`, `""`) + `"`
	rows, err := q.query(ctx, `SELECT rowid FROM devices_search WHERE devices_search MATCH $1 LIMIT $2`, phrase, limit)
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
