package portal

import "testing"

func TestSafeNextStaysOnSite(t *testing.T) {
	cases := map[string]string{
		"":                        "/",
		"/devices?group=g1":       "/devices?group=g1",
		"/groups/g1?tab=settings": "/groups/g1?tab=settings",
		"//evil.example":          "/",
		"/\\evil.example/x":       "/",
		"\\\\evil.example":        "/",
		"/\t/evil.example":        "/",
		"/\n/evil.example":        "/",
		"https://evil.example":    "/",
		"evil.example":            "/",
		"javascript:alert(1)":     "/",
		"/%5Cevil.example":        "/%5Cevil.example", // stays a path: a browser does not decode it into a host
	}
	for in, want := range cases {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
