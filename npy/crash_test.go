//go:build unix

package npy

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/internal/crashtest"
	"github.com/kerasgo/kerasgo/tensor"
)

// genTensor is a 64x1000 float32 array whose every element is gen.
func genTensor(gen int) *tensor.Tensor {
	x := make([]float32, 64*1000)
	for i := range x {
		x[i] = float32(gen)
	}
	return tensor.MustFromFloat32([]int{64, 1000}, x)
}

// generationOf reads path and returns the generation of its array, failing unless the file is
// one whole generation.
func generationOf(t *testing.T, path string) int {
	t.Helper()
	got, err := ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	x := got.Float32s()
	if len(x) != 64*1000 {
		t.Fatalf("%s: %d elements", path, len(x))
	}
	for _, v := range x {
		if v != x[0] {
			t.Fatalf("%s: a mix of generations %v and %v", path, x[0], v)
		}
	}
	return int(x[0])
}

// TestCrashChild is the child process of TestCrashEveryStep.
func TestCrashChild(t *testing.T) {
	path, ok := crashtest.Child()
	if !ok {
		t.Skip("child process of TestCrashEveryStep")
	}
	crashtest.Done(WriteFile(path, genTensor(2)))
}

// TestCrashEveryStep kills a WriteFile over an existing .npy file at every step: the file is
// the old or the new array whole, and the next write succeeds and leaves it alone in its
// folder.
func TestCrashEveryStep(t *testing.T) {
	setup := func() (string, string) {
		dir := t.TempDir()
		p := filepath.Join(dir, "x.npy")
		if err := WriteFile(p, genTensor(1)); err != nil {
			t.Fatal(err)
		}
		return dir, p
	}
	_, p := setup()
	full := crashtest.Run(t, "TestCrashChild", 0, p)
	t.Logf("a write takes %d steps: %s", len(full.Steps), strings.Join(full.Steps, ", "))
	if len(full.Steps) < 3 {
		t.Fatalf("only %d steps", len(full.Steps))
	}
	seen := map[int]bool{}
	for at := 1; at <= len(full.Steps); at++ {
		dir, p := setup()
		res := crashtest.Run(t, "TestCrashChild", at, p)
		if !res.Killed {
			t.Fatalf("step %d: the child was not killed", at)
		}
		where := fmt.Sprintf("killed at step %d (%s)", at, res.Steps[len(res.Steps)-1])
		seen[generationOf(t, p)] = true
		if err := WriteFile(p, genTensor(3)); err != nil {
			t.Fatalf("%s: next write: %v", where, err)
		}
		if g := generationOf(t, p); g != 3 {
			t.Errorf("%s: next write left generation %d", where, g)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 1 {
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			t.Errorf("%s: after the next write the folder holds %v", where, names)
		}
	}
	if !seen[1] || !seen[2] {
		t.Errorf("crashes left generations %v: want some old and some new", seen)
	}
}
