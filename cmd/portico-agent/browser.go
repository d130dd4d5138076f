package main

import (
	"log/slog"
	"os/exec"
	"runtime"
)

// openBrowser opens url in the person's browser. Only starting the opener can fail here; how it ends
// is logged.
func openBrowser(url string, log *slog.Logger) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	case "darwin":
		cmd = exec.Command("open", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() {
		if err := cmd.Wait(); err != nil {
			log.Warn("could not open the browser", "opener", cmd.Path, "err", err)
		}
	}()
	return nil
}
