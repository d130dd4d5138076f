package hub

import "time"

// SetStatusChunk makes status writes use transactions of n changes until the returned function
// restores the default.
func SetStatusChunk(n int) (restore func()) {
	old := statusChunk
	statusChunk = n
	return func() { statusChunk = old }
}

// SetEndDelay makes every agent connection wait d before recording its end, until the returned
// function restores the default.
func SetEndDelay(d time.Duration) (restore func()) {
	old := endDelay
	endDelay = d
	return func() { endDelay = old }
}
