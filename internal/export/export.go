// Package export writes tables — device lists, users, the audit log — as files people take away:
// CSV for spreadsheets and PDF for reading and printing. Both are pure functions of a Table, so every
// page of the portal exports exactly the columns and rows it shows. JSON Lines, for machines such as
// a SIEM, writes records as the API answers them, streamed rather than built as a table.
package export

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
)

// Table is a titled grid of text: the column headings and one slice of cells per row, already in the
// reader's language and formatting.
type Table struct {
	Title     string
	Columns   []string
	Rows      [][]string
	Generated time.Time
}

// utf8BOM tells spreadsheet programs that the file is UTF-8, so accented names are read correctly.
const utf8BOM = "\ufeff"

// CSV writes t as RFC 4180 CSV (CRLF line ends) in UTF-8 with a byte-order mark: the heading row, then
// the rows. A cell that a spreadsheet would take for a formula (starting with = + - @, or a tab or
// carriage return) is prefixed with an apostrophe, so that opening an export cannot run a formula a
// device's agent or a user typed into a name.
func CSV(w io.Writer, t Table) error {
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString(utf8BOM); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	if err := cw.Write(safeRow(t.Columns)); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	for _, r := range t.Rows {
		if err := cw.Write(safeRow(r)); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

func safeRow(r []string) []string {
	out := make([]string, len(r))
	for i, c := range r {
		out[i] = SafeCell(c)
	}
	return out
}

// SafeCell defuses a cell a spreadsheet would evaluate as a formula by prefixing it with an apostrophe.
func SafeCell(c string) string {
	if c == "" {
		return c
	}
	switch c[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + c
	}
	return c
}

// Filename is a safe download name for t in the given format ("csv" or "pdf"): the title's letters and
// digits (accents kept, everything else a hyphen) followed by the generation date.
func Filename(t Table, format string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.TrimSpace(t.Title) {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r > 127 && isLetter(r):
			b.WriteRune(r)
			dash = false
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
		if b.Len() > 80 {
			break
		}
	}
	name := strings.Trim(b.String(), "-")
	if name == "" {
		name = "export"
	}
	day := t.Generated
	if day.IsZero() {
		day = time.Now()
	}
	return name + "-" + day.Format("2006-01-02") + "." + format
}

func isLetter(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
