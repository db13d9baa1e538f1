package compat

import (
	"path/filepath"
	"testing"

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
	type tcase struct {
		pyCase
		H5  string `json:"h5"`
		Dir string `json:"dir"`
	}
	var cases []tcase
	runPythonJSON(t, &cases, "rnn_masked_initial.py", "make", out)
	if len(cases) != 4 {
		t.Fatalf("python made %d cases, want 4", len(cases))
	}
	var saved []tcase
	for _, c := range cases {
		m, _ := loadPredict(t, c.pyCase, c.ID, "tf_keras", c.H5, c.inputs(t))
		if m == nil {
			continue
		}
		c.Dir = filepath.Join(out, c.ID, "go_savedmodel")
		if err := m.Save(c.Dir); err != nil {
			t.Errorf("%s: save SavedModel: %v", c.ID, err)
			continue
		}
		saved = append(saved, c)
	}
	results := pyCheck[pyServed](t, out, saved, "rnn_masked_initial.py", "serve")
	checkServed(t, saved, results, "tf_keras", nil)
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
