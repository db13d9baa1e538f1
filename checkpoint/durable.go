package checkpoint

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kerasgo/kerasgo/internal/atomicfile"
)

// install puts the complete bundle under the temporary prefix tmp (n data shards) in place at
// prefix, then removes tmp's files. The prefix's index is removed first, so that until the new
// index is in place the prefix has none (a reader sees "not found", never an index beside
// another save's data); the files are hard-linked (copied where links are not supported) and
// renamed over the prefix's, so that tmp stays a whole bundle until the end; a state file
// naming tmp is made to name prefix.
func install(tmp, prefix string, n int, sync bool) error {
	atomicfile.Step("remove old index")
	if err := os.Remove(IndexFile(prefix)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("checkpoint: %w", err)
	}
	scratch := tmp + ".link"
	for i := 0; i < n; i++ {
		if err := linkOver(DataFile(tmp, i, n), DataFile(prefix, i, n), scratch, sync); err != nil {
			return err
		}
	}
	if err := linkOver(IndexFile(tmp), IndexFile(prefix), scratch, sync); err != nil {
		return err
	}
	if sync {
		atomicfile.SyncDir(filepath.Dir(prefix))
	}
	if err := renameInState(tmp, prefix, sync); err != nil {
		return err
	}
	// Shards of an older bundle at prefix with another shard count.
	old, _ := filepath.Glob(globEscape(prefix) + ".data-?????-of-?????")
	for _, f := range old {
		if !strings.HasSuffix(f, fmt.Sprintf("-of-%05d", n)) {
			atomicfile.Step("remove old shard")
			os.Remove(f)
		}
	}
	removeBundleTemps(prefix, tmp)
	return nil
}

// linkOver makes dst a second name of src: a hard link (or, where the file system has none, a
// synced copy) made under scratch and renamed over dst.
func linkOver(src, dst, scratch string, sync bool) error {
	os.Remove(scratch)
	atomicfile.Step("link " + filepath.Base(dst))
	if err := os.Link(src, scratch); err != nil {
		if err := copyFile(src, scratch, sync); err != nil {
			os.Remove(scratch)
			return fmt.Errorf("checkpoint: %w", err)
		}
	}
	atomicfile.Step("rename " + filepath.Base(dst))
	if err := os.Rename(scratch, dst); err != nil {
		os.Remove(scratch)
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

func copyFile(src, dst string, sync bool) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil && sync {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// bundleTemp owns the temporary names of a bundle save: its data shards while written
// (".part-NNNNN") and complete (".data-…"), its index (".index.part", ".index"), and the
// scratch name of install (".link").
func bundleTemp(t atomicfile.Temp) bool {
	return !t.Dir && (strings.HasPrefix(t.Rest, ".part-") || strings.HasPrefix(t.Rest, ".data-") ||
		t.Rest == ".index" || t.Rest == ".index.part" || t.Rest == ".link")
}

// removeBundleTemps removes the files of the save whose temporary prefix is tmp (all saves to
// prefix when tmp is empty): each temporary index first, so that a bundle whose removal is
// interrupted is no longer complete.
func removeBundleTemps(prefix, tmp string) {
	ts, _ := atomicfile.Temps(prefix, bundleTemp)
	for _, pass := range []bool{true, false} {
		for _, t := range ts {
			if (tmp == "" || t.Prefix(prefix) == tmp) && (t.Rest == ".index") == pass {
				atomicfile.Step("remove " + t.Name)
				os.RemoveAll(t.Path(prefix))
			}
		}
	}
}

// Recover finishes or rolls back a save to prefix that a crash interrupted, by the rule in the
// package documentation ("Saving"), and removes the temporary files such a save left. Saves
// and Open do it themselves; Recover is for callers that look for the files before opening
// them (a prefix whose index is missing may be a save to finish). It holds the prefix's lock
// while it works: when another save holds it, Recover changes nothing and returns an error
// wrapping ErrBusy. Nothing to do is no error.
func Recover(prefix string) error {
	prefix = filepath.Clean(prefix)
	if err := cleanState(filepath.Dir(prefix)); err != nil {
		return err
	}
	ts, err := atomicfile.Temps(prefix, bundleTemp)
	if err != nil {
		return err
	}
	if _, lerr := os.Lstat(atomicfile.LockFile(prefix)); len(ts) == 0 && lerr != nil {
		return nil
	}
	lock, err := atomicfile.Acquire(prefix, false)
	if err != nil {
		return lockErr(prefix, err)
	}
	defer lock.Release()
	return recoverLocked(prefix, true)
}

// settle is Recover for readers: best effort, and it reports whether a live save holds the
// prefix.
func settle(prefix string) (busy bool) {
	err := Recover(prefix)
	return errors.Is(err, ErrBusy)
}

// recoverLocked is Recover with the prefix's lock held.
func recoverLocked(prefix string, sync bool) error {
	ts, err := atomicfile.Temps(prefix, bundleTemp)
	if err != nil || len(ts) == 0 {
		return err
	}
	// A temporary bundle is complete when its index has its final name and its data files
	// hold every entry.
	dir := filepath.Dir(prefix)
	named := map[string]bool{}
	if s, err := ReadState(dir); err == nil {
		for _, p := range append([]string{s.ModelCheckpointPath}, s.AllModelCheckpointPaths...) {
			if p != "" {
				named[filepath.Clean(ResolvePath(dir, p))] = true
			}
		}
	}
	_, statErr := os.Stat(IndexFile(prefix))
	missing := errors.Is(statErr, fs.ErrNotExist)
	var pick string
	var pickShards int
	var pickTime int64
	for _, t := range ts {
		if t.Rest != ".index" {
			continue
		}
		tmp := t.Prefix(prefix)
		if !named[tmp] && !missing {
			continue
		}
		n, ok := wholeBundle(tmp)
		if !ok {
			continue
		}
		st, err := os.Stat(IndexFile(tmp))
		if err != nil {
			continue
		}
		// The one the state file names wins; among others, the newest.
		better := pick == "" || named[tmp] && !named[pick] ||
			named[tmp] == named[pick] && st.ModTime().UnixNano() > pickTime
		if better {
			pick, pickShards, pickTime = tmp, n, st.ModTime().UnixNano()
		}
	}
	if pick != "" {
		if err := install(pick, prefix, pickShards, sync); err != nil {
			return err
		}
	}
	removeBundleTemps(prefix, "")
	return nil
}

// wholeBundle reports whether the bundle at tmp has an index that parses and data shards long
// enough for every entry, and returns its shard count.
func wholeBundle(tmp string) (int, bool) {
	r, err := ReaderOptions{}.open(tmp)
	if err != nil {
		return 0, false
	}
	defer r.Close()
	need := make([]int64, r.numShards)
	for _, e := range r.entries {
		need[e.Shard] = max(need[e.Shard], e.Offset+e.Size)
	}
	for i, n := range need {
		st, err := os.Stat(DataFile(tmp, i, r.numShards))
		if err != nil || !st.Mode().IsRegular() || st.Size() < n {
			return 0, false
		}
	}
	return r.numShards, true
}

// lockErr reports a failure to take a prefix's lock.
func lockErr(prefix string, err error) error {
	if errors.Is(err, ErrBusy) {
		return &Error{File: prefix, Offset: -1, Reason: "not saved", Err: ErrBusy}
	}
	return fmt.Errorf("checkpoint: %w", err)
}
