package h5

import "syscall"

// osError is an operating-system error met by libhdf5 (a full disk, a quota, an I/O error),
// named by its errno: "write dataset: no space left on device (ENOSPC)".
type osError struct {
	op    string
	errno syscall.Errno
}

func (e *osError) Error() string {
	s := e.op + ": " + e.errno.Error()
	if n := errnoName(e.errno); n != "" {
		s += " (" + n + ")"
	}
	return s
}

func (e *osError) Unwrap() error { return e.errno }

// namedErr is a file-system error with its errno's name added.
type namedErr struct {
	err  error
	name string
}

func (e *namedErr) Error() string { return e.err.Error() + " (" + e.name + ")" }
func (e *namedErr) Unwrap() error { return e.err }
