package compat

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/internal/npy"
	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/savedmodel"
	"github.com/kerasgo/kerasgo/tensor"
)

var smVariants = []string{"seed", "padding_same", "strides2", "no_bias", "no_bn", "gray",
	"activations", "wide", "pool_strides", "auto_names", "bn_options"}

// smFixture builds the neutral form of testdata/models/<variant>: its tf_keras config and
// trained weights (no optimizer).
func smFixture(t *testing.T, variant string) *saved.Model {
	t.Helper()
	dir := filepath.Join(repoRoot(), "testdata", "models", variant)
	cfg, err := os.ReadFile(filepath.Join(dir, "config_keras2.json"))
	if err != nil {
		t.Fatal(err)
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
	return m
}

// maxDiff compares a float32 tensor with nested JSON lists.
func maxDiff(t *testing.T, what string, got *tensor.Tensor, want any) float64 {
	t.Helper()
	var flat []float64
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				walk(e)
			}
		case float64:
			flat = append(flat, x)
		}
	}
	walk(want)
	g := got.Float32s()
	if len(flat) != len(g) {
		t.Fatalf("%s: %d values, Go has %d", what, len(flat), len(g))
	}
	d := 0.0
	for i := range g {
		d = math.Max(d, math.Abs(float64(g[i])-flat[i]))
	}
	return d
}

// TestSavedModelServing: Go writes every fixture model as a SavedModel; real TensorFlow
// serves it (saved_model_cli show/run, tf.saved_model.load, Keras 3 TFSMLayer) and must give
// Go's predictions.
func TestSavedModelServing(t *testing.T) {
	python(t)
	type goSide struct {
		dir, x string
		sm     *saved.Model
		gm     *model.Sequential
		y      *tensor.Tensor
	}
	var sides []goSide
	var args []string
	tmp := t.TempDir()
	for _, v := range smVariants {
		sm := smFixture(t, v)
		dir := filepath.Join(tmp, v)
		if err := savedmodel.Save(dir, sm); err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		gm, err := model.FromSaved(sm)
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		xpath := filepath.Join(repoRoot(), "testdata", "models", v, "x.npy")
		x, err := npy.ReadFile(xpath)
		if err != nil {
			t.Fatal(err)
		}
		y, err := gm.Predict(x, 32)
		if err != nil {
			t.Fatal(err)
		}
		sides = append(sides, goSide{dir, xpath, sm, gm, y})
		args = append(args, dir, xpath)
	}
	type tinfo struct {
		DType string
		Shape []int
		Name  string
	}
	var res []struct {
		CLI       string
		Signature struct {
			Inputs, Outputs map[string]tinfo
			Method          string
		}
		StructuredOutputs []string `json:"structured_outputs"`
		CLIRun            any      `json:"cli_run"`
		TFLoad            any      `json:"tf_load"`
		TFLoadPositional  any      `json:"tf_load_positional"`
		TFSM              any      `json:"tfsm"`
		TFSMWeights       int      `json:"tfsm_weights"`
	}
	runPythonJSON(t, &res, "savedmodel_serve.py", args...)
	if len(res) != len(sides) {
		t.Fatalf("%d results for %d models", len(res), len(sides))
	}
	for i, v := range smVariants {
		g, got := sides[i], res[i]
		t.Run(v, func(t *testing.T) {
			info, err := savedmodel.Inspect(g.dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(info.Signatures) != 1 || info.Signatures[0].Key != "serving_default" {
				t.Fatalf("Inspect: %+v", info.Signatures)
			}
			sig := info.Signatures[0]
			in, out := sig.Inputs[0], sig.Outputs[0]
			// saved_model_cli shows what Go wrote: DT_FLOAT, batch dim -1, Keras's key names
			// (the InputLayer's name and the last layer's name).
			wantIn := append([]int{-1}, g.gm.InputShape()...)
			wantOut := append([]int{-1}, g.gm.OutputShape()...)
			layers := g.gm.Layers()
			if want := layers[len(layers)-1].Name(); out.Key != want {
				t.Errorf("output key %q, want the last layer's name %q", out.Key, want)
			}
			if ci, ok := got.Signature.Inputs[in.Key]; !ok || len(got.Signature.Inputs) != 1 || ci.DType != "DT_FLOAT" || !equalInts(ci.Shape, wantIn) {
				t.Errorf("saved_model_cli (%s) inputs %+v, want %q DT_FLOAT %v", got.CLI, got.Signature.Inputs, in.Key, wantIn)
			}
			if co, ok := got.Signature.Outputs[out.Key]; !ok || len(got.Signature.Outputs) != 1 || co.DType != "DT_FLOAT" || !equalInts(co.Shape, wantOut) {
				t.Errorf("saved_model_cli (%s) outputs %+v, want %q DT_FLOAT %v", got.CLI, got.Signature.Outputs, out.Key, wantOut)
			}
			if got.Signature.Method != "tensorflow/serving/predict" {
				t.Errorf("method %q", got.Signature.Method)
			}
			if len(got.StructuredOutputs) != 1 || got.StructuredOutputs[0] != out.Key {
				t.Errorf("tf.saved_model.load outputs %v, want [%s]", got.StructuredOutputs, out.Key)
			}
			nweights := 0
			for _, l := range g.sm.Layers {
				nweights += len(l.Weights)
			}
			if got.TFSMWeights != nweights {
				t.Errorf("TFSMLayer tracks %d weights, the model has %d", got.TFSMWeights, nweights)
			}
			for _, c := range []struct {
				name string
				p    any
			}{{"saved_model_cli run (" + got.CLI + ")", got.CLIRun}, {"tf.saved_model.load", got.TFLoad},
				{"tf.saved_model.load positional", got.TFLoadPositional}, {"keras.layers.TFSMLayer", got.TFSM}} {
				if d := maxDiff(t, c.name, g.y, c.p); d > 1e-5 {
					t.Errorf("%s: max |Go - TF| = %g", c.name, d)
				} else {
					t.Logf("%s: max |Go - TF| = %.3g", c.name, d)
				}
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
