package actions

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// runner runs external programs. Commands that would reboot or lock the machine go through it, so
// that tests can check the exact command chosen without running it.
type runner interface {
	// Output runs name with args and returns its standard output; a non-zero exit is an error
	// that carries the program's standard error.
	Output(ctx context.Context, name string, args ...string) ([]byte, error)
}

// execRunner runs programs for real.
type execRunner struct{}

func (execRunner) Output(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return out, fmt.Errorf("%s: %w: %s", name, err, truncate(msg, 512))
		}
		return out, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}
