package agent

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/disk"
	"github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/mem"
	psnet "github.com/shirou/gopsutil/v4/net"

	"github.com/portico-dev/portico/internal/protocol"
)

// CollectOptions are the facts about the agent itself that go into its inventory.
type CollectOptions struct {
	AgentVersion string
	Supported    []string
}

// Device types reported in the inventory.
const (
	TypeWorkstation = "workstation"
	TypeLaptop      = "laptop"
	TypeServer      = "server"
	TypeVM          = "virtual machine"
)

// Size bounds of the inventory, well inside protocol.MaxControlPayload for everything but software.
const (
	maxAddresses = 64
	maxAdapters  = 64
	maxDisks     = 64
	maxDisplays  = 16
	maxCPUs      = 16
	maxField     = 250 // the server's limit on a text field
)

// CollectInventory describes the device. It never fails: what it cannot read (without root, or on an
// OS without the source) stays empty.
func CollectInventory(ctx context.Context, opt CollectOptions) protocol.Inventory {
	inv := protocol.Inventory{AgentVersion: opt.AgentVersion, SupportedActions: slices.Clone(opt.Supported),
		Extra: map[string]string{}}
	inv.Hostname, _ = os.Hostname()
	if hi, err := host.InfoWithContext(ctx); err == nil {
		if inv.Hostname == "" {
			inv.Hostname = hi.Hostname
		}
		inv.OSName = hi.Platform
		inv.OSVersion = hi.PlatformVersion
		if hi.KernelVersion != "" {
			inv.Extra["kernel"] = hi.KernelVersion
		}
		if hi.VirtualizationRole == "guest" && hi.VirtualizationSystem != "" {
			inv.DeviceType = TypeVM
			inv.Extra["virtualization"] = hi.VirtualizationSystem
		}
	}
	inv.LoggedInUser = loggedInUser(ctx)
	inv.CPU = collectCPU(ctx)
	if vm, err := mem.VirtualMemoryWithContext(ctx); err == nil {
		inv.MemoryBytes = vm.Total
	}
	inv.Storage = collectDisks(ctx)
	inv.NetworkAdapters, inv.IPAddresses, inv.MACAddresses = collectNetwork(ctx)
	platformInventory(ctx, &inv)
	if inv.DeviceType == "" {
		inv.DeviceType = TypeWorkstation
	}
	clipFields(&inv)
	fitInventory(&inv)
	return inv
}

// Identity is what a device says about itself before it holds a credential, as when it redeems an
// on-demand code: a quick subset of the inventory.
type Identity struct {
	Hostname     string
	OSName       string
	OSVersion    string
	LoggedInUser string
}

// CollectIdentity reads the hostname, the OS's name and version and the logged-in user as
// CollectInventory reports them, without the slower rest of the inventory.
func CollectIdentity(ctx context.Context) Identity {
	var id Identity
	id.Hostname, _ = os.Hostname()
	if hi, err := host.InfoWithContext(ctx); err == nil {
		if id.Hostname == "" {
			id.Hostname = hi.Hostname
		}
		id.OSName, id.OSVersion = hi.Platform, hi.PlatformVersion
	}
	name, version := platformOSVersion(ctx)
	if name != "" {
		id.OSName = name
	}
	if version != "" {
		id.OSVersion = version
	}
	id.LoggedInUser = loggedInUser(ctx)
	for _, f := range []*string{&id.Hostname, &id.OSName, &id.OSVersion, &id.LoggedInUser} {
		*f = strings.TrimSpace(clip(*f, maxField))
	}
	return id
}

// loggedInUser prefers the user at the console or graphical session, then anyone logged in, then the
// user the agent runs as.
func loggedInUser(ctx context.Context) string {
	if u := consoleUser(); u != "" {
		return u
	}
	users, _ := host.UsersWithContext(ctx)
	if u := pickConsoleUser(users); u != "" {
		return u
	}
	for _, k := range []string{"USER", "LOGNAME", "USERNAME"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return ""
}

// pickConsoleUser chooses the user of a graphical or console session from utmp-style entries.
func pickConsoleUser(users []host.UserStat) string {
	best, bestRank := "", 0
	for _, u := range users {
		if u.User == "" {
			continue
		}
		rank := 1 // a remote or pseudo-terminal login
		switch t := u.Terminal; {
		case strings.HasPrefix(t, ":"), t == "console", t == "seat0":
			rank = 3
		case strings.HasPrefix(t, "tty"):
			rank = 2
		}
		if rank > bestRank {
			best, bestRank = u.User, rank
		}
	}
	return best
}

func collectCPU(ctx context.Context) []protocol.CPU {
	infos, err := cpu.InfoWithContext(ctx)
	if err != nil || len(infos) == 0 {
		return nil
	}
	if runtime.GOOS == "linux" {
		return groupLinuxCPUs(infos)
	}
	logical, _ := cpu.CountsWithContext(ctx, true)
	out := make([]protocol.CPU, 0, len(infos))
	for _, c := range infos {
		out = append(out, protocol.CPU{Model: strings.TrimSpace(c.ModelName), Cores: int(c.Cores),
			Threads: logical / len(infos), MHz: c.Mhz, Vendor: c.VendorID})
	}
	return out[:min(len(out), maxCPUs)]
}

// groupLinuxCPUs folds /proc/cpuinfo's one entry per logical processor into one per package.
func groupLinuxCPUs(infos []cpu.InfoStat) []protocol.CPU {
	type pkg struct {
		cpu   protocol.CPU
		cores map[string]bool
	}
	var order []string
	pkgs := map[string]*pkg{}
	for _, c := range infos {
		p := pkgs[c.PhysicalID]
		if p == nil {
			p = &pkg{cpu: protocol.CPU{Model: strings.TrimSpace(c.ModelName), MHz: c.Mhz, Vendor: c.VendorID},
				cores: map[string]bool{}}
			pkgs[c.PhysicalID] = p
			order = append(order, c.PhysicalID)
		}
		p.cpu.Threads++
		p.cores[c.CoreID] = true
	}
	out := make([]protocol.CPU, 0, len(order))
	for _, id := range order {
		p := pkgs[id]
		p.cpu.Cores = len(p.cores)
		out = append(out, p.cpu)
	}
	return out[:min(len(out), maxCPUs)]
}

// virtualFS are file systems that hold no user data worth reporting.
var virtualFS = map[string]bool{"tmpfs": true, "devtmpfs": true, "proc": true, "sysfs": true, "devpts": true,
	"cgroup": true, "cgroup2": true, "overlay": true, "squashfs": true, "autofs": true, "ramfs": true,
	"securityfs": true, "debugfs": true, "tracefs": true, "configfs": true, "fusectl": true, "mqueue": true,
	"hugetlbfs": true, "pstore": true, "bpf": true, "binfmt_misc": true, "efivarfs": true, "nsfs": true,
	"devfs": true, "nullfs": true, "iso9660": true, "rpc_pipefs": true, "nfsd": true, "selinuxfs": true}

// realFileSystem reports whether a mounted file system is worth listing as storage.
func realFileSystem(fstype, mount string) bool {
	if virtualFS[fstype] || strings.HasPrefix(fstype, "fuse.") && fstype != "fuse.ntfs" {
		return false
	}
	for _, p := range []string{"/proc", "/sys", "/dev", "/run", "/snap/", "/System/Volumes/VM", "/System/Volumes/Preboot",
		"/System/Volumes/Update", "/private/var/vm"} {
		if mount == p || strings.HasPrefix(mount, p+"/") || strings.HasSuffix(p, "/") && strings.HasPrefix(mount, p) {
			return false
		}
	}
	return true
}

func collectDisks(ctx context.Context) []protocol.Disk {
	parts, err := disk.PartitionsWithContext(ctx, false)
	if err != nil {
		return nil
	}
	seen := map[string]bool{}
	var out []protocol.Disk
	for _, p := range parts {
		if !realFileSystem(p.Fstype, p.Mountpoint) || seen[p.Device] {
			continue
		}
		u, err := disk.UsageWithContext(ctx, p.Mountpoint)
		if err != nil || u.Total == 0 {
			continue
		}
		seen[p.Device] = true
		out = append(out, protocol.Disk{Name: p.Device, Mount: p.Mountpoint, FileSystem: p.Fstype,
			TotalBytes: u.Total, FreeBytes: u.Free})
		if len(out) == maxDisks {
			break
		}
	}
	return out
}

func collectNetwork(ctx context.Context) (adapters []protocol.NetworkAdapter, ips, macs []string) {
	ifaces, err := psnet.InterfacesWithContext(ctx)
	if err != nil {
		return nil, nil, nil
	}
	for _, ifc := range ifaces {
		if slices.Contains(ifc.Flags, "loopback") {
			continue
		}
		ad := protocol.NetworkAdapter{Name: ifc.Name, MAC: ifc.HardwareAddr, SpeedMbps: linkSpeed(ifc.Name)}
		for _, a := range ifc.Addrs {
			pfx, err := netip.ParsePrefix(a.Addr)
			if err != nil {
				continue
			}
			ip := pfx.Addr()
			if ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() {
				continue
			}
			ad.Addresses = append(ad.Addresses, ip.String())
			if slices.Contains(ifc.Flags, "up") && len(ips) < maxAddresses {
				ips = append(ips, ip.String())
			}
		}
		if ad.MAC != "" && !slices.Contains(macs, ad.MAC) && len(macs) < maxAddresses {
			macs = append(macs, ad.MAC)
		}
		if len(adapters) < maxAdapters {
			adapters = append(adapters, ad)
		}
	}
	return adapters, ips, macs
}

// chassisType maps an SMBIOS chassis type (DMI table 3) to a device type.
func chassisType(code int) string {
	switch code {
	case 8, 9, 10, 11, 14, 30, 31, 32: // portable, laptop, notebook, hand held, sub notebook, tablet, convertible, detachable
		return TypeLaptop
	case 17, 23, 25, 28, 29: // main server chassis, rack mount, multi-system, blade, blade enclosure
		return TypeServer
	case 3, 4, 5, 6, 7, 13, 15, 16, 24, 35, 36: // desktop, low profile, pizza box, mini tower, tower, all in one, space-saving, lunch box, sealed-case PC, mini PC, stick PC
		return TypeWorkstation
	}
	return ""
}

// ParseOSRelease reads an os-release file (freedesktop.org format): KEY=value lines, values optionally
// quoted with shell-style escapes.
func ParseOSRelease(r io.Reader) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			q := v[0]
			v = v[1 : len(v)-1]
			if q == '"' {
				var b strings.Builder
				for i := 0; i < len(v); i++ {
					if v[i] == '\\' && i+1 < len(v) && strings.IndexByte("\"\\$`", v[i+1]) >= 0 {
						i++
					}
					b.WriteByte(v[i])
				}
				v = b.String()
			}
		}
		out[k] = v
	}
	return out
}

// osNameVersion picks the OS name and version from os-release fields.
func osNameVersion(f map[string]string) (name, version string) {
	name = f["NAME"]
	version = f["VERSION_ID"]
	if v := f["VERSION"]; v != "" {
		version = v
	}
	if name == "" {
		name = f["PRETTY_NAME"]
	}
	return name, version
}

// ParseDpkgStatus lists the installed packages in a dpkg status file (/var/lib/dpkg/status):
// paragraphs whose Status ends in "installed".
func ParseDpkgStatus(r io.Reader) []protocol.Software {
	var out []protocol.Software
	var cur protocol.Software
	installed := false
	flush := func() {
		if installed && cur.Name != "" {
			out = append(out, cur)
		}
		cur, installed = protocol.Software{}, false
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			flush()
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue // continuation of a multi-line field (Description, Conffiles…)
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "Package":
			cur.Name = v
		case "Version":
			cur.Version = v
		case "Maintainer":
			// The name alone: the address adds bytes to every package and says nothing more.
			name, _, _ := strings.Cut(v, " <")
			cur.Publisher = strings.TrimSpace(name)
		case "Status":
			f := strings.Fields(v)
			installed = len(f) == 3 && f[2] == "installed"
		}
	}
	flush()
	return out
}

// rpmQueryFormat makes `rpm -qa` print one tab-separated package per line.
const rpmQueryFormat = `%{NAME}\t%{VERSION}-%{RELEASE}\t%{VENDOR}\n`

// ParseRPMList reads the output of `rpm -qa --queryformat` with rpmQueryFormat.
func ParseRPMList(r io.Reader) []protocol.Software {
	var out []protocol.Software
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 2 || f[0] == "" || strings.HasPrefix(f[0], "gpg-pubkey") {
			continue
		}
		s := protocol.Software{Name: f[0], Version: f[1]}
		if len(f) > 2 && f[2] != "(none)" {
			s.Publisher = f[2]
		}
		out = append(out, s)
	}
	return out
}

// sortSoftware orders packages by name then version, so truncation keeps the same ones every time.
func sortSoftware(list []protocol.Software) {
	sort.Slice(list, func(i, j int) bool {
		if list[i].Name != list[j].Name {
			return list[i].Name < list[j].Name
		}
		return list[i].Version < list[j].Version
	})
}

// inventoryBudget leaves room for the message envelope within protocol.MaxControlPayload.
const inventoryBudget = protocol.MaxControlPayload - 1024

// fitInventory makes the encoded inventory fit in one control message: the software list, the only
// part that can be large, is cut (deterministically, after sorting) and the full count recorded in
// Extra["software_total"].
func fitInventory(inv *protocol.Inventory) {
	sortSoftware(inv.Software)
	if encodedSize(inv) <= inventoryBudget {
		return
	}
	all := inv.Software
	if inv.Extra == nil {
		inv.Extra = map[string]string{}
	}
	inv.Extra["software_total"] = strconv.Itoa(len(all))
	inv.Extra["software_truncated"] = "true"
	// The largest prefix that fits, by binary search.
	lo, hi := 0, len(all)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		inv.Software = all[:mid]
		if encodedSize(inv) <= inventoryBudget {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	inv.Software = all[:lo]
}

func encodedSize(inv *protocol.Inventory) int {
	b, err := json.Marshal(inv)
	if err != nil {
		return 1 << 30
	}
	return len(b)
}

// clipFields keeps text fields within the server's limits.
func clipFields(inv *protocol.Inventory) {
	for _, p := range []*string{&inv.Hostname, &inv.LoggedInUser, &inv.OSName, &inv.OSVersion, &inv.DeviceType,
		&inv.Manufacturer, &inv.Model, &inv.AssetID, &inv.AgentVersion} {
		*p = strings.TrimSpace(clip(*p, maxField))
	}
	if len(inv.DisplayAdapters) > maxDisplays {
		inv.DisplayAdapters = inv.DisplayAdapters[:maxDisplays]
	}
}

// inventoryFingerprint identifies an inventory for change detection. Free space is rounded to a
// percent of each disk, so that the inventory is not resent every time a log file grows.
func inventoryFingerprint(inv protocol.Inventory) string {
	inv.Storage = slices.Clone(inv.Storage)
	for i := range inv.Storage {
		if t := inv.Storage[i].TotalBytes; t > 0 {
			inv.Storage[i].FreeBytes = inv.Storage[i].FreeBytes * 100 / t
		}
	}
	b, _ := json.Marshal(inv)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// readTrim reads a small text file (a sysfs attribute), empty when unreadable.
func readTrim(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// dmiPlaceholder reports vendor filler values that mean "not set".
func dmiPlaceholder(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "to be filled by o.e.m.", "to be filled by o.e.m", "default string", "not specified", "none",
		"not applicable", "system serial number", "system product name", "system manufacturer", "0", "123456789",
		"chassis serial number", "asset-1234567890", "no asset tag", "no asset information":
		return true
	}
	return false
}
