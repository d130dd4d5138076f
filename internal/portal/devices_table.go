package portal

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/export"
)

// devicesPageSize is how many devices a table shows per page.
const devicesPageSize = 100

// devicesColumnsKey is the preference under which a user's device-table columns are remembered.
const devicesColumnsKey = "columns.devices"

// devicesColumn is one column a device table can show.
type devicesColumn struct {
	ID string
	// Locked columns cannot be removed (the table would not say which device a row is).
	Locked bool
	// value is the cell's text; status is translated by the caller.
	value func(q *request, d *app.DeviceView) string
}

// devicesColumns are every column, in their default order; devicesDefaultColumns are shown at first.
var devicesColumns = []devicesColumn{
	{ID: "status", Locked: true, value: func(q *request, d *app.DeviceView) string { return q.devicesT("status." + string(d.Status)) }},
	{ID: "name", Locked: true, value: func(_ *request, d *app.DeviceView) string { return d.Name }},
	{ID: "hostname", value: func(_ *request, d *app.DeviceView) string { return d.Hostname }},
	{ID: "os", value: func(_ *request, d *app.DeviceView) string { return strings.TrimSpace(d.OSName + " " + d.OSVersion) }},
	{ID: "ip", value: func(_ *request, d *app.DeviceView) string { return strings.Join(d.IPAddresses, ", ") }},
	{ID: "user", value: func(_ *request, d *app.DeviceView) string { return d.LoggedInUser }},
	{ID: "last_seen", value: func(q *request, d *app.DeviceView) string { return formatTime(q, d.LastSeen, false) }},
	{ID: "group", value: func(q *request, d *app.DeviceView) string {
		if d.Unassigned() {
			return q.devicesT("menu.unassigned")
		}
		return d.GroupName
	}},
	{ID: "type", value: func(_ *request, d *app.DeviceView) string { return d.DeviceType }},
	{ID: "manufacturer", value: func(_ *request, d *app.DeviceView) string { return d.Manufacturer }},
	{ID: "asset_id", value: func(_ *request, d *app.DeviceView) string { return d.AssetID }},
	{ID: "agent_version", value: func(_ *request, d *app.DeviceView) string { return d.AgentVersion }},
}

var devicesDefaultColumns = []string{"status", "name", "hostname", "os", "ip", "user", "last_seen", "group"}

func devicesColumnByID(id string) (devicesColumn, bool) {
	for _, c := range devicesColumns {
		if c.ID == id {
			return c, true
		}
	}
	return devicesColumn{}, false
}

// devicesT is the text of key in the request's language.
func (q *request) devicesT(key string, args ...any) string {
	return q.p.locales.text(q.lang, key, args...)
}

// devicesCleanColumns keeps the known columns of ids once each, in order, and puts back any locked
// column that is missing, so a stored preference can never hide a device's name.
func devicesCleanColumns(ids []string) []string {
	var out []string
	for _, id := range ids {
		if _, ok := devicesColumnByID(id); ok && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	for i := len(devicesColumns) - 1; i >= 0; i-- {
		if c := devicesColumns[i]; c.Locked && !slices.Contains(out, c.ID) {
			out = append([]string{c.ID}, out...)
		}
	}
	return out
}

// devicesUserColumns returns the columns the user chose, or the default set.
func (q *request) devicesUserColumns() ([]string, error) {
	raw, err := q.p.app.GetPreference(q.ctx, q.actor, devicesColumnsKey)
	if err != nil || raw == nil {
		return slices.Clone(devicesDefaultColumns), err
	}
	var ids []string
	if json.Unmarshal(raw, &ids) != nil {
		return slices.Clone(devicesDefaultColumns), nil
	}
	return devicesCleanColumns(ids), nil
}

// devicesSaveColumns is POST /devices/columns: the column chooser's form, the chosen column ids in
// display order (or reset=1 for the default set), then back to the page it came from.
func (q *request) devicesSaveColumns() error {
	if err := q.r.ParseForm(); err != nil {
		return portico.Errorf(portico.KindInvalid, "bad form: %v", err)
	}
	var value json.RawMessage
	if q.r.PostForm.Get("reset") == "" {
		ids := devicesCleanColumns(q.r.PostForm["columns"])
		b, err := json.Marshal(ids)
		if err != nil {
			return err
		}
		value = b
	}
	if err := q.p.app.SetPreference(q.ctx, q.actor, devicesColumnsKey, value); err != nil {
		return err
	}
	return q.redirect(devicesBack(q.r.PostForm.Get("back"), "/"))
}

// devicesBack keeps a return address on this site.
func devicesBack(back, fallback string) string {
	if back == "" {
		return fallback
	}
	return safeNext(back)
}

// devicesChooserColumn is one entry of the column chooser.
type devicesChooserColumn struct {
	ID     string
	Shown  bool
	Locked bool
}

// devicesTable is a device table as a template shows it: the chosen columns, one page of rows and
// what the filters, pager and column chooser need.
type devicesTable struct {
	Columns []string // column ids, in order
	Chooser []devicesChooserColumn
	Rows    []devicesRow
	Total   int
	Page    int
	Pages   int
	// From and To number the rows shown (1-based), for "101–200 of 10,000".
	From, To int
	Status   string
	Q        string
	// Base is the page's path with its other query parameters, for links to other pages and exports.
	Base string
	// Selectable shows select boxes for bulk actions.
	Selectable bool
	// CanMove and CanDelete show the bulk actions.
	CanMove, CanDelete bool
	Back               string
}

// devicesRow is one device of a table.
type devicesRow struct {
	ID     string
	Name   string
	Status string
	Fav    bool
	Cells  []string
}

// PrevURL and NextURL are the pager's links ("" at either end).
func (t *devicesTable) PrevURL() string {
	if t.Page <= 1 {
		return ""
	}
	return t.pageURL(t.Page - 1)
}

// NextURL is the link to the next page, "" on the last.
func (t *devicesTable) NextURL() string {
	if t.Page >= t.Pages {
		return ""
	}
	return t.pageURL(t.Page + 1)
}

// ExportURL is the link that downloads the table (every page) in format.
func (t *devicesTable) ExportURL(format string) string {
	return devicesWithQuery(t.Base, url.Values{"status": {t.Status}, "q": {t.Q}, "format": {format}})
}

func (t *devicesTable) pageURL(n int) string {
	return devicesWithQuery(t.Base, url.Values{"status": {t.Status}, "q": {t.Q}, "page": {strconv.Itoa(n)}})
}

// devicesWithQuery adds the non-empty values to base (which may already hold a query).
func devicesWithQuery(base string, v url.Values) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	qv := u.Query()
	for k, vs := range v {
		if len(vs) > 0 && vs[0] != "" {
			qv.Set(k, vs[0])
		}
	}
	u.RawQuery = qv.Encode()
	return u.String()
}

// devicesListing is what a device table page asks the app for.
type devicesListing struct {
	Query app.DeviceQuery
	// Title names the exported file and heads the PDF.
	Title string
	// Base is the page's own path and fixed query (e.g. "/groups/g1?tab=details").
	Base string
}

// devicesTableFor lists one page of devices for a table page (filters from ?status= and ?q=, page
// from ?page=), or, when ?format= asks for an export, every matching device as a file. The second
// result reports that the export has been sent.
func (q *request) devicesTableFor(l devicesListing) (*devicesTable, bool, error) {
	v := q.r.URL.Query()
	status, text := v.Get("status"), strings.TrimSpace(v.Get("q"))
	pageNo, _ := strconv.Atoi(v.Get("page"))
	pageNo = max(pageNo, 1)
	cols, err := q.devicesUserColumns()
	if err != nil {
		return nil, false, err
	}
	dq := l.Query
	dq.Status, dq.Q = portico.DeviceStatus(status), text
	if format := q.exportFormat(); format != "" {
		return nil, true, q.devicesExport(l, dq, cols, format)
	}
	dq.Page.Limit, dq.Page.Offset = devicesPageSize, (pageNo-1)*devicesPageSize
	page, err := q.p.app.ListDevices(q.ctx, q.actor, dq)
	if err != nil {
		return nil, false, err
	}
	t := &devicesTable{Columns: cols, Total: page.Total, Page: pageNo, Status: status, Q: text, Base: l.Base,
		Pages: max(1, (page.Total+devicesPageSize-1)/devicesPageSize), Back: q.r.URL.RequestURI()}
	if len(page.Devices) > 0 {
		t.From, t.To = dq.Page.Offset+1, dq.Page.Offset+len(page.Devices)
	}
	for _, c := range cols {
		col, _ := devicesColumnByID(c)
		t.Chooser = append(t.Chooser, devicesChooserColumn{ID: c, Shown: true, Locked: col.Locked})
	}
	for _, c := range devicesColumns {
		if !slices.Contains(cols, c.ID) {
			t.Chooser = append(t.Chooser, devicesChooserColumn{ID: c.ID})
		}
	}
	fns := make([]devicesColumn, len(cols))
	for i, c := range cols {
		fns[i], _ = devicesColumnByID(c)
	}
	t.Rows = make([]devicesRow, len(page.Devices))
	for i := range page.Devices {
		d := &page.Devices[i]
		r := devicesRow{ID: d.ID, Name: d.Name, Status: string(d.Status), Fav: d.Favourite, Cells: make([]string, len(fns))}
		for j, c := range fns {
			r.Cells[j] = c.value(q, d)
		}
		t.Rows[i] = r
	}
	return t, false, nil
}

// devicesExportLimit bounds one export: the whole of a large account, page by page.
const devicesExportLimit = 100000

// devicesExport sends every device matching dq, with the user's columns, as CSV or PDF.
func (q *request) devicesExport(l devicesListing, dq app.DeviceQuery, cols []string, format string) error {
	t := export.Table{Title: l.Title, Generated: time.Now()}
	fns := make([]devicesColumn, len(cols))
	for i, c := range cols {
		fns[i], _ = devicesColumnByID(c)
		t.Columns = append(t.Columns, q.devicesT("devices.col."+c))
	}
	const chunk = 1000
	for offset := 0; offset < devicesExportLimit; offset += chunk {
		dq.Page.Limit, dq.Page.Offset = chunk, offset
		page, err := q.p.app.ListDevices(q.ctx, q.actor, dq)
		if err != nil {
			return err
		}
		for i := range page.Devices {
			row := make([]string, len(fns))
			for j, c := range fns {
				row[j] = c.value(q, &page.Devices[i])
			}
			t.Rows = append(t.Rows, row)
		}
		if len(page.Devices) < chunk || offset+chunk >= page.Total {
			break
		}
	}
	return q.sendTable(t, format)
}
