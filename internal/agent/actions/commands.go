package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"

	"github.com/portico-dev/portico/internal/protocol"
)

// RunCommand performs a one-shot action and reports its outcome.
func RunCommand(ctx context.Context, c protocol.Command) protocol.CommandResult {
	return defaultCommander().run(ctx, c)
}

// commander performs commands; its fields are what tests replace.
type commander struct {
	runner runner
	// lookPath finds a program, to choose between alternatives (systemctl or shutdown…).
	lookPath func(string) (string, error)
	// wakePort is the UDP port magic packets go to.
	wakePort int
}

func defaultCommander() commander {
	return commander{runner: execRunner{}, lookPath: exec.LookPath, wakePort: 9}
}

type commandFunc func(ctx context.Context, cm commander, args json.RawMessage) (any, error)

// commandHandlers lists the commands this OS supports.
func commandHandlers() map[string]commandFunc {
	m := map[string]commandFunc{
		ActionWake: wake,
	}
	for name, f := range osCommands() {
		m[name] = f
	}
	return m
}

func (cm commander) run(ctx context.Context, c protocol.Command) protocol.CommandResult {
	res := protocol.CommandResult{ID: c.ID}
	f, ok := commandHandlers()[c.Action]
	if !ok {
		if isKnownCommand(c.Action) {
			res.Error = unsupported(c.Action).Error()
		} else {
			res.Error = fmt.Sprintf("unknown action %q", c.Action)
		}
		return res
	}
	out, err := f(ctx, cm, c.Args)
	if err != nil {
		res.Error = fmt.Sprintf("%s: %v", c.Action, err)
		return res
	}
	res.OK = true
	if out != nil {
		b, err := json.Marshal(out)
		if err != nil {
			res.OK, res.Error = false, fmt.Sprintf("%s: encode result: %v", c.Action, err)
			return res
		}
		res.Result = b
	}
	return res
}

func isKnownCommand(action string) bool {
	switch action {
	case ActionReboot, ActionLock, ActionWake, ActionCtrlAltDel, ActionBlankScreen:
		return true
	}
	return false
}

// runFirst runs the first of the candidate commands whose program exists.
func (cm commander) runFirst(ctx context.Context, candidates ...[]string) error {
	for _, c := range candidates {
		if _, err := cm.lookPath(c[0]); err != nil {
			continue
		}
		_, err := cm.runner.Output(ctx, c[0], c[1:]...)
		return err
	}
	names := make([]string, len(candidates))
	for i, c := range candidates {
		names[i] = c[0]
	}
	return fmt.Errorf("none of %v is installed", names)
}

// wakeResult reports where the magic packet went.
type wakeResult struct {
	SentTo string `json:"sent_to"`
}

// wake sends a Wake-on-LAN magic packet for another machine from this one.
func wake(ctx context.Context, cm commander, args json.RawMessage) (any, error) {
	a, mac, err := protocol.DecodeWakeArgs(args)
	if err != nil {
		return nil, err
	}
	bcast := a.Broadcast
	if bcast == "" {
		bcast = "255.255.255.255"
	}
	addr := net.JoinHostPort(bcast, strconv.Itoa(cm.wakePort))
	if err := sendMagicPacket(ctx, addr, mac); err != nil {
		return nil, err
	}
	return wakeResult{SentTo: addr}, nil
}

// magicPacket is six 0xFF bytes then the MAC address sixteen times.
func magicPacket(mac net.HardwareAddr) ([]byte, error) {
	if len(mac) != 6 {
		return nil, errors.New("magic packet needs a 6-byte MAC address")
	}
	p := make([]byte, 0, 102)
	for range 6 {
		p = append(p, 0xFF)
	}
	for range 16 {
		p = append(p, mac...)
	}
	return p, nil
}

func sendMagicPacket(ctx context.Context, addr string, mac net.HardwareAddr) error {
	p, err := magicPacket(mac)
	if err != nil {
		return err
	}
	lc := net.ListenConfig{Control: allowBroadcast}
	conn, err := lc.ListenPacket(ctx, "udp4", ":0")
	if err != nil {
		return fmt.Errorf("open UDP socket: %w", err)
	}
	defer conn.Close()
	dst, err := net.ResolveUDPAddr("udp4", addr)
	if err != nil {
		return fmt.Errorf("resolve %s: %w", addr, err)
	}
	if _, err := conn.WriteTo(p, dst); err != nil {
		return fmt.Errorf("send magic packet to %s: %w", addr, err)
	}
	return nil
}
