package savedmodel

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

var modelVariants = []string{"seed", "padding_same", "strides2", "no_bias", "no_bn", "gray",
	"activations", "wide", "pool_strides", "auto_names", "bn_options"}

func modelsDir() string { return filepath.Join("..", "testdata", "models") }

// fixtureModel builds the neutral form of a generator fixture: config_keras2.json plus the
// weights in weights.json / w/*.npy. withOpt adds a deterministic Adam state.
func fixtureModel(t testing.TB, variant string, withOpt bool) *saved.Model {
	t.Helper()
	dir := filepath.Join(modelsDir(), variant)
	cfg, err := os.ReadFile(filepath.Join(dir, "config_keras2.json"))
	if err != nil {
		t.Fatalf("fixture %s (committed under testdata/models): %v", variant, err)
	}
	var wj struct {
		Layers []struct {
			Name, Class string
			Weights     []struct {
				Name      string
				Trainable bool
				File      string
			}
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "weights.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &wj); err != nil {
		t.Fatal(err)
	}
	m := &saved.Model{Config: cfg, Dialect: saved.Keras2, KerasVersion: "2.21.0", Backend: "tensorflow"}
	for _, l := range wj.Layers {
		sl := saved.Layer{Name: l.Name, Class: l.Class}
		for _, w := range l.Weights {
			v, err := npy.ReadFile(filepath.Join(dir, w.File))
			if err != nil {
				t.Fatal(err)
			}
			sl.Weights = append(sl.Weights, saved.Variable{Name: w.Name, Trainable: w.Trainable, Value: v})
		}
		m.Layers = append(m.Layers, sl)
	}
	if withOpt {
		m.TrainingConfig = json.RawMessage(`{"loss": "sparse_categorical_crossentropy", "metrics": [[{"class_name": "MeanMetricWrapper", "config": {"name": "accuracy", "dtype": "float32", "fn": "sparse_categorical_accuracy"}}]], "weighted_metrics": null, "loss_weights": null, "optimizer_config": {"class_name": "Adam", "config": {"name": "Adam", "weight_decay": null, "clipnorm": null, "global_clipnorm": null, "clipvalue": null, "use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": null, "jit_compile": false, "is_legacy_optimizer": false, "learning_rate": 0.0010000000474974513, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": false}}}`)
		op := &saved.Optimizer{Class: "Adam", Iterations: 8, LearningRate: 0.001}
		k := float32(0)
		for _, l := range m.Layers {
			for _, w := range l.Weights {
				if !w.Trainable {
					continue
				}
				for _, s := range []string{"momentum", "velocity"} {
					v, _ := tensor.New(tensor.Float32, w.Value.Shape)
					d := v.Float32s()
					for i := range d {
						k++
						d[i] = float32(int(k)%97) * 1e-4
					}
					op.Slots = append(op.Slots, saved.Slot{Layer: l.Name, Weight: w.Name, Name: s, Value: v})
				}
			}
		}
		m.Optimizer = op
	}
	addGraphs(t, m)
	return m
}

// addGraphs fills each layer's Graph as package model does when it writes a model: the layer
// built from its Keras2 config for the previous layer's output shape, with m's weights.
func addGraphs(t testing.TB, m *saved.Model) {
	t.Helper()
	var top struct {
		Config struct {
			Layers []struct {
				ClassName string         `json:"class_name"`
				Config    map[string]any `json:"config"`
			} `json:"layers"`
		} `json:"config"`
	}
	if err := json.Unmarshal(m.Config, &top); err != nil {
		t.Fatal(err)
	}
	var shape []int
	i := 0
	for _, lc := range top.Config.Layers {
		if shape == nil {
			bs, _ := lc.Config["batch_input_shape"].([]any)
			for _, d := range bs[1:] {
				shape = append(shape, int(d.(float64)))
			}
		}
		if lc.ClassName == saved.InputLayerClass {
			continue
		}
		l, _, err := layers.FromConfig(lc.ClassName, lc.Config, saved.Keras2)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Build(shape, layers.NewRand(1)); err != nil {
			t.Fatal(err)
		}
		sl := &m.Layers[i]
		i++
		if sl.Name != l.Name() || len(sl.Weights) != len(l.Weights()) {
			t.Fatalf("layer %s: fixture weights do not match the config", sl.Name)
		}
		for j, w := range l.Weights() {
			w.Value = sl.Weights[j].Value
		}
		if sl.Graph, err = l.(layers.Grapher).Graph(); err != nil {
			t.Fatal(err)
		}
		shape = sl.Graph.OutputShape
	}
}
