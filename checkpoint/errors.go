package checkpoint

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/kerasgo/kerasgo/internal/atomicfile"
	"github.com/kerasgo/kerasgo/internal/errcat"
)

var (
	// ErrFormat reports a corrupt or invalid checkpoint.
	ErrFormat = errcat.New("checkpoint: invalid format", errcat.ErrFormat)
	// ErrUnsupported reports a valid checkpoint feature this package does not handle
	// (partitioned variables, big-endian bundles, variant tensors, ...).
	ErrUnsupported = errcat.New("checkpoint: unsupported", errcat.ErrUnsupported)
	// ErrChecksum reports a tensor whose CRC-32C does not match its index entry.
	ErrChecksum = errcat.New("checkpoint: checksum mismatch", errcat.ErrChecksum)
	// ErrNotFound reports a key, prefix, data shard or state file that does not exist. It
	// matches fs.ErrNotExist: a checkpoint that is not there, like a missing .h5 file, is no
	// kind of bad input. (A tensor the checkpoint's own object graph names but its index
	// lacks is a corrupt checkpoint: LoadKerasWeights reports that as ErrFormat.)
	ErrNotFound = errcat.New("checkpoint: not found", fs.ErrNotExist)
	// ErrBusy reports a save to a prefix that another save (in this process or another) is
	// writing: the save that gets it changes nothing. The same value as savedmodel.ErrBusy.
	ErrBusy = atomicfile.ErrBusy
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
	var k *kindError
	if e.Err == ErrFormat || e.Err == ErrUnsupported || e.Err == ErrChecksum || e.Err == ErrNotFound || errors.As(e.Err, &k) {
		// The kind first, without the package prefix: "...: unsupported: big-endian bundle".
		return s + ": " + strings.TrimPrefix(e.Err.Error(), "checkpoint: ") + ": " + e.Reason
	}
	return s + ": " + e.Reason + ": " + e.Err.Error()
}

// kindError is one of this package's sentinels (what it prints) together with the error of
// another package that it classifies (a table checksum failure is an ErrChecksum).
type kindError struct{ kind, err error }

func (e *kindError) Error() string   { return e.kind.Error() }
func (e *kindError) Unwrap() []error { return []error{e.kind, e.err} }

func (e *Error) Unwrap() error { return e.Err }

func errorf(file, key string, off int64, kind error, format string, args ...any) error {
	return &Error{File: file, Key: key, Offset: off, Reason: fmt.Sprintf(format, args...), Err: kind}
}
