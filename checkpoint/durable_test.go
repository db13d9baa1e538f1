//go:build unix

package checkpoint

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kerasgo/kerasgo/internal/crashtest"
)

// TestConcurrentSaves: while one save to a prefix is open, a second one, in this process or
// in another, fails with ErrBusy at once and changes nothing; the first completes whole.
func TestConcurrentSaves(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "w")
	if err := crashSave(t, "keras", prefix, 1); err != nil {
		t.Fatal(err)
	}
	w, err := newWriter(prefix, WriterOptions{}, true)
	if err != nil {
		t.Fatal(err)
	}
	// The same process.
	if _, err := NewWriter(prefix); !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), prefix) {
		t.Errorf("second writer in this process: %v, want ErrBusy naming %s", err, prefix)
	}
	if err := SaveKerasWeights(prefix, crashModel(t, 3)); !errors.Is(err, ErrBusy) {
		t.Errorf("second save in this process: %v, want ErrBusy", err)
	}
	// Another process.
	res := crashtest.Run(t, "TestCrashChild", 0, "keras|"+prefix)
	if !strings.Contains(res.Err, ErrBusy.Error()) {
		t.Errorf("save from another process: %q, want %q", res.Err, ErrBusy)
	}
	if g := generation(t, "keras", prefix, true); g != 1 {
		t.Errorf("the refused saves changed the checkpoint to generation %d", g)
	}
	// The first save completes.
	ts := crashTensors(4)
	for _, k := range sortedKeys(ts) {
		if err := w.Add(k, ts[k]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if g := generation(t, "bundle", prefix, true); g != 4 {
		t.Errorf("after the first save: generation %d, want 4", g)
	}
	if names := tempNames(t, dir); len(names) > 0 {
		t.Errorf("left %v", names)
	}

	// Racing goroutines: every save either completes or gets ErrBusy, and the checkpoint is
	// whole and one of the completed saves.
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = crashSave(t, "bundle", prefix, 10+i)
		}()
	}
	wg.Wait()
	ok := map[int]bool{}
	for i, err := range errs {
		if err == nil {
			ok[10+i] = true
		} else if !errors.Is(err, ErrBusy) {
			t.Errorf("save %d: %v", i, err)
		}
	}
	if g := generation(t, "bundle", prefix, true); !ok[g] {
		t.Errorf("the checkpoint is generation %d; the saves that completed: %v", g, ok)
	}
	if names := tempNames(t, dir); len(names) > 0 {
		t.Errorf("left %v", names)
	}
}

// TestStateFileNotReplaced: a save names its checkpoint in the folder's `checkpoint` file only
// when that file is a checkpoint state file (or absent); anything else of that name is left
// alone and the save fails naming it, before writing anything.
func TestStateFileNotReplaced(t *testing.T) {
	for _, c := range []struct {
		name string
		make func(p string) error
	}{
		{"text file", func(p string) error { return os.WriteFile(p, []byte("my notes on this checkpoint\n"), 0o644) }},
		{"empty-looking binary", func(p string) error { return os.WriteFile(p, []byte{0xff, 0, 1}, 0o644) }},
		{"folder", func(p string) error {
			if err := os.Mkdir(p, 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(p, "keep"), []byte("x"), 0o644)
		}},
		{"symlink", func(p string) error { return os.Symlink("elsewhere", p) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			state := filepath.Join(dir, StateFile)
			if err := c.make(state); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, dir)
			err := SaveKerasWeights(filepath.Join(dir, "w"), crashModel(t, 1))
			if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), state) {
				t.Errorf("save beside a foreign %s: %v, want ErrUnsupported naming %s", c.name, err, state)
			}
			if err := WriteState(dir, &State{ModelCheckpointPath: "w"}); !errors.Is(err, ErrUnsupported) {
				t.Errorf("WriteState over a foreign %s: %v", c.name, err)
			}
			if after := snapshot(t, dir); after != before {
				t.Errorf("the folder changed:\n%s\nwant\n%s", after, before)
			}
			// A bundle alone (no state file) is still written.
			writeBundle(t, filepath.Join(dir, "b"), crashTensors(1), WriterOptions{})
		})
	}
	// A real state file (of another prefix, written by TF) is replaced.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, StateFile), []byte("model_checkpoint_path: \"other\"\nall_model_checkpoint_paths: \"other\"\n"), 0o644)
	if err := SaveKerasWeights(filepath.Join(dir, "w"), crashModel(t, 1)); err != nil {
		t.Fatal(err)
	}
	if s, err := ReadState(dir); err != nil || s.ModelCheckpointPath != "w" {
		t.Errorf("state after the save: %+v, %v", s, err)
	}
}

// snapshot lists a folder's tree with file contents, for before/after comparisons.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		b.WriteString(p + " " + fi.Mode().String())
		if fi.Mode().IsRegular() {
			c, _ := os.ReadFile(p)
			b.WriteString(" " + string(c))
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			l, _ := os.Readlink(p)
			b.WriteString(" -> " + l)
		}
		b.WriteString("\n")
		return nil
	})
	return b.String()
}

// TestUncleanPrefix: a prefix given with "." and ".." elements saves, replaces and recovers as
// its clean form does.
func TestUncleanPrefix(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "x"), 0o755)
	prefix := dir + "/./x/../w"
	for gen := 1; gen <= 2; gen++ {
		if err := SaveKerasWeights(prefix, crashModel(t, gen)); err != nil {
			t.Fatal(err)
		}
	}
	if g := generation(t, "keras", filepath.Join(dir, "w"), true); g != 2 {
		t.Errorf("generation %d, want 2", g)
	}
	if s, err := ReadState(dir); err != nil || s.Text() != "model_checkpoint_path: \"w\"\nall_model_checkpoint_paths: \"w\"\n" {
		t.Errorf("state %+v %v", s, err)
	}
	if names := tempNames(t, dir); len(names) > 0 {
		t.Errorf("left %v", names)
	}
}
