package sso

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestMetadataClientRefusesLocalAddresses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "<EntityDescriptor/>")
	}))
	defer srv.Close()
	ctx := context.Background()

	if _, err := FetchIdPMetadata(ctx, MetadataClient(true), srv.URL); err != nil {
		t.Fatalf("allowed: %v", err)
	}
	_, port, _ := strings.Cut(strings.TrimPrefix(srv.URL, "http://"), ":")
	for _, tc := range []struct{ url, want string }{
		{srv.URL, "127.0.0.1, a loopback address"},
		{"http://[::ffff:127.0.0.1]:" + port + "/", "a loopback address"},
		{"http://localhost:" + port + "/", "a loopback address"},
		{"http://169.254.169.254/latest/meta-data/", "169.254.169.254, a link-local address"},
		{"http://0.0.0.0:" + port + "/", "an unspecified address"},
		{"http://0.1.2.3:" + port + "/", "an unspecified address"},
	} {
		_, err := FetchIdPMetadata(ctx, metadataClient(false, nil), tc.url)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "paste the metadata XML") {
			t.Errorf("%s: %v, want an error naming %q", tc.url, err, tc.want)
		}
	}
}

// TestMetadataClientThroughProxy: the proxy (the operator's, here on loopback) is dialled, and the
// target is checked before the request since the proxy connects to it.
func TestMetadataClientThroughProxy(t *testing.T) {
	var asked []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.URL.String())
		fmt.Fprint(w, "<EntityDescriptor/>")
	}))
	defer proxy.Close()
	proxyURL, _ := url.Parse(proxy.URL)
	client := metadataClient(false, http.ProxyURL(proxyURL))
	ctx := context.Background()

	// 192.0.2.1 is a documentation address: not local, and never contacted here.
	raw, err := FetchIdPMetadata(ctx, client, "http://192.0.2.1/metadata")
	if err != nil || string(raw) != "<EntityDescriptor/>" {
		t.Fatalf("through the proxy: %q, %v", raw, err)
	}
	if _, err := FetchIdPMetadata(ctx, client, "http://127.0.0.1:9/metadata"); err == nil || !strings.Contains(err.Error(), "a loopback address") {
		t.Errorf("a loopback target through the proxy: %v", err)
	}
	if len(asked) != 1 || asked[0] != "http://192.0.2.1/metadata" {
		t.Errorf("the proxy was asked for %v, want only the documentation address", asked)
	}
}
