package checkpoint

import (
	"errors"
	"fmt"
)

var (
	// ErrFormat reports a corrupt or invalid checkpoint.
	ErrFormat = errors.New("checkpoint: invalid format")
	// ErrUnsupported reports a valid checkpoint feature this package does not handle
	// (partitioned variables, big-endian bundles, variant tensors, ...).
	ErrUnsupported = errors.New("checkpoint: unsupported")
	// ErrChecksum reports a tensor whose CRC-32C does not match its index entry.
	ErrChecksum = errors.New("checkpoint: checksum mismatch")
	// ErrNotFound reports a key, prefix or state file that does not exist.
	ErrNotFound = errors.New("checkpoint: not found")
)

// Error names the file, the tensor key and the offset a problem was found at.
type Error struct {
	File   string
	Key    string // tensor key, "" when the problem is not about one tensor
	Offset int64  // byte offset in File, -1 when not known
	Reason string
	Err    error // one of the sentinels above, or an underlying error
}

func (e *Error) Error() string {
	s := "checkpoint: " + e.File
	if e.Key != "" {
		s += fmt.Sprintf(": key %q", e.Key)
	}
	if e.Offset >= 0 {
		s += fmt.Sprintf(" at offset %d", e.Offset)
	}
	return s + ": " + e.Reason + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

func errorf(file, key string, off int64, kind error, format string, args ...any) error {
	return &Error{File: file, Key: key, Offset: off, Reason: fmt.Sprintf(format, args...), Err: kind}
}
