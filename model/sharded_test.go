//go:build cgo

package model

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestShardedWeights: Keras 3 sharded weights (layouts/sharded, Keras 3.15's
// save_weights("w.weights.json", max_shard_size=1e-6) of layouts/unzipped) are detected as
// HDF5 and LoadWeights reads them into the model (predictions within 1e-5 of Keras's, the
// Adam state restored); SaveWeightsWith writes them, and reading Go's back gives the same
// weights, predictions and optimizer state; one shard beside its manifest is refused naming
// the manifest; a .weights.json name without MaxShardBytes, and MaxShardBytes with a tf_keras
// .h5 name, are refused.
func TestShardedWeights(t *testing.T) {
	manifest := filepath.Join(layoutsRoot, "sharded", "w.weights.json")
	dump := filepath.Join(layoutsRoot, "unzipped_dump")
	x, y := readNpy(t, filepath.Join(dump, "x.npy")), readNpy(t, filepath.Join(dump, "y.npy"))
	if f, p, err := Detect(manifest); err != nil || f != FormatHDF5 || p != manifest {
		t.Fatalf("Detect(manifest) = %v %q %v, want FormatHDF5", f, p, err)
	}
	ref, err := Load(filepath.Join(layoutsRoot, "unzipped"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := FromJSON(readFile(t, filepath.Join(layoutsRoot, "unzipped", "config.json")))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(CompileOptions{Optimizer: "adam", Loss: "mse"}); err != nil {
		t.Fatal(err)
	}
	if err := m.LoadWeights(manifest, LoadWeightsOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := m.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(t, got, y); d > 1e-5 {
		t.Errorf("LoadWeights(manifest): predictions differ from Keras's by %g", d)
	}
	if it, want := m.Iterations(), ref.Iterations(); it != want || it == 0 {
		t.Errorf("iterations %d, want %d", it, want)
	}

	out := filepath.Join(t.TempDir(), "go.weights.json")
	if err := m.SaveWeightsWith(out, SaveWeightsOptions{MaxShardBytes: 800}); err != nil {
		t.Fatal(err)
	}
	shards, _ := filepath.Glob(filepath.Join(filepath.Dir(out), "go_*.weights.h5"))
	if len(shards) < 3 {
		t.Errorf("MaxShardBytes 800 made shards %v", shards)
	}
	back, err := FromJSON(readFile(t, filepath.Join(layoutsRoot, "unzipped", "config.json")))
	if err != nil {
		t.Fatal(err)
	}
	if err := back.Compile(CompileOptions{Optimizer: "adam", Loss: "mse"}); err != nil {
		t.Fatal(err)
	}
	if err := back.LoadWeights(out, LoadWeightsOptions{}); err != nil {
		t.Fatal(err)
	}
	got2, err := back.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(t, got2, y); d > 1e-5 {
		t.Errorf("Go's shards: predictions differ from Keras's by %g", d)
	}
	if back.Iterations() != m.Iterations() {
		t.Errorf("Go's shards: iterations %d, want %d", back.Iterations(), m.Iterations())
	}

	// A checkpoint in 3 data files written in parallel reads back the same.
	ck := filepath.Join(t.TempDir(), "ck")
	if err := m.SaveWeightsWith(ck, SaveWeightsOptions{NumShards: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ck + ".data-00002-of-00003"); err != nil {
		t.Error(err)
	}
	if err := back.LoadWeights(ck, LoadWeightsOptions{}); err != nil {
		t.Fatal(err)
	}
	if got3, err := back.Predict(x); err != nil || maxAbsDiff(t, got3, y) > 1e-5 {
		t.Errorf("3-shard checkpoint: %v", err)
	}
	if err := m.SaveWeightsWith(filepath.Join(t.TempDir(), "a.weights.json"), SaveWeightsOptions{NumShards: 2, MaxShardBytes: 1 << 20}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("NumShards for sharded weights: %v", err)
	}

	shard := filepath.Join(layoutsRoot, "sharded", "w_00001.weights.h5")
	if err := m.LoadWeights(shard, LoadWeightsOptions{}); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), shard) || !strings.Contains(err.Error(), "w.weights.json") {
		t.Errorf("LoadWeights(one shard): %v", err)
	}
	d := t.TempDir()
	if err := m.SaveWeights(filepath.Join(d, "a.weights.json")); !errors.Is(err, ErrUnsupported) {
		t.Errorf("SaveWeights(.weights.json) without MaxShardBytes: %v", err)
	}
	if err := m.SaveWeightsWith(filepath.Join(d, "a.h5"), SaveWeightsOptions{MaxShardBytes: 1 << 20}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("SaveWeightsWith(.h5, MaxShardBytes): %v", err)
	}
	if ents, _ := os.ReadDir(d); len(ents) != 0 {
		t.Errorf("refused saves left %v", ents)
	}
}
