package authz

import (
	"sync"
	"sync/atomic"
)

// Holder keeps the current snapshot of every loaded account. Readers never block: Get is a lock-free
// map read and an atomic load. Writers of one account are serialised by that account's lock, so an
// Update never loses another's change; writers of different accounts do not wait for each other.
type Holder struct {
	accounts sync.Map // account id → *holderEntry
}

type holderEntry struct {
	mu      sync.Mutex // serialises Set, Update and Delete of this account
	deleted bool       // set by Delete, under mu: the entry is no longer in the map
	snap    atomic.Pointer[Snapshot]
}

// NewHolder returns an empty holder.
func NewHolder() *Holder { return &Holder{} }

// Get returns the account's current snapshot.
func (h *Holder) Get(accountID string) (*Snapshot, bool) {
	e, ok := h.accounts.Load(accountID)
	if !ok {
		return nil, false
	}
	s := e.(*holderEntry).snap.Load()
	return s, s != nil
}

// Set publishes s as the account's snapshot, replacing any other.
func (h *Holder) Set(accountID string, s *Snapshot) {
	for {
		v, _ := h.accounts.LoadOrStore(accountID, &holderEntry{})
		e := v.(*holderEntry)
		e.mu.Lock()
		if e.deleted {
			// A concurrent Delete removed this entry after we loaded it: store into a new one.
			e.mu.Unlock()
			continue
		}
		e.snap.Store(s)
		e.mu.Unlock()
		return
	}
}

// Update replaces the account's snapshot with fn's result, computed from the current one. It does
// nothing when the account has no snapshot, or when fn returns nil. Readers keep seeing the old
// snapshot until the new one is published.
func (h *Holder) Update(accountID string, fn func(*Snapshot) *Snapshot) {
	v, ok := h.accounts.Load(accountID)
	if !ok {
		return
	}
	e := v.(*holderEntry)
	e.mu.Lock()
	defer e.mu.Unlock()
	cur := e.snap.Load()
	if e.deleted || cur == nil {
		return
	}
	if next := fn(cur); next != nil {
		e.snap.Store(next)
	}
}

// Delete forgets the account's snapshot.
func (h *Holder) Delete(accountID string) {
	v, ok := h.accounts.Load(accountID)
	if !ok {
		return
	}
	e := v.(*holderEntry)
	e.mu.Lock()
	e.deleted = true
	e.snap.Store(nil)
	h.accounts.CompareAndDelete(accountID, e) // not a newer entry a concurrent Set made
	e.mu.Unlock()
}
