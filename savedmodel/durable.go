package savedmodel

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"github.com/kerasgo/kerasgo/internal/atomicfile"
)

// noExchange makes saves replace a directory by two renames, as on systems without an atomic
// exchange (set by tests).
var noExchange bool

// writeDirAtomic builds the SavedModel under a temporary name beside dir and puts it in place
// (see "Saving" in the package documentation).
func writeDirAtomic(dir string, b *built) (err error) {
	dir = filepath.Clean(dir)
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	lock, err := atomicfile.Acquire(dir, false)
	if err != nil {
		return err
	}
	defer lock.Release()
	if err := recoverLocked(dir); err != nil {
		return err
	}
	_, statErr := os.Lstat(dir)
	exists := statErr == nil
	if exists {
		if err := replaceable(dir); err != nil {
			return err
		}
	}
	tmp := atomicfile.TempPrefix(dir)
	atomicfile.Step("create directory")
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
	if err := writeFileSync(filepath.Join(tmp, SavedModelFile), b.savedModel); err != nil {
		return err
	}
	if b.kerasMetadata != nil {
		if err := writeFileSync(filepath.Join(tmp, KerasMetadataFile), b.kerasMetadata); err != nil {
			return err
		}
	}
	atomicfile.Step("create assets")
	if err := os.Mkdir(filepath.Join(tmp, AssetsDir), 0o755); err != nil {
		return err
	}
	atomicfile.Step("create variables")
	if err := os.Mkdir(filepath.Join(tmp, VariablesDir), 0o755); err != nil {
		return err
	}
	if err := writeBundle(filepath.Join(tmp, VariablesDir, VariablesPrefix), b.varKeys, b.varValues); err != nil {
		return fmt.Errorf("variables: %w", err)
	}
	for _, d := range []string{filepath.Join(tmp, AssetsDir), filepath.Join(tmp, VariablesDir), tmp} {
		atomicfile.SyncDir(d)
	}
	// Complete: only a directory with this name may become dir.
	atomicfile.Step("rename complete directory")
	if err := os.Rename(tmp, tmp+".new"); err != nil {
		return err
	}
	atomicfile.SyncDir(parent)
	var old string
	switch {
	case !exists:
		atomicfile.Step("rename into place")
		if err := os.Rename(tmp+".new", dir); err != nil {
			return err
		}
	default:
		err := atomicfile.ErrNoExchange
		if !noExchange {
			atomicfile.Step("exchange with the old directory")
			err = atomicfile.Exchange(tmp+".new", dir)
		}
		if err == nil {
			old = tmp + ".new" // now the old directory
			break
		}
		if !errors.Is(err, atomicfile.ErrNoExchange) {
			return err
		}
		old = tmp + ".old"
		atomicfile.Step("rename old directory aside")
		if err := os.Rename(dir, old); err != nil {
			return err
		}
		atomicfile.Step("rename into place")
		if err := os.Rename(tmp+".new", dir); err != nil {
			os.Rename(old, dir)
			return err
		}
	}
	installed = true
	atomicfile.SyncDir(parent)
	if old != "" {
		atomicfile.Step("remove old directory")
		os.RemoveAll(old)
	}
	return nil
}

// Recover finishes or rolls back a save to dir that a crash interrupted, by the rule in the
// package documentation ("Saving"), and removes what such a save left beside dir. Save and
// Load do it themselves; Recover is for callers that look for dir before loading it (a
// missing dir may be a save to finish). It holds dir's lock while it works: when another save
// holds it, Recover changes nothing and returns an error wrapping ErrBusy. Nothing to do is no
// error.
func Recover(dir string) error {
	dir = filepath.Clean(dir)
	ts, err := atomicfile.Temps(dir, dirTemp)
	if err != nil {
		return err
	}
	if _, lerr := os.Lstat(atomicfile.LockFile(dir)); len(ts) == 0 && lerr != nil {
		return nil
	}
	lock, err := atomicfile.Acquire(dir, false)
	if err != nil {
		return &Error{Path: dir, Err: err}
	}
	defer lock.Release()
	if err := recoverLocked(dir); err != nil {
		return &Error{Path: dir, Err: err}
	}
	return nil
}

// recoverLocked is Recover with dir's lock held. Only when dir is missing is anything put
// back: the newest complete new directory (".new"), else the old one (".old").
func recoverLocked(dir string) error {
	ts, err := atomicfile.Temps(dir, dirTemp)
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
			atomicfile.Step("put back " + filepath.Base(pick))
			if err := os.Rename(pick, dir); err != nil {
				return err
			}
			atomicfile.SyncDir(filepath.Dir(dir))
		}
	}
	return atomicfile.RemoveTemps(dir, dirTemp)
}

// dirTemp owns the temporary names of a SavedModel save: the directory being built (no
// suffix), complete (".new"), and the old directory moved aside (".old").
func dirTemp(t atomicfile.Temp) bool {
	return t.Dir && (t.Rest == "" || t.Rest == ".new" || t.Rest == ".old")
}

// settle is Recover for readers: best effort.
func settle(dir string) { Recover(dir) }

// bundleFile matches the files of the variables bundle.
var bundleFile = regexp.MustCompile(`^` + VariablesPrefix + `\.(index|data-[0-9]{5}-of-[0-9]{5})$`)

// replaceable checks that an existing dir holds only what a SavedModel holds, and only files
// kerasgo writes back, so that replacing it as a whole never deletes anything else. The first
// file in the way is named.
func replaceable(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%w: it exists and is not a directory", ErrFormat)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	refuse := func(name, why string) error {
		return fmt.Errorf("%w: refusing to replace the directory: it holds %q, %s", ErrUnsupported, name, why)
	}
	for _, e := range ents {
		switch e.Name() {
		case SavedModelFile, SavedModelTxtFile, "saved_model.cpb", KerasMetadataFile, FingerprintFile:
			if !e.Type().IsRegular() {
				return refuse(e.Name(), "which is not a file")
			}
		case VariablesDir, AssetsDir, "assets.extra":
			if !e.IsDir() {
				return refuse(e.Name(), "which is not a directory")
			}
			sub, err := os.ReadDir(filepath.Join(dir, e.Name()))
			if err != nil {
				return err
			}
			for _, f := range sub {
				name := e.Name() + "/" + f.Name()
				if e.Name() != VariablesDir {
					// kerasgo writes assets/ empty: files there (a vocabulary, user data)
					// would be lost.
					return refuse(name, "which kerasgo would not write back")
				}
				if !bundleFile.MatchString(f.Name()) || !f.Type().IsRegular() {
					return refuse(name, "which is not part of the variables checkpoint")
				}
			}
		default:
			return refuse(e.Name(), "which is not part of a SavedModel")
		}
	}
	return nil
}

func writeFileSync(name string, data []byte) error {
	atomicfile.Step("write " + filepath.Base(name))
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
