package savedmodel

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/internal/atomicfile"
	"github.com/kerasgo/kerasgo/internal/errcat"
)

var (
	// ErrFormat reports a SavedModel that is corrupt or invalid.
	ErrFormat = errcat.New("savedmodel: invalid format", errcat.ErrFormat)
	// ErrUnsupported reports a valid SavedModel (or model) kerasgo does not handle.
	ErrUnsupported = errcat.New("savedmodel: unsupported", errcat.ErrUnsupported)
	// ErrChecksum reports a checksum mismatch (from the variables bundle).
	ErrChecksum = errcat.New("savedmodel: checksum mismatch", errcat.ErrChecksum)
	// ErrBusy reports a save to a directory that another save (in this process or another)
	// is writing: the save that gets it changes nothing. The same value as checkpoint.ErrBusy.
	ErrBusy = atomicfile.ErrBusy
)

// Error names the file and object a problem was found in.
type Error struct {
	Path   string // file or directory
	Object string // node, signature, layer or variable; may be empty
	Err    error
}

func (e *Error) Error() string {
	msg := strings.TrimPrefix(e.Err.Error(), "savedmodel: ")
	if e.Object != "" {
		return fmt.Sprintf("savedmodel: %s: %s: %s", e.Path, e.Object, msg)
	}
	return fmt.Sprintf("savedmodel: %s: %s", e.Path, msg)
}

func (e *Error) Unwrap() error { return e.Err }

func formatErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrFormat}, args...)...)
}

func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUnsupported}, args...)...)
}

// variablesErr wraps an error from the variables bundle: it names the directory and, besides
// the checkpoint error, matches this package's sentinel of the same kind (so that
// errors.Is(err, ErrChecksum) holds for a bundle checksum mismatch).
func variablesErr(dir string, err error) error {
	return &Error{Path: dir, Err: &bundleError{err: err, dir: dir}}
}

// bundleError prints a checkpoint error with the file relative to the SavedModel directory.
type bundleError struct {
	err error
	dir string
}

func (e *bundleError) Error() string {
	s := e.err.Error()
	if t := strings.TrimPrefix(s, "checkpoint: "+e.dir+string(filepath.Separator)); t != s {
		return t
	}
	return "variables: " + s
}

func (e *bundleError) Unwrap() []error {
	for _, p := range [][2]error{
		{checkpoint.ErrChecksum, ErrChecksum},
		{checkpoint.ErrFormat, ErrFormat},
		{checkpoint.ErrUnsupported, ErrUnsupported},
	} {
		if errors.Is(e.err, p[0]) {
			return []error{e.err, p[1]}
		}
	}
	return []error{e.err}
}
