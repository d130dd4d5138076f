package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of the times in /proc/PID/stat; it is 100 on every Linux build Go
// supports.
const clockTicks = 100

// procStatus is what a process's /proc files say about its memory and CPU time.
type procStatus struct {
	RSSKiB     uint64
	PeakRSSKiB uint64
	Threads    int
	CPUSeconds float64 // user + system
}

// readProc reads /proc/PID/status and /proc/PID/stat.
func readProc(pid int) (procStatus, error) {
	var ps procStatus
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ps, fmt.Errorf("read process %d status: %w", pid, err)
	}
	if ps, err = parseStatus(status); err != nil {
		return ps, fmt.Errorf("process %d: %w", pid, err)
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ps, fmt.Errorf("read process %d stat: %w", pid, err)
	}
	if ps.CPUSeconds, err = parseStatCPU(stat); err != nil {
		return ps, fmt.Errorf("process %d: %w", pid, err)
	}
	return ps, nil
}

// parseStatus reads VmRSS, VmHWM and Threads from the text of /proc/PID/status.
func parseStatus(b []byte) (procStatus, error) {
	var ps procStatus
	found := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(val)
		if len(fields) == 0 {
			continue
		}
		n, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil {
			continue
		}
		switch key {
		case "VmRSS":
			ps.RSSKiB, found = n, true
		case "VmHWM":
			ps.PeakRSSKiB = n
		case "Threads":
			ps.Threads = int(n)
		}
	}
	if !found {
		return ps, errors.New("no VmRSS in /proc status")
	}
	return ps, nil
}

// parseStatCPU returns utime + stime in seconds from the text of /proc/PID/stat. The command name
// (field 2) may hold spaces and parentheses, so fields are counted from the last ')'.
func parseStatCPU(b []byte) (float64, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc stat")
	}
	// After ')': state is field 3, so utime (14) and stime (15) are the 12th and 13th.
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("malformed CPU times in /proc stat")
	}
	return float64(ut+st) / clockTicks, nil
}
