//go:build unix

package atomicfile

import (
	"os"
	"syscall"
)

var errWouldBlock = syscall.EWOULDBLOCK

func lockFD(f *os.File, wait bool) error {
	how := syscall.LOCK_EX
	if !wait {
		how |= syscall.LOCK_NB
	}
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			return err
		}
	}
}
