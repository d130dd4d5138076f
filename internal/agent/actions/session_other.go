//go:build !linux && !windows

package actions

// killSession is a no-op where processes cannot be listed by session cheaply; killing the shell's
// process group (and the hangup the shell sends its jobs) has to do.
func killSession(int) {}
