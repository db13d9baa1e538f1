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

// fakeCodecs replaces the codec table for the test, recording calls.
type call struct {
	fn   string
	path string
	sm   *saved.Model
}

func fakeCodecs(t *testing.T, store map[string]*saved.Model) *[]call {
	t.Helper()
	old := codecs
	t.Cleanup(func() { codecs = old })
	var calls []call
	save := func(name string) func(string, *saved.Model) error {
		return func(p string, sm *saved.Model) error {
			calls = append(calls, call{name, p, sm})
			store[p] = sm
			return nil
		}
	}
	load := func(name string) func(string, LoadOptions) (*saved.Model, error) {
		return func(p string, _ LoadOptions) (*saved.Model, error) {
			calls = append(calls, call{name, p, nil})
			if sm, ok := store[p]; ok {
				return sm, nil
			}
			return nil, errors.New("not stored")
		}
	}
	codecs.saveH5, codecs.saveH5Weights, codecs.saveH5WeightsKeras3 = save("saveH5"), save("saveH5Weights"), save("saveH5WeightsKeras3")
	codecs.saveKeras, codecs.saveCheckpoint, codecs.saveSavedModel = save("saveKeras"), save("saveCheckpoint"), save("saveSavedModel")
	codecs.loadH5, codecs.loadKeras, codecs.loadCheckpoint, codecs.loadSavedModel = load("loadH5"), load("loadKeras"), load("loadCheckpoint"), load("loadSavedModel")
	return &calls
}

// TestSaveDispatch: the codec and dialect chosen for each path, as Keras chooses them.
func TestSaveDispatch(t *testing.T) {
	store := map[string]*saved.Model{}
	calls := fakeCodecs(t, store)
	m := trainedSeed(t)
	for _, c := range []struct {
		path    string
		weights bool
		fn      string
		d       saved.Dialect
	}{
		{"m.h5", false, "saveH5", saved.Keras2},
		{"m.HDF5", false, "saveH5", saved.Keras2},
		{"m.keras", false, "saveKeras", saved.Keras3},
		{"export/dir", false, "saveSavedModel", saved.Keras2},
		{"w.weights.h5", true, "saveH5WeightsKeras3", saved.Keras3},
		{"w.h5", true, "saveH5Weights", saved.Keras2},
		{"w.hdf5", true, "saveH5Weights", saved.Keras2},
		{"ckpt/w", true, "saveCheckpoint", saved.Keras2},
	} {
		*calls = nil
		var err error
		if c.weights {
			err = m.SaveWeights(c.path)
		} else {
			err = m.Save(c.path)
		}
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		if len(*calls) != 1 || (*calls)[0].fn != c.fn || (*calls)[0].path != c.path {
			t.Errorf("%s: calls %+v, want %s", c.path, *calls, c.fn)
			continue
		}
		sm := (*calls)[0].sm
		if sm.Dialect != c.d || (sm.Config == nil) != c.weights || len(sm.Layers) != 7 {
			t.Errorf("%s: dialect %v, config %v, %d layers", c.path, sm.Dialect, sm.Config != nil, len(sm.Layers))
		}
		if c.weights && c.fn != "saveCheckpoint" && sm.Optimizer != nil {
			t.Errorf("%s: weights-only HDF5 with optimizer state", c.path)
		}
	}
}

// TestLoadDispatch: Load picks the codec from the content; weights-only files need
// LoadWeights.
func TestLoadDispatch(t *testing.T) {
	store := map[string]*saved.Model{}
	calls := fakeCodecs(t, store)
	dir := t.TempDir()
	src := trainedSeed(t)
	full, err := src.ToSaved(saved.Keras3)
	if err != nil {
		t.Fatal(err)
	}
	h5Path := filepath.Join(dir, "model.keras") // HDF5 content behind a .keras name
	writeFile(t, h5Path, hdf5Magic)
	store[h5Path] = full
	m, err := Load(h5Path)
	if err != nil {
		t.Fatal(err)
	}
	if (*calls)[0].fn != "loadH5" || !sameWeights(snapshot(m), snapshot(src)) {
		t.Errorf("calls %+v", *calls)
	}

	weightsOnly := src.weightsToSaved(saved.Keras2)
	wPath := filepath.Join(dir, "w.bin")
	writeFile(t, wPath, []byte("PK\x03\x04"))
	store[wPath] = weightsOnly
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
}

// TestUnavailableCodec: a format whose codec is not wired fails with ErrUnsupported naming
// the format.
func TestUnavailableCodec(t *testing.T) {
	old := codecs
	t.Cleanup(func() { codecs = old })
	codecs.saveSavedModel = nil
	codecs.loadH5 = nil
	if err := trainedSeed(t).Save(filepath.Join(t.TempDir(), "dir")); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Save: err = %v", err)
	}
	p := filepath.Join(t.TempDir(), "x.h5")
	writeFile(t, p, hdf5Magic)
	if _, err := Load(p); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Load: err = %v", err)
	}
}
