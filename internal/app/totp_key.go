package app

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/portico-dev/portico"
)

// The server key seals what the server must read back but no database dump may reveal: TOTP secrets
// (it computes the expected code, so they cannot be hashed like passwords), the directory's bind
// password and the SSO signing key. It seals with AES-256-GCM; the same key, derived apart, signs the
// tokens by which one node of a cluster vouches to another (nodetoken.go). It is kept outside the
// database: a stolen dump, or a backup of it, opens nothing.
//
// Where the key lives:
//   - PORTICO_SEAL_KEY, when set, holds it (32 bytes, standard base64). The nodes of a cluster set the
//     same value. PORTICO_2FA_KEY, its first name, is still read when PORTICO_SEAL_KEY is not set.
//   - Otherwise it is the file seal.key in the data directory, created with mode 0600 at first start;
//     a data directory of an earlier version keeps its 2fa.key, which is read instead.
//
// Losing the key makes every enrolment unusable (users then need a recovery code or an
// administrator's reset), so it belongs in the server's backups, apart from the database's.

// SealKeyEnv is the environment variable that may carry the server key.
const SealKeyEnv = "PORTICO_SEAL_KEY"

// legacySealKeyEnv is SealKeyEnv's first name, still read.
const legacySealKeyEnv = "PORTICO_2FA_KEY"

// sealKeyFile is the key's file name inside the data directory; legacySealKeyFile its first name.
const (
	sealKeyFile       = "seal.key"
	legacySealKeyFile = "2fa.key"
)

// LoadSealKey returns the server key: from PORTICO_SEAL_KEY (or PORTICO_2FA_KEY) when set, else from
// dataDir/seal.key (or an earlier version's dataDir/2fa.key), created (random, mode 0600) when
// missing.
func LoadSealKey(dataDir string) ([]byte, error) {
	for _, env := range []string{SealKeyEnv, legacySealKeyEnv} {
		if v := strings.TrimSpace(os.Getenv(env)); v != "" {
			key, err := base64.StdEncoding.DecodeString(v)
			if err != nil || len(key) != 32 {
				return nil, fmt.Errorf("load the server key: %s must hold 32 bytes in base64", env)
			}
			return key, nil
		}
	}
	if dataDir == "" {
		return nil, fmt.Errorf("load the server key: set %s or a data directory", SealKeyEnv)
	}
	path := filepath.Join(dataDir, sealKeyFile)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if legacy := filepath.Join(dataDir, legacySealKeyFile); fileExists(legacy) {
			path = legacy
		}
	}
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("load the server key: %w", err)
		}
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("load the server key: %w", err)
		}
		// O_EXCL: two processes starting together must not each write their own key.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return LoadSealKey(dataDir)
		}
		if err != nil {
			return nil, fmt.Errorf("load the server key: %w", err)
		}
		_, werr := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return nil, fmt.Errorf("load the server key: write %s: %w", path, werr)
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load the server key: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("load the server key: %s does not hold 32 bytes in base64", path)
	}
	return key, nil
}

// SetSealKey gives the app the 32-byte server key (see LoadSealKey). Without one, enrolling in 2FA
// is refused, signing in with existing enrolments fails, and nodes cannot relay sessions.
func (a *App) SetSealKey(key []byte) error {
	if len(key) != 32 {
		return fmt.Errorf("set the server key: want 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return fmt.Errorf("set the server key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return fmt.Errorf("set the server key: %w", err)
	}
	a.twoFactor.Store(&aead)
	// The same key, through a key derivation of its own, vouches for requests one node relays to
	// another (nodetoken.go): every node of a cluster already shares it.
	nodeKey, err := hkdf.Key(sha256.New, key, nil, "portico node token v1", 32)
	if err != nil {
		return fmt.Errorf("set the server key: %w", err)
	}
	a.nodeKey.Store(&nodeKey)
	return nil
}

func (a *App) twoFactorAEAD() (cipher.AEAD, error) {
	v := a.twoFactor.Load()
	if v == nil {
		return nil, &portico.Error{Kind: portico.KindUnavailable,
			Message: "two-factor authentication is not configured on this server (no server key: set $PORTICO_SEAL_KEY or give a data directory)"}
	}
	return *v, nil
}

// sealSecret encrypts a TOTP secret, bound to its user (the user id is the additional data, so a
// sealed secret copied onto another user's row does not open).
func (a *App) sealSecret(userID, secret string) (string, error) {
	aead, err := a.twoFactorAEAD()
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal 2FA secret: %w", err)
	}
	out := aead.Seal(nonce, nonce, []byte(secret), []byte(userID))
	return "v1:" + base64.StdEncoding.EncodeToString(out), nil
}

// openSecret decrypts what sealSecret produced.
func (a *App) openSecret(userID, sealed string) (string, error) {
	aead, err := a.twoFactorAEAD()
	if err != nil {
		return "", err
	}
	b64, ok := strings.CutPrefix(sealed, "v1:")
	raw, err := base64.StdEncoding.DecodeString(b64)
	if !ok || err != nil || len(raw) < aead.NonceSize() {
		return "", errors.New("open 2FA secret: malformed")
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(userID))
	if err != nil {
		return "", fmt.Errorf("open 2FA secret (wrong server key?): %w", err)
	}
	return string(plain), nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
