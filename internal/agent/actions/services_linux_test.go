package actions

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/portico-dev/portico/internal/protocol"
)

const systemctlOutput = `cron.service                 loaded    active   running Regular background program processing daemon
dbus.service                 loaded    active   running D-Bus System Message Bus
ifup@eth0.service            loaded    active   exited  ifup for eth0
nginx.service                loaded    failed   failed  A high performance web server
ssh.service                  loaded    inactive dead    OpenBSD Secure Shell server
systemd-fsck-root.service    loaded    activating start-pre File System Check on Root Device
`

func TestSystemdServices(t *testing.T) {
	run := &fakeRunner{out: []byte(systemctlOutput)}
	m := systemd{run: run}
	list, err := m.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []protocol.Service{
		{Name: "cron.service", Description: "Regular background program processing daemon", State: "running"},
		{Name: "dbus.service", Description: "D-Bus System Message Bus", State: "running"},
		{Name: "ifup@eth0.service", Description: "ifup for eth0", State: "exited"},
		{Name: "nginx.service", Description: "A high performance web server", State: "failed"},
		{Name: "ssh.service", Description: "OpenBSD Secure Shell server", State: "stopped"},
		{Name: "systemd-fsck-root.service", Description: "File System Check on Root Device", State: "starting"},
	}
	if !reflect.DeepEqual(list, want) {
		t.Fatalf("services:\n got %+v\nwant %+v", list, want)
	}
	if got := strings.Join(run.calls[0], " "); got != "systemctl list-units --type=service --all --no-pager --plain --no-legend" {
		t.Errorf("list command %q", got)
	}
	if err := m.Control(context.Background(), "nginx.service", "restart"); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(run.calls[1], " "); got != "systemctl restart --no-ask-password -- nginx.service" {
		t.Errorf("control command %q", got)
	}
}
