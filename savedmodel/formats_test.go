package savedmodel

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/saved"
)

// formatVariants lists testdata/formats/<variant> directories that have SavedModels.
func formatVariants(t *testing.T) []string {
	ents, _ := os.ReadDir(filepath.Join("..", "testdata", "formats"))
	var vs []string
	for _, e := range ents {
		if _, err := os.Stat(filepath.Join("..", "testdata", "formats", e.Name(), "tfkeras", "savedmodel", SavedModelFile)); err == nil {
			vs = append(vs, e.Name())
		}
	}
	if len(vs) == 0 {
		t.Fatal("no testdata/formats/*/tfkeras/savedmodel (committed; run the generator)")
	}
	return vs
}

// stripKeys removes the keys model.to_json() adds but keras_metadata's legacy config lacks.
func stripKeys(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if k != "module" && k != "registered_name" && k != "build_config" {
				out[k] = stripKeys(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = stripKeys(e)
		}
		return out
	}
	return v
}

type fxWeights struct {
	Layers []struct {
		Name, Class string
		Weights     []struct {
			Name      string
			Trainable bool
			File      string
		}
	}
}

type fxOptimizer struct {
	Class        string  `json:"class_name"`
	Iterations   int64   `json:"iterations"`
	LearningRate float32 `json:"learning_rate"`
	Slots        []struct {
		Layer, Weight, Slot, File string
	}
}

func readJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// checkFixtureWeights compares the layers that have weights with weights.json / w/*.npy, bitwise.
func checkFixtureWeights(t *testing.T, vdir string, layers []saved.Layer) {
	t.Helper()
	var wj fxWeights
	readJSONFile(t, filepath.Join(vdir, "weights.json"), &wj)
	var got []saved.Layer
	for _, l := range layers {
		if len(l.Weights) > 0 {
			got = append(got, l)
		}
	}
	i := 0
	for _, l := range wj.Layers {
		if len(l.Weights) == 0 {
			continue
		}
		if i >= len(got) || got[i].Name != l.Name || len(got[i].Weights) != len(l.Weights) {
			t.Fatalf("layer %s: got %+v", l.Name, got)
		}
		for j, w := range l.Weights {
			want, err := npy.ReadFile(filepath.Join(vdir, w.File))
			if err != nil {
				t.Fatal(err)
			}
			gw := got[i].Weights[j]
			if gw.Name != w.Name || gw.Trainable != w.Trainable || !sameTensor(gw.Value, want) {
				t.Errorf("%s/%s: got %s trainable=%v, values equal=%v", l.Name, w.Name, gw.Name, gw.Trainable, sameTensor(gw.Value, want))
			}
		}
		i++
	}
	if i != len(got) {
		t.Errorf("%d layers with weights, want %d", len(got), i)
	}
}

// TestLoadGeneratorSavedModels: tf_keras model.save(dir) and Keras 3 model.export(dir)
// directories written by the reference generator load with the exact weights, optimizer state
// and config Keras had.
func TestLoadGeneratorSavedModels(t *testing.T) {
	for _, v := range formatVariants(t) {
		t.Run(v, func(t *testing.T) {
			vdir := filepath.Join("..", "testdata", "formats", v)
			m, err := Load(filepath.Join(vdir, "tfkeras", "savedmodel"))
			if err != nil {
				t.Fatal(err)
			}
			want := jsonValue(t, mustRead(t, filepath.Join(vdir, "config_keras2.json"))).(map[string]any)
			got := jsonValue(t, m.Config).(map[string]any)
			if got["class_name"] != want["class_name"] || !reflect.DeepEqual(stripKeys(got["config"]), stripKeys(want["config"])) {
				t.Errorf("config:\n got %s\nwant %s", m.Config, mustRead(t, filepath.Join(vdir, "config_keras2.json")))
			}
			checkFixtureWeights(t, vdir, m.Layers)
			var oj fxOptimizer
			readJSONFile(t, filepath.Join(vdir, "optimizer.json"), &oj)
			o := m.Optimizer
			if o == nil || o.Class != oj.Class || o.Iterations != oj.Iterations || o.LearningRate != oj.LearningRate || len(o.Slots) != len(oj.Slots) {
				t.Fatalf("optimizer %+v, want %s it=%d lr=%g %d slots", o, oj.Class, oj.Iterations, oj.LearningRate, len(oj.Slots))
			}
			for i, s := range oj.Slots {
				want, err := npy.ReadFile(filepath.Join(vdir, s.File))
				if err != nil {
					t.Fatal(err)
				}
				g := o.Slots[i]
				if g.Layer != s.Layer || g.Weight != s.Weight || g.Name != saved.Keras3SlotName(oj.Class, s.Slot) || !sameTensor(g.Value, want) {
					t.Errorf("slot %d: %s/%s %s, want %s/%s %s", i, g.Layer, g.Weight, g.Name, s.Layer, s.Weight, s.Slot)
				}
			}
			if len(m.TrainingConfig) == 0 || len(o.Config) == 0 {
				t.Errorf("no training or optimizer config")
			}

			// Keras 3 export: weights only, and its two signatures.
			ed := filepath.Join(vdir, "keras3", "export")
			if _, err := os.Stat(ed); err != nil {
				return
			}
			k3, err := Load(ed)
			if err != nil {
				t.Fatal(err)
			}
			if k3.Config != nil || k3.Dialect != saved.Keras3 {
				t.Errorf("Keras 3 export: config %s dialect %v", k3.Config, k3.Dialect)
			}
			checkFixtureWeights(t, vdir, k3.Layers)
			info, err := Inspect(ed)
			if err != nil {
				t.Fatal(err)
			}
			keys := map[string]bool{}
			for _, s := range info.Signatures {
				keys[s.Key] = true
				if s.Key == "serve" || s.Key == "serving_default" {
					if len(s.Inputs) != 1 || len(s.Outputs) != 1 || s.Outputs[0].Key != "output_0" || s.Inputs[0].Shape[0] != -1 {
						t.Errorf("signature %+v", s)
					}
				}
			}
			if !keys["serve"] || !keys["serving_default"] {
				t.Errorf("Keras 3 export signatures %v", keys)
			}
		})
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
