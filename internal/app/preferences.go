package app

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/portico-dev/portico"
)

// Limits of a preference: keys are short names such as "columns.devices", values small JSON documents.
const (
	maxPreferenceKey   = 100
	maxPreferenceValue = 16 << 10
)

// preferenceOwner returns the user whose preferences the actor reads and writes: always their own, so
// no permission is needed and none lets one user see another's.
func preferenceOwner(ac *Actor, key string) (string, error) {
	ac.MarkDecided()
	if ac.Kind != ActorUser || ac.UserID == "" {
		return "", portico.Errorf(portico.KindForbidden, "only a signed-in user has preferences")
	}
	if key == "" || len(key) > maxPreferenceKey {
		return "", invalidField("key", "must be 1 to %d characters", maxPreferenceKey)
	}
	for _, r := range key {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return "", invalidField("key", "may hold only a-z, 0-9, dot, underscore and hyphen")
		}
	}
	return ac.UserID, nil
}

// GetPreference returns the value the signed-in user stored under key, or nil when there is none.
func (a *App) GetPreference(ctx context.Context, ac *Actor, key string) (json.RawMessage, error) {
	userID, err := preferenceOwner(ac, key)
	if err != nil {
		return nil, err
	}
	v, err := a.store.GetPreference(ctx, ac.AccountID, userID, key)
	if err != nil {
		return nil, fmt.Errorf("get preference %s: %w", key, err)
	}
	return v, nil
}

// SetPreference stores a JSON value under key for the signed-in user; a nil value forgets the key
// (back to the default). Preferences are the user's own display choices, so they are not audited.
func (a *App) SetPreference(ctx context.Context, ac *Actor, key string, value json.RawMessage) error {
	userID, err := preferenceOwner(ac, key)
	if err != nil {
		return err
	}
	if value != nil {
		if len(value) > maxPreferenceValue {
			return invalidField("value", "must be at most %d bytes", maxPreferenceValue)
		}
		if !json.Valid(value) {
			return invalidField("value", "must be JSON")
		}
	}
	if err := a.store.SetPreference(ctx, ac.AccountID, userID, key, value, a.now()); err != nil {
		return fmt.Errorf("set preference %s: %w", key, err)
	}
	return nil
}
