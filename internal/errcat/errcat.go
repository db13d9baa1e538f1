// Package errcat holds the four categories every kerasgo error falls into, so that
// errors.Is(err, model.ErrFormat) holds whichever package found the problem.
//
// model re-exports the categories (model.ErrFormat is ErrFormat); each package's own sentinel
// (h5.ErrFormat, checkpoint.ErrChecksum, ...) is made with New and matches both itself and its
// category. The categories print without a package prefix, since they are printed only inside
// a message that already has one.
package errcat

import "errors"

var (
	// ErrFormat: the input is corrupt or invalid (not what its format allows).
	ErrFormat = errors.New("invalid format")
	// ErrUnsupported: the input is valid but uses something kerasgo does not handle.
	ErrUnsupported = errors.New("unsupported")
	// ErrChecksum: stored data does not match its stored checksum.
	ErrChecksum = errors.New("checksum mismatch")
	// ErrMismatch: a valid file whose weights do not fit the model they are loaded into.
	ErrMismatch = errors.New("weights do not fit the model")
)

// New returns a package sentinel with message msg that also matches category with errors.Is.
func New(msg string, category error) error {
	return &sentinel{msg: msg, cat: category}
}

type sentinel struct {
	msg string
	cat error
}

func (s *sentinel) Error() string { return s.msg }
func (s *sentinel) Unwrap() error { return s.cat }

// ErrShape is not a category but the sentinel of an input, target or weight whose shape does
// not fit the model; model re-exports it (model.ErrShape), and the packages that compute on a
// model's outputs (losses, metrics) report it.
var ErrShape = errors.New("shape mismatch")
