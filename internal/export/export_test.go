package export

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

var generated = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)

func sample(rows int) Table {
	t := Table{Title: "Devices — Zürich office", Columns: []string{"Status", "Name", "Hostname", "Logged-in user"}, Generated: generated}
	for i := range rows {
		t.Rows = append(t.Rows, []string{"Available", fmt.Sprintf("Poste de réception %d", i), fmt.Sprintf("host-%04d", i), "José Núñez"})
	}
	return t
}

func TestCSVRoundTrip(t *testing.T) {
	in := Table{Title: "x", Columns: []string{"Name", "Note"}, Rows: [][]string{
		{"Café ünïcödé", "line one\nline two"},
		{`quote "inside"`, "comma, separated"},
		{"", "trailing"},
	}}
	var buf bytes.Buffer
	if err := CSV(&buf, in); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if !bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		t.Fatalf("no UTF-8 byte-order mark: %q", b[:min(len(b), 8)])
	}
	if !bytes.Contains(b, []byte("\r\n")) {
		t.Error("lines do not end with CRLF")
	}
	got, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := append([][]string{in.Columns}, in.Rows...)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("round trip:\n got %q\nwant %q", got, want)
	}
}

func TestCSVDefusesFormulas(t *testing.T) {
	cases := []struct{ in, want string }{
		{"=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"},
		{"+1+1", "'+1+1"},
		{"-2", "'-2"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"plain", "plain"},
		{"a=b", "a=b"},
		{"", ""},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		if err := CSV(&buf, Table{Columns: []string{"c", "d"}, Rows: [][]string{{c.in, "x"}}}); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(bytes.NewReader(buf.Bytes()[3:])).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if rows[1][0] != c.want {
			t.Errorf("%q exported as %q, want %q", c.in, rows[1][0], c.want)
		}
	}
}

func TestFilename(t *testing.T) {
	cases := []struct{ title, format, want string }{
		{"Devices — Zürich office", "csv", "Devices-Zürich-office-2026-03-14.csv"},
		{"../../etc/passwd", "pdf", "etc-passwd-2026-03-14.pdf"},
		{"", "csv", "export-2026-03-14.csv"},
		{`a"b;c`, "csv", "a-b-c-2026-03-14.csv"},
	}
	for _, c := range cases {
		if got := Filename(Table{Title: c.title, Generated: generated}, c.format); got != c.want {
			t.Errorf("Filename(%q) = %q, want %q", c.title, got, c.want)
		}
	}
}

// pageObjects matches page objects and not the page tree ("/Type /Pages").
var pageObjects = regexp.MustCompile(`/Type /Page[^s]`)

func TestPDF(t *testing.T) {
	var buf bytes.Buffer
	if err := PDF(&buf, sample(3)); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", buf.Bytes()[:8])
	}
	if n := len(pageObjects.FindAll(buf.Bytes(), -1)); n != 1 {
		t.Errorf("3 rows on %d pages, want 1", n)
	}
	if !bytes.Contains(buf.Bytes(), []byte("/BaseFont /utf8dejavu")) || !bytes.Contains(buf.Bytes(), []byte("/FontFile2")) {
		t.Error("the DejaVu font is not embedded")
	}
}

func TestPDFLongTableRepeatsPagesAndHeader(t *testing.T) {
	const rows = 200
	var buf bytes.Buffer
	if err := writePDF(&buf, sample(rows), false); err != nil {
		t.Fatal(err)
	}
	// One page holds (190 mm − title − footer) / 5.5 mm ≈ 30 rows: 200 rows take 7 pages.
	n := len(pageObjects.FindAll(buf.Bytes(), -1))
	if n < 6 || n > 8 {
		t.Fatalf("%d rows on %d pages, want about 7", rows, n)
	}
	// Uncompressed, UTF-8 text is written as UTF-16 code units: look for the heading and an accented cell.
	if got := bytes.Count(buf.Bytes(), utf16BE("Logged-in user")); got != n {
		t.Errorf("heading row on %d of %d pages", got, n)
	}
	if !bytes.Contains(buf.Bytes(), utf16BE("José Núñez")) {
		t.Error("the accented cell is missing")
	}
	if !bytes.Contains(buf.Bytes(), utf16BE(fmt.Sprintf("%d / %d", n, n))) {
		t.Error("the last page number is missing")
	}
}

func TestPDFTruncatesLongCells(t *testing.T) {
	long := strings.Repeat("verylongword ", 60)
	tb := Table{Title: "t", Columns: []string{"A", "B", "C"}, Rows: [][]string{{long, long, long}}}
	var buf bytes.Buffer
	if err := writePDF(&buf, tb, false); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), utf16BE("…")) {
		t.Error("a cell too long for its column has no ellipsis")
	}
	if bytes.Contains(buf.Bytes(), utf16BE(strings.TrimSpace(long))) {
		t.Error("a cell too long for its column was written whole")
	}
}

// utf16BE encodes s as fpdf writes UTF-8 text in an uncompressed content stream (with its escapes).
func utf16BE(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		for _, c := range []byte{byte(u >> 8), byte(u)} {
			switch c {
			case '\\', '(', ')':
				b = append(b, '\\', c)
			case '\r':
				b = append(b, '\\', 'r')
			default:
				b = append(b, c)
			}
		}
	}
	return b
}

func BenchmarkPDF1000Rows(b *testing.B) {
	t := sample(1000)
	for b.Loop() {
		var buf bytes.Buffer
		if err := PDF(&buf, t); err != nil {
			b.Fatal(err)
		}
	}
}
