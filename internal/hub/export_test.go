package hub

// SetStatusChunk makes status writes use transactions of n changes until the returned function
// restores the default.
func SetStatusChunk(n int) (restore func()) {
	old := statusChunk
	statusChunk = n
	return func() { statusChunk = old }
}
