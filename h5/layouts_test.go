//go:build cgo

package h5

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
)

// testdata/layouts (testdata/gen/layouts.py, Keras 3.15.1): an unzipped model directory
// (model.save(dir, zipped=False)) with its dumps, and sharded weights
// (save_weights("w.weights.json", max_shard_size=...)).
const layoutsDir = "../testdata/layouts"

// checkKerasDirModel compares a model read from layouts/unzipped with the dumps: every weight
// and the Adam state (iteration, learning_rate, then momentum/velocity per variable in file
// order).
func checkKerasDirModel(t *testing.T, m *saved.Model) {
	t.Helper()
	dump := filepath.Join(layoutsDir, "unzipped_dump")
	if m.Dialect != saved.Keras3 || !strings.HasPrefix(m.KerasVersion, "3.") || len(m.Config) == 0 || len(m.TrainingConfig) == 0 {
		t.Errorf("dialect %v version %q config %d bytes compile %d bytes", m.Dialect, m.KerasVersion, len(m.Config), len(m.TrainingConfig))
	}
	checkWeights(t, dump, m, true)
	var want fx2xOptimizer
	if !readJSON(t, filepath.Join(dump, "optimizer.json"), &want) {
		t.Fatal("no unzipped_dump/optimizer.json (committed fixture)")
	}
	o := m.Optimizer
	if o == nil {
		t.Fatal("no optimizer loaded")
	}
	lr, _ := scalarFloat(readNpy(t, filepath.Join(dump, want.Variables[1].File)))
	if o.Class != want.ClassName || o.Iterations != want.Iterations || o.LearningRate != lr {
		t.Errorf("optimizer %s it=%d lr=%v, want %s it=%d lr=%v", o.Class, o.Iterations, o.LearningRate, want.ClassName, want.Iterations, lr)
	}
	if len(o.Slots) != len(want.Variables)-2 {
		t.Fatalf("%d slots, want %d", len(o.Slots), len(want.Variables)-2)
	}
	for i, s := range o.Slots {
		v := want.Variables[i+2]
		if !sameTensor(s.Value, readNpy(t, filepath.Join(dump, v.File))) {
			t.Errorf("slot %d (%s/%s %s) differs from %s", i, s.Layer, s.Weight, s.Name, v.File)
		}
	}
}

// TestKerasDirLoad reads the unzipped directory Keras 3.15 wrote, through LoadKeras, Load
// and List.
func TestKerasDirLoad(t *testing.T) {
	dir := filepath.Join(layoutsDir, "unzipped")
	for name, load := range map[string]func(string) (*saved.Model, error){"LoadKeras": LoadKeras, "Load": Load} {
		m, err := load(dir)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkKerasDirModel(t, m)
	}
	vars, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(vars) != 22 || vars[0].Path != "layers/batch_normalization/vars/0" {
		t.Errorf("List: %d datasets, first %v (want 22: 8 weights, 14 optimizer variables)", len(vars), vars[0])
	}
}

// TestKerasDirSave writes the directory back with SaveKerasDir and reads it again: the same
// three files and the same model; a name ending in .keras is refused as Keras refuses it.
func TestKerasDirSave(t *testing.T) {
	m, err := LoadKeras(filepath.Join(layoutsDir, "unzipped"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "saved_model_dir")
	if err := SaveKerasDir(out, m); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(out)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "config.json,metadata.json,model.weights.h5" {
		t.Errorf("directory holds %v", names)
	}
	back, err := LoadKeras(out)
	if err != nil {
		t.Fatal(err)
	}
	compareModels(t, m, back, true)
	checkKerasDirModel(t, back)
	// Saving again over the directory replaces the files.
	if err := SaveKerasDir(out, back); err != nil {
		t.Fatal(err)
	}
	if err := SaveKerasDir(filepath.Join(t.TempDir(), "m.keras"), m); !errors.Is(err, ErrUnsupported) {
		t.Errorf("SaveKerasDir(m.keras) = %v, want ErrUnsupported", err)
	}
	k2 := *m
	k2.Dialect = saved.Keras2
	if err := SaveKerasDir(filepath.Join(t.TempDir(), "k2"), &k2); !errors.Is(err, ErrUnsupported) {
		t.Errorf("SaveKerasDir(Keras 2 dialect) = %v, want ErrUnsupported", err)
	}
}

// TestKerasDirBroken: a directory with a broken or missing member fails with the sentinel,
// the directory and the member named.
func TestKerasDirBroken(t *testing.T) {
	src := filepath.Join(layoutsDir, "unzipped")
	copyDir := func(t *testing.T) string {
		d := filepath.Join(t.TempDir(), "m")
		os.Mkdir(d, 0o755)
		for _, n := range []string{memberConfig, memberMetadata, memberWeights} {
			b, err := os.ReadFile(filepath.Join(src, n))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(d, n), b, 0o644)
		}
		return d
	}
	cases := []struct {
		name   string
		change func(d string)
		want   error
		member string
	}{
		{"no weights", func(d string) { os.Remove(filepath.Join(d, memberWeights)) }, ErrFormat, memberWeights},
		{"npz weights", func(d string) {
			os.Rename(filepath.Join(d, memberWeights), filepath.Join(d, "model.weights.npz"))
		}, ErrUnsupported, "npz"},
		{"bad config", func(d string) { os.WriteFile(filepath.Join(d, memberConfig), []byte("{"), 0o644) }, ErrFormat, memberConfig},
		{"bad metadata", func(d string) { os.WriteFile(filepath.Join(d, memberMetadata), []byte("[1"), 0o644) }, ErrFormat, memberMetadata},
		{"weights not HDF5", func(d string) { os.WriteFile(filepath.Join(d, memberWeights), []byte("nope"), 0o644) }, ErrFormat, memberWeights},
		{"weights a directory", func(d string) {
			os.Remove(filepath.Join(d, memberWeights))
			os.Mkdir(filepath.Join(d, memberWeights), 0o755)
		}, ErrFormat, memberWeights},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := copyDir(t)
			c.change(d)
			_, err := Load(d)
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), d) || !strings.Contains(err.Error(), c.member) {
				t.Errorf("err = %v, want %v naming %s and %s", err, c.want, d, c.member)
			}
		})
	}
	// A directory without config.json is no Keras model.
	if _, err := LoadKeras(t.TempDir()); !errors.Is(err, ErrFormat) {
		t.Errorf("empty directory: %v", err)
	}
}
