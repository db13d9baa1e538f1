package model

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kerasgo/kerasgo/h5"
)

// skipNoHDF5 skips when the build has no HDF5 (CGO_ENABLED=0) and err comes from h5.
func skipNoHDF5(t *testing.T, err error) {
	t.Helper()
	if !haveCgo && errors.Is(err, h5.ErrUnsupported) {
		t.Skipf("no HDF5 in this build: %v", err)
	}
}

// TestSaveLoadRoundTrip saves the trained seed model with every format through the wired
// codecs and loads it back: same summary, same weights, same predictions.
func TestSaveLoadRoundTrip(t *testing.T) {
	src := trainedSeed(t)
	x := readNpy(t, filepath.Join(fixtureRoot, "seed", "x.npy"))
	want, err := src.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"m.h5", "m.hdf5", "m.keras", "sm_dir"} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), name)
			if err := src.Save(p); err != nil {
				skipNoHDF5(t, err)
				t.Fatal(err)
			}
			m, err := Load(p)
			if err != nil {
				t.Fatal(err)
			}
			if m.Summary() != src.Summary() {
				t.Errorf("summary:\n%s", m.Summary())
			}
			if !sameWeights(snapshot(m), snapshot(src)) {
				t.Error("weights differ")
			}
			y, err := m.Predict(x)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(y.Float32s(), want.Float32s()) {
				t.Error("predictions differ")
			}
		})
	}
	for _, name := range []string{"w.weights.h5", "w.h5", "ckpt/w"} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := src.SaveWeights(p); err != nil {
				skipNoHDF5(t, err)
				t.Fatal(err)
			}
			if _, err := Load(p); !errors.Is(err, ErrNoConfig) {
				t.Errorf("Load of a weights-only save: err = %v", err)
			}
			dst := seedModel()
			if err := dst.LoadWeights(p); err != nil {
				t.Fatal(err)
			}
			if !sameWeights(snapshot(dst), snapshot(src)) {
				t.Error("weights differ")
			}
			if name == "ckpt/w" { // the directory holding the checkpoint state file
				dst := seedModel()
				if err := dst.LoadWeights(filepath.Dir(p)); err != nil {
					t.Fatal(err)
				}
				if !sameWeights(snapshot(dst), snapshot(src)) {
					t.Error("weights from the checkpoint directory differ")
				}
			}
			// A model of another architecture: an error naming the layer, nothing changed.
			other := goBuilders["no_bn"]()
			before := snapshot(other)
			err := other.LoadWeights(p)
			if !errors.Is(err, ErrShape) {
				t.Errorf("mismatched architecture: err = %v", err)
			}
			if !sameWeights(snapshot(other), before) {
				t.Error("a failed LoadWeights changed the model")
			}
		})
	}
}
