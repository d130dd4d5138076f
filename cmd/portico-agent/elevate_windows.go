//go:build windows

package main

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"golang.org/x/sys/windows"
)

// elevationAvailable reports why this process cannot restart with administrator rights, or nil.
func elevationAvailable() error {
	if windows.GetCurrentProcessToken().IsElevated() {
		return errors.New("the support agent already runs with administrator rights")
	}
	return nil
}

// launchElevated starts exe with args and administrator rights: Windows asks the person first (UAC).
// It returns once the new process started, or with an error when the person said no.
func launchElevated(exe string, args []string) error {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = syscall.EscapeArg(a)
	}
	verb, err := windows.UTF16PtrFromString("runas")
	if err != nil {
		return err
	}
	file, err := windows.UTF16PtrFromString(exe)
	if err != nil {
		return err
	}
	params, err := windows.UTF16PtrFromString(strings.Join(quoted, " "))
	if err != nil {
		return err
	}
	if err := windows.ShellExecute(0, verb, file, params, nil, windows.SW_SHOWNORMAL); err != nil {
		if errors.Is(err, windows.ERROR_CANCELLED) {
			return errors.New("the person at the computer did not allow administrator rights")
		}
		return fmt.Errorf("start with administrator rights: %w", err)
	}
	return nil
}
