package compat

import (
	"os"
	"path/filepath"
	"testing"
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
	type tcase struct {
		pyCase
		Lib         string   `json:"lib"`
		Model       string   `json:"model"`
		More        []string `json:"more"`
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
		xs := c.inputs(t)
		m, ok := loadPredict(t, c.pyCase, c.ID, c.Lib, c.Model, xs)
		if m == nil {
			continue
		}
		sum := m.Summary()
		if c.Lib == "keras3" {
			sum = m.SummaryKeras3()
		}
		if sum != c.Summary {
			t.Errorf("%s: %s's summary:\n%s\nGo's:\n%s", c.ID, c.Lib, c.Summary, sum)
		}
		if !ok {
			continue
		}
		for _, f := range c.More {
			loadPredict(t, c.pyCase, c.ID+": "+filepath.Base(f), c.Lib, f, xs)
		}
		dir := filepath.Join(out, "go", c.ID)
		c.GoH5, c.GoKeras, c.GoSM = filepath.Join(dir, "model.h5"), filepath.Join(dir, "model.keras"), filepath.Join(dir, "sm")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		ok = true
		for _, f := range []string{c.GoH5, c.GoKeras, c.GoSM} {
			if err := m.Save(f); err != nil {
				t.Errorf("%s: save %s: %v", c.ID, filepath.Base(f), err)
				ok = false
			}
		}
		if ok {
			saved = append(saved, c)
		}
		trainStep(t, c.ID, c.Lib, c.Train, c.Trained, xs, c.Targets, c.Loss, true)
	}
	results := pyCheck[struct {
		ID     string             `json:"id"`
		TK     map[string]float64 `json:"tf_keras"`
		TKErr  string             `json:"tf_keras_error"`
		K3     map[string]float64 `json:"keras3"`
		K3Err  string             `json:"keras3_error"`
		Served map[string]float64 `json:"served"`
		Keys   []string           `json:"keys"`
	}](t, out, saved, "bidi_none.py", "check")
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
			// tf_keras masks a call given initial_state, Keras 3 does not: the other
			// library's predictions differ by design.
			var skip map[string]bool
			if w.lib != c.Lib {
				skip = initialStateOutputs
			}
			checkDiffs(t, c.pyCase, w.what, c.Lib, w.d, r.Keys, skip, nil)
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
