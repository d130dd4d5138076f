package agent

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico-dev/portico/internal/protocol"
)

func TestDisplayAdaptersFromSysfs(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("card0/device/uevent", "DRIVER=i915\nPCI_CLASS=30000\nPCI_ID=8086:9A49\n")
	write("card0-eDP-1/status", "connected\n")
	write("card0-eDP-1/modes", "1920x1080\n1280x720\n")
	write("card0-HDMI-A-1/status", "disconnected\n")
	write("renderD128/dev", "226:128\n")
	write("version", "drm 1.1.0\n")
	got := displayAdapters(dir)
	want := []protocol.DisplayAdapter{{Name: "card0 (i915 8086:9A49)"}, {Name: "card0 eDP-1", Resolution: "1920x1080"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("displayAdapters (-want +got):\n%s", diff)
	}
}
