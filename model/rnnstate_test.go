//go:build cgo

package model

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/internal/testref"
	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestRNNStateTrainStep loads the acceptance model of testdata/layers_rnnstate (stacked LSTMs,
// the second given the first's final states as initial_state, its own states concatenated
// into a Dense) as tf_keras and Keras 3 saved it, runs one TrainOnBatchN and compares the logs,
// every weight, every Adam slot and the iterations with tf_keras's train_on_batch from the
// same file, computed on this machine in this run (testref.RNNState).
func TestRNNStateTrainStep(t *testing.T) {
	checkTrainStepCases(t, filepath.Join("..", "testdata", "layers_rnnstate"), testref.Dir(t, testref.RNNState),
		"lstm_state_stack", "bilstm_state", "rnn_cells", "rnn_stacked_cells", "shared_initial", "bidi_initial")
}

// TestRNNStateFormats loads the tf_keras weights-only files (HDF5 and TF checkpoint) of the
// return_state cases into the model read from the .h5 config: Keras's predictions.
func TestRNNStateFormats(t *testing.T) {
	for _, name := range []string{"lstm_state_stack", "gru_state_outputs", "bilstm_state", "rnn_cells", "rnn_stacked_cells", "state_outputs", "shared_initial", "bidi_initial"} {
		dir := filepath.Join("..", "testdata", "layers_rnnstate", name)
		var man struct {
			Cases map[string]functionalCase `json:"cases"`
		}
		if err := json.Unmarshal(readFile(t, filepath.Join("..", "testdata", "layers_rnnstate", "manifest.json")), &man); err != nil {
			t.Fatal(err)
		}
		c := man.Cases[name]
		xs := make([]*tensor.Tensor, len(c.Inputs))
		for i, in := range c.Inputs {
			xs[i] = readNpy(t, filepath.Join(dir, in.File))
		}
		for _, f := range []string{"tfkeras/weights.h5", "tfkeras/ckpt/weights"} {
			t.Run(name+"/"+f, func(t *testing.T) {
				m, err := FromConfig(readFile(t, filepath.Join(dir, "config_keras2_to_json.json")))
				if err != nil {
					t.Fatal(err)
				}
				if err := m.LoadWeights(filepath.Join(dir, f)); err != nil {
					t.Fatal(err)
				}
				ys, err := m.PredictN(xs)
				if err != nil {
					t.Fatal(err)
				}
				for i, o := range c.Outputs {
					if d := maxAbsDiff(t, ys[i], readNpy(t, filepath.Join(dir, o.FileTF))); d > 1e-5 {
						t.Errorf("output %s differs by %g", o.Name, d)
					}
				}
			})
		}
	}
}

// TestRNNStateGoBuilt builds the acceptance model in Go (ApplyMulti), checks the outputs'
// tensor indices in both configs and that a Sequential model refuses a layer with several
// outputs.
func TestRNNStateGoBuilt(t *testing.T) {
	in := Input(5, 3).WithName("seq")
	a := MustApplyMulti(layers.NewLSTM(8, layers.LSTMOptions{Name: "lstm_a", ReturnSequences: true, ReturnState: true}), in.Output())
	if len(a) != 3 {
		t.Fatalf("%d outputs, want 3", len(a))
	}
	b := MustApplyMulti(layers.NewLSTM(8, layers.LSTMOptions{Name: "lstm_b", ReturnState: true}), a...)
	s := MustApply(layers.NewConcatenate(-1), b[1], b[2])
	y := MustApply(layers.NewDense(3, layers.DenseOptions{Name: "head", Activation: "softmax"}), s)
	m := MustNewModel([]*KerasTensor{in.Output()}, []*KerasTensor{y, b[1]})
	for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
		cfg, err := m.Config(d)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(cfg), `["lstm_a",0,2`) {
			t.Errorf("config (%v) has no reference to lstm_a's output 2: %s", d, cfg)
		}
		back, err := FromConfig(cfg)
		if err != nil {
			t.Fatalf("read back: %v", err)
		}
		if got := back.Outputs()[1]; got.index != 1 || got.Layer().Name() != "lstm_b" {
			t.Errorf("read back: output 1 is %s[%d]", got.Layer().Name(), got.index)
		}
	}
	x := tensor.MustFromFloat32([]int{2, 5, 3}, make([]float32, 30))
	ys, err := m.PredictN([]*tensor.Tensor{x})
	if err != nil || len(ys) != 2 || ys[1].Shape[1] != 8 {
		t.Fatalf("predict: %v", err)
	}
	err = NewSequential(Input(5, 3)).Add(layers.NewLSTM(4, layers.LSTMOptions{ReturnState: true}))
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "single output") {
		t.Errorf("Sequential add: %v", err)
	}
}

// TestRNNStateBadRefs: a config referring to an output a layer does not return is an error
// naming the layer and the output, never a panic: an index past a return_state layer's
// outputs (ErrFormat), an index above 0 of a single-output layer (ErrUnsupported), initial
// states of the wrong count (ErrShape).
func TestRNNStateBadRefs(t *testing.T) {
	dir := filepath.Join("..", "testdata", "layers_rnnstate", "lstm_state_stack")
	for _, c := range []struct {
		src, old, new string
		want          error
		says          string
	}{
		{"config_keras2_to_json.json", `["lstm_b", 0, 2, {}]`, `["lstm_b", 0, 7, {}]`, ErrFormat, "output 7"},
		{"config_keras3.json", `"keras_history": ["lstm_b", 0, 2]`, `"keras_history": ["lstm_b", 0, 3]`, ErrFormat, "output 3"},
		{"config_keras2_to_json.json", `["seq", 0, 0, {}]`, `["seq", 0, 1, {}]`, ErrUnsupported, "output 1"},
		{"config_keras2_to_json.json", `["lstm_a", 0, 2, {}]]`, `["lstm_a", 0, 2, {}], ["lstm_a", 0, 1, {}]]`, ErrShape, "initial states"},
	} {
		data := string(readFile(t, filepath.Join(dir, c.src)))
		if !strings.Contains(data, c.old) {
			t.Fatalf("%s has no %s", c.src, c.old)
		}
		_, err := FromConfig([]byte(strings.Replace(data, c.old, c.new, 1)))
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s with %s: %v, want %v naming %q", c.src, c.new, err, c.want, c.says)
		}
	}
}
