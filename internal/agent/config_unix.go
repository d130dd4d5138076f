//go:build !windows

package agent

import (
	"fmt"
	"os"
)

// checkPrivate refuses a config file that its group or others may read or write.
func checkPrivate(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("agent config: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("agent config %s is accessible by group or others (mode %#o): it holds the device credential; "+
			"run `chmod 600 %s` (and check who could have read it)", path, perm, path)
	}
	return nil
}
