//go:build cgo

package h5

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// The fixtures under testdata/formats are written by real tf_keras 2.21 and Keras 3.15
// (testdata/gen); their expectations (weights.json, optimizer.json, optimizer_keras3.json and
// the .npy files they name) are what Keras itself holds after loading each file.

const formatsDir = "../testdata/formats"

type fxWeights struct {
	Layers []struct {
		Name    string `json:"name"`
		Class   string `json:"class"`
		Weights []struct {
			Name      string `json:"name"`
			Trainable bool   `json:"trainable"`
			File      string `json:"file"`
		} `json:"weights"`
	} `json:"layers"`
}

type fxOptimizer struct {
	ClassName    string   `json:"class_name"`
	Iterations   int64    `json:"iterations"`
	LearningRate float64  `json:"learning_rate"`
	Order        []string `json:"variables_order"`
	Slots        []struct {
		Layer, Weight, Slot, File string
	} `json:"slots"`
	Variables []struct {
		Index                     int
		Name, Layer, Weight, Slot string
		File                      string
	} `json:"variables"`
}

func readJSON(t *testing.T, path string, v any) bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return true
}

func readNpy(t *testing.T, path string) *tensor.Tensor {
	t.Helper()
	x, err := npy.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func variants(t *testing.T) []string {
	ents, err := os.ReadDir(formatsDir)
	if err != nil {
		t.Fatalf("no fixtures (committed under testdata/formats): %v", err)
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() {
			out = append(out, filepath.Join(formatsDir, e.Name()))
		}
	}
	if len(out) == 0 {
		t.Fatalf("no fixture variants under %s", formatsDir)
	}
	return out
}

// checkWeights compares a loaded model's layers with weights.json, bit for bit.
func checkWeights(t *testing.T, dir string, m *saved.Model, classes bool) {
	t.Helper()
	var want fxWeights
	readJSON(t, filepath.Join(dir, "weights.json"), &want)
	got := m
	if len(got.Layers) != len(want.Layers) {
		t.Fatalf("%d layers, want %d", len(got.Layers), len(want.Layers))
	}
	for i, wl := range want.Layers {
		gl := got.Layers[i]
		if gl.Name != wl.Name || (classes && gl.Class != wl.Class) || len(gl.Weights) != len(wl.Weights) {
			t.Fatalf("layer %d: %s %s (%d weights), want %s %s (%d)", i, gl.Name, gl.Class, len(gl.Weights), wl.Name, wl.Class, len(wl.Weights))
		}
		for j, ww := range wl.Weights {
			gw := gl.Weights[j]
			if gw.Name != ww.Name || gw.Trainable != ww.Trainable {
				t.Errorf("%s weight %d: %s trainable=%v, want %s trainable=%v", wl.Name, j, gw.Name, gw.Trainable, ww.Name, ww.Trainable)
			}
			if !sameTensor(gw.Value, readNpy(t, filepath.Join(dir, ww.File))) {
				t.Errorf("%s/%s differs from %s", wl.Name, ww.Name, ww.File)
			}
		}
	}
}

// checkOptimizer compares the loaded optimizer with optimizer.json (tf_keras slot names) or
// optimizer_keras3.json.
func checkOptimizer(t *testing.T, dir string, o *saved.Optimizer, keras3 bool) {
	t.Helper()
	var want fxOptimizer
	name := "optimizer.json"
	if keras3 {
		name = "optimizer_keras3.json"
	}
	if !readJSON(t, filepath.Join(dir, name), &want) {
		t.Fatalf("%s: no %s (committed fixture)", dir, name)
	}
	if o == nil {
		t.Fatal("no optimizer loaded")
	}
	if o.Class != want.ClassName || o.Iterations != want.Iterations || math.Abs(float64(o.LearningRate)-want.LearningRate) > 1e-9 {
		t.Errorf("optimizer %s it=%d lr=%v, want %s it=%d lr=%v", o.Class, o.Iterations, o.LearningRate, want.ClassName, want.Iterations, want.LearningRate)
	}
	type key struct{ layer, weight, slot string }
	wantSlots := map[key]string{}
	var order []key
	if keras3 {
		for _, v := range want.Variables {
			if v.Slot != "" {
				k := key{v.Layer, v.Weight, v.Slot}
				wantSlots[k] = v.File
				order = append(order, k)
			}
		}
	} else {
		for _, s := range want.Slots {
			k := key{s.Layer, s.Weight, saved.Keras3SlotName(want.ClassName, s.Slot)}
			wantSlots[k] = s.File
			order = append(order, k)
		}
	}
	if len(o.Slots) != len(order) {
		t.Fatalf("%d slots, want %d", len(o.Slots), len(order))
	}
	for i, s := range o.Slots {
		k := key{s.Layer, s.Weight, s.Name}
		if k != order[i] {
			t.Errorf("slot %d is %v, want %v", i, k, order[i])
			continue
		}
		if !sameTensor(s.Value, readNpy(t, filepath.Join(dir, wantSlots[k]))) {
			t.Errorf("slot %v differs from %s", k, wantSlots[k])
		}
	}
}

func TestFixturesLoad(t *testing.T) {
	for _, dir := range variants(t) {
		v := filepath.Base(dir)
		for _, c := range []struct {
			file    string
			dialect saved.Dialect
			full    bool // config + optimizer expected
			keras3  bool // optimizer expectations in Keras 3 form
		}{
			{"tfkeras/model.h5", saved.Keras2, true, false},
			{"tfkeras/weights.h5", saved.Keras2, false, false},
			{"tfkeras/model.keras", saved.Keras2, true, false},
			{"keras3/model.keras", saved.Keras3, true, true},
			{"keras3/model.weights.h5", saved.Keras3, false, true},
			{"keras3/legacy.h5", saved.Keras3, true, true},
		} {
			p := filepath.Join(dir, c.file)
			if _, err := os.Stat(p); err != nil {
				continue
			}
			t.Run(v+"/"+c.file, func(t *testing.T) {
				m, err := Load(p)
				if err != nil {
					t.Fatal(err)
				}
				if m.Dialect != c.dialect {
					t.Errorf("dialect %v, want %v", m.Dialect, c.dialect)
				}
				if c.file == "keras3/model.weights.h5" {
					checkWeightsUnordered(t, dir, m)
				} else {
					checkWeights(t, dir, m, c.full)
				}
				if c.full {
					if !json.Valid(m.Config) || !json.Valid(m.TrainingConfig) {
						t.Errorf("config or training config is not valid JSON")
					}
				}
				if c.full || c.file == "keras3/model.weights.h5" {
					checkOptimizer(t, dir, m.Optimizer, c.keras3)
				}
			})
		}
	}
}

// TestFixturesResave: Go re-saves every fixture and writes the names Keras wrote (tf_keras
// weight_names / optimizer weight names in Keras's order), and reads back the same values.
func TestFixturesResave(t *testing.T) {
	for _, dir := range variants(t) {
		v := filepath.Base(dir)
		t.Run(v, func(t *testing.T) {
			src := filepath.Join(dir, "tfkeras/model.h5")
			m, err := Load(src)
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "model.h5")
			if err := SaveModel(out, m); err != nil {
				t.Fatal(err)
			}
			var want fxOptimizer
			readJSON(t, filepath.Join(dir, "optimizer.json"), &want)
			names := optimizerNames(t, out)
			if strings.Join(names, ",") != strings.Join(want.Order, ",") {
				t.Errorf("optimizer weight_names:\n got %v\nwant %v", names, want.Order)
			}
			if orig := optimizerNames(t, src); strings.Join(names, ",") != strings.Join(orig, ",") {
				t.Errorf("optimizer weight_names differ from tf_keras's file")
			}
			back, err := Load(out)
			if err != nil {
				t.Fatal(err)
			}
			checkWeights(t, dir, back, true)
			checkOptimizer(t, dir, back.Optimizer, false)

			k3 := filepath.Join(dir, "keras3/model.keras")
			if _, err := os.Stat(k3); err != nil {
				return
			}
			m3, err := LoadKeras(k3)
			if err != nil {
				t.Fatal(err)
			}
			out3 := filepath.Join(t.TempDir(), "legacy.h5")
			if err := SaveModel(out3, m3); err != nil {
				t.Fatal(err)
			}
			var want3 fxOptimizer
			readJSON(t, filepath.Join(dir, "optimizer_keras3.json"), &want3)
			if got := optimizerNames(t, out3); strings.Join(got, ",") != strings.Join(want3.Order, ",") {
				t.Errorf("Keras 3 optimizer weight_names:\n got %v\nwant %v", got, want3.Order)
			}
			for i, save := range []func(string, *saved.Model) error{SaveKeras, SaveWeightsKeras3} {
				o := filepath.Join(t.TempDir(), "m.keras")
				if err := save(o, m3); err != nil {
					t.Fatal(err)
				}
				back, err := Load(o)
				if err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					checkWeights(t, dir, back, true)
				} else {
					checkWeightsUnordered(t, dir, back)
				}
				checkOptimizer(t, dir, back.Optimizer, true)
			}
		})
	}
}

func optimizerNames(t *testing.T, path string) []string {
	t.Helper()
	defer lockLib()()
	h, err := openChecked(path)
	if err != nil {
		t.Fatal(err)
	}
	defer h.close()
	attrs, err := h.attrNames(groupOptimizerWeights)
	if err != nil {
		t.Fatal(err)
	}
	names, _, err := h.readChunkedStrings(groupOptimizerWeights, attrWeightNames, attrs)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// checkWeightsUnordered is checkWeights for standalone Keras 3 weights files, which do not
// record where the weightless layers sit: the layers with weights must come in model order
// (recovered from the optimizer's slots), the weightless ones after them.
func checkWeightsUnordered(t *testing.T, dir string, m *saved.Model) {
	t.Helper()
	var want fxWeights
	readJSON(t, filepath.Join(dir, "weights.json"), &want)
	var wl []string
	for _, l := range want.Layers {
		if len(l.Weights) > 0 {
			wl = append(wl, l.Name)
		}
	}
	var gl []string
	for i, l := range m.Layers {
		if len(l.Weights) > 0 {
			gl = append(gl, l.Name)
		} else if i < len(wl) {
			t.Errorf("weightless layer %s at %d, before layers with weights", l.Name, i)
		}
	}
	if strings.Join(gl, ",") != strings.Join(wl, ",") {
		t.Fatalf("layers with weights %v, want %v", gl, wl)
	}
	cp := *m
	cp.Layers = nil
	for _, name := range func() []string {
		var all []string
		for _, l := range want.Layers {
			all = append(all, l.Name)
		}
		return all
	}() {
		for _, l := range m.Layers {
			if l.Name == name {
				cp.Layers = append(cp.Layers, l)
			}
		}
	}
	checkWeights(t, dir, &cp, true)
}
