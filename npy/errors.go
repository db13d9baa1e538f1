package npy

import (
	"fmt"
	"strings"

	"github.com/kerasgo/kerasgo/internal/errcat"
)

var (
	// ErrFormat reports a file that is not a valid .npy file (a truncated one also matches
	// io.ErrUnexpectedEOF).
	ErrFormat = errcat.New("npy: invalid format", errcat.ErrFormat)
	// ErrUnsupported reports a valid .npy array this package does not handle (Fortran order,
	// strings, objects, an unknown version) or a tensor it cannot write.
	ErrUnsupported = errcat.New("npy: unsupported", errcat.ErrUnsupported)
)

// Error names the file a problem was found in. ReadFile and WriteFile return it; errors.Is
// sees through it to ErrFormat, ErrUnsupported, fs.ErrNotExist and so on.
type Error struct {
	Path string
	Err  error
}

func (e *Error) Error() string {
	return fmt.Sprintf("npy: %s: %s", e.Path, strings.TrimPrefix(e.Err.Error(), "npy: "))
}

func (e *Error) Unwrap() error { return e.Err }
