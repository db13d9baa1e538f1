package savedmodel

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kerasgo/kerasgo/checkpoint"
)

var (
	// ErrFormat reports a SavedModel that is corrupt or invalid.
	ErrFormat = errors.New("savedmodel: invalid format")
	// ErrUnsupported reports a valid SavedModel (or model) kerasgo does not handle.
	ErrUnsupported = errors.New("savedmodel: unsupported")
	// ErrChecksum reports a checksum mismatch (from the variables bundle).
	ErrChecksum = errors.New("savedmodel: checksum mismatch")
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
	return fmt.Errorf("savedmodel: %s: variables: %w", dir, &bundleError{err})
}

type bundleError struct{ err error }

func (e *bundleError) Error() string { return e.err.Error() }

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
