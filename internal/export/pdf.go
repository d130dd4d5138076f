package export

import (
	_ "embed"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
)

// The DejaVu fonts cover the Latin, Greek and Cyrillic scripts of every language the portal speaks;
// fpdf embeds only the glyphs a document uses. Licence: fonts/LICENSE.
var (
	//go:embed fonts/DejaVuSans.ttf
	fontRegular []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	fontBold []byte
)

// Page geometry in millimetres: landscape A4 with 10 mm margins.
const (
	pageMargin   = 10.0
	fontSize     = 8.0
	titleSize    = 13.0
	rowHeight    = 5.5
	cellPadding  = 1.2
	minColWidth  = 12.0
	maxColWidth  = 90.0
	sampleRows   = 500 // rows measured to size the columns
	footerHeight = 8.0
)

// PDF writes t as a landscape A4 document: the title and generation time, then the table with its
// heading row repeated at the top of every page, column widths shared out by content, cells too long
// for their column cut with an ellipsis, and "page / pages" at the foot of each page.
func PDF(w io.Writer, t Table) error { return writePDF(w, t, true) }

// writePDF is PDF with the choice of compressing page content, which tests turn off to read the text.
func writePDF(w io.Writer, t Table, compress bool) error {
	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.SetCompression(compress)
	pdf.AddUTF8FontFromBytes("DejaVu", "", fontRegular)
	pdf.AddUTF8FontFromBytes("DejaVu", "B", fontBold)
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("pdf fonts: %w", err)
	}
	pdf.SetTitle(t.Title, true)
	pdf.SetCreator("Portico", true)
	if !t.Generated.IsZero() {
		pdf.SetCreationDate(t.Generated)
	}
	pdf.SetMargins(pageMargin, pageMargin, pageMargin)
	pdf.SetAutoPageBreak(false, pageMargin)
	pdf.AliasNbPages("{nb}")
	pageW, pageH := pdf.GetPageSize()
	pdf.SetFooterFunc(func() {
		pdf.SetY(pageH - pageMargin - footerHeight/2)
		pdf.SetFont("DejaVu", "", fontSize)
		pdf.SetTextColor(90, 90, 90)
		pdf.CellFormat(0, footerHeight/2, fmt.Sprintf("%d / {nb}", pdf.PageNo()), "", 0, "R", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})

	pdf.AddPage()
	pdf.SetFont("DejaVu", "B", titleSize)
	pdf.CellFormat(0, 7, t.Title, "", 1, "L", false, 0, "")
	if !t.Generated.IsZero() {
		pdf.SetFont("DejaVu", "", fontSize)
		pdf.SetTextColor(90, 90, 90)
		pdf.CellFormat(0, 5, t.Generated.Format("2006-01-02 15:04 MST"), "", 1, "L", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	}
	pdf.Ln(2)

	widths := columnWidths(pdf, t, pageW-2*pageMargin)
	header := func() {
		pdf.SetFont("DejaVu", "B", fontSize)
		pdf.SetFillColor(228, 232, 237)
		for i, c := range t.Columns {
			pdf.CellFormat(widths[i], rowHeight+1, fit(pdf, c, widths[i]-2*cellPadding), "1", 0, "L", true, 0, "")
		}
		pdf.Ln(-1)
		pdf.SetFont("DejaVu", "", fontSize)
	}
	header()
	bottom := pageH - pageMargin - footerHeight
	for n, r := range t.Rows {
		if pdf.GetY()+rowHeight > bottom {
			pdf.AddPage()
			header()
		}
		// Alternate shading keeps wide rows readable across the page.
		fill := n%2 == 1
		pdf.SetFillColor(245, 247, 249)
		for i := range t.Columns {
			cell := ""
			if i < len(r) {
				cell = r[i]
			}
			pdf.CellFormat(widths[i], rowHeight, fit(pdf, cell, widths[i]-2*cellPadding), "1", 0, "L", fill, 0, "")
		}
		pdf.Ln(-1)
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("write pdf: %w", err)
	}
	return nil
}

// columnWidths shares the usable width out between the columns in proportion to their widest cell
// (measured on the heading and the first rows), each kept between a floor and a ceiling.
func columnWidths(pdf *fpdf.Fpdf, t Table, usable float64) []float64 {
	n := len(t.Columns)
	if n == 0 {
		return nil
	}
	want := make([]float64, n)
	pdf.SetFont("DejaVu", "B", fontSize)
	for i, c := range t.Columns {
		want[i] = pdf.GetStringWidth(c) + 2*cellPadding
	}
	pdf.SetFont("DejaVu", "", fontSize)
	for ri, r := range t.Rows {
		if ri == sampleRows {
			break
		}
		for i := 0; i < n && i < len(r); i++ {
			if wdt := pdf.GetStringWidth(r[i]) + 2*cellPadding; wdt > want[i] {
				want[i] = wdt
			}
		}
	}
	total := 0.0
	for i := range want {
		want[i] = min(max(want[i], minColWidth), maxColWidth)
		total += want[i]
	}
	// Widen or narrow every column by the same factor so the table spans the page exactly.
	scale := usable / total
	for i := range want {
		want[i] *= scale
	}
	return want
}

// fit returns s cut to the given width with an ellipsis when it is wider; line breaks become spaces.
func fit(pdf *fpdf.Fpdf, s string, width float64) string {
	s = strings.Join(strings.Fields(s), " ")
	if pdf.GetStringWidth(s) <= width {
		return s
	}
	const ellipsis = "…"
	room := width - pdf.GetStringWidth(ellipsis)
	// Binary search for the longest prefix that fits with the ellipsis.
	runes := []rune(s)
	lo, hi := 0, len(runes)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if pdf.GetStringWidth(string(runes[:mid])) <= room {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	out := strings.TrimRightFunc(string(runes[:lo]), unicode.IsSpace)
	if !utf8.ValidString(out) {
		return ellipsis
	}
	return out + ellipsis
}
