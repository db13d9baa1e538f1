package h5

import (
	"errors"
	"fmt"

	"github.com/kerasgo/kerasgo/internal/atomicfile"
	"github.com/kerasgo/kerasgo/internal/errcat"
)

// Sentinel errors. Every error from this package wraps one of them (or an I/O error) inside
// an *Error naming the file and object.
var (
	// ErrFormat reports corrupt or invalid input.
	ErrFormat = errcat.New("h5: invalid format", errcat.ErrFormat)
	// ErrUnsupported reports valid input this package does not handle, and operations a
	// build without cgo cannot do.
	ErrUnsupported = errcat.New("h5: unsupported", errcat.ErrUnsupported)
	// ErrChecksum reports a checksum mismatch (zip members of a .keras file).
	ErrChecksum = errcat.New("h5: checksum mismatch", errcat.ErrChecksum)
	// ErrBusy reports a save to a file that another save (in this process or another) is
	// writing: the save that gets it changes nothing. The same value as checkpoint.ErrBusy.
	ErrBusy = atomicfile.ErrBusy
)

// Error is the error type of this package: what was being done, to which file and object.
type Error struct {
	Op     string // "load", "save", "list"
	File   string // the file's path
	Object string // the HDF5 object ("model_weights/conv_1", "model_weights@layer_names"), zip member, or ""
	Err    error
}

func (e *Error) Error() string {
	s := "h5: " + e.Op + " " + fmt.Sprintf("%q", e.File)
	if e.Object != "" {
		s += ": " + e.Object
	}
	return s + ": " + trimPrefix(e.Err.Error())
}

// trimPrefix drops the "h5: " of wrapped sentinels so messages do not repeat it.
func trimPrefix(s string) string {
	if len(s) > 4 && s[:4] == "h5: " {
		return s[4:]
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// objErr is an error about one object, lifted into an *Error by the caller that knows the file.
type objErr struct {
	obj string
	err error
}

func (e *objErr) Error() string { return e.obj + ": " + trimPrefix(e.err.Error()) }
func (e *objErr) Unwrap() error { return e.err }

// atObj wraps err with the object it concerns (no-op for nil; keeps the innermost object).
func atObj(obj string, err error) error {
	if err == nil {
		return nil
	}
	var oe *objErr
	if errors.As(err, &oe) {
		return err
	}
	return &objErr{obj: obj, err: err}
}

// fileErr turns an error into an *Error for op on file, moving an inner object name up.
func fileErr(op, file string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	out := &Error{Op: op, File: file, Err: err}
	var oe *objErr
	if errors.As(err, &oe) {
		out.Object = oe.obj
		out.Err = oe.err
	}
	return out
}

// formatf returns an ErrFormat error with a reason.
func formatf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrFormat}, args...)...)
}

// unsupportedf returns an ErrUnsupported error with a reason.
func unsupportedf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUnsupported}, args...)...)
}
