package model

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
)

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDetect(t *testing.T) {
	dir := t.TempDir()
	at512 := make([]byte, 600)
	copy(at512[512:], hdf5Magic)
	at2048 := make([]byte, 2100)
	copy(at2048[2048:], hdf5Magic)
	at100 := make([]byte, 600)
	copy(at100[100:], hdf5Magic)
	writeFile(t, filepath.Join(dir, "a.keras"), append(append([]byte{}, hdf5Magic...), 0, 0)) // HDF5 named .keras
	writeFile(t, filepath.Join(dir, "b.h5"), []byte("PK\x03\x04rest"))                        // zip named .h5
	writeFile(t, filepath.Join(dir, "c.bin"), at512)
	writeFile(t, filepath.Join(dir, "c2.bin"), at2048)
	writeFile(t, filepath.Join(dir, "d.h5"), at100)
	writeFile(t, filepath.Join(dir, "e.txt"), []byte("hello"))
	writeFile(t, filepath.Join(dir, "sm", "saved_model.pb"), nil)
	writeFile(t, filepath.Join(dir, "ck", "w.index"), nil)
	writeFile(t, filepath.Join(dir, "ck", "checkpoint"), []byte("model_checkpoint_path: \"w\"\nall_model_checkpoint_paths: \"w\"\n"))
	writeFile(t, filepath.Join(dir, "empty", "x"), nil)
	for _, c := range []struct {
		path   string
		format Format
		target string
	}{
		{"a.keras", FormatHDF5, "a.keras"},
		{"b.h5", FormatKeras, "b.h5"},
		{"c.bin", FormatHDF5, "c.bin"},
		{"c2.bin", FormatHDF5, "c2.bin"},
		{"d.h5", FormatUnknown, ""},
		{"e.txt", FormatUnknown, ""},
		{"sm", FormatSavedModel, "sm"},
		{"ck/w", FormatCheckpoint, "ck/w"},
		{"ck/w.index", FormatCheckpoint, "ck/w"},
		{"ck", FormatCheckpoint, "ck/w"},
		{"empty", FormatUnknown, ""},
		{"missing", FormatUnknown, ""},
	} {
		f, target, err := Detect(filepath.Join(dir, c.path))
		if f != c.format {
			t.Errorf("%s: format %v (%v), want %v", c.path, f, err, c.format)
		}
		if c.format == FormatUnknown {
			if err == nil {
				t.Errorf("%s: no error", c.path)
			}
			continue
		}
		if err != nil || target != filepath.Join(dir, c.target) {
			t.Errorf("%s: target %q, err %v", c.path, target, err)
		}
	}
}

// TestSaveDispatch: the file kind and dialect chosen for each path, as Keras chooses them,
// and what the neutral form for each holds.
func TestSaveDispatch(t *testing.T) {
	m := trainedSeed(t)
	if err := m.Compile(CompileOptions{Optimizer: "adam", Loss: LossSparseCategoricalCrossentropy}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path    string
		weights bool
		kind    saveKind
		d       saved.Dialect
	}{
		{"m.h5", false, saveH5, saved.Keras2},
		{"m.HDF5", false, saveH5, saved.Keras2},
		{"m.keras", false, saveKeras, saved.Keras3},
		{"export/dir", false, saveSavedModel, saved.Keras2},
		{"w.weights.h5", true, saveKeras3Weights, saved.Keras3},
		{"w.h5", true, saveH5Weights, saved.Keras2},
		{"w.hdf5", true, saveH5Weights, saved.Keras2},
		{"ckpt/w", true, saveCheckpoint, saved.Keras2},
	} {
		k := modelKind(c.path)
		if c.weights {
			k = weightsKind(c.path)
		}
		if k != c.kind || k.dialect() != c.d || k.weightsOnly() != c.weights {
			t.Errorf("%s: kind %d (dialect %v, weights only %v), want %d (%v)", c.path, k, k.dialect(), k.weightsOnly(), c.kind, c.d)
			continue
		}
		sm, err := m.savedAs(k)
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		if sm.Dialect != c.d || (sm.Config == nil) != c.weights || len(sm.Layers) != 7 {
			t.Errorf("%s: dialect %v, config %v, %d layers", c.path, sm.Dialect, sm.Config != nil, len(sm.Layers))
		}
		if withOpt := sm.Optimizer != nil; c.weights && withOpt != (k != saveH5Weights) {
			t.Errorf("%s: optimizer state %v", c.path, withOpt)
		}
	}
}

// TestLoadDispatch: Load picks the codec from the content, not the name; weights-only files
// need LoadWeights.
func TestLoadDispatch(t *testing.T) {
	dir := t.TempDir()
	src := trainedSeed(t)
	wPath := filepath.Join(dir, "ck", "w.keras") // a checkpoint prefix with a .keras name
	if err := src.SaveWeights(wPath); err != nil {
		t.Fatal(err)
	}
	if f, _, err := Detect(wPath); f != FormatCheckpoint {
		t.Fatalf("Detect: %v (%v)", f, err)
	}
	if _, err := Load(wPath); !errors.Is(err, ErrNoConfig) {
		t.Errorf("Load of weights only: err = %v", err)
	}
	dst := seedModel()
	if err := dst.LoadWeights(wPath); err != nil {
		t.Fatal(err)
	}
	if !sameWeights(snapshot(dst), snapshot(src)) {
		t.Error("LoadWeights did not set the weights")
	}
	h5Path := filepath.Join(dir, "model.keras") // HDF5 content behind a .keras name
	if err := src.saveAs(saveH5, "save", h5Path); !haveCgo {
		if !errors.Is(err, ErrUnsupported) {
			t.Errorf("HDF5 without cgo: err = %v", err)
		}
		return
	} else if err != nil {
		t.Fatal(err)
	}
	m, err := Load(h5Path)
	if err != nil {
		t.Fatal(err)
	}
	if !sameWeights(snapshot(m), snapshot(src)) {
		t.Error("Load of HDF5 named .keras: weights differ")
	}
}
