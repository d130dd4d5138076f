package portico

import (
	"encoding/json"
	"time"
)

// DirectoryJob is one import of users and groups from an account's directory (LDAP, Active
// Directory) and its progress.
type DirectoryJob struct {
	ID        string `json:"id"`
	AccountID string `json:"account_id"`
	StartedBy string `json:"started_by"`
	// State is running, succeeded or failed.
	State string `json:"state"`
	// Phase is what a running job does now: reading (the directory), users, groups, memberships.
	Phase      string          `json:"phase"`
	Processed  int             `json:"processed"`
	Total      int             `json:"total"`
	Result     json.RawMessage `json:"result,omitempty"`
	Error      string          `json:"error,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
	FinishedAt *time.Time      `json:"finished_at,omitempty"`
}
