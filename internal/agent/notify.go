package agent

import (
	"context"
	"os/exec"
	"runtime"
	"time"
)

// DesktopNotify shows text as a desktop notification where a notifier is installed (notify-send on
// Linux, osascript on macOS). It is best effort: a service usually has no access to the user's
// desktop, and a failure here must never affect the session.
func DesktopNotify(text string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		if _, err := exec.LookPath("osascript"); err != nil {
			return
		}
		cmd = exec.CommandContext(ctx, "osascript", "-e", "on run argv", "-e",
			`display notification (item 1 of argv) with title "Portico"`, "-e", "end run", text)
	default:
		if _, err := exec.LookPath("notify-send"); err != nil {
			return
		}
		cmd = exec.CommandContext(ctx, "notify-send", "--app-name=Portico", "--", "Portico", text)
	}
	_ = cmd.Run() // best effort, see above
}
