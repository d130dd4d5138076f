package actions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/protocol"
)

// testCommander runs nothing: it records commands, and lookPath finds only the given programs.
func testCommander(installed ...string) (commander, *fakeRunner) {
	run := &fakeRunner{}
	return commander{
		runner: run,
		lookPath: func(name string) (string, error) {
			if slices.Contains(installed, name) {
				return "/usr/bin/" + name, nil
			}
			return "", errors.New("not found")
		},
		wakePort: 9,
	}, run
}

func TestPowerCommandsChooseTheRightProgram(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Linux command choices")
	}
	tests := []struct {
		action    string
		installed []string
		want      string
		wantErr   string
	}{
		{ActionReboot, []string{"systemctl", "shutdown"}, "systemctl reboot", ""},
		{ActionReboot, []string{"shutdown"}, "shutdown -r now", ""},
		{ActionReboot, nil, "", "none of [systemctl shutdown] is installed"},
		{ActionLock, []string{"loginctl", "xdg-screensaver"}, "loginctl lock-sessions", ""},
		{ActionLock, []string{"xdg-screensaver"}, "xdg-screensaver lock", ""},
	}
	for _, tt := range tests {
		t.Run(tt.action+"/"+strings.Join(tt.installed, ","), func(t *testing.T) {
			cm, run := testCommander(tt.installed...)
			res := cm.run(context.Background(), protocol.Command{ID: "c1", Action: tt.action})
			if res.ID != "c1" {
				t.Errorf("result id %q", res.ID)
			}
			if tt.wantErr != "" {
				if res.OK || !strings.Contains(res.Error, tt.wantErr) {
					t.Fatalf("result %+v, want error %q", res, tt.wantErr)
				}
				return
			}
			if !res.OK || len(run.calls) != 1 || strings.Join(run.calls[0], " ") != tt.want {
				t.Fatalf("result %+v, calls %v, want %q", res, run.calls, tt.want)
			}
		})
	}
	cm, run := testCommander("systemctl")
	run.err = errors.New("systemctl: exit status 1: Access denied")
	if res := cm.run(context.Background(), protocol.Command{ID: "c2", Action: ActionReboot}); res.OK || !strings.Contains(res.Error, "Access denied") {
		t.Fatalf("failed reboot reported as %+v", res)
	}
}

func TestCommandRefusals(t *testing.T) {
	cm, run := testCommander("systemctl")
	for action, want := range map[string]string{
		"format_disk":     `unknown action "format_disk"`,
		ActionCtrlAltDel:  "ctrl_alt_del: not supported on this OS",
		ActionBlankScreen: "blank_screen: not supported on this OS",
	} {
		if runtime.GOOS == "windows" && action != "format_disk" {
			continue
		}
		res := cm.run(context.Background(), protocol.Command{ID: "x", Action: action})
		if res.OK || res.Error != want {
			t.Errorf("%s: result %+v, want error %q", action, res, want)
		}
	}
	if len(run.calls) != 0 {
		t.Fatalf("refused commands ran %v", run.calls)
	}
	if res := RunCommand(context.Background(), protocol.Command{ID: "y", Action: "nope"}); res.OK || !strings.Contains(res.Error, "unknown action") {
		t.Fatalf("RunCommand: %+v", res)
	}
}

func TestWakeSendsMagicPacket(t *testing.T) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	cm, _ := testCommander()
	cm.wakePort = pc.LocalAddr().(*net.UDPAddr).Port

	args, _ := json.Marshal(protocol.WakeArgs{MAC: "00:1a:2b:3c:4d:5e", Broadcast: "127.0.0.1"})
	res := cm.run(context.Background(), protocol.Command{ID: "w", Action: ActionWake, Args: args})
	if !res.OK {
		t.Fatalf("wake: %+v", res)
	}
	var out wakeResult
	if err := json.Unmarshal(res.Result, &out); err != nil || out.SentTo != pc.LocalAddr().String() {
		t.Fatalf("wake result %s (%v)", res.Result, err)
	}
	_ = pc.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 200)
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Repeat([]byte{0xff}, 6)
	for range 16 {
		want = append(want, 0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e)
	}
	if !bytes.Equal(buf[:n], want) {
		t.Fatalf("magic packet %x, want %x", buf[:n], want)
	}

	for _, bad := range []string{`{"mac":"zz"}`, `{}`, `{"mac":"00:1a:2b:3c:4d:5e","broadcast":"nowhere"}`} {
		if res := cm.run(context.Background(), protocol.Command{ID: "w", Action: ActionWake, Args: json.RawMessage(bad)}); res.OK {
			t.Errorf("wake %s accepted", bad)
		}
	}
}

func TestSupported(t *testing.T) {
	got := Supported()
	if !slices.IsSorted(got) {
		t.Errorf("not sorted: %v", got)
	}
	must := []string{ActionFileTransfer, ActionTaskManager, ActionTerminal, ActionReboot, ActionWake}
	mustNot := []string{}
	switch runtime.GOOS {
	case "linux":
		must = append(must, ActionScreenView, ActionRemoteControl, ActionScreenshot, ActionClipboard, ActionLock)
		mustNot = append(mustNot, ActionRegistry, ActionCtrlAltDel, ActionBlankScreen)
	case "windows":
		must = append(must, ActionRegistry, ActionCtrlAltDel, ActionBlankScreen)
	}
	for _, a := range must {
		if !slices.Contains(got, a) {
			t.Errorf("%s missing from %v", a, got)
		}
	}
	for _, a := range mustNot {
		if slices.Contains(got, a) {
			t.Errorf("%s listed on %s", a, runtime.GOOS)
		}
	}
	streams := Streams()
	for name := range streams {
		if !slices.Contains(got, name) {
			t.Errorf("stream %s not in Supported", name)
		}
	}
}

func TestRegistryRefusedOffWindows(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the registry exists here")
	}
	ss := newSession(t, map[string]StreamHandler{ActionRegistry: wrap(ActionRegistry, serveRegistry)})
	s := ss.open(ActionRegistry, nil)
	err := recvEnd(t, s)
	if err == nil || !strings.Contains(err.Error(), "registry: not supported on this OS") {
		t.Fatalf("stream ended with %v", err)
	}
	if err := ss.handlerResult(); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("handler: %v", err)
	}
}
