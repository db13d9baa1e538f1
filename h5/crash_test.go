//go:build unix && cgo

package h5

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

// crashCases are the single-file saves: how each writes and reads generation gen.
var crashCases = []struct {
	name, file string
	save       func(string, *saved.Model) error
	load       func(string) (*saved.Model, error)
	dialect    saved.Dialect
}{
	{"h5", "m.h5", SaveModel, Load, saved.Keras2},
	{"weights.h5", "m.weights.h5", SaveWeightsKeras3, Load, saved.Keras3},
	{"keras", "m.keras", SaveKeras, LoadKeras, saved.Keras3},
}

// genModel is the seed model with every weight shifted by gen and the optimizer's iteration
// count set to gen.
func genModel(d saved.Dialect, gen int) *saved.Model {
	m := seedModel(d, true)
	for _, l := range m.Layers {
		for _, w := range l.Weights {
			for i := range w.Value.Data.([]float32) {
				w.Value.Data.([]float32)[i] += float32(gen)
			}
		}
	}
	m.Optimizer.Iterations = int64(gen)
	return m
}

// generation loads path and returns which save wrote it, failing unless every weight is that
// generation's.
func generation(t *testing.T, c int, path string) int {
	t.Helper()
	got, err := crashCases[c].load(path)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	gen := int(got.Optimizer.Iterations)
	want := genModel(crashCases[c].dialect, gen)
	byName := map[string]saved.Layer{}
	for _, l := range got.Layers {
		byName[l.Name] = l
	}
	n := 0
	for _, l := range want.Layers {
		for j, w := range l.Weights {
			gl := byName[l.Name]
			if j >= len(gl.Weights) || !sameTensor(gl.Weights[j].Value, w.Value) {
				t.Fatalf("%s: %s/%s is not generation %d's", path, l.Name, w.Name, gen)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatalf("%s: no weights compared", path)
	}
	return gen
}

// TestCrashChild is the child process of TestCrashEveryStep.
func TestCrashChild(t *testing.T) {
	arg, ok := crashtest.Child()
	if !ok {
		t.Skip("child process of TestCrashEveryStep")
	}
	cs, path, _ := strings.Cut(arg, "|")
	c, _ := strconv.Atoi(cs)
	crashtest.Done(crashCases[c].save(path, genModel(crashCases[c].dialect, 2)))
}

// TestCrashEveryStep kills an .h5, .weights.h5 and .keras save over an existing file at every
// step (temporary file made, HDF5 filled, archive written, synced, renamed): the file is the old
// or the new model, and the next save succeeds and leaves the file alone in its folder.
func TestCrashEveryStep(t *testing.T) {
	for c, cc := range crashCases {
		t.Run(cc.name, func(t *testing.T) {
			setup := func() (string, string) {
				dir := t.TempDir()
				p := filepath.Join(dir, cc.file)
				if err := cc.save(p, genModel(cc.dialect, 1)); err != nil {
					t.Fatal(err)
				}
				return dir, p
			}
			_, p := setup()
			full := crashtest.Run(t, "TestCrashChild", 0, fmt.Sprintf("%d|%s", c, p))
			t.Logf("a save takes %d steps: %s", len(full.Steps), strings.Join(full.Steps, ", "))
			seen := map[int]bool{}
			for at := 1; at <= len(full.Steps); at++ {
				dir, p := setup()
				res := crashtest.Run(t, "TestCrashChild", at, fmt.Sprintf("%d|%s", c, p))
				if !res.Killed {
					t.Fatalf("step %d: the child was not killed", at)
				}
				where := fmt.Sprintf("killed at step %d (%s)", at, res.Steps[len(res.Steps)-1])
				seen[generation(t, c, p)] = true
				if err := cc.save(p, genModel(cc.dialect, 3)); err != nil {
					t.Fatalf("%s: next save: %v", where, err)
				}
				if g := generation(t, c, p); g != 3 {
					t.Errorf("%s: next save left generation %d", where, g)
				}
				if ents, _ := os.ReadDir(dir); len(ents) != 1 {
					var names []string
					for _, e := range ents {
						names = append(names, e.Name())
					}
					t.Errorf("%s: after the next save the folder holds %v", where, names)
				}
			}
			if !seen[1] || !seen[2] {
				t.Errorf("crashes left generations %v: want some old and some new", seen)
			}
		})
	}
}

// TestConcurrentSaves: while a save to a file is in progress, another save to it (this process
// or another) fails at once with ErrBusy, and the first completes.
func TestConcurrentSaves(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "m.h5")
	var second error
	var child crashtest.Result
	first := true
	t.Cleanup(func() { setStepHook(nil) })
	setStepHook(func(string) {
		if first {
			first = false
			second = SaveModel(p, genModel(saved.Keras2, 3))
			child = crashtest.Run(t, "TestCrashChild", 0, "0|"+p)
		}
	})
	if err := SaveModel(p, genModel(saved.Keras2, 4)); err != nil {
		t.Fatal(err)
	}
	setStepHook(nil)
	if !errors.Is(second, ErrBusy) || !strings.Contains(second.Error(), p) {
		t.Errorf("second save in this process: %v, want ErrBusy naming %s", second, p)
	}
	if !strings.Contains(child.Err, ErrBusy.Error()) {
		t.Errorf("save from another process: %q, want %q", child.Err, ErrBusy)
	}
	if g := generation(t, 0, p); g != 4 {
		t.Errorf("generation %d, want 4", g)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("the folder holds %d entries", len(ents))
	}
}

// TestSaveModelNoSync: WriteOptions{NoSync: true} writes the same file without the sync
// steps (no fsync of the temporary file or the folder), still through a temporary name and a
// rename; the default syncs both.
func TestSaveModelNoSync(t *testing.T) {
	dir := t.TempDir()
	for _, noSync := range []bool{false, true} {
		p := filepath.Join(dir, fmt.Sprintf("m%v.h5", noSync))
		var steps []string
		t.Cleanup(func() { setStepHook(nil) })
		setStepHook(func(s string) { steps = append(steps, s) })
		err := WriteOptions{NoSync: noSync}.SaveModel(p, genModel(saved.Keras2, 5))
		setStepHook(nil)
		if err != nil {
			t.Fatal(err)
		}
		syncs, renames := 0, 0
		for _, s := range steps {
			if strings.HasPrefix(s, "sync") {
				syncs++
			}
			if strings.HasPrefix(s, "rename") {
				renames++
			}
		}
		if want := map[bool]int{false: 2, true: 0}[noSync]; syncs != want || renames != 1 {
			t.Errorf("NoSync %v: %d sync and %d rename steps (%v), want %d and 1", noSync, syncs, renames, steps, want)
		}
		if g := generation(t, 0, p); g != 5 {
			t.Errorf("NoSync %v: generation %d, want 5", noSync, g)
		}
	}
}
