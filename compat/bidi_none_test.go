package compat

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestBidirectionalMergeNone: Bidirectional(merge_mode=None) returns the forward layer's
// output and the backward layer's (in time order with return_sequences), then with
// return_state the forward layer's states and the backward layer's. The script builds, in
// tf_keras and in Keras 3, merge-None Bidirectional layers: a GRU(return_sequences,
// return_state) over Embedding(mask_zero),
// whose outputs go to an LSTM, a SimpleRNN and Concatenate -> Dense, and an LSTM(return_state)
// and a SimpleRNN(return_sequences) over Masking, whose outputs go to Concatenate -> Dense,
// GlobalAveragePooling1D, SimpleRNN and GRU, and a GRU given the LSTM's h states as
// initial_state (backward, forward), on padded inputs (leading, inner and trailing padding, a
// row of padding only); the layers after the sequences read both outputs' masks (the script
// checks that dropping them changes the predictions). Go loads tf_keras's .h5 and Keras 3's
// .keras (and Keras 3's .h5), prints their summaries as the library does and predicts within
// 1e-5 of it; Go's .h5 loaded in tf_keras, Go's .keras in Keras 3 and Go's SavedModel served
// by TensorFlow give the same predictions (the initial-state call's outputs: in the library of
// the file Go read, see initialStateOutputs); one SGD step through both outputs (a model of
// the unmasked outputs, mse each) has each library's loss and trained weights within 1e-5.
func TestBidirectionalMergeNone(t *testing.T) {
	python(t)
	out := t.TempDir()
	type file struct {
		Name string `json:"name"`
		File string `json:"file"`
	}
	type tcase struct {
		ID          string   `json:"id"`
		Lib         string   `json:"lib"`
		Model       string   `json:"model"`
		More        []string `json:"more"`
		Inputs      []file   `json:"inputs"`
		Outputs     []file   `json:"outputs"`
		MaskMatters []string `json:"mask_matters"`
		Summary     string   `json:"summary"`
		Train       string   `json:"train"`
		Targets     []string `json:"targets"`
		Loss        float64  `json:"loss"`
		Trained     string   `json:"trained"`
		GoH5        string   `json:"go_h5"`
		GoKeras     string   `json:"go_keras"`
		GoSM        string   `json:"go_sm"`
	}
	var cases []tcase
	for _, lib := range []string{"tf_keras", "keras3"} {
		var cs []tcase
		runPythonJSON(t, &cs, "bidi_none.py", "make", lib, out)
		if len(cs) != 2 {
			t.Fatalf("%s: python made %d cases, want 2", lib, len(cs))
		}
		cases = append(cases, cs...)
	}
	var saved []tcase
	for _, c := range cases {
		if len(c.MaskMatters) < 2 {
			t.Errorf("%s: dropping the masks changes only %v: the case does not show both outputs' masks used", c.ID, c.MaskMatters)
		}
		m, err := model.Load(c.Model)
		if err != nil {
			t.Errorf("%s: load %s: %v", c.ID, filepath.Base(c.Model), err)
			continue
		}
		var xs []*tensor.Tensor
		for _, in := range c.Inputs {
			xs = append(xs, readNpyT(t, in.File))
		}
		sum := m.Summary()
		if c.Lib == "keras3" {
			sum = m.SummaryKeras3()
		}
		if sum != c.Summary {
			t.Errorf("%s: %s's summary:\n%s\nGo's:\n%s", c.ID, c.Lib, c.Summary, sum)
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
			if d := nanAwareDiff(ys[i], readNpyT(t, o.File)); !(d <= 1e-5) {
				t.Errorf("%s: Go predict output %s: max |diff| %g from %s", c.ID, o.Name, d, c.Lib)
			}
		}
		for _, f := range c.More {
			m2, err := model.Load(f)
			if err != nil {
				t.Errorf("%s: load %s: %v", c.ID, filepath.Base(f), err)
				continue
			}
			ys2, err := m2.PredictN(xs)
			if err != nil || len(ys2) != len(c.Outputs) {
				t.Errorf("%s: %s: Go predict: %d outputs, %v", c.ID, filepath.Base(f), len(ys2), err)
				continue
			}
			for i, o := range c.Outputs {
				if d := nanAwareDiff(ys2[i], readNpyT(t, o.File)); !(d <= 1e-5) {
					t.Errorf("%s: %s: Go predict output %s: max |diff| %g from %s", c.ID, filepath.Base(f), o.Name, d, c.Lib)
				}
			}
		}
		dir := filepath.Join(out, "go", c.ID)
		c.GoH5, c.GoKeras, c.GoSM = filepath.Join(dir, "model.h5"), filepath.Join(dir, "model.keras"), filepath.Join(dir, "sm")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		ok := true
		for _, f := range []string{c.GoH5, c.GoKeras, c.GoSM} {
			if err := m.Save(f); err != nil {
				t.Errorf("%s: save %s: %v", c.ID, filepath.Base(f), err)
				ok = false
			}
		}
		if ok {
			saved = append(saved, c)
		}
		trainStep(t, c.ID, c.Lib, c.Train, c.Trained, xs, c.Targets, c.Loss)
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
		ID     string             `json:"id"`
		TK     map[string]float64 `json:"tf_keras"`
		TKErr  string             `json:"tf_keras_error"`
		K3     map[string]float64 `json:"keras3"`
		K3Err  string             `json:"keras3_error"`
		Served map[string]float64 `json:"served"`
		Keys   []string           `json:"keys"`
	}
	runPythonJSON(t, &results, "bidi_none.py", "check", spec)
	if len(results) != len(saved) {
		t.Fatalf("python checked %d models, want %d", len(results), len(saved))
	}
	for i, r := range results {
		c := saved[i]
		if r.ID != c.ID {
			t.Fatalf("result %d is %s, want %s", i, r.ID, c.ID)
		}
		for _, w := range []struct {
			what string
			lib  string
			d    map[string]float64
			err  string
		}{{"Go's .h5 in tf_keras", "tf_keras", r.TK, r.TKErr}, {"Go's .keras in Keras 3", "keras3", r.K3, r.K3Err}, {"Go's SavedModel served", c.Lib, r.Served, ""}} {
			if w.err != "" {
				t.Errorf("%s: %s: %s", c.ID, w.what, w.err)
				continue
			}
			for _, o := range c.Outputs {
				if w.lib != c.Lib && initialStateOutputs[o.Name] {
					// tf_keras masks a call given initial_state, Keras 3 does not: the other
					// library's predictions differ by design.
					continue
				}
				d, ok := w.d[o.Name]
				switch {
				case !ok || d < 0:
					t.Errorf("%s: %s: no output %s of %s's shape (served keys %v)", c.ID, w.what, o.Name, c.Lib, r.Keys)
				case !(d <= 1e-5):
					t.Errorf("%s: %s: output %s: max |diff| %g from %s", c.ID, w.what, o.Name, d, c.Lib)
				}
			}
		}
		if len(r.Keys) != len(c.Outputs) {
			t.Errorf("%s: served outputs %v, want %d", c.ID, r.Keys, len(c.Outputs))
		}
	}
}

// initialStateOutputs are the outputs of bidi_none.py's calls given initial_state over a
// masked input, which tf_keras runs masked and Keras 3 unmasked (model.CallDialect): they are
// compared with the library whose file Go read, and with the same library reading Go's files.
var initialStateOutputs = map[string]bool{"zf": true, "zb": true}

// trainStep loads the untrained model file train (compiled by the script), runs one
// TrainOnBatchN on xs and the targets, and compares the loss and the weights with lib's step
// (its trained model file).
func trainStep(t *testing.T, id, lib, train, trained string, xs []*tensor.Tensor, targets []string, loss float64) {
	t.Helper()
	m, err := model.Load(train)
	if err != nil {
		t.Errorf("%s: load %s: %v", id, filepath.Base(train), err)
		return
	}
	want, err := model.Load(trained)
	if err != nil {
		t.Errorf("%s: load %s: %v", id, filepath.Base(trained), err)
		return
	}
	var ys []*tensor.Tensor
	for _, f := range targets {
		ys = append(ys, readNpyT(t, f))
	}
	var before []*tensor.Tensor
	for _, w := range m.Weights() {
		before = append(before, w.Value.Clone())
	}
	got, _, err := m.TrainOnBatchN(xs, ys)
	if err != nil {
		t.Errorf("%s: Go train step: %v", id, err)
		return
	}
	if !(math.Abs(got-loss) <= 1e-5) {
		t.Errorf("%s: loss: Go %v, %s %v", id, got, lib, loss)
	}
	gw, ww := m.Weights(), want.Weights()
	if len(gw) != len(ww) {
		t.Errorf("%s: Go has %d weights, %s's trained model %d", id, len(gw), lib, len(ww))
		return
	}
	moved := 0
	for i, w := range gw {
		if d := tensorDiff(w.Value, ww[i].Value); !(d <= 1e-5) {
			t.Errorf("%s: weight %d (%s) after the step: max |diff| %g from %s", id, i, w.Name, d, lib)
		}
		if strings.Contains(w.Name, "backward_") && tensorDiff(w.Value, before[i]) > 1e-6 {
			moved++
		}
	}
	if moved == 0 {
		t.Errorf("%s: the step moved no weight of a backward layer", id)
	}
}
