package compat

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/npy"
)

// fnSMCase is one case of testdata/functional/manifest.json, as this test reads it.
type fnSMCase struct {
	Kind   string `json:"kind"`
	Inputs []struct {
		Name  string `json:"name"`
		Shape []int  `json:"shape"`
		File  string `json:"file"`
	} `json:"inputs"`
	Outputs []struct {
		Name   string `json:"name"`
		Shape  []int  `json:"shape"`
		FileTF string `json:"file_tf_keras"`
	} `json:"outputs"`
	Supported struct {
		TFKeras bool `json:"tf_keras"`
	} `json:"supported"`
}

// fnSMMasked are the model cases whose layers use Keras masks where kerasgo's TF graphs do
// not give them (none now: the masked cases are served with their masks).
var fnSMMasked = map[string]bool{}

// TestFunctionalSavedModelServing loads every Functional fixture (testdata/functional:
// the model cases two_branch_residual, two_in_two_out, shared_layer, and the per-layer cases,
// merge layers among them; the nested models of testdata/functional and testdata/nested, a
// Sequential or Functional model used as a layer, Sequential roots included) from tf_keras's
// .h5 in Go and saves it as a SavedModel. Real
// TensorFlow serves it (tf.saved_model.load's serving_default, and the TF1 session loader TF
// Serving's C++ loader runs), tf_keras load_model revives it as a Functional (or Sequential) model and Keras
// 3's TFSMLayer calls it: every output of every loader must be the fixture's tf_keras
// prediction within 1e-5. The serving signature must have one input per Keras input and one
// output per Keras output, keyed by their names, with the fixture's shapes (and, where
// tf_keras wrote a SavedModel of the case, equal to what it observed), and Go's checkpoint
// keys must be tf_keras's.
func TestFunctionalSavedModelServing(t *testing.T) {
	fnSMServing(t, []string{"functional", "layers_attn", "layers_mha", "layers_wrap", "nested", "layers_attnmask"}, nil)
}

// TestRNNStateSavedModelServing is TestFunctionalSavedModelServing for the layers_rnnstate
// models whose recurrent layers return their states (return_state) and take initial_state:
// kerasgo writes the SavedModel, tf.saved_model.load, TF1 sessions and tf_keras serve it
// with the fixture's predictions: bilstm_state's Bidirectional returns its merged output and
// both layers' states, rnn_stacked_cells's RNN(StackedRNNCells) takes and returns every
// cell's state, state_outputs has two outputs of one layer as model outputs (keyed
// "lstm", "lstm_1" as tf_keras's output_names).
func TestRNNStateSavedModelServing(t *testing.T) {
	fnSMServing(t, []string{"layers_rnnstate"}, map[string]bool{"lstm_state_stack": true, "gru_state_outputs": true,
		"rnn_cells": true, "bilstm_state": true, "rnn_stacked_cells": true, "state_outputs": true, "shared_initial": true, "bidi_initial": true})
}

// fnSMServing serves the model cases of the fixture parts (only those of only, if not nil).
func fnSMServing(t *testing.T, parts []string, only map[string]bool) {
	python(t)
	var man struct {
		Cases map[string]fnSMCase `json:"cases"`
	}
	// Each case's directory: testdata/functional, and the layer families' parts whose layers
	// all have graphs (testdata/layers_attn, testdata/layers_mha, testdata/layers_wrap).
	caseDir := map[string]string{}
	var b []byte
	for _, part := range parts {
		root := filepath.Join(repoRoot(), "testdata", part)
		var pm struct {
			Cases map[string]fnSMCase `json:"cases"`
		}
		data, err := os.ReadFile(filepath.Join(root, "manifest.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &pm); err != nil {
			t.Fatal(err)
		}
		if man.Cases == nil {
			man.Cases = map[string]fnSMCase{}
		}
		for k, c := range pm.Cases {
			if only != nil && !only[k] {
				continue
			}
			if _, dup := man.Cases[k]; dup {
				t.Fatalf("case %s in two parts", k)
			}
			man.Cases[k] = c
			caseDir[k] = filepath.Join(root, k)
		}
	}
	for k := range only {
		if _, ok := man.Cases[k]; !ok {
			t.Errorf("manifest has no case %s", k)
		}
	}
	out := t.TempDir()
	var names []string
	for name, c := range man.Cases {
		if !fnSMMasked[name] && c.Supported.TFKeras {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, must := range []string{"two_branch_residual", "two_in_two_out", "shared_layer", "layer_add",
		"layer_subtract", "layer_multiply", "layer_average", "layer_maximum", "layer_minimum",
		"layer_concatenate_axis1", "layer_dot_axes1_normalize", "layer_attention_concat", "layer_additive_attention",
		"layer_einsum_dense_transposed_bias", "layer_mha_h2_k4", "layer_mha_causal", "transformer_block",
		"mask_lstm", "masking_rnn", "mask_bigru_td", "attention_masked", "additive_self_masked_causal", "mha_keras_masks", "attention_causal", "attention_rank2", "mha_attention_mask"} {
		if _, ok := man.Cases[must]; !ok && only == nil {
			t.Errorf("manifest has no case %s", must)
		}
	}
	var spec []map[string]any
	wantClass := map[string]string{}
	for _, name := range names {
		c := man.Cases[name]
		dir := caseDir[name]
		m, err := model.Load(filepath.Join(dir, "tfkeras", "model.h5"))
		if err != nil {
			t.Errorf("%s: load: %v", name, err)
			continue
		}
		wantClass[name] = "Sequential"
		if m.Functional() {
			wantClass[name] = "Functional"
		}
		sm := filepath.Join(out, name)
		if err := m.Save(sm); err != nil {
			t.Errorf("%s: save SavedModel: %v", name, err)
			continue
		}
		var ins []map[string]any
		for _, in := range c.Inputs {
			ins = append(ins, map[string]any{"name": in.Name, "file": filepath.Join(dir, in.File)})
		}
		tk := filepath.Join(dir, "tfkeras", "savedmodel")
		if _, err := os.Stat(tk); err != nil {
			tk = ""
		}
		spec = append(spec, map[string]any{"id": name, "dir": sm, "inputs": ins, "tfkeras_dir": tk})
	}
	if len(spec) == 0 {
		t.Fatal("no case saved")
	}
	cases := filepath.Join(out, "cases.json")
	b, _ = json.Marshal(spec)
	if err := os.WriteFile(cases, b, 0o644); err != nil {
		t.Fatal(err)
	}
	type tensorSig struct {
		DType string `json:"dtype"`
		Shape []int  `json:"shape"`
	}
	var results []struct {
		ID        string `json:"id"`
		Signature struct {
			Inputs  map[string]tensorSig `json:"inputs"`
			Outputs map[string]tensorSig `json:"outputs"`
			Method  string               `json:"method"`
		} `json:"signature"`
		StructuredOutputs []string `json:"structured_outputs"`
		TFKerasClass      string   `json:"tfkeras_class"`
		TFKerasInputs     []string `json:"tfkeras_inputs"`
		TFKerasOutputs    []string `json:"tfkeras_outputs"`
		GoKeys            []string `json:"go_keys"`
		TFKerasKeys       []string `json:"tfkeras_keys"`
	}
	runPythonJSON(t, &results, "functional_savedmodel.py", cases, out)
	if len(results) != len(spec) {
		t.Fatalf("python served %d models, want %d", len(results), len(spec))
	}
	worst := 0.0
	for _, r := range results {
		c := man.Cases[r.ID]
		dir := caseDir[r.ID]
		sig := r.Signature
		if sig.Method != "tensorflow/serving/predict" || len(sig.Inputs) != len(c.Inputs) || len(sig.Outputs) != len(c.Outputs) {
			t.Errorf("%s: signature %+v: want %d inputs, %d outputs", r.ID, sig, len(c.Inputs), len(c.Outputs))
		}
		for _, in := range c.Inputs {
			s, ok := sig.Inputs[in.Name]
			if !ok || s.DType != "float32" || fmt.Sprint(s.Shape) != fmt.Sprint(append([]int{-1}, in.Shape...)) {
				t.Errorf("%s: signature input %s: %+v (present %v), want float32 [-1 %v]", r.ID, in.Name, s, ok, in.Shape)
			}
		}
		var outNames []string
		for _, o := range c.Outputs {
			outNames = append(outNames, o.Name)
			s, ok := sig.Outputs[o.Name]
			if !ok || s.DType != "float32" || fmt.Sprint(s.Shape) != fmt.Sprint(append([]int{-1}, o.Shape...)) {
				t.Errorf("%s: signature output %s: %+v (present %v), want float32 [-1 %v]", r.ID, o.Name, s, ok, o.Shape)
			}
		}
		if got, want := fmt.Sprint(r.StructuredOutputs), fmt.Sprint(sortedCopy(outNames)); got != want {
			t.Errorf("%s: structured outputs %s, want %s", r.ID, got, want)
		}
		if r.TFKerasClass != wantClass[r.ID] || fmt.Sprint(r.TFKerasOutputs) != fmt.Sprint(outNames) {
			t.Errorf("%s: tf_keras revived %s with outputs %v, want %s with %v", r.ID, r.TFKerasClass, r.TFKerasOutputs, wantClass[r.ID], outNames)
		}
		// What tf_keras's own SavedModel of the case shows, where the generator wrote one.
		if obs := readObservedSignature(t, dir); obs != nil {
			for kind, want := range map[string]map[string]struct {
				Shape []any `json:"shape"`
			}{"inputs": obs.Inputs, "outputs": obs.Outputs} {
				got := sig.Inputs
				if kind == "outputs" {
					got = sig.Outputs
				}
				if len(got) != len(want) {
					t.Errorf("%s: %d %s, tf_keras's SavedModel has %d", r.ID, len(got), kind, len(want))
				}
				for k, w := range want {
					dims := make([]int, len(w.Shape))
					for i, d := range w.Shape {
						dims[i] = -1
						if f, ok := d.(float64); ok {
							dims[i] = int(f)
						}
					}
					if fmt.Sprint(got[k].Shape) != fmt.Sprint(dims) {
						t.Errorf("%s: %s %s shape %v, tf_keras's %v", r.ID, kind, k, got[k].Shape, dims)
					}
				}
			}
		}
		if r.TFKerasKeys != nil {
			// The optimizer's keys too when Go kept the training state (it does not for a
			// model with several outputs yet: their training is not implemented).
			want := r.TFKerasKeys
			if !hasPrefixed(r.GoKeys, "optimizer/") {
				t.Logf("%s: no optimizer state in Go's model; comparing the model's keys", r.ID)
				want = nil
				for _, k := range r.TFKerasKeys {
					if !strings.HasPrefix(k, "optimizer/") {
						want = append(want, k)
					}
				}
			}
			if strings.Join(r.GoKeys, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s: checkpoint keys\n go: %v\n tf_keras: %v", r.ID, r.GoKeys, want)
			}
		}
		for _, o := range c.Outputs {
			want, err := npy.ReadFile(filepath.Join(dir, o.FileTF))
			if err != nil {
				t.Fatal(err)
			}
			loaders := []string{"serve", "session", "tfkeras"}
			if len(c.Inputs) == 1 { // TFSMLayer cannot call a signature with several inputs
				loaders = append(loaders, "keras3")
			}
			for _, loader := range loaders {
				got, err := npy.ReadFile(filepath.Join(out, r.ID+"."+loader+"."+o.Name+".npy"))
				if err != nil {
					t.Errorf("%s: %s gave no output %s: %v", r.ID, loader, o.Name, err)
					continue
				}
				g, w := got.Float32s(), want.Float32s()
				if len(g) != len(w) {
					t.Errorf("%s %s %s: %d values, want %d", r.ID, loader, o.Name, len(g), len(w))
					continue
				}
				d := 0.0
				for i := range g {
					d = max(d, math.Abs(float64(g[i])-float64(w[i])))
				}
				worst = max(worst, d)
				if d > 1e-5 {
					t.Errorf("%s %s %s: max |got - tf_keras fixture| = %g", r.ID, loader, o.Name, d)
				}
			}
		}
	}
	t.Logf("%d Functional SavedModels served (tf.saved_model, TF1 session, tf_keras, TFSMLayer): worst max |diff| vs the tf_keras fixtures %.2g", len(results), worst)
}

// readObservedSignature returns the serving signature tf_keras's own SavedModel of a case had
// (observed.json), or nil for a case without one.
func readObservedSignature(t *testing.T, dir string) *struct {
	Inputs, Outputs map[string]struct {
		Shape []any `json:"shape"`
	}
} {
	b, err := os.ReadFile(filepath.Join(dir, "observed.json"))
	if err != nil {
		return nil
	}
	var obs struct {
		Sig *struct {
			Inputs, Outputs map[string]struct {
				Shape []any `json:"shape"`
			}
		} `json:"tfkeras_savedmodel_serving_default"`
	}
	if err := json.Unmarshal(b, &obs); err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	return obs.Sig
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func hasPrefixed(s []string, prefix string) bool {
	for _, k := range s {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}
