//go:build unix && cgo

package h5

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/internal/crashtest"
	"github.com/kerasgo/kerasgo/saved"
)

// shardCrashMax is the maximum shard size of the crash test: the seed model's largest
// variable, so that the save makes several shards.
func shardCrashMax() int64 {
	var max int64
	for _, l := range genModel(saved.Keras3, 0).Layers {
		for _, w := range l.Weights {
			if n := int64(w.Value.Len() * w.Value.DType.Size()); n > max {
				max = n
			}
		}
	}
	return max
}

// TestShardCrashChild is the child process of TestShardedCrashEveryStep.
func TestShardCrashChild(t *testing.T) {
	arg, ok := crashtest.Child()
	if !ok {
		t.Skip("child process of TestShardedCrashEveryStep")
	}
	crashtest.Done(SaveWeightsKeras3Sharded(arg, genModel(saved.Keras3, 2), shardCrashMax()))
}

// shardGeneration reads the sharded set at manifest as Keras would (a copy of the manifest and
// the shards, no temporaries, no recovery) and returns its generation, or -1 when there is no
// manifest.
func shardGeneration(t *testing.T, manifest string) int {
	t.Helper()
	if _, err := os.Stat(manifest); os.IsNotExist(err) {
		return -1
	}
	d := t.TempDir()
	ents, _ := os.ReadDir(filepath.Dir(manifest))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(filepath.Dir(manifest), e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(d, e.Name()), b, 0o644)
	}
	return generationOf(t, filepath.Join(d, filepath.Base(manifest)))
}

// generationOf loads a sharded set and returns its generation, failing unless every weight is
// that generation's.
func generationOf(t *testing.T, manifest string) int {
	t.Helper()
	got, err := Load(manifest)
	if err != nil {
		t.Fatalf("load %s: %v", manifest, err)
	}
	gen := int(got.Optimizer.Variables[0].Data.([]int64)[0])
	want := genModel(saved.Keras3, gen)
	byName := map[string]saved.Layer{}
	for _, l := range got.Layers {
		byName[l.Name] = l
	}
	n := 0
	for _, l := range want.Layers {
		for j, w := range l.Weights {
			if gl := byName[l.Name]; j >= len(gl.Weights) || !sameTensor(gl.Weights[j].Value, w.Value) {
				t.Fatalf("%s: %s/%s is not generation %d's", manifest, l.Name, w.Name, gen)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatalf("%s: no weights compared", manifest)
	}
	return gen
}

// TestShardedCrashEveryStep kills a sharded save over an existing set at every step: what is
// on disk is never a manifest with another save's shards (read as Keras reads it, without
// recovery: the old set, the new set, or no manifest), a load afterwards finds the old or the
// new set whole, and the next save leaves only its own files.
func TestShardedCrashEveryStep(t *testing.T) {
	max := shardCrashMax()
	setup := func() (string, string) {
		dir := t.TempDir()
		p := filepath.Join(dir, "m.weights.json")
		if err := SaveWeightsKeras3Sharded(p, genModel(saved.Keras3, 1), max); err != nil {
			t.Fatal(err)
		}
		return dir, p
	}
	dir, p := setup()
	shards, _ := filepath.Glob(filepath.Join(dir, "m_*.weights.h5"))
	if len(shards) < 3 {
		t.Fatalf("the crash test's save makes %d shards, want several", len(shards))
	}
	full := crashtest.Run(t, "TestShardCrashChild", 0, p)
	t.Logf("a sharded save (%d shards) takes %d steps: %s", len(shards), len(full.Steps), strings.Join(full.Steps, ", "))
	seen := map[int]bool{}
	for at := 1; at <= len(full.Steps); at++ {
		dir, p := setup()
		res := crashtest.Run(t, "TestShardCrashChild", at, p)
		if !res.Killed {
			t.Fatalf("step %d: the child was not killed", at)
		}
		where := fmt.Sprintf("killed at step %d (%s)", at, res.Steps[len(res.Steps)-1])
		raw := shardGeneration(t, p)
		if raw != -1 && raw != 1 && raw != 2 {
			t.Fatalf("%s: generation %d on disk", where, raw)
		}
		// Once the new manifest is committed under its temporary name, recovery installs the
		// new set even where the old one was still in place.
		g := generationOf(t, p)
		if raw == 2 && g != 2 {
			t.Errorf("%s: Keras would read generation 2, a load after recovery %d", where, g)
		}
		seen[g] = true
		if err := SaveWeightsKeras3Sharded(p, genModel(saved.Keras3, 3), max); err != nil {
			t.Fatalf("%s: next save: %v", where, err)
		}
		if g := generationOf(t, p); g != 3 {
			t.Errorf("%s: next save left generation %d", where, g)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != len(shards)+1 {
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
}
