package compat

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/kerasgo/kerasgo/model"
)

// TestShardedWeightsKeras3: Go writes Keras 3 sharded weights (SaveWeightsWith MaxShardBytes)
// of the layouts/unzipped model; Keras 3 load_weights reads them into a zeroed copy with every
// weight and optimizer variable identical and the same predictions; Keras 3's own sharded save
// of the same model with the same maximum writes the same file names and the same manifest,
// byte for byte.
func TestShardedWeightsKeras3(t *testing.T) {
	python(t)
	src := filepath.Join(repoRoot(), "testdata", "layouts", "unzipped")
	m, err := model.Load(src)
	if err != nil {
		t.Fatal(err)
	}
	goDir, kerasDir := t.TempDir(), t.TempDir()
	const max = 800
	if err := m.SaveWeightsWith(filepath.Join(goDir, "go.weights.json"), model.SaveWeightsOptions{MaxShardBytes: max}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Weights, Optimizer, Iterations int
		Mismatches                     []string
		MaxDiff                        float64 `json:"max_diff"`
	}
	runPythonJSON(t, &got, "sharded.py", "k3load", src, filepath.Join(goDir, "go.weights.json"), "800", kerasDir)
	if len(got.Mismatches) > 0 || got.Weights == 0 || got.Optimizer < 3 || got.Iterations == 0 || got.MaxDiff > 1e-5 {
		t.Errorf("Keras 3 load_weights(Go's shards): %+v", got)
	}
	names := func(d string) []string {
		ents, _ := os.ReadDir(d)
		var out []string
		for _, e := range ents {
			out = append(out, e.Name())
		}
		sort.Strings(out)
		return out
	}
	gn, kn := names(goDir), names(kerasDir)
	if len(gn) < 3 || len(gn) != len(kn) {
		t.Fatalf("Go wrote %v, Keras %v", gn, kn)
	}
	for i := range gn {
		if gn[i] != kn[i] {
			t.Errorf("file %d: Go %s, Keras %s", i, gn[i], kn[i])
		}
	}
	a, _ := os.ReadFile(filepath.Join(goDir, "go.weights.json"))
	b, _ := os.ReadFile(filepath.Join(kerasDir, "go.weights.json"))
	if !bytes.Equal(a, b) {
		t.Errorf("manifests differ:\nGo:\n%s\nKeras:\n%s", a, b)
	}
}
