package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"syscall"

	"golang.org/x/sys/windows"

	"github.com/portico-dev/portico/internal/protocol"
)

// osCommands lists the commands this OS supports besides wake.
func osCommands() map[string]commandFunc {
	return map[string]commandFunc{
		ActionReboot:      reboot,
		ActionLock:        lock,
		ActionCtrlAltDel:  ctrlAltDel,
		ActionBlankScreen: blankScreen,
	}
}

func reboot(ctx context.Context, cm commander, _ json.RawMessage) (any, error) {
	return nil, cm.runFirst(ctx, []string{"shutdown", "/r", "/t", "0"})
}

func lock(ctx context.Context, cm commander, _ json.RawMessage) (any, error) {
	return nil, cm.runFirst(ctx, []string{"rundll32.exe", "user32.dll,LockWorkStation"})
}

// ctrlAltDel sends the secure attention sequence. Windows accepts it only from a service running as
// LocalSystem, and only when the SoftwareSASGeneration policy allows services to send it.
func ctrlAltDel(context.Context, commander, json.RawMessage) (any, error) {
	sas := windows.NewLazySystemDLL("sas.dll").NewProc("SendSAS")
	if err := sas.Find(); err != nil {
		return nil, fmt.Errorf("SendSAS is not available: %w", err)
	}
	sas.Call(0) // SendSAS returns nothing; failures are silent by design of the API.
	return nil, nil
}

const (
	hwndBroadcast  = 0xffff
	wmSysCommand   = 0x0112
	scMonitorPower = 0xF170
)

// blankScreen turns the device's monitors off ({"on": true}) or back on ({"on": false}).
func blankScreen(_ context.Context, _ commander, args json.RawMessage) (any, error) {
	a, err := protocol.DecodeBlankScreenArgs(args)
	if err != nil {
		return nil, err
	}
	state := uintptr(^uintptr(0)) // -1: monitors on
	if a.On {
		state = 2 // monitors off
	}
	if r, _, err := procPostMessageW.Call(hwndBroadcast, wmSysCommand, scMonitorPower, state); r == 0 {
		return nil, fmt.Errorf("PostMessage: %w", err)
	}
	return nil, nil
}

// allowBroadcast lets a UDP socket send to a broadcast address.
func allowBroadcast(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = windows.SetsockoptInt(windows.Handle(fd), windows.SOL_SOCKET, windows.SO_BROADCAST, 1)
	})
	return errors.Join(err, serr)
}
