//go:build !windows

package main

import (
	"context"
	"fmt"
	"io"
)

func isWindowsService() bool { return false }

func runService(func(ctx context.Context) int) int { return 1 }

func serviceLogWriter(string) io.Writer { return io.Discard }

func installService(_ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "portico-agent install-service: Windows only; on Linux install packaging/systemd/portico-agent.service, "+
		"on macOS a launchd job running `portico-agent run`")
	return 2
}

func uninstallService(_ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "portico-agent uninstall-service: Windows only")
	return 2
}
