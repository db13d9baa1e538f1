package table

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/kerasgo/kerasgo/internal/errcat"
)

var (
	// ErrFormat reports a file that is not a valid table.
	ErrFormat = errcat.New("table: invalid format", errcat.ErrFormat)
	// ErrChecksum reports a block whose CRC-32C does not match its trailer.
	ErrChecksum = errcat.New("table: checksum mismatch", errcat.ErrChecksum)
	// ErrUnsupported reports a valid table feature this package does not handle.
	ErrUnsupported = errcat.New("table: unsupported", errcat.ErrUnsupported)
	// ErrNotFound is returned by Get for a missing key. It matches fs.ErrNotExist (what is
	// asked for is not there; the file is not thereby invalid).
	ErrNotFound = errcat.New("table: key not found", fs.ErrNotExist)
	// ErrOrder reports keys added out of order to a Writer. It has no category on purpose:
	// the callers (checkpoint.Writer) sort and deduplicate keys first, so it can only mean a
	// bug in kerasgo, never bad input.
	ErrOrder = errors.New("table: keys not strictly increasing")
)

// Error describes a problem at a position in a table file.
type Error struct {
	Name   string // file name, as given in ReaderOptions.Name
	Offset int64  // file offset of the block (or footer) concerned
	Reason string
	Err    error // ErrFormat, ErrChecksum, ErrUnsupported, or an I/O error
}

func (e *Error) Error() string {
	name := e.Name
	if name == "" {
		name = "table"
	}
	switch e.Err {
	case ErrFormat, ErrChecksum, ErrUnsupported:
		// The kind first, without its "table: " prefix: "table: F at offset 12: checksum mismatch: block 3".
		return fmt.Sprintf("table: %s at offset %d: %s: %s", name, e.Offset, strings.TrimPrefix(e.Err.Error(), "table: "), e.Reason)
	}
	return fmt.Sprintf("table: %s at offset %d: %s: %v", name, e.Offset, e.Reason, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }
