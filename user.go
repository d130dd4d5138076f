package portico

import "time"

// UserState is where a user is in their life cycle; it only moves forward.
type UserState string

// User states.
const (
	StateInvited   UserState = "invited"   // configured, but cannot sign in or act
	StateActivated UserState = "activated" // registration complete
)

// UserStatus is whether an activated user may work.
type UserStatus string

// User statuses.
const (
	StatusActive   UserStatus = "active"
	StatusDisabled UserStatus = "disabled"
)

// DisabledReason tells an administrator's choice apart from the plan's seat limit.
type DisabledReason string

// Reasons a user is disabled.
const (
	DisabledByAdmin     DisabledReason = "admin"
	DisabledBySeatLimit DisabledReason = "seat_limit"
)

// User is a technician of an account.
type User struct {
	ID             string         `json:"id"`
	AccountID      string         `json:"account_id"`
	Email          string         `json:"email"`
	Name           string         `json:"name"`
	Owner          bool           `json:"owner"`
	State          UserState      `json:"state"`
	Status         UserStatus     `json:"status"`
	DisabledReason DisabledReason `json:"disabled_reason,omitempty"`
	Language       string         `json:"language"`
	Theme          string         `json:"theme"`
	CreatedAt      time.Time      `json:"created_at"`
	ActivatedAt    *time.Time     `json:"activated_at,omitempty"`
	// PasswordHash is never serialised.
	PasswordHash string `json:"-"`
}

// CanAct reports whether the user may sign in and be granted anything.
func (u *User) CanAct() bool { return u.State == StateActivated && u.Status == StatusActive }

// Validate checks the editable fields.
func (u *User) Validate(v *Validation) {
	ValidateName(v, "name", u.Name, 100)
	if u.Language != "" && !validLanguage(u.Language) {
		v.Add("language", "must be one of en-GB, en-US, de, es, fr, it")
	}
	switch u.Theme {
	case "", "system", "dark", "light":
	default:
		v.Add("theme", "must be system, dark or light")
	}
}

// Languages are the portal languages.
var Languages = []string{"en-GB", "en-US", "de", "es", "fr", "it"}

func validLanguage(l string) bool {
	for _, x := range Languages {
		if x == l {
			return true
		}
	}
	return false
}

// UserGroup is a named set of users (a department); rights given to it apply to every member.
type UserGroup struct {
	ID          string    `json:"id"`
	AccountID   string    `json:"account_id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	MemberIDs   []string  `json:"member_ids"`
	CreatedAt   time.Time `json:"created_at"`
}

// Validate checks the group's fields.
func (g *UserGroup) Validate(v *Validation) {
	ValidateName(v, "name", g.Name, 100)
	validateText(v, "description", g.Description, 250)
}

// Invitation is a single-use, expiring link that lets an invited user complete registration. Only the
// hash of its token is stored.
type Invitation struct {
	ID        string     `json:"id"`
	AccountID string     `json:"account_id"`
	UserID    string     `json:"user_id"`
	Hash      string     `json:"-"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	UsedAt    *time.Time `json:"used_at,omitempty"`
}

// WebSession is a signed-in portal session; the cookie holds a secret whose hash is the session id.
type WebSession struct {
	Hash       string    `json:"-"`
	AccountID  string    `json:"account_id"`
	UserID     string    `json:"user_id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	SourceIP   string    `json:"source_ip"`
	// Method is how the session was opened: SessionPassword or SessionSSO.
	Method string `json:"method"`
}

// How a portal session was opened.
const (
	SessionPassword = "password"
	SessionSSO      = "sso"
)
