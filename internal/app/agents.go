package app

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/store"
)

// This file holds what the live side of the server (package hub) asks of the app about agents:
// device status and history, inventory, and the hook that tells it of deleted devices.

// OnDevicesDeleted subscribes fn to device deletions: it is called after the deletion is committed,
// so the devices' credentials no longer authenticate. fn must return quickly.
func (a *App) OnDevicesDeleted(fn func(accountID string, deviceIDs []string)) {
	a.hooksMu.Lock()
	defer a.hooksMu.Unlock()
	a.deleteHooks = append(a.deleteHooks, fn)
}

func (a *App) devicesDeleted(accountID string, ids []string) {
	a.hooksMu.RLock()
	defer a.hooksMu.RUnlock()
	for _, fn := range a.deleteHooks {
		fn(accountID, ids)
	}
}

// RecordAgentEvent stores a device's new live status, marks it seen now and adds event ("connected",
// "disconnected") to its history, in one transaction. It is not audited: the device history is the
// record of its comings and goings.
func (a *App) RecordAgentEvent(ctx context.Context, ac *Actor, event, detail string, status portico.DeviceStatus) error {
	now := a.now()
	err := a.store.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.SetDeviceStatus(ctx, ac.AccountID, ac.DeviceID, status, &now); err != nil {
			return err
		}
		d := &portico.Device{ID: ac.DeviceID, AccountID: ac.AccountID}
		return tx.AddHistory(ctx, a.historyEntry(ac, d, event, detail))
	})
	if err != nil {
		return fmt.Errorf("record agent %s: %w", event, err)
	}
	return nil
}

// SetDeviceStatus stores a device's live status (Available, In session, Unavailable).
func (a *App) SetDeviceStatus(ctx context.Context, accountID, deviceID string, status portico.DeviceStatus) error {
	return a.store.SetDeviceStatus(ctx, accountID, deviceID, status, nil)
}

// TouchDevices records last-seen times in one batch.
func (a *App) TouchDevices(ctx context.Context, seen []store.DeviceSeen) error {
	return a.store.TouchDevices(ctx, seen)
}

// ResetDeviceStatuses marks every device Unavailable and ends the session records a stopped server
// left open: at start, no agent is connected yet.
func (a *App) ResetDeviceStatuses(ctx context.Context) error {
	if _, err := a.store.ResetDeviceStatuses(ctx); err != nil {
		return err
	}
	if _, err := a.store.EndLiveRemoteSessions(ctx, a.now(), "the server restarted"); err != nil {
		return err
	}
	return nil
}

// AgentInventory is what an agent reports about its device: the summary fields the device row
// carries, and the whole inventory document.
type AgentInventory struct {
	Hostname     string
	IPAddresses  []string
	LoggedInUser string
	OSName       string
	OSVersion    string
	DeviceType   string
	Manufacturer string
	AssetID      string
	AgentVersion string
	// Document is the full inventory as JSON, stored as reported.
	Document json.RawMessage
}

// validate bounds agent-provided text as enrollment does.
func (in *AgentInventory) validate() error {
	var v portico.Validation
	validateAgentFacts(&v, &in.Hostname, []agentText{{"os_name", in.OSName}, {"os_version", in.OSVersion},
		{"device_type", in.DeviceType}, {"manufacturer", in.Manufacturer}, {"asset_id", in.AssetID},
		{"agent_version", in.AgentVersion}, {"logged_in_user", in.LoggedInUser}}, in.IPAddresses)
	if len(in.Document) == 0 || !json.Valid(in.Document) {
		v.Add("inventory", "must be a JSON document")
	}
	return v.Err()
}

// RecordInventory stores the inventory an agent reported and updates the device's summary fields
// that changed (with one history entry naming them). Invalid input changes nothing.
func (a *App) RecordInventory(ctx context.Context, ac *Actor, in AgentInventory) error {
	if err := in.validate(); err != nil {
		return portico.WithOp("record inventory", err)
	}
	now := a.now()
	err := a.store.Tx(ctx, func(tx *store.Tx) error {
		d, err := tx.GetDevice(ctx, ac.AccountID, ac.DeviceID)
		if err != nil {
			return err
		}
		if err := tx.PutInventory(ctx, ac.AccountID, ac.DeviceID, in.Document, now); err != nil {
			return err
		}
		var changed []string
		set := func(field string, dst *string, v string) {
			if *dst != v {
				*dst = v
				changed = append(changed, field)
			}
		}
		set("hostname", &d.Hostname, in.Hostname)
		set("logged_in_user", &d.LoggedInUser, in.LoggedInUser)
		set("os_name", &d.OSName, in.OSName)
		set("os_version", &d.OSVersion, in.OSVersion)
		set("device_type", &d.DeviceType, in.DeviceType)
		set("manufacturer", &d.Manufacturer, in.Manufacturer)
		set("asset_id", &d.AssetID, in.AssetID)
		set("agent_version", &d.AgentVersion, in.AgentVersion)
		ips := in.IPAddresses
		if ips == nil {
			ips = []string{}
		}
		if !slices.Equal(d.IPAddresses, ips) && !(len(d.IPAddresses) == 0 && len(ips) == 0) {
			d.IPAddresses = ips
			changed = append(changed, "ip_addresses")
		}
		if len(changed) == 0 {
			return nil
		}
		if err := tx.UpdateDevice(ctx, d); err != nil {
			return err
		}
		return tx.AddHistory(ctx, a.historyEntry(ac, d, "inventory", "changed: "+strings.Join(changed, ", ")))
	})
	if err != nil {
		return fmt.Errorf("record inventory: %w", err)
	}
	return nil
}

// InventoryView is a device's latest inventory as its agent reported it. Inventory is null when the
// agent never reported one.
type InventoryView struct {
	DeviceID   string          `json:"device_id"`
	ReportedAt *time.Time      `json:"reported_at,omitempty"`
	Inventory  json.RawMessage `json:"inventory"`
}

// DeviceInventory returns a device's hardware and software inventory (device.inventory).
func (a *App) DeviceInventory(ctx context.Context, ac *Actor, deviceID string) (*InventoryView, error) {
	if err := a.authorize(ctx, ac, "device.inventory", portico.PermDeviceInventory, authz.Device(deviceID)); err != nil {
		return nil, err
	}
	doc, at, err := a.store.GetInventory(ctx, ac.AccountID, deviceID)
	if portico.IsKind(err, portico.KindNotFound) {
		return &InventoryView{DeviceID: deviceID, Inventory: json.RawMessage("null")}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("device inventory: %w", err)
	}
	return &InventoryView{DeviceID: deviceID, ReportedAt: &at, Inventory: doc}, nil
}
