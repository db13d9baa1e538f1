package compat

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestRNNMaskedInitialStateServing: recurrent layers called with initial_state where a Keras
// mask reaches them (LSTM, GRU, SimpleRNN and RNN(LSTMCell) after Embedding(mask_zero) or
// Masking, from Dense states;
// an LSTM called with and without initial_state under the mask; Bidirectional GRU and LSTM
// given both layers' states), built in tf_keras on padded inputs (leading, inner and trailing
// padding, a row of padding only): Go loads each .h5 and writes its SavedModel, which real
// TensorFlow serves (tf.saved_model.load's serving_default) with tf_keras's predictions
// within 1e-5, every output (sequences, states, last outputs). Go's own predictions are
// tf_keras's too.
func TestRNNMaskedInitialStateServing(t *testing.T) {
	python(t)
	out := t.TempDir()
	type file struct {
		Name string `json:"name"`
		File string `json:"file"`
	}
	type tcase struct {
		ID      string `json:"id"`
		H5      string `json:"h5"`
		Dir     string `json:"dir"`
		Inputs  []file `json:"inputs"`
		Outputs []file `json:"outputs"`
	}
	var cases []tcase
	runPythonJSON(t, &cases, "rnn_masked_initial.py", "make", out)
	if len(cases) != 4 {
		t.Fatalf("python made %d cases, want 4", len(cases))
	}
	var saved []tcase
	for _, c := range cases {
		m, err := model.Load(c.H5)
		if err != nil {
			t.Errorf("%s: load: %v", c.ID, err)
			continue
		}
		c.Dir = filepath.Join(out, c.ID, "go_savedmodel")
		if err := m.Save(c.Dir); err != nil {
			t.Errorf("%s: save SavedModel: %v", c.ID, err)
			continue
		}
		saved = append(saved, c)
		var xs []*tensor.Tensor
		for _, in := range c.Inputs {
			xs = append(xs, readNpyT(t, in.File))
		}
		ys, err := m.PredictN(xs)
		if err != nil {
			t.Errorf("%s: Go predict: %v", c.ID, err)
			continue
		}
		if len(ys) != len(c.Outputs) {
			t.Errorf("%s: Go predicts %d outputs, want %d", c.ID, len(ys), len(c.Outputs))
			continue
		}
		for i, o := range c.Outputs {
			if d := tensorDiff(ys[i], readNpyT(t, o.File)); d > 1e-5 {
				t.Errorf("%s: Go predict output %s: max |diff| %g from tf_keras", c.ID, o.Name, d)
			}
		}
	}
	if len(saved) == 0 {
		t.Fatal("no case saved")
	}
	b, _ := json.Marshal(saved)
	spec := filepath.Join(out, "cases.json")
	if err := os.WriteFile(spec, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var results []struct {
		ID   string             `json:"id"`
		Keys []string           `json:"keys"`
		Diff map[string]float64 `json:"diff"`
	}
	runPythonJSON(t, &results, "rnn_masked_initial.py", "serve", spec)
	if len(results) != len(saved) {
		t.Fatalf("python served %d models, want %d", len(results), len(saved))
	}
	for i, r := range results {
		c := saved[i]
		if r.ID != c.ID || len(r.Keys) != len(c.Outputs) {
			t.Errorf("%s: served outputs %v, want %d (case %s)", r.ID, r.Keys, len(c.Outputs), c.ID)
		}
		for _, o := range c.Outputs {
			d, ok := r.Diff[o.Name]
			switch {
			case !ok || d < 0:
				t.Errorf("%s: serving_default has no output %s of tf_keras's shape (keys %v)", c.ID, o.Name, r.Keys)
			case d > 1e-5:
				t.Errorf("%s: served output %s: max |diff| %g from tf_keras", c.ID, o.Name, d)
			default:
				t.Logf("%s: served output %s: max |diff| %.2g", c.ID, o.Name, d)
			}
		}
	}
}

// readNpyT reads a .npy file the test's script wrote.
func readNpyT(t *testing.T, path string) *tensor.Tensor {
	t.Helper()
	x, err := npy.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return x
}
