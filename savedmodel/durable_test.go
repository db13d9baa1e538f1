//go:build unix

package savedmodel

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/internal/crashtest"
	"github.com/kerasgo/kerasgo/saved"
)

// genModel is the seed fixture with Adam state, every weight and slot shifted by gen and the
// iteration count set to gen, so that each save is told apart.
func genModel(t testing.TB, gen int) *saved.Model {
	m := fixtureModel(t, "seed", true)
	shift := func(v any) {
		if d, ok := v.([]float32); ok {
			for i := range d {
				d[i] += float32(gen)
			}
		}
	}
	for _, l := range m.Layers {
		for _, w := range l.Weights {
			shift(w.Value.Data)
		}
	}
	for _, s := range m.Optimizer.Slots {
		shift(s.Value.Data)
	}
	m.Optimizer.Iterations = int64(gen)
	return m
}

// generation loads the SavedModel at dir and returns which save wrote it, failing the test
// unless every weight and slot is that generation's. With raw set it reads what is there,
// without finishing an interrupted save (as TensorFlow would).
func generation(t *testing.T, dir string, raw bool) int {
	t.Helper()
	var got *saved.Model
	var err error
	if raw {
		got, err = ReaderOptions{}.load(dir)
	} else {
		got, err = Load(dir)
	}
	if err != nil {
		t.Fatalf("load %s: %v", dir, err)
	}
	gen := int(got.Optimizer.Iterations)
	want := genModel(t, gen)
	for i, l := range want.Layers {
		for j, w := range l.Weights {
			if !sameTensor(got.Layers[i].Weights[j].Value, w.Value) {
				t.Fatalf("%s: %s/%s is not generation %d's", dir, l.Name, w.Name, gen)
			}
		}
	}
	for i, s := range want.Optimizer.Slots {
		if !sameTensor(got.Optimizer.Slots[i].Value, s.Value) {
			t.Fatalf("%s: slot %d is not generation %d's", dir, i, gen)
		}
	}
	return gen
}

// TestCrashChild is the child process of TestCrashEveryStep.
func TestCrashChild(t *testing.T) {
	arg, ok := crashtest.Child()
	if !ok {
		t.Skip("child process of TestCrashEveryStep")
	}
	mode, dir, _ := strings.Cut(arg, "|")
	noExchange = mode == "renames"
	crashtest.Done(Save(dir, genModel(t, 2)))
}

// TestCrashEveryStep kills a save over an existing SavedModel at every step (each file
// written and synced, each directory made, renamed, exchanged or removed, and every step of
// the variables checkpoint) and checks that: the directory as TensorFlow finds it is the old
// or the new model (with an atomic exchange it always exists; with two renames it may be
// missing); a load gives the old or the new model and leaves nothing beside the directory;
// the next save succeeds and leaves only the directory.
func TestCrashEveryStep(t *testing.T) {
	for _, mode := range []string{"exchange", "renames"} {
		t.Run(mode, func(t *testing.T) {
			setup := func() (string, string) {
				parent := t.TempDir()
				dir := filepath.Join(parent, "sm")
				if err := Save(dir, genModel(t, 1)); err != nil {
					t.Fatal(err)
				}
				return parent, dir
			}
			_, dir := setup()
			full := crashtest.Run(t, "TestCrashChild", 0, mode+"|"+dir)
			t.Logf("a save takes %d steps: %s", len(full.Steps), strings.Join(full.Steps, ", "))
			if g := generation(t, dir, true); g != 2 {
				t.Fatalf("an uninterrupted save left generation %d", g)
			}
			seen := map[int]bool{}
			for at := 1; at <= len(full.Steps); at++ {
				parent, dir := setup()
				res := crashtest.Run(t, "TestCrashChild", at, mode+"|"+dir)
				if !res.Killed {
					t.Fatalf("step %d: the child was not killed", at)
				}
				where := fmt.Sprintf("killed at step %d (%s)", at, res.Steps[len(res.Steps)-1])
				t.Run(strconv.Itoa(at), func(t *testing.T) {
					if _, err := os.Stat(dir); err == nil {
						generation(t, dir, true)
					} else if mode == "exchange" {
						t.Errorf("%s: the directory is missing: %v", where, err)
					}
					seen[generation(t, dir, false)] = true
					if ents := names(t, parent); len(ents) != 1 {
						t.Errorf("%s: after a load the parent holds %v", where, ents)
					}
					if err := Save(dir, genModel(t, 3)); err != nil {
						t.Fatalf("%s: next save: %v", where, err)
					}
					if g := generation(t, dir, true); g != 3 {
						t.Errorf("%s: next save left generation %d", where, g)
					}
					if ents := names(t, parent); len(ents) != 1 {
						t.Errorf("%s: after the next save the parent holds %v", where, ents)
					}
				})
			}
			if !seen[1] || !seen[2] {
				t.Errorf("crashes left generations %v: want some old and some new", seen)
			}
		})
	}
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// TestConcurrentSaves: while one save holds the directory, another (this process or another
// one) fails at once with ErrBusy and leaves nothing behind.
func TestConcurrentSaves(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "sm")
	if err := Save(dir, genModel(t, 1)); err != nil {
		t.Fatal(err)
	}
	// Hold the directory's lock as a save in progress does: stop the first save at its
	// first step and run the others from there.
	var errs []error
	var child crashtest.Result
	first := true
	t.Cleanup(func() { atomicfileHook(nil) })
	atomicfileHook(func(string) {
		if !first {
			return
		}
		first = false
		errs = append(errs, Save(dir, genModel(t, 3)))
		child = crashtest.Run(t, "TestCrashChild", 0, "exchange|"+dir)
	})
	if err := Save(dir, genModel(t, 4)); err != nil {
		t.Fatal(err)
	}
	atomicfileHook(nil)
	if len(errs) != 1 || !errors.Is(errs[0], ErrBusy) || !strings.Contains(errs[0].Error(), dir) {
		t.Errorf("second save in this process: %v, want ErrBusy naming %s", errs, dir)
	}
	if !strings.Contains(child.Err, ErrBusy.Error()) {
		t.Errorf("save from another process: %q, want %q", child.Err, ErrBusy)
	}
	if g := generation(t, dir, true); g != 4 {
		t.Errorf("generation %d after the saves, want 4", g)
	}
	if ents := names(t, parent); len(ents) != 1 {
		t.Errorf("the parent holds %v", ents)
	}
}

// TestReplaceRefusesUserFiles: a save over an existing SavedModel refuses, naming the file,
// when the directory holds anything kerasgo would not write back: a file under assets/, an
// extra file or folder under variables/, or a file beside the model; nothing changes.
func TestReplaceRefusesUserFiles(t *testing.T) {
	for _, c := range []struct{ name, file, want string }{
		{"asset", "assets/vocab.txt", "assets/vocab.txt"},
		{"extra asset folder", "assets.extra/tf_serving_warmup_requests", "assets.extra/tf_serving_warmup_requests"},
		{"file in variables", "variables/notes.txt", "variables/notes.txt"},
		{"other checkpoint in variables", "variables/backup.index", "variables/backup.index"},
		{"folder in variables", "variables/old/x", "variables/old"},
		{"file beside", "README", "README"},
	} {
		t.Run(c.name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "sm")
			if err := Save(dir, genModel(t, 1)); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, filepath.FromSlash(c.file))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte("mine"), 0o644); err != nil {
				t.Fatal(err)
			}
			err := Save(dir, genModel(t, 2))
			if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), `"`+c.want+`"`) {
				t.Errorf("save over %s: %v, want ErrUnsupported naming %s", c.file, err, c.want)
			}
			if b, err := os.ReadFile(p); err != nil || string(b) != "mine" {
				t.Errorf("%s: %q, %v", c.file, b, err)
			}
			if g := generation(t, dir, true); g != 1 {
				t.Errorf("generation %d after the refused save", g)
			}
			if ents := names(t, parent); len(ents) != 1 {
				t.Errorf("the parent holds %v", ents)
			}
		})
	}
}
