package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/shirou/gopsutil/v4/process"

	"github.com/portico-dev/portico/internal/protocol"
)

// cpuSample is the interval over which process CPU use is measured.
const cpuSample = 250 * time.Millisecond

// maxCommandLine bounds the command line reported per process, so lists page well.
const maxCommandLine = 2048

// serveTasks answers task_manager requests until the peer closes the stream.
func serveTasks(ctx context.Context, s stream, _ json.RawMessage) error {
	return serveTasksWith(ctx, s, systemServices())
}

func serveTasksWith(ctx context.Context, s stream, svcs serviceManager) error {
	for {
		msg, err := s.Recv(ctx)
		if err != nil {
			if peerClosed(err) {
				return nil
			}
			return err
		}
		req, err := protocol.DecodeTaskRequest(msg)
		if err != nil {
			return err
		}
		if err := handleTask(ctx, s, svcs, req); err != nil {
			return err
		}
	}
}

func handleTask(ctx context.Context, s stream, svcs serviceManager, req protocol.TaskRequest) error {
	reply := func(r protocol.TaskResponse) error { return sendJSON(ctx, s, protocol.KindTaskResponse, r) }
	fail := func(err error) error { return reply(protocol.TaskResponse{ID: req.ID, Error: err.Error()}) }
	switch req.Op {
	case protocol.TaskOpProcesses:
		procs, err := listProcesses(ctx, cpuSample)
		if err != nil {
			return fail(err)
		}
		ps := pages(procs)
		for i, p := range ps {
			if err := reply(protocol.TaskResponse{ID: req.ID, OK: true, Processes: p, More: i < len(ps)-1}); err != nil {
				return err
			}
		}
		return nil
	case protocol.TaskOpKill:
		if err := killProcess(ctx, req.PID); err != nil {
			return fail(err)
		}
		return reply(protocol.TaskResponse{ID: req.ID, OK: true})
	case protocol.TaskOpServices:
		if svcs == nil {
			return fail(unsupported("services"))
		}
		list, err := svcs.List(ctx)
		if err != nil {
			return fail(err)
		}
		ps := pages(list)
		for i, p := range ps {
			if err := reply(protocol.TaskResponse{ID: req.ID, OK: true, Services: p, More: i < len(ps)-1}); err != nil {
				return err
			}
		}
		return nil
	case protocol.TaskOpService:
		if svcs == nil {
			return fail(unsupported("services"))
		}
		if err := svcs.Control(ctx, req.Name, req.Verb); err != nil {
			return fail(err)
		}
		return reply(protocol.TaskResponse{ID: req.ID, OK: true})
	}
	return fail(fmt.Errorf("unknown operation %q", req.Op))
}

// serviceManager lists and controls the OS's services.
type serviceManager interface {
	List(ctx context.Context) ([]protocol.Service, error)
	// Control starts, stops or restarts a service.
	Control(ctx context.Context, name, verb string) error
}

// listProcesses returns every process with its CPU use over the sample interval.
func listProcesses(ctx context.Context, sample time.Duration) ([]protocol.Process, error) {
	procs, err := process.ProcessesWithContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	before := make(map[int32]float64, len(procs))
	for _, p := range procs {
		if t, err := p.TimesWithContext(ctx); err == nil {
			before[p.Pid] = t.User + t.System
		}
	}
	start := time.Now()
	select {
	case <-time.After(sample):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	elapsed := time.Since(start).Seconds()
	out := make([]protocol.Process, 0, len(procs))
	for _, p := range procs {
		name, err := p.NameWithContext(ctx)
		if err != nil {
			continue // exited meanwhile
		}
		item := protocol.Process{PID: p.Pid, Name: truncate(name, 256)}
		item.PPID, _ = p.PpidWithContext(ctx)
		if u, err := p.UsernameWithContext(ctx); err == nil {
			item.User = truncate(u, 256)
		}
		if m, err := p.MemoryInfoWithContext(ctx); err == nil {
			item.MemoryBytes = m.RSS
		}
		if c, err := p.CmdlineWithContext(ctx); err == nil {
			item.CommandLine = truncate(c, maxCommandLine)
		}
		if t0, ok := before[p.Pid]; ok {
			if t, err := p.TimesWithContext(ctx); err == nil && elapsed > 0 {
				item.CPUPercent = max(0, (t.User+t.System-t0)/elapsed*100)
			}
		}
		out = append(out, item)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out, nil
}

// killProcess ends a process for good (SIGKILL on Unix, TerminateProcess on Windows).
func killProcess(ctx context.Context, pid int32) error {
	if int(pid) == os.Getpid() {
		return errors.New("refusing to kill the agent itself")
	}
	p, err := process.NewProcessWithContext(ctx, pid)
	if err != nil {
		return fmt.Errorf("process %d: %w", pid, err)
	}
	if err := p.KillWithContext(ctx); err != nil {
		return fmt.Errorf("kill process %d: %w", pid, err)
	}
	return nil
}
