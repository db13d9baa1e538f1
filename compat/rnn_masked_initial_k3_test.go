package compat

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestRNNMaskedInitialStateKeras3: Keras 3 gives a recurrent layer (LSTM, GRU, SimpleRNN,
// RNN(LSTMCell), Bidirectional) called with initial_state no Keras mask, while the call's
// output carries the input's mask on to later layers (an LSTM, SimpleRNN or Bidirectional
// called without initial_state, GlobalAveragePooling1D). The script builds such models in
// Keras 3 on padded inputs (leading, inner and trailing padding, a row of padding only; an
// LSTM called on a masked sequence without initial_state, on it and on an unmasked one with
// initial_state), saves .keras and Keras 3's .h5, and checks that
// giving those calls the mask (tf_keras's behaviour) changes Keras 3's predictions. Go loads
// both files, reports the Keras 3 call dialect, and predicts with Keras 3's predictions within
// 1e-5; real TensorFlow serves Go's SavedModel of the .keras model with them too.
func TestRNNMaskedInitialStateKeras3(t *testing.T) {
	python(t)
	out := t.TempDir()
	type tcase struct {
		pyCase
		Keras         string   `json:"keras"`
		H5            string   `json:"h5"`
		Dir           string   `json:"dir"`
		MaskedDiffers []string `json:"masked_differs"`
	}
	var cases []tcase
	runPythonJSON(t, &cases, "rnn_masked_initial_k3.py", "make", out)
	if len(cases) != 4 {
		t.Fatalf("python made %d cases, want 4", len(cases))
	}
	var served []tcase
	for _, c := range cases {
		// Outputs of initial-state calls (or downstream of them) must tell Keras 3's
		// behaviour from tf_keras's, or the comparisons below prove nothing.
		if len(c.MaskedDiffers) == 0 {
			t.Errorf("%s: Keras 3's predictions are those with the mask given: the case cannot tell the dialects apart", c.ID)
		}
		xs := c.inputs(t)
		for _, f := range []string{c.Keras, c.H5} {
			label := c.ID + ": " + filepath.Base(f)
			m, ok := loadPredict(t, c.pyCase, label, "Keras 3", f, xs)
			if m == nil {
				continue
			}
			if m.CallDialect() != saved.Keras3 {
				t.Errorf("%s: call dialect %v, want keras3", label, m.CallDialect())
			}
			if !ok || f != c.Keras {
				continue
			}
			c.Dir = filepath.Join(out, c.ID, "go_savedmodel")
			if err := m.Save(c.Dir); err != nil {
				t.Errorf("%s: save SavedModel: %v", c.ID, err)
				continue
			}
			served = append(served, c)
		}
	}
	results := pyCheck[pyServed](t, out, served, "rnn_masked_initial_k3.py", "serve")
	checkServed(t, served, results, "Keras 3", func(i int, name string) string {
		return fmt.Sprintf(" (differs when masked: %v)", slices.Contains(served[i].MaskedDiffers, name))
	})
}

// nanAwareDiff is tensorDiff where a NaN (GlobalAveragePooling1D over a row of padding only)
// must be NaN in both: a NaN in one only is an infinite difference.
func nanAwareDiff(got, want *tensor.Tensor) float64 {
	if !tensor.SameShape(got.Shape, want.Shape) {
		return math.Inf(1)
	}
	worst := 0.0
	w := want.Float32s()
	for i, v := range got.Float32s() {
		gn, wn := math.IsNaN(float64(v)), math.IsNaN(float64(w[i]))
		switch {
		case gn && wn:
		case gn || wn:
			return math.Inf(1)
		default:
			worst = max(worst, math.Abs(float64(v)-float64(w[i])))
		}
	}
	return worst
}

// TestRNNMaskedInitialStateKeras3Train: training follows Keras 3 too. The script builds in
// Keras 3 an LSTM given initial_state on Embedding(mask_zero)'s output, followed by a masked
// LSTM, compiled with SGD and mse, and runs one train_on_batch on padded tokens (leading
// padding, a row of padding only); it checks that giving the initial-state call the mask
// changes the step. Go loads the untrained .keras, runs one TrainOnBatchN and has Keras 3's
// loss and trained weights (read from Keras 3's trained .keras) within 1e-5.
func TestRNNMaskedInitialStateKeras3Train(t *testing.T) {
	python(t)
	var c struct {
		Model         string   `json:"model"`
		Trained       string   `json:"trained"`
		Inputs        []string `json:"inputs"`
		Y             string   `json:"y"`
		Loss          float64  `json:"loss"`
		MaskedDiffers bool     `json:"masked_differs"`
	}
	runPythonJSON(t, &c, "rnn_masked_initial_k3.py", "train", t.TempDir())
	if !c.MaskedDiffers {
		t.Fatal("Keras 3's step is the one with the mask given: the case cannot tell the dialects apart")
	}
	trainStep(t, "train", "Keras 3", c.Model, c.Trained, readNpys(t, c.Inputs), []string{c.Y}, c.Loss, false)
}
