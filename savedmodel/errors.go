package savedmodel

import (
	"errors"
	"fmt"
	"strings"
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
