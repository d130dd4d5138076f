package actions

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/portico-dev/portico/internal/protocol"
)

func taskResp(t *testing.T, s *protocol.Stream) protocol.TaskResponse {
	t.Helper()
	r, err := protocol.DecodeTaskResponse(recv(t, s))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestProcessListAndKill(t *testing.T) {
	ss := newSession(t, Streams())
	s := ss.open(ActionTaskManager, nil)

	child := exec.Command("sleep", "1000")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- child.Wait() }()
	t.Cleanup(func() { _ = child.Process.Kill(); <-waited })

	sendJSONT(t, s, protocol.KindTaskRequest, protocol.TaskRequest{ID: 1, Op: protocol.TaskOpProcesses})
	var procs []protocol.Process
	for {
		r := taskResp(t, s)
		if !r.OK {
			t.Fatalf("processes: %+v", r)
		}
		procs = append(procs, r.Processes...)
		if !r.More {
			break
		}
	}
	var self, sleeper *protocol.Process
	for i := range procs {
		switch int(procs[i].PID) {
		case os.Getpid():
			self = &procs[i]
		case child.Process.Pid:
			sleeper = &procs[i]
		}
	}
	if self == nil || sleeper == nil {
		t.Fatalf("process list of %d lacks the test (%v) or its child (%v)", len(procs), self, sleeper)
	}
	if self.MemoryBytes == 0 || self.User == "" || self.PPID == 0 || !strings.Contains(self.CommandLine, os.Args[0]) {
		t.Errorf("test process entry %+v", *self)
	}
	if sleeper.Name != "sleep" || sleeper.CommandLine != "sleep 1000" {
		t.Errorf("child entry %+v", *sleeper)
	}

	sendJSONT(t, s, protocol.KindTaskRequest, protocol.TaskRequest{ID: 2, Op: protocol.TaskOpKill, PID: int32(child.Process.Pid)})
	if r := taskResp(t, s); !r.OK || r.ID != 2 {
		t.Fatalf("kill: %+v", r)
	}
	err := <-waited
	waited <- err // for the cleanup
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, want killed", err)
	}

	sendJSONT(t, s, protocol.KindTaskRequest, protocol.TaskRequest{ID: 3, Op: protocol.TaskOpKill, PID: int32(os.Getpid())})
	if r := taskResp(t, s); r.OK || !strings.Contains(r.Error, "agent itself") {
		t.Fatalf("killing the agent: %+v", r)
	}
	sendJSONT(t, s, protocol.KindTaskRequest, protocol.TaskRequest{ID: 4, Op: protocol.TaskOpKill, PID: 1 << 30})
	if r := taskResp(t, s); r.OK || r.Error == "" {
		t.Fatalf("killing a missing process: %+v", r)
	}
}

// fakeRunner records the commands it is asked to run.
type fakeRunner struct {
	calls [][]string
	out   []byte
	err   error
}

func (f *fakeRunner) Output(_ context.Context, name string, args ...string) ([]byte, error) {
	f.calls = append(f.calls, append([]string{name}, args...))
	return f.out, f.err
}

// fakeServices serves the task manager's services requests in the stream test.
type fakeServices struct{ controlled []string }

func (f *fakeServices) List(context.Context) ([]protocol.Service, error) {
	return []protocol.Service{{Name: "a.service", State: "running"}}, nil
}

func (f *fakeServices) Control(_ context.Context, name, verb string) error {
	if name == "missing.service" {
		return errors.New("Unit missing.service not found.")
	}
	f.controlled = append(f.controlled, verb+" "+name)
	return nil
}

func TestTaskManagerServicesOverStream(t *testing.T) {
	svcs := &fakeServices{}
	ss := newSession(t, map[string]StreamHandler{ActionTaskManager: wrap(ActionTaskManager, func(ctx context.Context, s stream, _ json.RawMessage) error {
		return serveTasksWith(ctx, s, svcs)
	})})
	s := ss.open(ActionTaskManager, nil)
	sendJSONT(t, s, protocol.KindTaskRequest, protocol.TaskRequest{ID: 1, Op: protocol.TaskOpServices})
	if r := taskResp(t, s); !r.OK || len(r.Services) != 1 || r.Services[0].Name != "a.service" {
		t.Fatalf("services: %+v", r)
	}
	sendJSONT(t, s, protocol.KindTaskRequest, protocol.TaskRequest{ID: 2, Op: protocol.TaskOpService, Name: "a.service", Verb: "stop"})
	if r := taskResp(t, s); !r.OK {
		t.Fatalf("stop: %+v", r)
	}
	sendJSONT(t, s, protocol.KindTaskRequest, protocol.TaskRequest{ID: 3, Op: protocol.TaskOpService, Name: "missing.service", Verb: "start"})
	if r := taskResp(t, s); r.OK || !strings.Contains(r.Error, "not found") {
		t.Fatalf("start of a missing service: %+v", r)
	}
	if !reflect.DeepEqual(svcs.controlled, []string{"stop a.service"}) {
		t.Fatalf("controlled %v", svcs.controlled)
	}
	// A request that does not decode ends the stream with the reason.
	send(t, s, append([]byte{protocol.KindTaskRequest}, `{"id":4,"op":"format_disk"}`...))
	if err := recvEnd(t, s); err == nil || !strings.Contains(err.Error(), "format_disk") {
		t.Fatalf("stream ended with %v", err)
	}
}
