package sso

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/portico-dev/portico/internal/egress"
)

// An IdP metadata URL is typed by an account's administrator, and the server fetches it. Left
// unchecked, that lets any account make the server connect to itself (its own API, a database on
// loopback) or to its cloud platform's metadata service (169.254.169.254 hands out instance
// credentials on most clouds). MetadataClient refuses those addresses unless the operator allows
// them. Private networks stay reachable: an IdP on the LAN is normal for a self-hosted server.

// MetadataClient returns the HTTP client that fetches IdP metadata. Unless allowLocal, it refuses to
// connect to loopback, link-local, unspecified (0.0.0.0/8, ::) and multicast addresses. The check is
// made on the address actually dialled, so a DNS answer cannot change it after the fact; through an
// HTTP proxy (HTTP_PROXY, HTTPS_PROXY), which connects on the server's behalf, the target's addresses
// are resolved and checked before the request instead.
func MetadataClient(allowLocal bool) *http.Client {
	return metadataClient(allowLocal, http.ProxyFromEnvironment)
}

func metadataClient(allowLocal bool, proxy func(*http.Request) (*url.URL, error)) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = proxy
	tr.DisableKeepAlives = true // a fetch is rare; nothing is kept open between them
	client := &http.Client{Transport: tr, Timeout: 15 * time.Second}
	if allowLocal {
		return client
	}
	checked := egress.Dialer(10*time.Second, localHint)
	plain := &net.Dialer{Timeout: 10 * time.Second}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if ctx.Value(viaProxy{}) != nil {
			return plain.DialContext(ctx, network, addr) // the proxy itself, chosen by the operator
		}
		return checked.DialContext(ctx, network, addr)
	}
	client.Transport = &guardedTransport{base: tr, proxy: proxy}
	return client
}

// viaProxy marks a request's context when it goes through the operator's proxy.
type viaProxy struct{}

// guardedTransport checks the target of a request that a proxy will connect to.
type guardedTransport struct {
	base  *http.Transport
	proxy func(*http.Request) (*url.URL, error)
}

func (t *guardedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.proxy != nil {
		if p, err := t.proxy(req); err == nil && p != nil {
			addrs, err := net.DefaultResolver.LookupNetIP(req.Context(), "ip", req.URL.Hostname())
			if err != nil {
				return nil, fmt.Errorf("resolve %s: %w", req.URL.Hostname(), err)
			}
			for _, a := range addrs {
				if err := checkAddr(a); err != nil {
					return nil, err
				}
			}
			req = req.WithContext(context.WithValue(req.Context(), viaProxy{}, true))
		}
	}
	return t.base.RoundTrip(req)
}

// checkAddr refuses the addresses MetadataClient does not connect to.
func checkAddr(ip netip.Addr) error {
	if err := egress.Check(ip); err != nil {
		return fmt.Errorf("%w: %s", err, localHint)
	}
	return nil
}

// localHint is what a refusal tells the account's administrator.
const localHint = "paste the metadata XML instead, or have the server started with --allow-local-idp-metadata"
