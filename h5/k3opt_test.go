//go:build cgo

package h5

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
)

// testdata/k3opt (testdata/gen/k3opt.py): Keras 3 files whose optimizer is the second of its
// class (object name adam_1, sgd_1, rm_sprop_1) on layers with fewer variables than the
// defaults (use_bias=False, BatchNormalization center=False / scale=False).

const k3optDir = "../testdata/k3opt"

type k3optSpec struct {
	Name         string  `json:"name"`
	ClassName    string  `json:"class_name"`
	Iterations   int64   `json:"iterations"`
	LearningRate float64 `json:"learning_rate"`
	Variables    []struct {
		Index                     int
		Path, Layer, Weight, Slot string
		File                      string
	} `json:"variables"`
}

func k3optCases(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, c := range []string{"adam", "adam_amsgrad", "sgd", "sgd_momentum", "rmsprop", "rmsprop_momentum",
		"rmsprop_centered", "rmsprop_momentum_centered"} {
		d := filepath.Join(k3optDir, c)
		if _, err := os.Stat(filepath.Join(d, "optimizer.json")); err != nil {
			t.Fatalf("fixture missing (testdata/gen/k3opt.py writes it): %v", err)
		}
		out = append(out, d)
	}
	return out
}

// checkK3Variables compares the optimizer's variables, in order, with the dumps, bit for bit.
func checkK3Variables(t *testing.T, dir string, o *saved.Optimizer, spec *k3optSpec) {
	t.Helper()
	if o == nil {
		t.Fatal("no optimizer read")
	}
	if o.Iterations != spec.Iterations || float64(o.LearningRate) != spec.LearningRate {
		t.Errorf("iterations %d, learning rate %v; want %d, %v", o.Iterations, o.LearningRate, spec.Iterations, spec.LearningRate)
	}
	if len(o.Variables) != len(spec.Variables) {
		t.Fatalf("%d optimizer variables, want %d", len(o.Variables), len(spec.Variables))
	}
	for i, v := range spec.Variables {
		if !sameTensor(o.Variables[i], readNpy(t, filepath.Join(dir, v.File))) {
			t.Errorf("optimizer variable %d (%s) differs from %s", i, v.Path, v.File)
		}
	}
}

// checkK3Slots compares the mapped slots with the dumps' owners. The owners' weight names
// are translated to m's by position in their layer (a bare weights file names some by index).
func checkK3Slots(t *testing.T, dir string, m *saved.Model, spec *k3optSpec) {
	t.Helper()
	o := m.Optimizer
	var want fxWeights
	readJSON(t, filepath.Join(dir, "weights.json"), &want)
	rename := map[[2]string]string{}
	for _, wl := range want.Layers {
		for _, gl := range m.Layers {
			if gl.Name != wl.Name || len(gl.Weights) != len(wl.Weights) {
				continue
			}
			for j, ww := range wl.Weights {
				rename[[2]string{wl.Name, ww.Name}] = gl.Weights[j].Name
			}
		}
	}
	type key struct{ layer, weight, slot string }
	got := map[key]saved.Slot{}
	for _, s := range o.Slots {
		got[key{s.Layer, s.Weight, s.Name}] = s
	}
	n := 0
	for _, v := range spec.Variables {
		if v.Slot == "" {
			continue
		}
		n++
		s, ok := got[key{v.Layer, rename[[2]string{v.Layer, v.Weight}], v.Slot}]
		if !ok {
			t.Errorf("no %s slot for %s/%s (have %d slots)", v.Slot, v.Layer, v.Weight, len(o.Slots))
			continue
		}
		if !sameTensor(s.Value, readNpy(t, filepath.Join(dir, v.File))) {
			t.Errorf("slot %s of %s/%s differs from %s", v.Slot, v.Layer, v.Weight, v.File)
		}
	}
	if len(o.Slots) != n {
		t.Errorf("%d slots, want %d", len(o.Slots), n)
	}
}

// checkValuesByName compares weights by layer name and position, bit for bit (a bare weights
// file names BatchNormalization's first variable only by index when center or scale is off).
func checkValuesByName(t *testing.T, dir string, m *saved.Model) {
	t.Helper()
	var want fxWeights
	readJSON(t, filepath.Join(dir, "weights.json"), &want)
	byName := map[string]saved.Layer{}
	for _, l := range m.Layers {
		byName[l.Name] = l
	}
	for _, wl := range want.Layers {
		gl, ok := byName[wl.Name]
		if !ok || len(gl.Weights) != len(wl.Weights) {
			t.Errorf("layer %s: got %d weights, want %d", wl.Name, len(gl.Weights), len(wl.Weights))
			continue
		}
		for j, ww := range wl.Weights {
			if gl.Weights[j].Trainable != ww.Trainable {
				t.Errorf("%s weight %d trainable %v, want %v", wl.Name, j, gl.Weights[j].Trainable, ww.Trainable)
			}
			if !sameTensor(gl.Weights[j].Value, readNpy(t, filepath.Join(dir, ww.File))) {
				t.Errorf("%s/%s differs from %s", wl.Name, ww.Name, ww.File)
			}
		}
	}
}

// TestK3OptRead reads every file of every case: the weights and every optimizer variable
// load bit for bit; a .keras (whose config gives the layers and the optimizer) also maps each
// slot to its variable, as does the legacy .h5.
func TestK3OptRead(t *testing.T) {
	for _, dir := range k3optCases(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var spec k3optSpec
			readJSON(t, filepath.Join(dir, "optimizer.json"), &spec)

			bare, err := Load(filepath.Join(dir, "model.weights.h5"))
			if err != nil {
				t.Fatalf("model.weights.h5: %v", err)
			}
			checkValuesByName(t, dir, bare)
			checkK3Variables(t, dir, bare.Optimizer, &spec)
			if bare.Optimizer.Name != spec.Name {
				t.Errorf("optimizer name %q, want %q", bare.Optimizer.Name, spec.Name)
			}
			if len(bare.Optimizer.Slots) > 0 {
				// Mapped without a config (the layout was unique): it must be right.
				checkK3Slots(t, dir, bare, &spec)
			}

			k, err := LoadKeras(filepath.Join(dir, "model.keras"))
			if err != nil {
				t.Fatalf("model.keras: %v", err)
			}
			checkWeights(t, dir, k, true)
			checkK3Variables(t, dir, k.Optimizer, &spec)
			checkK3Slots(t, dir, k, &spec)
			if k.Optimizer.Class != spec.ClassName {
				t.Errorf("class %q, want %q", k.Optimizer.Class, spec.ClassName)
			}

			leg, err := Load(filepath.Join(dir, "legacy.h5"))
			if err != nil {
				t.Fatalf("legacy.h5: %v", err)
			}
			checkValuesByName(t, dir, leg)
			checkK3Slots(t, dir, leg, &spec)
			if leg.Optimizer.Iterations != spec.Iterations {
				t.Errorf("legacy.h5 iterations %d, want %d", leg.Optimizer.Iterations, spec.Iterations)
			}
		})
	}
}

// TestK3OptRewrite writes what was read back in each layout and reads it again: the same
// optimizer variables in the same order (a bare weights file's as read, by position).
func TestK3OptRewrite(t *testing.T) {
	for _, dir := range k3optCases(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var spec k3optSpec
			readJSON(t, filepath.Join(dir, "optimizer.json"), &spec)
			tmp := t.TempDir()

			bare, err := Load(filepath.Join(dir, "model.weights.h5"))
			if err != nil {
				t.Fatal(err)
			}
			bare.Optimizer.Slots = nil // written from Variables, as read
			p := filepath.Join(tmp, "bare.weights.h5")
			if err := SaveWeightsKeras3(p, bare); err != nil {
				t.Fatal(err)
			}
			back, err := Load(p)
			if err != nil {
				t.Fatal(err)
			}
			checkK3Variables(t, dir, back.Optimizer, &spec)
			if back.Optimizer.Name != spec.Name {
				t.Errorf("name %q, want %q", back.Optimizer.Name, spec.Name)
			}

			k, err := LoadKeras(filepath.Join(dir, "model.keras"))
			if err != nil {
				t.Fatal(err)
			}
			k.Optimizer.Variables = nil // written from the mapped slots
			p = filepath.Join(tmp, "m.keras")
			if err := SaveKeras(p, k); err != nil {
				t.Fatal(err)
			}
			kb, err := LoadKeras(p)
			if err != nil {
				t.Fatal(err)
			}
			checkK3Variables(t, dir, kb.Optimizer, &spec)
			checkK3Slots(t, dir, kb, &spec)

			// A legacy .h5 cannot hold variables known only by position.
			bare2, err := Load(filepath.Join(dir, "model.weights.h5"))
			if err != nil {
				t.Fatal(err)
			}
			bare2.Optimizer.Slots = nil
			bare2.Config, bare2.TrainingConfig = k.Config, k.TrainingConfig
			if len(bare2.Optimizer.Variables) > 2 {
				if err := SaveModel(filepath.Join(tmp, "x.h5"), bare2); err == nil {
					t.Error("legacy .h5 written from position-only optimizer variables")
				}
			}
		})
	}
}
