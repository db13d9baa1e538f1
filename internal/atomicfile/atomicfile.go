// Package atomicfile is how every kerasgo writer replaces what is on disk, so that a failed,
// killed or concurrent save never leaves a mix of two models or destroys the last good one.
//
// Single files (h5, .keras, npy, the checkpoint state file) are replaced all at once: the new
// content goes to a temporary file beside the target, is synced, and is renamed over the target.
// Writers of several files (checkpoint bundles, SavedModel directories) build on the pieces
// here: the per-target lock, the temporary names, and the test hook.
//
// # The rule
//
//   - Lock: a save to TARGET holds an advisory lock (flock) on DIR/.BASE.lock from before its
//     first write until after its last; a second save to the same target, from this process or
//     another, fails at once with ErrBusy and changes nothing. The lock file is removed when the
//     lock is released; one left by a killed process is reused.
//   - Temporary names: everything a save writes before it is in place is named
//     DIR/.BASE.tmp-HHHHHHHHHHHH (12 hex digits), possibly followed by a "."-suffix that says
//     what it is. Such names belong to saves of TARGET only, and while TARGET's lock is free no
//     save is writing them.
//   - Clean-up: a save first removes (or, for the formats that can finish an interrupted save,
//     recovers) the temporary names of its target that its kind of save makes (see Owner),
//     holding the lock.
//
// The kill-at-every-step tests use TestHook: each writer calls Step before every write, sync,
// rename, link and removal.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// Options set how a replacement is made. The zero value syncs, takes the target's lock without
// waiting, and removes the target's stale temporary files.
type Options struct {
	// Sync is kept for compatibility; files are always synced unless NoSync is set.
	Sync bool
	// NoSync skips flushing the temporary file and the folder to disk: the rename is still
	// atomic for a process crash, but not for a power loss. For scratch files and tests.
	NoSync bool
	// Wait blocks until the target's lock is free instead of failing with ErrBusy.
	Wait bool
	// Locked says the caller already holds the target's lock (see Lock).
	Locked bool
}

// Write calls write with the name of a fresh, empty temporary file next to path (write may
// reopen or recreate it by name, as libhdf5 does), then renames it to path. The new file keeps
// the permissions of the file it replaces (0644 for a new one). On any error the temporary file
// is removed and path is left as it was.
func (o Options) Write(path string, write func(tmp string) error) (err error) {
	if !o.Locked {
		l, err := Acquire(path, o.Wait)
		if err != nil {
			return err
		}
		defer l.Release()
		if err := RemoveTemps(path, SingleFile); err != nil {
			return err
		}
	}
	dir := filepath.Dir(path)
	tmp := TempPrefix(path)
	Step("create " + filepath.Base(path))
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if err = write(tmp); err != nil {
		return err
	}
	if !o.NoSync {
		Step("sync " + filepath.Base(path))
		if err = SyncFile(tmp); err != nil {
			return err
		}
	}
	mode := os.FileMode(0o644)
	if st, e := os.Stat(path); e == nil {
		mode = st.Mode().Perm()
	}
	if err = os.Chmod(tmp, mode); err != nil {
		return err
	}
	Step("rename " + filepath.Base(path))
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	if !o.NoSync {
		Step("sync folder of " + filepath.Base(path))
		SyncDir(dir)
	}
	return nil
}

// WriteBytes replaces path with data.
func (o Options) WriteBytes(path string, data []byte) error {
	return o.Write(path, func(tmp string) error {
		return os.WriteFile(tmp, data, 0o644)
	})
}

// WriteWith replaces path with what fill writes to it.
func (o Options) WriteWith(path string, fill func(f *os.File) error) error {
	return o.Write(path, func(tmp string) error {
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		if err := fill(f); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("close %s: %w", tmp, err)
		}
		return nil
	})
}

// SyncFile flushes the named file's content to disk.
func SyncFile(name string) error {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// SyncDir flushes a folder's entries (names created, renamed or removed in it) to disk. Errors
// are ignored: some systems cannot sync a folder, and the rename has happened either way.
func SyncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
