//go:build !linux && !windows

package actions

// systemServices returns nil: this OS's service manager is not supported.
func systemServices() serviceManager { return nil }
