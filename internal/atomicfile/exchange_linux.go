//go:build linux && (amd64 || arm64)

package atomicfile

import (
	"os"
	"syscall"
	"unsafe"
)

// renameat2's flag (linux/include/uapi/linux/fs.h).
const renameExchange = 1 << 1

// Exchange swaps the names a and b atomically (Linux renameat2 RENAME_EXCHANGE): whatever
// happens, each name holds one of the two. It returns ErrNoExchange where the system or the
// file system cannot do it.
func Exchange(a, b string) error {
	pa, err := syscall.BytePtrFromString(a)
	if err != nil {
		return err
	}
	pb, err := syscall.BytePtrFromString(b)
	if err != nil {
		return err
	}
	atFDCWD := -100 // AT_FDCWD: names relative to the working folder
	_, _, e := syscall.Syscall6(sysRenameat2, uintptr(atFDCWD), uintptr(unsafe.Pointer(pa)),
		uintptr(atFDCWD), uintptr(unsafe.Pointer(pb)), renameExchange, 0)
	switch e {
	case 0:
		return nil
	case syscall.ENOSYS, syscall.EINVAL, syscall.EOPNOTSUPP:
		return ErrNoExchange
	}
	return &os.LinkError{Op: "exchange", Old: a, New: b, Err: e}
}
