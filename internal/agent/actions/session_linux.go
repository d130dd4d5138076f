package actions

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// killSession kills every process of session sid: a shell with job control puts each job in a
// process group of its own, so killing the shell's group alone would leave background jobs running.
func killSession(sid int) {
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		// The command name is in parentheses and may contain spaces; the fields after it are
		// state, ppid, pgrp, session.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) >= 4 && f[3] == strconv.Itoa(sid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}
