package portico

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// Outcome is how an audited attempt ended.
type Outcome string

// Outcomes.
const (
	OutcomeSuccess Outcome = "success"
	OutcomeDenied  Outcome = "denied"
	OutcomeFailed  Outcome = "failed"
)

// AuditEvent is one entry of an account's tamper-evident audit log. Entries form a chain: each
// carries the hash of the one before, so an edited or removed entry breaks every hash after it.
type AuditEvent struct {
	ID         string      `json:"id"`
	AccountID  string      `json:"account_id"`
	Seq        int64       `json:"seq"`
	At         time.Time   `json:"at"`
	ActorType  string      `json:"actor_type"` // user, api_key, agent, system
	ActorID    string      `json:"actor_id,omitempty"`
	ActorName  string      `json:"actor_name,omitempty"`
	Action     AuditAction `json:"action"`
	TargetType string      `json:"target_type,omitempty"`
	TargetID   string      `json:"target_id,omitempty"`
	SourceIP   string      `json:"source_ip,omitempty"`
	Outcome    Outcome     `json:"outcome"`
	Detail     string      `json:"detail,omitempty"`
	PrevHash   string      `json:"prev_hash"`
	Hash       string      `json:"hash"`
}

// ComputeHash returns the hash of the event's content chained to PrevHash. It covers every field but
// Hash itself; times are hashed in UTC at microsecond precision, the precision both databases keep.
func (e *AuditEvent) ComputeHash() string {
	content := struct {
		ID, AccountID                          string
		Seq                                    int64
		At                                     string
		ActorType, ActorID, ActorName, Action  string
		TargetType, TargetID, SourceIP, Detail string
		Outcome                                Outcome
		PrevHash                               string
	}{e.ID, e.AccountID, e.Seq, e.At.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano),
		e.ActorType, e.ActorID, e.ActorName, string(e.Action), e.TargetType, e.TargetID, e.SourceIP, e.Detail,
		e.Outcome, e.PrevHash}
	b, err := json.Marshal(content)
	if err != nil {
		panic(err) // only strings and numbers: cannot fail
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ChainProblem describes the first entry at which an audit chain stops verifying.
type ChainProblem struct {
	AccountID string `json:"account_id"`
	Seq       int64  `json:"seq"`
	EventID   string `json:"event_id,omitempty"`
	Reason    string `json:"reason"`
}

// VerifyChain checks events (one account's, in Seq order from 1) and returns the first problem, or nil.
func VerifyChain(events []AuditEvent) *ChainProblem {
	prev := ""
	for i := range events {
		e := &events[i]
		want := int64(i + 1)
		switch {
		case e.Seq != want:
			return &ChainProblem{e.AccountID, want, e.ID, "entry missing: sequence jumps to " + itoa(int(e.Seq))}
		case e.PrevHash != prev:
			return &ChainProblem{e.AccountID, e.Seq, e.ID, "previous-hash link broken (an earlier entry was removed or edited)"}
		case e.ComputeHash() != e.Hash:
			return &ChainProblem{e.AccountID, e.Seq, e.ID, "content does not match its hash (entry edited)"}
		}
		prev = e.Hash
	}
	return nil
}
