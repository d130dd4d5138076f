package hub

import (
	"errors"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/portico-dev/portico/internal/app"
)

// RelaySession serves a technician's session request whose device's agent is connected to another
// node: the request goes on, as it came, to that node (at nodeURL), which authorizes it again and
// runs the session; this node then copies the WebSocket's bytes both ways. Flow control holds end to
// end: each copy writes before it reads again, so a slow side stops the other through TCP.
//
// The technician's credentials stay here: the other node gets a node token (app.NodeToken) that
// vouches for the actor, bound to this request.
func (h *Hub) RelaySession(w http.ResponseWriter, r *http.Request, nodeURL, token string) {
	target, err := url.Parse(nodeURL)
	if err != nil || target.Host == "" {
		h.log.Error("relay a session: the node's address is not a URL", "url", nodeURL, "err", err)
		http.Error(w, "the server holding the device's connection has no usable address", http.StatusBadGateway)
		return
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			// The other node checks the browser's Origin against Host, as this one did.
			pr.Out.Host = pr.In.Host
			pr.Out.Header.Del("Cookie")
			pr.Out.Header.Set("Authorization", app.NodeTokenScheme+" "+token)
			pr.Out.Header.Del(app.MinRevisionHeader) // carried in the token
		},
		Transport:     h.nodeTransport,
		FlushInterval: -1,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, http.ErrAbortHandler) {
				return
			}
			h.log.Warn("relay a session to another node", "node_url", nodeURL, "err", err)
			http.Error(w, "the server holding the device's connection does not answer", http.StatusBadGateway)
		},
	}
	rp.ServeHTTP(w, r)
}

// newNodeTransport is the HTTP client transport to other nodes: short connection setup, no
// connection reuse limits that a long-lived WebSocket would hit.
func newNodeTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = 30 * time.Second
	t.DisableCompression = true
	return t
}
