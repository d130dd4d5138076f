//go:build windows

package agent

import (
	"context"
	"strings"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"

	"github.com/portico-dev/portico/internal/protocol"
)

func platformInventory(ctx context.Context, inv *protocol.Inventory) {
	name, version := platformOSVersion(ctx)
	if name != "" {
		inv.OSName = name
	}
	if version != "" {
		inv.OSVersion = version
	}
	if strings.Contains(inv.OSName, "Server") && inv.DeviceType == "" {
		inv.DeviceType = TypeServer
	}
	if k, err := registry.OpenKey(registry.LOCAL_MACHINE, `HARDWARE\DESCRIPTION\System\BIOS`, registry.QUERY_VALUE); err == nil {
		get := func(name string) string {
			v, _, err := k.GetStringValue(name)
			if err != nil || dmiPlaceholder(v) {
				return ""
			}
			return strings.TrimSpace(v)
		}
		inv.Manufacturer = get("SystemManufacturer")
		inv.Model = get("SystemProductName")
		bios := protocol.BIOS{Vendor: get("BIOSVendor"), Version: get("BIOSVersion"), Date: get("BIOSReleaseDate")}
		if bios != (protocol.BIOS{}) {
			inv.BIOS = &bios
		}
		k.Close()
	}
	inv.Software = uninstallEntries()
	if len(inv.Software) > 0 {
		inv.Extra["software_source"] = "registry"
	}
}

// platformOSVersion reads the product name and version from the registry: "Windows 11 Pro",
// "24H2 (build 26100)". What the registry does not tell is "".
func platformOSVersion(context.Context) (name, version string) {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, `SOFTWARE\Microsoft\Windows NT\CurrentVersion`, registry.QUERY_VALUE)
	if err != nil {
		return "", ""
	}
	defer k.Close()
	name, _, _ = k.GetStringValue("ProductName")
	version, _, _ = k.GetStringValue("DisplayVersion")
	if build, _, _ := k.GetStringValue("CurrentBuildNumber"); build != "" {
		version = strings.TrimSpace(version + " (build " + build + ")")
	}
	return name, version
}

// uninstallEntries lists installed programs from the registry's Uninstall keys (64- and 32-bit views,
// machine-wide).
func uninstallEntries() []protocol.Software {
	seen := map[string]bool{}
	var out []protocol.Software
	for _, path := range []string{`SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall`,
		`SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall`} {
		root, err := registry.OpenKey(registry.LOCAL_MACHINE, path, registry.ENUMERATE_SUB_KEYS)
		if err != nil {
			continue
		}
		names, _ := root.ReadSubKeyNames(-1)
		root.Close()
		for _, n := range names {
			k, err := registry.OpenKey(registry.LOCAL_MACHINE, path+`\`+n, registry.QUERY_VALUE)
			if err != nil {
				continue
			}
			name, _, _ := k.GetStringValue("DisplayName")
			version, _, _ := k.GetStringValue("DisplayVersion")
			publisher, _, _ := k.GetStringValue("Publisher")
			sysComp, _, _ := k.GetIntegerValue("SystemComponent")
			k.Close()
			if name == "" || sysComp == 1 || seen[name+"\x00"+version] {
				continue
			}
			seen[name+"\x00"+version] = true
			out = append(out, protocol.Software{Name: name, Version: version, Publisher: publisher})
		}
	}
	return out
}

func linkSpeed(string) int { return 0 }

// consoleUser is the DOMAIN\user signed in at the physical console, from that session's token (the
// agent runs as LocalSystem, which may query it). Empty when nobody is signed in.
func consoleUser() string {
	id := windows.WTSGetActiveConsoleSessionId()
	if id == 0xFFFFFFFF {
		return ""
	}
	var tok windows.Token
	if err := windows.WTSQueryUserToken(id, &tok); err != nil {
		return ""
	}
	defer tok.Close()
	u, err := tok.GetTokenUser()
	if err != nil {
		return ""
	}
	account, domain, _, err := u.User.Sid.LookupAccount("")
	if err != nil {
		return ""
	}
	if domain != "" {
		return domain + `\` + account
	}
	return account
}
