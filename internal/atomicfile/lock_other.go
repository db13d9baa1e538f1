//go:build !unix

package atomicfile

import (
	"errors"
	"os"
)

var errWouldBlock = errors.New("would block")

// lockFD does nothing where flock is not available: concurrent saves to one target are then
// not detected (each still replaces the target whole, and the last one wins).
func lockFD(f *os.File, wait bool) error { return nil }
