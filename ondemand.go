package portico

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"
)

// On-demand session states. A session is waiting until its code is redeemed (or it expires), then
// connected while its support agent holds it, in session while a technician's remote session runs on
// it, and ended for good.
const (
	OnDemandWaiting   = "waiting"
	OnDemandConnected = "connected"
	OnDemandInSession = "in_session"
	OnDemandEnded     = "ended"
	OnDemandExpired   = "expired"
)

// OnDemandCodeDigits is the length of an on-demand code.
const OnDemandCodeDigits = 9

// OnDemandSession is an on-demand (quick support) session: a technician's invitation, by a
// single-use code, to a person whose computer Portico does not manage, and what happened to it.
type OnDemandSession struct {
	ID        string `json:"id"`
	AccountID string `json:"account_id"`
	// UserID is the technician who created it ("own" sessions are a technician's own).
	UserID   string `json:"user_id"`
	UserName string `json:"user_name"`
	// Code is the 9-digit code the person gives the support agent; it is shown to technicians who may
	// see the session and is worthless once redeemed or expired.
	Code         string `json:"code"`
	CustomerName string `json:"customer_name"`
	Note         string `json:"note"`
	Email        string `json:"email,omitempty"`
	// Language is the language of the email and the public page's default.
	Language  string     `json:"language"`
	State     string     `json:"state"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	Redeemed  *time.Time `json:"redeemed_at,omitempty"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`
	// EndedBy is technician, end_user or server.
	EndedBy   string `json:"ended_by,omitempty"`
	EndReason string `json:"end_reason,omitempty"`
	// What the support agent reports about the computer.
	ComputerName string `json:"computer_name"`
	OSName       string `json:"os_name"`
	OSVersion    string `json:"os_version"`
	LoggedInUser string `json:"logged_in_user"`
	// Online tells whether the support agent is connected now (to any node).
	Online bool `json:"online"`
	// DeviceID is the managed device the computer became after an install request ("" otherwise).
	DeviceID string `json:"device_id,omitempty"`
}

// Live reports whether the session has not ended or expired.
func (s *OnDemandSession) Live() bool {
	return s.State != OnDemandEnded && s.State != OnDemandExpired
}

// StateAt is the session's state at now: a waiting session past its expiry has expired even before
// the sweep records it.
func (s *OnDemandSession) StateAt(now time.Time) string {
	if s.State == OnDemandWaiting && !now.Before(s.ExpiresAt) {
		return OnDemandExpired
	}
	return s.State
}

// OnDemandInput is what a technician gives when creating an on-demand session; all optional.
type OnDemandInput struct {
	CustomerName string `json:"customer_name,omitempty"`
	Note         string `json:"note,omitempty"`
	// Language is the public page's language for the person.
	Language string `json:"language,omitempty"`
}

// Validate checks the input and returns it tidied (trimmed, the email in its canonical form).
func (in OnDemandInput) Validate(v *Validation) OnDemandInput {
	in.CustomerName = strings.TrimSpace(in.CustomerName)
	in.Note = strings.TrimSpace(in.Note)
	validateOptionalName(v, "customer_name", in.CustomerName, 100)
	validateText(v, "note", in.Note, 1000)
	if in.Language != "" && !validLanguage(in.Language) {
		v.Add("language", "must be one of %s", strings.Join(Languages, ", "))
	}
	return in
}

// OnDemandSettings are an account's on-demand settings (permission on_demand.settings).
type OnDemandSettings struct {
	// CodeMinutes is how long a new code may be redeemed.
	CodeMinutes int `json:"code_minutes" openapi:"required"`
	// Actions are the remote actions on-demand sessions offer at all; a technician's role narrows
	// them further.
	Actions []string `json:"actions" openapi:"required"`
	// RequireApproval makes the person approve every session request (otherwise they approve the
	// first, which starts the session, and later requests run at once).
	RequireApproval bool `json:"require_approval"`
}

// OnDemandActions are the remote actions of an on-demand session, in display order. The permission
// for action X is on_demand.X.
var OnDemandActions = []string{"screen_view", "remote_control", "screenshot", "file_transfer", "terminal",
	"registry", "task_manager", "chat", "message", "clipboard", "blank_screen", "ctrl_alt_del"}

// DefaultOnDemandSettings are the settings of an account that never changed them: every action,
// 20-minute codes, approval of every request.
func DefaultOnDemandSettings() OnDemandSettings {
	return OnDemandSettings{CodeMinutes: 20, Actions: slices.Clone(OnDemandActions), RequireApproval: true}
}

// Validate checks the settings and returns them with actions in display order, without repeats.
func (s OnDemandSettings) Validate(v *Validation) OnDemandSettings {
	if s.CodeMinutes < 5 || s.CodeMinutes > 7*24*60 {
		v.Add("code_minutes", "must be between 5 and 10080 (a week)")
	}
	if s.Actions == nil {
		v.AddMissing("actions", "must list the offered actions (may be empty)")
	}
	for _, a := range s.Actions {
		if !slices.Contains(OnDemandActions, a) {
			v.Add("actions", "%q is not an on-demand action (one of %s)", a, strings.Join(OnDemandActions, ", "))
		}
	}
	out := s
	out.Actions = []string{}
	for _, a := range OnDemandActions {
		if slices.Contains(s.Actions, a) {
			out.Actions = append(out.Actions, a)
		}
	}
	return out
}

// NewOnDemandCode returns a random 9-digit code, uniformly drawn.
func NewOnDemandCode() string {
	const space = 1_000_000_000
	// Reject the top of the 64-bit range that would make some codes likelier than others.
	limit := ^uint64(0) - ^uint64(0)%space
	var b [8]byte
	for {
		_, _ = rand.Read(b[:])
		if n := binary.BigEndian.Uint64(b[:]); n < limit {
			return fmt.Sprintf("%09d", n%space)
		}
	}
}

// NormalizeOnDemandCode strips the spaces and dashes people type between a code's groups; ok is false
// unless exactly 9 digits remain.
func NormalizeOnDemandCode(s string) (code string, ok bool) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ' ' || r == '-':
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			return "", false
		}
	}
	code = b.String()
	return code, len(code) == OnDemandCodeDigits
}

// GroupOnDemandCode shows a code as people read it: "123 456 789".
func GroupOnDemandCode(code string) string {
	if len(code) != OnDemandCodeDigits {
		return code
	}
	return code[:3] + " " + code[3:6] + " " + code[6:]
}
