// Package atomicfile replaces a file all at once: the new content is written to a temporary
// file in the same folder, optionally synced to disk, and renamed over the target, so a
// reader (or a crash) sees the old file or the new one, never a mix. On any error the
// temporary file is removed and the target is left as it was. Every kerasgo writer that
// produces one file (h5, npy, the checkpoint state file) goes through here.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// Options set how a replacement is made. The zero value renames without syncing.
type Options struct {
	// Sync flushes the temporary file to disk before the rename, and the folder after it,
	// so that the new content survives a power loss, not only a process crash.
	Sync bool
}

// Write calls write with the name of a fresh, empty temporary file next to path (write may
// reopen or recreate it by name, as libhdf5 does), then renames it to path. The new file keeps
// the permissions of the file it replaces (0644 for a new one).
func (o Options) Write(path string, write func(tmp string) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	f.Close()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if err = write(tmp); err != nil {
		return err
	}
	if o.Sync {
		if f, err = os.OpenFile(tmp, os.O_RDWR, 0); err != nil {
			return err
		}
		if err = f.Sync(); err != nil {
			f.Close()
			return err
		}
		if err = f.Close(); err != nil {
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
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	if o.Sync {
		if d, e := os.Open(dir); e == nil {
			d.Sync()
			d.Close()
		}
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
