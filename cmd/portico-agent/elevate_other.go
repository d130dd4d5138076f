//go:build !windows

package main

import (
	"fmt"
	"runtime"
)

// elevationAvailable says why this process cannot restart with administrator rights: only the
// Windows support agent can.
func elevationAvailable() error { return fmt.Errorf("elevation is not available on %s", runtime.GOOS) }

func launchElevated(string, []string) error { return elevationAvailable() }
