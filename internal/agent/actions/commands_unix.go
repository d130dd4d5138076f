//go:build !windows

package actions

import (
	"context"
	"encoding/json"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// osCommands lists the commands this OS supports besides wake.
func osCommands() map[string]commandFunc {
	m := map[string]commandFunc{ActionReboot: reboot}
	if runtime.GOOS == "linux" {
		m[ActionLock] = lock
	}
	return m
}

func reboot(ctx context.Context, cm commander, _ json.RawMessage) (any, error) {
	if runtime.GOOS == "darwin" {
		return nil, cm.runFirst(ctx, []string{"shutdown", "-r", "now"})
	}
	return nil, cm.runFirst(ctx, []string{"systemctl", "reboot"}, []string{"shutdown", "-r", "now"})
}

func lock(ctx context.Context, cm commander, _ json.RawMessage) (any, error) {
	return nil, cm.runFirst(ctx, []string{"loginctl", "lock-sessions"}, []string{"xdg-screensaver", "lock"})
}

// allowBroadcast lets a UDP socket send to a broadcast address.
func allowBroadcast(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_BROADCAST, 1)
	})
	if err != nil {
		return err
	}
	return serr
}
