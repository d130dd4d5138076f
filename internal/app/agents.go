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
// device presence, status and history, and inventory.

// AgentEvent is a change of a device's live status on one agent connection, with the history event
// that caused it: "connected" (the connection becomes the device's current one, unless a newer one
// already is), "disconnected" (the device becomes Unavailable, unless another connection is current
// by now), or empty when only the status changes (a session starts or ends).
type AgentEvent struct {
	Actor  *Actor // the agent
	NodeID string // the node that holds the connection
	ConnID string // the connection
	Event  string
	Detail string
	Status portico.DeviceStatus
	At     time.Time
}

// RecordAgentEvents stores device presence and status changes and their history entries, in order,
// in one transaction: a server that many agents connect to at once writes them in a few batches
// instead of one transaction each. Devices deleted meanwhile are skipped. Agent events are not
// audited: the device history is the record of their comings and goings. It returns the connections
// that connected events replaced (the device's agent was connected to another node, or earlier to
// this one), so that their nodes can be told to close them.
func (a *App) RecordAgentEvents(ctx context.Context, events []AgentEvent) ([]portico.DeviceConn, error) {
	if len(events) == 0 {
		return nil, nil
	}
	var replaced []portico.DeviceConn
	err := a.store.Tx(ctx, func(tx *store.Tx) error {
		replaced = replaced[:0]
		for _, e := range events {
			c := portico.DeviceConn{AccountID: e.Actor.AccountID, DeviceID: e.Actor.DeviceID, NodeID: e.NodeID, ConnID: e.ConnID}
			var err error
			switch e.Event {
			case "connected":
				var old portico.DeviceConn
				_, old, err = tx.ConnectDevice(ctx, c, e.Status, e.At)
				if old.ConnID != "" {
					replaced = append(replaced, old)
				}
			case "disconnected":
				_, err = tx.DisconnectDevice(ctx, c, e.At)
			default:
				_, err = tx.SetConnStatus(ctx, c, e.Status)
			}
			if portico.IsKind(err, portico.KindNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if e.Event == "" {
				continue
			}
			d := &portico.Device{ID: e.Actor.DeviceID, AccountID: e.Actor.AccountID}
			h := a.historyEntry(e.Actor, d, e.Event, e.Detail)
			h.At = e.At
			if err := tx.AddHistory(ctx, h); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("record %d agent events: %w", len(events), err)
	}
	return replaced, nil
}

// TouchDevices records last-seen times in one batch.
func (a *App) TouchDevices(ctx context.Context, seen []portico.DeviceSeen) error {
	return a.store.TouchDevices(ctx, seen)
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
// that changed (with one history entry naming them). Invalid input changes nothing. It writes only the
// fields inventory owns, never the group, name, status or anything else a user or the server changes,
// so that it needs no account write lock: a move or rename committed while it runs survives.
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
		if inventoryReadHook != nil {
			inventoryReadHook()
		}
		return a.applyInventory(ctx, tx, ac, d, in, now)
	})
	if err != nil {
		return fmt.Errorf("record inventory: %w", err)
	}
	return nil
}

// inventoryReadHook, when set (by tests only), runs in RecordInventory between reading the device and
// writing it, for interleaving another write there.
var inventoryReadHook func()

// applyInventory stores the reported inventory of d, a copy of the device read earlier in tx (on
// PostgreSQL other transactions may have changed the row since), and the summary fields that differ
// from that copy.
func (a *App) applyInventory(ctx context.Context, tx *store.Tx, ac *Actor, d *portico.Device, in AgentInventory, now time.Time) error {
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
	// Only the inventory's own fields: d's group, name, status… may be stale.
	if err := tx.UpdateDeviceInventory(ctx, d); err != nil {
		return err
	}
	return tx.AddHistory(ctx, a.historyEntry(ac, d, "inventory", "changed: "+strings.Join(changed, ", ")))
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
	if err := a.authorize(ctx, ac, portico.ActionDeviceInventory, portico.PermDeviceInventory, authz.Device(deviceID)); err != nil {
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
