package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/portico-dev/portico"
)

// A node token is how one node vouches, to the node holding a device's agent, for the technician
// whose session request it relays there (the technician reached one node, the agent another). It
// carries the actor as the first node authenticated it, is bound to the request's method and path,
// lasts nodeTokenLifetime, and is signed with a key every node derives from the shared server key.
// The receiving node decides the request itself, on its own copy of the account's access, at least
// at the revision the first node had seen.

// NodeTokenScheme is the Authorization scheme of a node token.
const NodeTokenScheme = "PorticoNode"

const nodeTokenLifetime = 30 * time.Second

type nodeTokenClaims struct {
	Kind        ActorKind            `json:"kind"`
	AccountID   string               `json:"account_id"`
	UserID      string               `json:"user_id"`
	Name        string               `json:"name"`
	APIKeyID    string               `json:"api_key_id,omitempty"`
	KeyPerms    []portico.Permission `json:"key_permissions,omitempty"`
	Narrowed    bool                 `json:"narrowed,omitempty"`
	SourceIP    string               `json:"source_ip"`
	ViaSSO      bool                 `json:"via_sso,omitempty"`
	MinRevision int64                `json:"min_revision,omitempty"`
	Method      string               `json:"method"`
	Path        string               `json:"path"`
	Expires     int64                `json:"exp"`
}

func (a *App) nodeMAC(payload []byte) ([]byte, error) {
	k := a.nodeKey.Load()
	if k == nil {
		return nil, &portico.Error{Kind: portico.KindUnavailable,
			Message: "this server has no server key ($PORTICO_SEAL_KEY), which nodes need to relay sessions to each other"}
	}
	m := hmac.New(sha256.New, *k)
	m.Write(payload)
	return m.Sum(nil), nil
}

// NodeToken vouches for ac's request (method and path with query) to another node.
func (a *App) NodeToken(ac *Actor, method, path string) (string, error) {
	c := nodeTokenClaims{Kind: ac.Kind, AccountID: ac.AccountID, UserID: ac.UserID, Name: ac.Name, APIKeyID: ac.APIKeyID,
		SourceIP: ac.SourceIP, ViaSSO: ac.ViaSSO, MinRevision: max(ac.MinRevision, ac.Revision()), Method: method, Path: path,
		Expires: a.now().Add(nodeTokenLifetime).Unix()}
	if ac.KeyPermissions != nil {
		c.Narrowed, c.KeyPerms = true, ac.KeyPermissions.List()
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("node token: %w", err)
	}
	mac, err := a.nodeMAC(payload)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString(payload) + "." + enc.EncodeToString(mac), nil
}

// AuthenticateNodeToken checks a node token for the request it arrived with and returns the actor it
// vouches for, marked Relayed. A user who can no longer act is refused by the decisions that follow,
// as for any request; an API key revoked meanwhile is refused here.
func (a *App) AuthenticateNodeToken(ctx context.Context, token, method, path string) (*Actor, error) {
	unauth := portico.Errorf(portico.KindUnauthenticated, "invalid node token")
	enc := base64.RawURLEncoding.Strict()
	p64, m64, ok := strings.Cut(token, ".")
	payload, err1 := enc.DecodeString(p64)
	mac, err2 := enc.DecodeString(m64)
	if !ok || err1 != nil || err2 != nil {
		return nil, unauth
	}
	want, err := a.nodeMAC(payload)
	if err != nil {
		return nil, err
	}
	if !hmac.Equal(mac, want) {
		return nil, unauth
	}
	var c nodeTokenClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, unauth
	}
	if c.Method != method || c.Path != path || a.now().Unix() > c.Expires {
		return nil, unauth
	}
	if c.Kind != ActorUser && c.Kind != ActorAPIKey {
		return nil, unauth
	}
	ac := &Actor{Kind: c.Kind, AccountID: c.AccountID, UserID: c.UserID, Name: c.Name, APIKeyID: c.APIKeyID,
		SourceIP: c.SourceIP, ViaSSO: c.ViaSSO, MinRevision: c.MinRevision, Relayed: true}
	if c.Narrowed {
		s := portico.NewPermissionSet(knownPermissions(c.KeyPerms)...)
		ac.KeyPermissions = &s
	}
	if ok, _ := a.ActorStillValid(ctx, ac); !ok {
		return nil, unauth
	}
	authenticated(ctx)
	return ac, nil
}

// knownPermissions drops ids this version does not know.
func knownPermissions(ps []portico.Permission) []portico.Permission {
	out := ps[:0:0]
	for _, p := range ps {
		if _, ok := portico.LookupPermission(p); ok {
			out = append(out, p)
		}
	}
	return out
}
