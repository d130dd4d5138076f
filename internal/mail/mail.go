// Package mail sends Portico's email: invitations to join a team and security notices to a user.
// Messages are rendered from embedded, localised templates as plain text with an HTML alternative,
// and delivered over SMTP (see SMTP). The server configuration is one URL:
//
//	smtp://user:pass@host:587?from=portico@example.com&tls=starttls
//
// where the scheme smtps means implicit TLS (usually port 465) and tls= may also be none or tls.
package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Message is one rendered email to one recipient.
type Message struct {
	To      string
	Subject string
	Text    string // the plain-text body
	HTML    string // the HTML alternative; may be empty
}

// Sender delivers messages. Send returns once the server has accepted the message or refused it;
// it honours ctx's deadline.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// TLSMode says how the connection to the SMTP server is protected.
type TLSMode string

// TLS modes.
const (
	TLSNone     TLSMode = "none"     // plain SMTP: only for a relay on the same host or network
	TLSStartTLS TLSMode = "starttls" // upgrade with STARTTLS, which the server must offer
	TLSImplicit TLSMode = "tls"      // TLS from the first byte (SMTPS)
)

// Config is an SMTP server and the sender's address.
type Config struct {
	Host     string
	Port     int
	TLS      TLSMode
	Username string
	Password string
	// From is the sender's address, optionally with a display name ("Portico <portico@example.com>").
	From string
	// Timeout bounds one delivery (connect, greet, send); zero means DefaultTimeout.
	Timeout time.Duration
	// TLSConfig, when set, replaces the default TLS settings (for a private CA).
	TLSConfig *tls.Config
}

// DefaultTimeout bounds one delivery when the configuration gives none.
const DefaultTimeout = 15 * time.Second

// ParseURL reads an SMTP configuration from a URL of the form
// smtp[s]://[user[:pass]@]host[:port]?from=ADDRESS[&tls=none|starttls|tls][&timeout=15s].
// smtp:// defaults to STARTTLS on port 587, smtps:// to implicit TLS on port 465.
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, fmt.Errorf("smtp url: %w", err)
	}
	var c Config
	switch u.Scheme {
	case "smtp":
		c.TLS, c.Port = TLSStartTLS, 587
	case "smtps":
		c.TLS, c.Port = TLSImplicit, 465
	default:
		return Config{}, fmt.Errorf("smtp url: scheme must be smtp or smtps, not %q", u.Scheme)
	}
	c.Host = u.Hostname()
	if c.Host == "" {
		return Config{}, errors.New("smtp url: the host is missing")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Config{}, fmt.Errorf("smtp url: bad port %q", p)
		}
		c.Port = n
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	q := u.Query()
	for k := range q {
		switch k {
		case "from", "tls", "timeout":
		default:
			return Config{}, fmt.Errorf("smtp url: unknown parameter %q (want from, tls, timeout)", k)
		}
	}
	if t := q.Get("tls"); t != "" {
		switch TLSMode(t) {
		case TLSNone, TLSStartTLS, TLSImplicit:
			c.TLS = TLSMode(t)
		default:
			return Config{}, fmt.Errorf("smtp url: tls must be none, starttls or tls, not %q", t)
		}
	}
	if t := q.Get("timeout"); t != "" {
		d, err := time.ParseDuration(t)
		if err != nil || d <= 0 {
			return Config{}, fmt.Errorf("smtp url: bad timeout %q", t)
		}
		c.Timeout = d
	}
	c.From = q.Get("from")
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Validate checks that the configuration can be used.
func (c Config) Validate() error {
	if c.Host == "" {
		return errors.New("smtp: the host is missing")
	}
	if c.Port < 1 || c.Port > 65535 {
		return fmt.Errorf("smtp: bad port %d", c.Port)
	}
	switch c.TLS {
	case TLSNone, TLSStartTLS, TLSImplicit:
	default:
		return fmt.Errorf("smtp: tls must be none, starttls or tls, not %q", c.TLS)
	}
	if c.From == "" {
		return errors.New("smtp: the sender address (from=) is missing")
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		return fmt.Errorf("smtp: bad sender address %q: %w", c.From, err)
	}
	if c.Password != "" && c.Username == "" {
		return errors.New("smtp: a password needs a user name")
	}
	return nil
}

// String describes the configuration without its password, for logs.
func (c Config) String() string {
	user := ""
	if c.Username != "" {
		user = c.Username + "@"
	}
	return fmt.Sprintf("smtp://%s%s:%d (tls=%s, from %s)", user, c.Host, c.Port, c.TLS, c.From)
}

// validRecipient reports whether to is one plain address, so that no header can be injected.
func validRecipient(to string) error {
	if strings.ContainsAny(to, "\r\n") {
		return errors.New("recipient contains a line break")
	}
	a, err := mail.ParseAddress(to)
	if err != nil {
		return fmt.Errorf("bad recipient %q: %w", to, err)
	}
	if a.Address != to {
		return fmt.Errorf("recipient %q must be a plain address", to)
	}
	return nil
}
