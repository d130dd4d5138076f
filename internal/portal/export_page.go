package portal

import (
	"bytes"
	"mime"
	"net/http"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/export"
)

// sendTable answers a table page's ?format=csv|pdf: the table as a download named after its title and
// date. Any other format is refused as invalid input. The file is built in memory first so that a
// failure still answers with an error page rather than half a file.
func (q *request) sendTable(t export.Table, format string) error {
	if t.Generated.IsZero() {
		t.Generated = time.Now()
	}
	var buf bytes.Buffer
	var ctype string
	switch format {
	case "csv":
		ctype = "text/csv; charset=utf-8"
		if err := export.CSV(&buf, t); err != nil {
			return err
		}
	case "pdf":
		ctype = "application/pdf"
		if err := export.PDF(&buf, t); err != nil {
			return err
		}
	default:
		return portico.Errorf(portico.KindInvalid, "unknown export format %q: use csv or pdf", format)
	}
	h := q.w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": export.Filename(t, format)}))
	h.Set("Cache-Control", "no-store")
	q.w.WriteHeader(http.StatusOK)
	// Once the answer has begun, a failure (a client gone, or cut off by the write deadline for reading
	// too slowly) can only end it; there is no error page to send.
	if _, err := buf.WriteTo(q.w); err != nil {
		q.p.log.Info("export not delivered", "path", q.r.URL.Path, "err", err)
	}
	return nil
}

// exportFormat is the ?format= a table page was asked for, "" for the page itself.
func (q *request) exportFormat() string { return q.r.URL.Query().Get("format") }
