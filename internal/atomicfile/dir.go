package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// DirOptions say how ReplaceDir checks and builds a directory.
type DirOptions struct {
	// Check, when set, is called with the existing directory (holding the lock) before
	// anything is written; an error refuses the save and changes nothing.
	Check func(dir string) error
	// Build fills tmp, an empty directory beside the target (mode 0755). It must sync what it
	// writes (files); ReplaceDir syncs the directories it makes and tmp itself.
	Build func(tmp string) error
	// SyncDirs are further directories under tmp (relative names) to sync before the
	// directory counts as complete.
	SyncDirs []string
	// NoExchange replaces an existing directory by two renames, as on systems without an
	// atomic exchange (tests set it).
	NoExchange bool
}

// ReplaceDir writes the directory dir as a whole: built under a temporary name beside dir,
// renamed to "<tmp>.new" when complete, then swapped with dir in one step (Linux
// renameat2(RENAME_EXCHANGE)) or, where that is missing, dir renamed to "<tmp>.old" and
// "<tmp>.new" to dir. It holds dir's lock throughout (ErrBusy when another save holds it) and
// first finishes or rolls back what an interrupted save of dir left (RecoverDirLocked). A
// crash at any step leaves the old directory or the new one in place, or, only between the
// two renames of the fallback, neither, with both recoverable: RecoverDir puts back the newest
// complete one.
func ReplaceDir(dir string, o DirOptions) (err error) {
	dir = filepath.Clean(dir)
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	lock, err := Acquire(dir, false)
	if err != nil {
		return err
	}
	defer lock.Release()
	if err := RecoverDirLocked(dir); err != nil {
		return err
	}
	_, statErr := os.Lstat(dir)
	exists := statErr == nil
	if exists && o.Check != nil {
		if err := o.Check(dir); err != nil {
			return err
		}
	}
	tmp := TempPrefix(dir)
	Step("create directory")
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return err
	}
	installed := false
	defer func() {
		if err != nil && !installed {
			os.RemoveAll(tmp)
			os.RemoveAll(tmp + ".new")
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := o.Build(tmp); err != nil {
		return err
	}
	for _, d := range o.SyncDirs {
		SyncDir(filepath.Join(tmp, d))
	}
	SyncDir(tmp)
	// Complete: only a directory with this name may become dir.
	Step("rename complete directory")
	if err := os.Rename(tmp, tmp+".new"); err != nil {
		return err
	}
	SyncDir(parent)
	var old string
	switch {
	case !exists:
		Step("rename into place")
		if err := os.Rename(tmp+".new", dir); err != nil {
			return err
		}
	default:
		err := ErrNoExchange
		if !o.NoExchange {
			Step("exchange with the old directory")
			err = Exchange(tmp+".new", dir)
		}
		if err == nil {
			old = tmp + ".new" // now the old directory
			break
		}
		if !errors.Is(err, ErrNoExchange) {
			return err
		}
		old = tmp + ".old"
		Step("rename old directory aside")
		if err := os.Rename(dir, old); err != nil {
			return err
		}
		Step("rename into place")
		if err := os.Rename(tmp+".new", dir); err != nil {
			os.Rename(old, dir)
			return err
		}
	}
	installed = true
	SyncDir(parent)
	if old != "" {
		Step("remove old directory")
		os.RemoveAll(old)
	}
	return nil
}

// RecoverDir finishes or rolls back a ReplaceDir of dir that a crash interrupted and removes
// what it left beside dir, holding dir's lock (an error wrapping ErrBusy when another save
// holds it; then nothing changes). Nothing to do is no error.
func RecoverDir(dir string) error {
	dir = filepath.Clean(dir)
	ts, err := Temps(dir, DirTemp)
	if err != nil {
		return err
	}
	if _, lerr := os.Lstat(LockFile(dir)); len(ts) == 0 && lerr != nil {
		return nil
	}
	lock, err := Acquire(dir, false)
	if err != nil {
		return err
	}
	defer lock.Release()
	return RecoverDirLocked(dir)
}

// RecoverDirLocked is RecoverDir with dir's lock held. Only when dir is missing is anything put
// back: the newest complete new directory (".new"), else the old one (".old"); every other
// temporary directory of dir is removed.
func RecoverDirLocked(dir string) error {
	ts, err := Temps(dir, DirTemp)
	if err != nil || len(ts) == 0 {
		return err
	}
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		var pick string
		var pickTime int64
		for _, want := range []string{".new", ".old"} {
			for _, t := range ts {
				st, err := os.Stat(t.Path(dir))
				if t.Rest != want || err != nil || !st.IsDir() {
					continue
				}
				if pick == "" || st.ModTime().UnixNano() > pickTime {
					pick, pickTime = t.Path(dir), st.ModTime().UnixNano()
				}
			}
			if pick != "" {
				break
			}
		}
		if pick != "" {
			Step("put back " + filepath.Base(pick))
			if err := os.Rename(pick, dir); err != nil {
				return err
			}
			SyncDir(filepath.Dir(dir))
		}
	}
	return RemoveTemps(dir, DirTemp)
}

// DirTemp owns the temporary names of ReplaceDir: the directory being built (no suffix),
// complete (".new"), and the old directory moved aside (".old").
func DirTemp(t Temp) bool {
	return t.Dir && (t.Rest == "" || t.Rest == ".new" || t.Rest == ".old")
}
