package savedmodel

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/kerasgo/kerasgo/internal/atomicfile"
)

// noExchange makes saves replace a directory by two renames, as on systems without an atomic
// exchange (set by tests).
var noExchange bool

// writeDirAtomic builds the SavedModel under a temporary name beside dir and puts it in place
// (see "Saving" in the package documentation; the steps are atomicfile.ReplaceDir's).
func writeDirAtomic(dir string, b *built) error {
	return atomicfile.ReplaceDir(dir, atomicfile.DirOptions{
		Check:      replaceable,
		NoExchange: noExchange,
		SyncDirs:   []string{AssetsDir, VariablesDir},
		Build: func(tmp string) error {
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
			return nil
		},
	})
}

// Recover finishes or rolls back a save to dir that a crash interrupted, by the rule in the
// package documentation ("Saving"), and removes what such a save left beside dir. Save and
// Load do it themselves; Recover is for callers that look for dir before loading it (a
// missing dir may be a save to finish). It holds dir's lock while it works: when another save
// holds it, Recover changes nothing and returns an error wrapping ErrBusy. Nothing to do is no
// error.
func Recover(dir string) error {
	dir = filepath.Clean(dir)
	if err := atomicfile.RecoverDir(dir); err != nil {
		return &Error{Path: dir, Err: err}
	}
	return nil
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
