//go:build cgo

package h5

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// tinyModel is seedModel with every tensor cut to at most four values: small seeds for the
// fuzzers (the readers do not check weights against the config).
func tinyModel(d saved.Dialect, withOpt bool) *saved.Model {
	m := seedModel(d, withOpt)
	cut := func(t *tensor.Tensor) *tensor.Tensor {
		n := min(t.Len(), 4)
		return tensor.MustFromFloat32([]int{n}, append([]float32(nil), t.Float32s()[:n]...))
	}
	for i := range m.Layers {
		for j := range m.Layers[i].Weights {
			m.Layers[i].Weights[j].Value = cut(m.Layers[i].Weights[j].Value)
		}
	}
	if m.Optimizer != nil {
		for i := range m.Optimizer.Slots {
			m.Optimizer.Slots[i].Value = cut(m.Optimizer.Slots[i].Value)
		}
		m.Optimizer.Variables = nil
	}
	return m
}

// FuzzHDF5 opens arbitrary bytes as an HDF5 file through libhdf5, behind the pure-Go guards,
// with everything Load, List and Audit do. Errors are fine; crashes, panics and unbounded
// allocations are not.
func FuzzHDF5(f *testing.F) {
	dir := f.TempDir()
	for i, s := range []struct {
		save func(string, *saved.Model) error
		m    *saved.Model
	}{
		{SaveModel, tinyModel(saved.Keras2, true)},
		{SaveWeights, tinyModel(saved.Keras2, false)},
		{SaveWeightsKeras3, tinyModel(saved.Keras3, true)},
	} {
		p := filepath.Join(dir, "seed.h5")
		if err := s.save(p, s.m); err != nil {
			f.Fatalf("seed %d: %v", i, err)
		}
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Add(append([]byte(nil), hdf5Magic...))
	p := filepath.Join(dir, "in.h5")
	o := ReadOptions{MaxTensorBytes: 1 << 20, MaxTotalBytes: 4 << 20, MaxConfigBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		o.Load(p)
		o.List(p)
		o.Audit(p)
	})
}

// FuzzKeras reads arbitrary bytes as a .keras zip: the archive, its JSON members and its
// model.weights.h5, stored (read in place) or deflated (extracted).
func FuzzKeras(f *testing.F) {
	dir := f.TempDir()
	stored := filepath.Join(dir, "seed.keras")
	if err := SaveKeras(stored, tinyModel(saved.Keras3, true)); err != nil {
		f.Fatal(err)
	}
	deflated := filepath.Join(dir, "seed_deflated.keras")
	rezip(f, stored, deflated, true, nil)
	for _, p := range []string{stored, deflated} {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	p := filepath.Join(dir, "in.keras")
	o := ReadOptions{MaxTensorBytes: 1 << 20, MaxTotalBytes: 4 << 20, MaxConfigBytes: 1 << 20, MaxWeightsMember: 8 << 20}
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		o.LoadKeras(p)
		o.List(p)
		o.Audit(p)
	})
}
