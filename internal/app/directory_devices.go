package app

import (
	"context"
	"slices"
	"strings"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/directory"
	"github.com/portico-dev/portico/internal/store"
)

// syncDeviceDirectoryGroups gives each device that a directory computer names (by host name) the
// names of that computer's groups, nested ones included, so that assignment rules on the
// directory_group property can place it. A device's history records the change. It returns how many
// devices changed.
func (a *App) syncDeviceDirectoryGroups(ctx context.Context, ac *Actor, computers []directory.Computer) (int, error) {
	changed := 0
	for _, c := range computers {
		if c.Hostname == "" {
			continue
		}
		label := firstLabel(c.Hostname)
		candidates, _, err := a.store.ListDevices(ctx, ac.AccountID, portico.DeviceFilter{Q: label, NoTotal: true,
			Page: portico.Page{Limit: 500}})
		if err != nil {
			return changed, err
		}
		for _, d := range candidates {
			if !sameHost(d.Hostname, c.Hostname) || slices.Equal(d.DirectoryGroups, c.Groups) {
				continue
			}
			err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
				cur, err := tx.GetDevice(ctx, ac.AccountID, d.ID)
				if err != nil {
					return nil, err
				}
				cur.DirectoryGroups = append([]string{}, c.Groups...)
				if err := tx.UpdateDevice(ctx, cur); err != nil {
					return nil, err
				}
				detail := "directory groups: " + strings.Join(c.Groups, ", ")
				if err := tx.AddHistory(ctx, a.historyEntry(ac, cur, "device.directory_groups", detail)); err != nil {
					return nil, err
				}
				return &change{action: portico.ActionDeviceDirectoryGroups, targetType: "device", targetID: cur.ID, detail: detail}, nil
			})
			if portico.IsKind(err, portico.KindNotFound) {
				continue // deleted meanwhile
			}
			if err != nil {
				return changed, err
			}
			changed++
		}
	}
	return changed, nil
}

// sameHost reports whether a device's host name and a directory computer's name are the same
// machine: equal ignoring case, or equal in their first label when one of them is not qualified
// ("ws1" and "ws1.corp.example.com").
func sameHost(device, computer string) bool {
	device, computer = strings.ToLower(device), strings.ToLower(computer)
	if device == computer {
		return true
	}
	if !strings.Contains(device, ".") || !strings.Contains(computer, ".") {
		return firstLabel(device) == firstLabel(computer)
	}
	return false
}

func firstLabel(host string) string {
	label, _, _ := strings.Cut(host, ".")
	return label
}
