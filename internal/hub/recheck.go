package hub

import (
	"context"
	"time"

	"github.com/portico-dev/portico"
)

// accessChanged is called by the app right after an account's access snapshot changed. It only
// signals: recheckLoop does the work.
func (h *Hub) accessChanged(accountID string) {
	h.recheckMu.Lock()
	h.recheckAccounts[accountID] = true
	h.recheckMu.Unlock()
	select {
	case h.recheckSignal <- struct{}{}:
	default:
	}
}

// recheckLoop checks live sessions again: those of an account whose access changed, at once, and
// every session each RecheckEvery, for assignments that expire by themselves.
func (h *Hub) recheckLoop() {
	defer h.wg.Done()
	t := time.NewTicker(h.opts.RecheckEvery)
	defer t.Stop()
	for {
		var accounts map[string]bool // nil: every account
		select {
		case <-h.ctx.Done():
			return
		case <-h.recheckSignal:
			h.recheckMu.Lock()
			accounts = h.recheckAccounts
			h.recheckAccounts = map[string]bool{}
			h.recheckMu.Unlock()
		case <-t.C:
		}
		h.mu.Lock()
		var due []*session
		for _, s := range h.sessions {
			if accounts == nil || accounts[s.grant.Actor.AccountID] {
				due = append(due, s)
			}
		}
		h.mu.Unlock()
		for _, s := range due {
			// The credentials and the address are checked after a change only (they change by writes,
			// which signal); the periodic pass is for assignments that expire by themselves.
			s.recheck(accounts != nil)
		}
	}
}

// recheck asks the engine which of the session's actions its technician may still use: none left
// ends the session, fewer narrows it.
func (s *session) recheck(credentials bool) {
	r := s.record()
	if r.State == portico.RemoteSessionEnded {
		return
	}
	ctx, cancel := context.WithTimeout(s.h.ctx, writeTimeout)
	defer cancel()
	if credentials {
		if ok, reason := s.h.app.ActorStillValid(ctx, s.grant.Actor); !ok {
			go s.end("server", reason)
			return
		}
	}
	allowed, reason := s.h.app.SessionAllowed(ctx, r.AccountID, r.UserID, r.DeviceID, r.Actions)
	if len(allowed) == len(r.Actions) {
		return
	}
	if reason == "permission revoked" && s.deviceMoved(ctx) {
		reason = "device moved"
	}
	if len(allowed) == 0 {
		// The end runs on its own goroutine so that one slow agent does not hold up the others' checks.
		go s.end("server", reason)
		return
	}
	s.narrow(allowed, reason)
}

// deviceMoved reports whether the device is in another group than when the session started.
func (s *session) deviceMoved(ctx context.Context) bool {
	group, err := s.h.app.DeviceGroupID(ctx, s.grant.Device.AccountID, s.deviceID)
	return err == nil && group != s.grant.Device.GroupID
}
