//go:build cgo

package h5

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
)

// The fixtures under testdata/keras2x/<version>/ are .keras and .weights.h5 files written by
// the real Keras 2.13.1, 2.14.0 and 2.15.0 (testdata/gen/keras215.py, run from their own
// venvs): layers under _layer_checkpoint_dependencies (2.13, 2.14) or layers (2.15), no name
// attributes, metrics groups, the 2.11+ optimizer's iteration + interleaved slots, and no
// optimizer state at all for the legacy optimizer_v2.

const keras2xDir = "../testdata/keras2x"

type fx2xOptimizer struct {
	ClassName  string `json:"class_name"`
	Iterations int64  `json:"iterations"`
	InFile     bool   `json:"in_file"`
	Variables  []struct {
		Index                     int
		Name, Layer, Weight, Slot string
		File                      string
	} `json:"variables"`
}

func keras2xCases(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(keras2xDir, "2.1[345].*", "*.keras"))
	versions := map[string]bool{}
	for _, f := range files {
		versions[filepath.Base(filepath.Dir(f))] = true
	}
	if len(versions) != 3 || len(files) != 6 {
		t.Fatalf("want adam and legacy_adam .keras files for Keras 2.13, 2.14 and 2.15 under %s (committed fixtures), found %v", keras2xDir, files)
	}
	for i, f := range files {
		files[i] = strings.TrimSuffix(f, ".keras")
	}
	return files
}

// checkKeras2xOptimizer compares o with the dumped optimizer variables (file order).
func checkKeras2xOptimizer(t *testing.T, base string, o *saved.Optimizer) {
	t.Helper()
	var want fx2xOptimizer
	if !readJSON(t, filepath.Join(base, "optimizer.json"), &want) {
		t.Fatalf("no %s/optimizer.json", base)
	}
	if !want.InFile {
		if o != nil {
			t.Errorf("optimizer %s loaded, but Keras wrote no optimizer state", o.Class)
		}
		return
	}
	if o == nil {
		t.Fatal("no optimizer loaded")
	}
	if o.Class != want.ClassName || o.Iterations != want.Iterations {
		t.Errorf("optimizer %s it=%d, want %s it=%d", o.Class, o.Iterations, want.ClassName, want.Iterations)
	}
	type key struct{ layer, weight, slot string }
	got := map[key]int{}
	for i, s := range o.Slots {
		got[key{s.Layer, s.Weight, s.Name}] = i
	}
	n := 0
	for _, v := range want.Variables {
		if v.Layer == "" {
			continue
		}
		n++
		k := key{v.Layer, v.Weight, saved.Keras3SlotName(want.ClassName, v.Slot)}
		i, ok := got[k]
		if !ok {
			t.Errorf("no slot %v (file variable %d %s)", k, v.Index, v.Name)
			continue
		}
		if !sameTensor(o.Slots[i].Value, readNpy(t, filepath.Join(base, v.File))) {
			t.Errorf("slot %v differs from %s", k, v.File)
		}
	}
	if len(o.Slots) != n {
		t.Errorf("%d slots, want %d", len(o.Slots), n)
	}
}

// TestKeras2xKeras loads every tf_keras 2.13-2.15 .keras archive: the config and version,
// every weight exactly as Keras held it, and the optimizer state where the file has it.
func TestKeras2xKeras(t *testing.T) {
	for _, base := range keras2xCases(t) {
		version := filepath.Base(filepath.Dir(base))
		t.Run(version+"/"+filepath.Base(base), func(t *testing.T) {
			m, err := LoadKeras(base + ".keras")
			if err != nil {
				t.Fatal(err)
			}
			if m.KerasVersion != version || m.Dialect != saved.Keras2 || len(m.Config) == 0 || len(m.TrainingConfig) == 0 {
				t.Errorf("version %q dialect %v config %d bytes training %d bytes", m.KerasVersion, m.Dialect, len(m.Config), len(m.TrainingConfig))
			}
			checkWeights(t, base, m, true)
			checkKeras2xOptimizer(t, base, m.Optimizer)
			vars, err := List(base + ".keras")
			if err != nil {
				t.Fatal(err)
			}
			metrics := 0
			for _, v := range vars {
				if strings.HasPrefix(v.Path, "metrics/") {
					metrics++
				}
			}
			if metrics != 4 {
				t.Errorf("List: %d metrics datasets, want 4 (mean and mean_metric_wrapper, total and count)", metrics)
			}
		})
	}
}

// TestKeras2xWeights loads the .weights.h5 files of tf_keras 2.13-2.15 (no config, no layer
// or optimizer names): every weight exactly, each layer's class from its group name. The
// optimizer variables cannot be attributed without the optimizer's class, so none is
// returned.
func TestKeras2xWeights(t *testing.T) {
	for _, base := range keras2xCases(t) {
		version := filepath.Base(filepath.Dir(base))
		t.Run(version+"/"+filepath.Base(base), func(t *testing.T) {
			m, err := Load(base + ".weights.h5")
			if err != nil {
				t.Fatal(err)
			}
			if m.Optimizer != nil {
				t.Errorf("optimizer %q from a file that does not name it", m.Optimizer.Class)
			}
			var want fxWeights
			readJSON(t, filepath.Join(base, "weights.json"), &want)
			byClass := map[string]saved.Layer{}
			var classes []string
			for _, l := range m.Layers {
				byClass[l.Class] = l
				classes = append(classes, l.Class)
			}
			sort.Strings(classes)
			if strings.Join(classes, ",") != "BatchNormalization,Conv2D,Dense,Flatten" {
				t.Fatalf("layer classes %v", classes)
			}
			for _, wl := range want.Layers {
				gl := byClass[wl.Class]
				if len(gl.Weights) != len(wl.Weights) {
					t.Fatalf("%s: %d weights, want %d", wl.Class, len(gl.Weights), len(wl.Weights))
				}
				for j, ww := range wl.Weights {
					if gl.Weights[j].Name != ww.Name || gl.Weights[j].Trainable != ww.Trainable {
						t.Errorf("%s weight %d: %s trainable=%v, want %s trainable=%v", wl.Class, j, gl.Weights[j].Name, gl.Weights[j].Trainable, ww.Name, ww.Trainable)
					}
					if !sameTensor(gl.Weights[j].Value, readNpy(t, filepath.Join(base, ww.File))) {
						t.Errorf("%s/%s differs from %s", wl.Class, ww.Name, ww.File)
					}
				}
			}
		})
	}
}
