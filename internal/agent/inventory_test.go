package agent

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shirou/gopsutil/v4/host"

	"github.com/portico-dev/portico/internal/protocol"
)

func TestParseOSRelease(t *testing.T) {
	for _, tc := range []struct {
		file, name, version string
	}{
		{"os-release-debian", "Debian GNU/Linux", "12 (bookworm)"},
		{"os-release-alpine", "Alpine Linux", "3.20.1"},
	} {
		f, err := os.Open(filepath.Join("testdata", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		fields := ParseOSRelease(f)
		f.Close()
		name, version := osNameVersion(fields)
		if name != tc.name || version != tc.version {
			t.Errorf("%s: name, version = %q, %q; want %q, %q", tc.file, name, version, tc.name, tc.version)
		}
		if tc.file == "os-release-debian" {
			if got := fields["BUG_REPORT_URL"]; got != `https://bugs.debian.org/"quoted"` {
				t.Errorf("escaped value = %q", got)
			}
			if got := fields["SUPPORT_URL"]; got != "https://www.debian.org/support" {
				t.Errorf("single-quoted value = %q", got)
			}
			if _, ok := fields["# a comment"]; ok {
				t.Error("comment parsed as a field")
			}
		}
	}
}

func TestParseDpkgStatus(t *testing.T) {
	f, err := os.Open("testdata/dpkg-status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := ParseDpkgStatus(f)
	want := []protocol.Software{
		{Name: "bash", Version: "5.2.15-2+b7", Publisher: "Matthias Klose"},
		{Name: "zlib1g", Version: "1:1.2.13.dfsg-1", Publisher: "Mark Brown"},
		{Name: "curl", Version: "7.88.1-10+deb12u5"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseDpkgStatus (-want +got):\n%s", diff)
	}
}

func TestParseRPMList(t *testing.T) {
	in := "bash\t5.1.8-9.el9\tRed Hat, Inc.\ngpg-pubkey\tfd431d51-4ae0493b\t(none)\nzlib\t1.2.11-40.el9\t(none)\n\nbroken-line\n"
	got := ParseRPMList(strings.NewReader(in))
	want := []protocol.Software{
		{Name: "bash", Version: "5.1.8-9.el9", Publisher: "Red Hat, Inc."},
		{Name: "zlib", Version: "1.2.11-40.el9"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseRPMList (-want +got):\n%s", diff)
	}
}

func TestChassisType(t *testing.T) {
	for code, want := range map[int]string{3: TypeWorkstation, 7: TypeWorkstation, 9: TypeLaptop, 10: TypeLaptop,
		31: TypeLaptop, 17: TypeServer, 23: TypeServer, 1: "", 2: "", 99: ""} {
		if got := chassisType(code); got != want {
			t.Errorf("chassisType(%d) = %q, want %q", code, got, want)
		}
	}
}

func TestPickConsoleUser(t *testing.T) {
	for _, tc := range []struct {
		users []host.UserStat
		want  string
	}{
		{nil, ""},
		{[]host.UserStat{{User: "ops", Terminal: "pts/0"}, {User: "ann", Terminal: ":0"}}, "ann"},
		{[]host.UserStat{{User: "ops", Terminal: "pts/0"}, {User: "bob", Terminal: "tty1"}}, "bob"},
		{[]host.UserStat{{User: "ops", Terminal: "pts/3"}}, "ops"},
		{[]host.UserStat{{User: "", Terminal: ":0"}}, ""},
	} {
		if got := pickConsoleUser(tc.users); got != tc.want {
			t.Errorf("pickConsoleUser(%v) = %q, want %q", tc.users, got, tc.want)
		}
	}
}

func TestRealFileSystem(t *testing.T) {
	for _, tc := range []struct {
		fstype, mount string
		want          bool
	}{
		{"ext4", "/", true},
		{"xfs", "/home", true},
		{"vfat", "/boot/efi", true},
		{"tmpfs", "/tmp", false},
		{"proc", "/proc", false},
		{"overlay", "/var/lib/docker/overlay2/x/merged", false},
		{"squashfs", "/snap/core/1", false},
		{"ext4", "/snap/foo", false},
		{"fuse.sshfs", "/mnt/remote", false},
		{"ext4", "/run/media/usb", false},
	} {
		if got := realFileSystem(tc.fstype, tc.mount); got != tc.want {
			t.Errorf("realFileSystem(%q, %q) = %v, want %v", tc.fstype, tc.mount, got, tc.want)
		}
	}
}

func TestFitInventoryTruncatesSoftwareDeterministically(t *testing.T) {
	var sw []protocol.Software
	for i := 0; i < 5000; i++ {
		// Unsorted on purpose: the kept prefix must not depend on the source order.
		sw = append(sw, protocol.Software{Name: fmt.Sprintf("package-%05d", (i*7919)%5000), Version: "1.0.0-" + strings.Repeat("x", 20),
			Publisher: "Example Maintainers <maintainers@example.org>"})
	}
	inv := protocol.Inventory{Hostname: "h", Software: sw}
	fitInventory(&inv)
	b, err := protocol.EncodeMessage(protocol.MsgInventory, inv)
	if err != nil {
		t.Fatalf("encoded inventory does not fit in a control message: %v", err)
	}
	if len(b) > protocol.MaxControlPayload {
		t.Fatalf("encoded inventory is %d bytes", len(b))
	}
	if n := len(inv.Software); n == 0 || n >= 5000 {
		t.Fatalf("kept %d packages, want a truncated, non-empty list", n)
	}
	if inv.Extra["software_total"] != "5000" || inv.Extra["software_truncated"] != "true" {
		t.Errorf("Extra = %v, want the full count recorded", inv.Extra)
	}
	for i, s := range inv.Software {
		if want := fmt.Sprintf("package-%05d", i); s.Name != want {
			t.Fatalf("software[%d] = %q, want %q (sorted prefix)", i, s.Name, want)
		}
	}
	// Growing by one more element must not fit: the prefix is the largest that does.
	one := inv
	one.Software = append(append([]protocol.Software(nil), inv.Software...), protocol.Software{Name: "package-99999",
		Version: sw[0].Version, Publisher: sw[0].Publisher})
	if encodedSize(&one) <= inventoryBudget {
		t.Errorf("kept %d packages but one more would still fit", len(inv.Software))
	}
}

func TestFitInventoryLeavesSmallInventoryAlone(t *testing.T) {
	inv := protocol.Inventory{Hostname: "h", Software: []protocol.Software{{Name: "b"}, {Name: "a"}}}
	fitInventory(&inv)
	if len(inv.Software) != 2 || inv.Software[0].Name != "a" || inv.Extra["software_truncated"] != "" {
		t.Errorf("small inventory changed: %+v", inv)
	}
}

func TestInventoryFingerprintIgnoresSmallFreeSpaceChanges(t *testing.T) {
	base := protocol.Inventory{Hostname: "h", Storage: []protocol.Disk{{Name: "/dev/sda1", TotalBytes: 100 << 30, FreeBytes: 50 << 30}}}
	grown := base
	grown.Storage = []protocol.Disk{{Name: "/dev/sda1", TotalBytes: 100 << 30, FreeBytes: 50<<30 + 1<<20}}
	if inventoryFingerprint(base) != inventoryFingerprint(grown) {
		t.Error("a 1 MiB change in free space changed the fingerprint")
	}
	full := base
	full.Storage = []protocol.Disk{{Name: "/dev/sda1", TotalBytes: 100 << 30, FreeBytes: 10 << 30}}
	if inventoryFingerprint(base) == inventoryFingerprint(full) {
		t.Error("a 40% change in free space did not change the fingerprint")
	}
	renamed := base
	renamed.Hostname = "h2"
	if inventoryFingerprint(base) == inventoryFingerprint(renamed) {
		t.Error("a new hostname did not change the fingerprint")
	}
}

// TestCollectInventoryOnThisMachine checks the live collection produces a usable, encodable inventory.
func TestCollectInventoryOnThisMachine(t *testing.T) {
	inv := CollectInventory(t.Context(), CollectOptions{AgentVersion: "test", Supported: []string{"terminal"}})
	if inv.Hostname == "" {
		t.Error("no hostname")
	}
	if inv.AgentVersion != "test" || len(inv.SupportedActions) != 1 {
		t.Errorf("agent facts not carried: %q %v", inv.AgentVersion, inv.SupportedActions)
	}
	if inv.MemoryBytes == 0 || len(inv.CPU) == 0 || inv.CPU[0].Threads == 0 {
		t.Errorf("no memory or CPU: %d %+v", inv.MemoryBytes, inv.CPU)
	}
	if inv.OSName == "" || inv.DeviceType == "" {
		t.Errorf("OS %q, device type %q", inv.OSName, inv.DeviceType)
	}
	for _, d := range inv.Storage {
		if d.FileSystem == "tmpfs" || d.FileSystem == "proc" {
			t.Errorf("virtual file system listed: %+v", d)
		}
	}
	for _, ip := range inv.IPAddresses {
		if strings.HasPrefix(ip, "127.") || ip == "::1" {
			t.Errorf("loopback address listed: %s", ip)
		}
	}
	if _, err := protocol.EncodeMessage(protocol.MsgInventory, inv); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(inv)
	t.Logf("inventory: %d bytes, %d packages (total %s)", len(b), len(inv.Software), strconv.Quote(inv.Extra["software_total"]))
}

func TestCollectIdentityMatchesInventory(t *testing.T) {
	id := CollectIdentity(t.Context())
	inv := CollectInventory(t.Context(), CollectOptions{})
	if id.Hostname == "" || id.Hostname != inv.Hostname || id.OSName != inv.OSName || id.OSVersion != inv.OSVersion ||
		id.LoggedInUser != inv.LoggedInUser {
		t.Errorf("identity %+v, inventory hostname %q, OS %q %q, user %q", id, inv.Hostname, inv.OSName, inv.OSVersion, inv.LoggedInUser)
	}
}
