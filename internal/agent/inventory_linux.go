package agent

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/portico-dev/portico/internal/protocol"
)

// Paths read on Linux; variables so tests can point them at sample trees.
var (
	osReleasePaths = []string{"/etc/os-release", "/usr/lib/os-release"}
	dmiDir         = "/sys/class/dmi/id"
	drmDir         = "/sys/class/drm"
	sysNetDir      = "/sys/class/net"
	dpkgStatusPath = "/var/lib/dpkg/status"
	rpmDBDirs      = []string{"/var/lib/rpm", "/usr/lib/sysimage/rpm"}
)

// platformOSVersion reads the distribution's name and version from os-release.
func platformOSVersion(context.Context) (name, version string) {
	for _, p := range osReleasePaths {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		fields := ParseOSRelease(f)
		f.Close()
		return osNameVersion(fields)
	}
	return "", ""
}

func platformInventory(ctx context.Context, inv *protocol.Inventory) {
	if name, version := platformOSVersion(ctx); name != "" {
		inv.OSName, inv.OSVersion = name, version
	}
	dmi := func(name string) string {
		v := readTrim(filepath.Join(dmiDir, name))
		if dmiPlaceholder(v) {
			return ""
		}
		return v
	}
	inv.Manufacturer = dmi("sys_vendor")
	inv.Model = dmi("product_name")
	// product_serial and the asset tag are readable by root only; without root they stay empty.
	inv.AssetID = dmi("chassis_asset_tag")
	if inv.AssetID == "" {
		inv.AssetID = dmi("product_serial")
	}
	bios := protocol.BIOS{Vendor: dmi("bios_vendor"), Version: dmi("bios_version"), Date: dmi("bios_date"),
		Serial: dmi("product_serial")}
	if bios != (protocol.BIOS{}) {
		inv.BIOS = &bios
	}
	if inv.DeviceType == "" {
		if code, err := strconv.Atoi(readTrim(filepath.Join(dmiDir, "chassis_type"))); err == nil {
			inv.DeviceType = chassisType(code)
		}
	}
	inv.DisplayAdapters = displayAdapters(drmDir)
	sw, source := installedSoftware(ctx)
	inv.Software = sw
	if source != "" {
		inv.Extra["software_source"] = source
	}
}

// linkSpeed is the negotiated speed of a network interface in Mb/s, 0 when unknown.
func linkSpeed(name string) int {
	n, err := strconv.Atoi(readTrim(filepath.Join(sysNetDir, name, "speed")))
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// displayAdapters lists graphics cards and their connected outputs from sysfs, without an X server:
// /sys/class/drm/cardN is a card (its driver names it), cardN-CONNECTOR an output whose modes file
// starts with the current or preferred resolution.
func displayAdapters(dir string) []protocol.DisplayAdapter {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []protocol.DisplayAdapter
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, "card") {
			continue
		}
		card, connector, isOutput := strings.Cut(name, "-")
		if _, err := strconv.Atoi(strings.TrimPrefix(card, "card")); err != nil {
			continue
		}
		if !isOutput {
			out = append(out, protocol.DisplayAdapter{Name: cardName(filepath.Join(dir, name))})
			continue
		}
		if readTrim(filepath.Join(dir, name, "status")) != "connected" {
			continue
		}
		mode, _, _ := strings.Cut(readTrim(filepath.Join(dir, name, "modes")), "\n")
		out = append(out, protocol.DisplayAdapter{Name: card + " " + connector, Resolution: mode})
	}
	return out
}

// cardName describes a DRM card from its uevent: driver and PCI id.
func cardName(cardDir string) string {
	name := filepath.Base(cardDir)
	var driver, pci string
	for _, line := range strings.Split(readTrim(filepath.Join(cardDir, "device", "uevent")), "\n") {
		k, v, _ := strings.Cut(line, "=")
		switch k {
		case "DRIVER":
			driver = v
		case "PCI_ID":
			pci = v
		}
	}
	if driver != "" {
		name += " (" + driver
		if pci != "" {
			name += " " + pci
		}
		name += ")"
	}
	return name
}

// softwareCache keeps the last package list while the package database is unchanged, so the periodic
// inventory check costs a stat, not a parse.
var softwareCache struct {
	sync.Mutex
	key    string
	list   []protocol.Software
	source string
}

// installedSoftware lists installed packages from dpkg's status file or, failing that, rpm.
func installedSoftware(ctx context.Context) ([]protocol.Software, string) {
	key, source := "", ""
	if fi, err := os.Stat(dpkgStatusPath); err == nil {
		key, source = fmt.Sprintf("dpkg %d %d", fi.ModTime().UnixNano(), fi.Size()), "dpkg"
	} else if _, err := exec.LookPath("rpm"); err == nil {
		for _, d := range rpmDBDirs {
			if fi, err := os.Stat(d); err == nil {
				key, source = fmt.Sprintf("rpm %s %d", d, latestMtime(d, fi.ModTime())), "rpm"
				break
			}
		}
	}
	if key == "" {
		return nil, ""
	}
	softwareCache.Lock()
	defer softwareCache.Unlock()
	if softwareCache.key == key {
		return slices.Clone(softwareCache.list), source
	}
	var list []protocol.Software
	switch source {
	case "dpkg":
		f, err := os.Open(dpkgStatusPath)
		if err != nil {
			return nil, ""
		}
		list = ParseDpkgStatus(f)
		f.Close()
	case "rpm":
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, "rpm", "-qa", "--queryformat", rpmQueryFormat).Output()
		if err != nil {
			return nil, ""
		}
		list = ParseRPMList(bytes.NewReader(out))
	}
	sortSoftware(list)
	softwareCache.key, softwareCache.list = key, list
	return slices.Clone(list), source
}

// latestMtime is the newest modification time among a directory's entries (rpm updates its database
// files, not always the directory).
func latestMtime(dir string, t time.Time) int64 {
	latest := t.UnixNano()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && fi.ModTime().UnixNano() > latest {
			latest = fi.ModTime().UnixNano()
		}
	}
	return latest
}

// consoleUser is found from utmp entries on this OS (see loggedInUser).
func consoleUser() string { return "" }
