package client

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico-dev/portico"
)

// TestErrorFromAnythingElse reads an answer that is not a problem document (a proxy's page).
func TestErrorFromAnythingElse(t *testing.T) {
	tests := []struct {
		name, body string
		status     int
		retryAfter string
		want       Error
	}{
		{"problem", `{"type":"https://portico.dev/problems/conflict","title":"Conflict","status":409,"detail":"name taken","errors":[{"field":"name","message":"is taken"}]}`,
			409, "", Error{StatusCode: 409, Type: "https://portico.dev/problems/conflict", Title: "Conflict", Detail: "name taken",
				Fields: []portico.FieldError{{Field: "name", Message: "is taken"}}}},
		{"proxy page", "<html>bad gateway</html>", 502, "", Error{StatusCode: 502, Title: "Bad Gateway", Detail: "<html>bad gateway</html>"}},
		{"retry after", `{"type":"https://portico.dev/problems/service_unavailable","title":"Service unavailable","status":503}`, 503, "1",
			Error{StatusCode: 503, Type: "https://portico.dev/problems/service_unavailable", Title: "Service unavailable", RetryAfter: 1e9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tt.status, Header: http.Header{}}
			if tt.retryAfter != "" {
				resp.Header.Set("Retry-After", tt.retryAfter)
			}
			got := errorFrom(resp, []byte(tt.body))
			if diff := cmp.Diff(&tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
