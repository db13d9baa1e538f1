package table

import (
	"errors"
	"fmt"
)

var (
	// ErrFormat reports a file that is not a valid table.
	ErrFormat = errors.New("table: invalid format")
	// ErrChecksum reports a block whose CRC-32C does not match its trailer.
	ErrChecksum = errors.New("table: checksum mismatch")
	// ErrUnsupported reports a valid table feature this package does not handle.
	ErrUnsupported = errors.New("table: unsupported")
	// ErrNotFound is returned by Get for a missing key.
	ErrNotFound = errors.New("table: key not found")
	// ErrOrder reports keys added out of order to a Writer (a programmer error in the caller).
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
	return fmt.Sprintf("table: %s at offset %d: %s: %v", name, e.Offset, e.Reason, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }
