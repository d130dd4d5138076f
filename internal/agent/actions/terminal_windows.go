package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/portico-dev/portico/internal/protocol"
)

const terminalSupported = true

// serveTerminal runs PowerShell (or the requested shell) on a pseudo console (ConPTY) and relays it
// over the stream.
func serveTerminal(ctx context.Context, s stream, args json.RawMessage) error {
	a, err := protocol.DecodeTerminalArgs(args)
	if err != nil {
		return err
	}
	shell := a.Shell
	if shell == "" {
		shell = filepath.Join(os.Getenv("SystemRoot"), `System32\WindowsPowerShell\v1.0\powershell.exe`)
		if _, err := os.Stat(shell); err != nil {
			if shell, err = exec.LookPath("powershell.exe"); err != nil {
				return errors.New("PowerShell not found")
			}
		}
	} else if !filepath.IsAbs(shell) {
		return fmt.Errorf("shell %q is not an absolute path", shell)
	} else if _, err := os.Stat(shell); err != nil {
		return fmt.Errorf("shell %q: %w", shell, err)
	}
	dir, _ := os.UserHomeDir()
	pc, err := startConPTY(windows.EscapeArg(shell)+" -NoLogo", dir, a.Cols, a.Rows)
	if err != nil {
		return err
	}
	return pc.run(ctx, s)
}

// conpty is a process attached to a pseudo console. Its job object kills the whole process tree
// when closed.
type conpty struct {
	hpc       windows.Handle
	in        *os.File // what we write: the console's input
	out       *os.File // what we read: the console's output
	proc      windows.Handle
	job       windows.Handle
	closeOnce sync.Once
}

func startConPTY(cmdline, dir string, cols, rows int) (_ *conpty, err error) {
	var inR, inW, outR, outW windows.Handle
	if err := windows.CreatePipe(&inR, &inW, nil, 0); err != nil {
		return nil, fmt.Errorf("create pipe: %w", err)
	}
	if err := windows.CreatePipe(&outR, &outW, nil, 0); err != nil {
		windows.CloseHandle(inR)
		windows.CloseHandle(inW)
		return nil, fmt.Errorf("create pipe: %w", err)
	}
	pc := &conpty{in: os.NewFile(uintptr(inW), "conpty-in"), out: os.NewFile(uintptr(outR), "conpty-out")}
	defer func() {
		if err != nil {
			pc.close()
		}
	}()
	err = windows.CreatePseudoConsole(windows.Coord{X: int16(cols), Y: int16(rows)}, inR, outW, 0, &pc.hpc)
	// The pseudo console holds its own references to its ends of the pipes.
	windows.CloseHandle(inR)
	windows.CloseHandle(outW)
	if err != nil {
		return nil, fmt.Errorf("create pseudo console: %w", err)
	}

	attrs, err := windows.NewProcThreadAttributeList(1)
	if err != nil {
		return nil, fmt.Errorf("attribute list: %w", err)
	}
	defer attrs.Delete()
	// The attribute's value is the console handle itself, not a pointer to it.
	if err := attrs.Update(windows.PROC_THREAD_ATTRIBUTE_PSEUDOCONSOLE, *(*unsafe.Pointer)(unsafe.Pointer(&pc.hpc)), unsafe.Sizeof(pc.hpc)); err != nil {
		return nil, fmt.Errorf("attribute list: %w", err)
	}
	si := &windows.StartupInfoEx{ProcThreadAttributeList: attrs.List()}
	si.Cb = uint32(unsafe.Sizeof(*si))
	// Without this the child may use the agent's own standard handles instead of the console.
	si.Flags = windows.STARTF_USESTDHANDLES

	cmd, err := windows.UTF16PtrFromString(cmdline)
	if err != nil {
		return nil, err
	}
	var dirp *uint16
	if dir != "" {
		if dirp, err = windows.UTF16PtrFromString(dir); err != nil {
			return nil, err
		}
	}
	var pi windows.ProcessInformation
	flags := uint32(windows.EXTENDED_STARTUPINFO_PRESENT | windows.CREATE_UNICODE_ENVIRONMENT | windows.CREATE_SUSPENDED)
	if err := windows.CreateProcess(nil, cmd, nil, nil, false, flags, nil, dirp, &si.StartupInfo, &pi); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmdline, err)
	}
	defer windows.CloseHandle(pi.Thread)
	pc.proc = pi.Process
	// The process joins the job before it runs, so that nothing it starts escapes the job.
	if pc.job, err = windows.CreateJobObject(nil, nil); err != nil {
		windows.TerminateProcess(pi.Process, 1)
		return nil, fmt.Errorf("create job: %w", err)
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{}
	info.BasicLimitInformation.LimitFlags = windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
	if _, err := windows.SetInformationJobObject(pc.job, windows.JobObjectExtendedLimitInformation, uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.TerminateProcess(pi.Process, 1)
		return nil, fmt.Errorf("configure job: %w", err)
	}
	if err := windows.AssignProcessToJobObject(pc.job, pi.Process); err != nil {
		windows.TerminateProcess(pi.Process, 1)
		return nil, fmt.Errorf("assign job: %w", err)
	}
	if _, err := windows.ResumeThread(pi.Thread); err != nil {
		windows.TerminateProcess(pi.Process, 1)
		return nil, fmt.Errorf("resume: %w", err)
	}
	return pc, nil
}

// close kills the process tree and releases everything; the output pipe then reaches its end.
func (pc *conpty) close() {
	pc.closeOnce.Do(func() {
		if pc.job != 0 {
			windows.CloseHandle(pc.job)
		}
		if pc.hpc != 0 {
			windows.ClosePseudoConsole(pc.hpc)
		}
		pc.in.Close()
	})
}

func (pc *conpty) run(ctx context.Context, s stream) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer pc.out.Close()
	defer func() {
		pc.close()
		if pc.proc != 0 {
			windows.CloseHandle(pc.proc)
		}
	}()

	exited := make(chan uint32, 1)
	go func() {
		_, _ = windows.WaitForSingleObject(pc.proc, windows.INFINITE)
		var code uint32
		_ = windows.GetExitCodeProcess(pc.proc, &code)
		exited <- code
	}()
	outDone := make(chan error, 1)
	go func() { outDone <- pc.pumpOutput(ctx, s) }()
	inDone := make(chan error, 1)
	go func() { inDone <- pc.pumpInput(ctx, s) }()

	select {
	case code := <-exited:
		// Closing the console flushes what is left and ends the output pipe.
		pc.close()
		outErr := <-outDone
		cancel()
		<-inDone
		if outErr != nil {
			return outErr
		}
		return s.Send(context.WithoutCancel(ctx), protocol.EncodeTermExit(int32(code)))
	case err := <-inDone:
		pc.close()
		<-exited
		cancel()
		<-outDone
		if peerClosed(err) {
			return nil
		}
		return err
	case err := <-outDone:
		pc.close()
		<-exited
		cancel()
		<-inDone
		return err
	}
}

func (pc *conpty) pumpOutput(ctx context.Context, s stream) error {
	buf := make([]byte, 32<<10)
	msg := make([]byte, 0, 1+len(buf))
	for {
		n, err := pc.out.Read(buf)
		if n > 0 {
			msg = append(append(msg[:0], protocol.KindTermOutput), buf[:n]...)
			if err := s.Send(ctx, msg); err != nil {
				return fmt.Errorf("send output: %w", err)
			}
		}
		if err != nil {
			return nil
		}
	}
}

func (pc *conpty) pumpInput(ctx context.Context, s stream) error {
	for {
		msg, err := s.Recv(ctx)
		if err != nil {
			return err
		}
		kind, err := protocol.Kind(msg)
		if err != nil {
			return err
		}
		switch kind {
		case protocol.KindTermInput:
			if _, err := pc.in.Write(msg[1:]); err != nil {
				return fmt.Errorf("write to terminal: %w", err)
			}
		case protocol.KindTermResize:
			size, err := protocol.DecodeTermResize(msg)
			if err != nil {
				return err
			}
			if err := windows.ResizePseudoConsole(pc.hpc, windows.Coord{X: int16(size.Cols), Y: int16(size.Rows)}); err != nil {
				return fmt.Errorf("resize terminal: %w", err)
			}
		default:
			return fmt.Errorf("%w: message kind 0x%02x on a terminal stream", protocol.ErrMalformed, kind)
		}
	}
}
