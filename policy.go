package portico

import "time"

// IPAllowEntry is one network of an account's IP allow list, which, when not empty, limits the
// addresses its people may use it from.
type IPAllowEntry struct {
	CIDR        string `json:"cidr"`
	Description string `json:"description"`
}

// LegalDocument is one version of the terms of service or the privacy policy that an account asks
// its users to accept: a version label and either the text itself or the address where it is
// published.
type LegalDocument struct {
	Version   string     `json:"version"`
	Text      string     `json:"text,omitempty"`
	URL       string     `json:"url,omitempty"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}
