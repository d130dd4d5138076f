package server

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestExportsGetTheLongerWriteLimit: the portal's exports and the API's export operations may take
// ExportWrite to send; every other request gets Write.
func TestExportsGetTheLongerWriteLimit(t *testing.T) {
	l := Limits{Write: time.Minute, ExportWrite: 10 * time.Minute}
	for req, want := range map[string]time.Duration{
		"GET /audit?format=jsonl":                         l.ExportWrite,
		"GET /devices?format=csv":                         l.ExportWrite,
		"GET /api/v1/audit-events/export?since=yesterday": l.ExportWrite,
		"GET /api/v1/audit-events?format=csv":             l.Write,
		"GET /audit":                                      l.Write,
		"POST /api/v1/audit-events/export":                l.Write,
	} {
		method, target, _ := strings.Cut(req, " ")
		if got := l.writeLimit(httptest.NewRequest(method, target, nil)); got != want {
			t.Errorf("%s: write limit %v, want %v", req, got, want)
		}
	}
}
