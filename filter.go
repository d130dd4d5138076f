package portico

import "time"

// The query shapes of lists: which objects, and which window of them. They live here rather than in
// internal/app or internal/store because both speak them: the app takes them from its callers and
// hands them to the store as they are.

// Page selects a window of a list. A Limit of 0 or less means no limit.
type Page struct {
	Limit  int
	Offset int
}

// UserFilter selects users; zero fields match everything.
type UserFilter struct {
	State  UserState
	Status UserStatus
	// Query matches a substring of the name or email, ignoring case.
	Query string
	// IDs, when not nil, keeps only these users.
	IDs []string
	// Limit, when positive, returns at most this many users (the first in order).
	Limit int
}

// DeviceFilter selects devices; zero fields match everything.
type DeviceFilter struct {
	// GroupIDs keeps devices directly in one of these groups; UnassignedGroupID names Unassigned.
	GroupIDs []string
	// IDs keeps only these devices.
	IDs []string
	// Q matches a substring of the name, hostname, one IP address or logged-in user, ignoring case
	// (Unicode case folding).
	Q      string
	Status DeviceStatus
	Page   Page
	// NoTotal skips counting every match, which costs a full pass over them, for callers that show
	// one page without a total (the search bar); the total is then reported as -1.
	NoTotal bool
}

// HistoryFilter selects device history entries; zero fields match everything.
type HistoryFilter struct {
	Action string
	// Since and Until bound the entry time: Since inclusive, Until exclusive.
	Since, Until *time.Time
	Page         Page
}

// AuditFilter selects audit events; zero fields match everything.
type AuditFilter struct {
	ActorID    string
	Action     AuditAction
	TargetType string
	TargetID   string
	Outcome    Outcome
	// Since and Until bound the event time: Since inclusive, Until exclusive.
	Since, Until *time.Time
	// BeforeSeq, when positive, keeps the events before this one in the chain: a cursor for reading
	// the whole log page by page while it grows.
	BeforeSeq int64
	Page      Page
}

// AssignmentFilter selects role assignments; zero fields match everything.
type AssignmentFilter struct {
	RoleID        string
	PrincipalType PrincipalType
	PrincipalID   string
	ScopeType     ScopeType
	ScopeID       string
}

// RemoteSessionFilter selects remote sessions; zero fields match everything.
type RemoteSessionFilter struct {
	// Live keeps the sessions that have not ended.
	Live     bool
	DeviceID string
	Page     Page
}
