// Package regfile opens the files kerasgo reads as input: regular files only, with their size
// known before a byte is read. A named pipe would block the reader forever and a device such
// as /dev/zero (or a symlink to one) would feed it without end; both fail here at once, before
// any read, with ErrNotRegular.
package regfile

import (
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/kerasgo/kerasgo/internal/errcat"
)

var (
	// ErrNotRegular reports a path that is not a regular file (after following symlinks).
	ErrNotRegular = errcat.New("not a regular file", errcat.ErrFormat)
	// ErrTooLarge reports a file over the caller's size limit.
	ErrTooLarge = errcat.New("file too large", errcat.ErrFormat)
)

// Open opens name for reading when it is a regular file and returns it with its size. Any
// other kind of file fails with ErrNotRegular, without blocking (a named pipe is opened, if at
// all, in non-blocking mode, and closed again).
func Open(name string) (*os.File, int64, error) {
	st, err := os.Stat(name)
	if err != nil {
		return nil, 0, err
	}
	if !st.Mode().IsRegular() {
		return nil, 0, notRegular(st.Mode())
	}
	f, err := os.OpenFile(name, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, 0, err
	}
	// The file may have been replaced between Stat and OpenFile: check what was opened.
	st, err = f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, 0, notRegular(st.Mode())
	}
	return f, st.Size(), nil
}

// ReadFile reads the whole regular file name, refusing it with ErrTooLarge before reading when
// its size exceeds max bytes (and if it grows past max while being read).
func ReadFile(name string, max int64) ([]byte, error) {
	f, size, err := Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size > max {
		return nil, fmt.Errorf("%w: %d bytes, over the %d-byte limit", ErrTooLarge, size, max)
	}
	b := make([]byte, 0, size+1)
	b, err = readAll(io.LimitReader(f, max+1), b)
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w: over the %d-byte limit", ErrTooLarge, max)
	}
	return b, nil
}

// readAll is io.ReadAll into b's spare capacity.
func readAll(r io.Reader, b []byte) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// notRegular describes a file mode that is not a regular file.
func notRegular(m fs.FileMode) error {
	what := "a special file"
	switch {
	case m.IsDir():
		what = "a directory"
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	case m&fs.ModeCharDevice != 0:
		what = "a character device"
	case m&fs.ModeDevice != 0:
		what = "a device"
	}
	return fmt.Errorf("%s, %w", what, ErrNotRegular)
}
