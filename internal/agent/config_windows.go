//go:build windows

package agent

import (
	"fmt"
	"os"
)

// checkPrivate only checks that the file exists: on Windows access is governed by the ACL that
// %ProgramData%\Portico inherits (administrators and SYSTEM), not by Unix mode bits.
func checkPrivate(path string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("agent config: %w", err)
	}
	return nil
}
