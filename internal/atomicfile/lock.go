package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrBusy reports that another save to the same target holds its lock.
var ErrBusy = errors.New("another save to this path is in progress")

// Lock is a held lock on a save's target (see the package rule).
type Lock struct {
	f    *os.File
	name string
}

// LockFile returns the name of target's lock file: DIR/.BASE.lock.
func LockFile(target string) string {
	dir, base := filepath.Split(filepath.Clean(target))
	return filepath.Join(dir, "."+base+".lock")
}

// Acquire takes target's lock. Unless wait is set, a lock held elsewhere (by another process or
// by another save in this one) gives an error wrapping ErrBusy at once. The folder must exist.
func Acquire(target string, wait bool) (*Lock, error) {
	name := LockFile(target)
	for range 100 {
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, err
		}
		if err := lockFD(f, wait); err != nil {
			f.Close()
			if errors.Is(err, errWouldBlock) {
				return nil, ErrBusy
			}
			return nil, fmt.Errorf("lock %s: %w", name, err)
		}
		// The holder before us removes the file before it unlocks: if the name no longer
		// leads to the file we locked, our lock guards nothing and we start again.
		held, err1 := f.Stat()
		now, err2 := os.Stat(name)
		if err1 == nil && err2 == nil && os.SameFile(held, now) {
			return &Lock{f: f, name: name}, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("lock %s: %w", name, ErrBusy)
}

// Release removes the lock file and releases the lock. It is safe to call more than once.
func (l *Lock) Release() {
	if l == nil || l.f == nil {
		return
	}
	os.Remove(l.name)
	l.f.Close() // closing the descriptor drops the flock
	l.f = nil
}

// ErrNoExchange reports that Exchange is not available on this system or file system.
var ErrNoExchange = errors.New("atomic exchange of two names not supported")
