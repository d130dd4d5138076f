//go:build !windows

package actions

import (
	"context"
	"encoding/json"
)

// The registry exists on Windows only.
const registrySupported = false

func serveRegistry(context.Context, stream, json.RawMessage) error {
	return unsupported(ActionRegistry)
}
