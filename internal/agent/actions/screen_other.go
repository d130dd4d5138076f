//go:build !linux && !windows

package actions

import "image"

// Screen capture on macOS needs cgo, which the agent is built without.
const (
	screenSupported = false
	inputSupported  = false
)

func captureDisplay(int) (*image.RGBA, error) { return nil, unsupported("screen capture") }

func newInjector(int) (injector, error) { return nil, unsupported("input injection") }
