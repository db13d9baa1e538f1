//go:build unix

package h5

import (
	"errors"
	"io/fs"
	"syscall"
)

// errnoNames are the errors a save is likely to meet.
var errnoNames = map[syscall.Errno]string{
	syscall.ENOSPC: "ENOSPC", syscall.EDQUOT: "EDQUOT", syscall.EIO: "EIO", syscall.EFBIG: "EFBIG",
	syscall.EROFS: "EROFS", syscall.EACCES: "EACCES", syscall.EPERM: "EPERM", syscall.ENOENT: "ENOENT",
}

func errnoName(e syscall.Errno) string { return errnoNames[e] }

// nameErrno adds the errno's name to a Go file-system error ("write x: no space left on
// device" becomes "... (ENOSPC)"); other errors are returned as they are.
func nameErrno(err error) error {
	var pe *fs.PathError
	var e syscall.Errno
	if err == nil || !errors.As(err, &pe) || !errors.As(pe.Err, &e) || errnoName(e) == "" {
		return err
	}
	return &namedErr{err: err, name: errnoName(e)}
}
