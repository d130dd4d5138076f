package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
)

// Config is what the agent keeps between runs: where its server is and how it authenticates there.
// It is written by Enroll and read by Run, in a JSON file only its owner may read.
type Config struct {
	// Server is the first server URL, and the only one in config files written before Servers
	// existed. It stays in the file so that an older agent, after a downgrade, still connects.
	Server string `json:"server"`
	// Servers lists every URL when there are several: the nodes of a cluster, any of which accepts
	// the device. Use ServerURLs to read the list and SetServerURLs to change it.
	Servers    []string `json:"servers,omitempty"`
	DeviceID   string   `json:"device_id"`
	Credential string   `json:"credential,omitempty"`
}

// ServerURLs returns the URLs the agent may connect to: Server, then Servers, without repeats.
func (c Config) ServerURLs() []string {
	var urls []string
	for _, u := range append([]string{c.Server}, c.Servers...) {
		if u != "" && !slices.Contains(urls, u) {
			urls = append(urls, u)
		}
	}
	return urls
}

// SetServerURLs replaces the server URLs. A single URL is stored as older agents stored it, in
// Server alone, so that such a config file does not change.
func (c *Config) SetServerURLs(urls []string) {
	c.Server, c.Servers = "", nil
	if len(urls) > 0 {
		c.Server = urls[0]
	}
	if len(urls) > 1 {
		c.Servers = slices.Clone(urls)
	}
}

// ErrNotEnrolled is returned by LoadConfig when the file holds no credential: the agent was never
// enrolled, or the server told it to stop (its device was deleted).
var ErrNotEnrolled = errors.New("agent: not enrolled (no credential in the config file); run `portico-agent enroll`")

// DefaultConfigPath is where the config lives when --config is not given: /etc/portico-agent/agent.json
// for root on Unix, %ProgramData%\Portico\agent.json on Windows, the user's config directory otherwise.
func DefaultConfigPath() string {
	switch {
	case runtime.GOOS == "windows":
		dir := os.Getenv("ProgramData")
		if dir == "" {
			dir = `C:\ProgramData`
		}
		return filepath.Join(dir, "Portico", "agent.json")
	case os.Geteuid() == 0:
		return "/etc/portico-agent/agent.json"
	}
	if dir, err := os.UserConfigDir(); err == nil {
		return filepath.Join(dir, "portico-agent", "agent.json")
	}
	return "portico-agent.json"
}

// NormalizeServerURL checks a server URL and returns it without a trailing slash.
func NormalizeServerURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("server URL %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("server URL %q: must start with https:// (or http:// on a trusted network)", raw)
	}
	if u.Host == "" {
		return "", fmt.Errorf("server URL %q: has no host", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("server URL %q: must not have a query or fragment", raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	return u.String(), nil
}

// ParseServerURLs reads server URLs the way --server takes them: one or more values, each a URL or a
// comma-separated list of URLs. It returns them in order, normalized and without repeats, and names
// the first URL that NormalizeServerURL refuses.
func ParseServerURLs(values ...string) ([]string, error) {
	var urls []string
	for _, v := range values {
		for _, raw := range strings.Split(v, ",") {
			if strings.TrimSpace(raw) == "" {
				continue // a stray comma, as in "https://a,"
			}
			u, err := NormalizeServerURL(raw)
			if err != nil {
				return nil, err
			}
			if !slices.Contains(urls, u) {
				urls = append(urls, u)
			}
		}
	}
	if len(urls) == 0 {
		return nil, errors.New("no server URL given")
	}
	return urls, nil
}

func (c *Config) validate() error {
	urls := c.ServerURLs()
	if len(urls) == 0 {
		return errors.New("no server URL")
	}
	for _, u := range urls {
		if _, err := NormalizeServerURL(u); err != nil {
			return err
		}
	}
	if c.DeviceID == "" {
		return errors.New("no device_id")
	}
	return nil
}

// LoadConfig reads the config file. It refuses a file that group or others can read (on Unix), since
// the credential in it lets anyone impersonate the device, and returns ErrNotEnrolled when the file
// holds no credential.
func LoadConfig(path string) (Config, error) {
	var c Config
	if err := checkPrivate(path); err != nil {
		return c, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("read agent config: %w", err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("agent config %s: %w", path, err)
	}
	if c.Credential == "" {
		return c, ErrNotEnrolled
	}
	if err := c.validate(); err != nil {
		return c, fmt.Errorf("agent config %s: %w", path, err)
	}
	return c, nil
}

// SaveConfig writes the config file with mode 0600, creating its directory (0700) when needed. The file
// is replaced atomically, so a crash never leaves a half-written credential behind.
func SaveConfig(path string, c Config) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("encode agent config: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create config directory: %w", err)
	}
	f, err := os.CreateTemp(dir, ".agent-*.json")
	if err != nil {
		return fmt.Errorf("write agent config: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op after the rename
	if err := f.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		f.Close()
		return fmt.Errorf("write agent config: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("write agent config: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write agent config: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write agent config: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write agent config: %w", err)
	}
	return nil
}

// ClearCredential removes the credential from the config file, keeping the servers and device id for
// the record. The agent does this when the server tells it to stop for good.
func ClearCredential(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("clear credential: %w", err)
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return fmt.Errorf("clear credential: %s: %w", path, err)
	}
	c.Credential = ""
	return SaveConfig(path, c)
}

// WindowAddrPath is the file, next to the config file, where a running agent writes the address of
// its end-user window.
func WindowAddrPath(configPath string) string {
	return filepath.Join(filepath.Dir(configPath), "window.addr")
}
