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

// The harness of the tests whose script (compat/py, sharing _cases.py) builds models in
// Python on padded inputs: Go loads each case's model files and predicts, saves them, and the
// script checks Go's files (serves Go's SavedModel) output by output.

// pyFile is one of a case's .npy files: a model input or output, by name.
type pyFile struct {
	Name string `json:"name"`
	File string `json:"file"`
}

// pyCase is what the scripts print of every case: its inputs and the library's predictions.
type pyCase struct {
	ID      string   `json:"id"`
	Inputs  []pyFile `json:"inputs"`
	Outputs []pyFile `json:"outputs"`
}

// pyServed is a script's serve answer for a case (_cases.serve): serving_default's output keys
// and the largest |diff| of each output from the library's (-1: no such output).
type pyServed struct {
	ID   string             `json:"id"`
	Keys []string           `json:"keys"`
	Diff map[string]float64 `json:"diff"`
}

// pyTol is how far Go's and TensorFlow's predictions may be from the library's.
const pyTol = 1e-5

// inputs reads the case's input files.
func (c pyCase) inputs(t *testing.T) []*tensor.Tensor {
	t.Helper()
	var files []string
	for _, in := range c.Inputs {
		files = append(files, in.File)
	}
	return readNpys(t, files)
}

// loadPredict loads the model file f and checks that Go predicts c's outputs on xs within
// pyTol of lib (NaN where lib has NaN). It returns the model, nil if it does not load, and
// whether the predictions were compared; what it finds wrong is a test error (label names the
// case, and the file).
func loadPredict(t *testing.T, c pyCase, label, lib, f string, xs []*tensor.Tensor) (*model.Model, bool) {
	t.Helper()
	m, err := model.Load(f)
	if err != nil {
		t.Errorf("%s: load %s: %v", c.ID, filepath.Base(f), err)
		return nil, false
	}
	ys, err := m.PredictN(xs)
	if err != nil {
		t.Errorf("%s: Go predict: %v", label, err)
		return m, false
	}
	if len(ys) != len(c.Outputs) {
		t.Errorf("%s: Go predicts %d outputs, want %d", label, len(ys), len(c.Outputs))
		return m, false
	}
	for i, o := range c.Outputs {
		if d := nanAwareDiff(ys[i], readNpyT(t, o.File)); !(d <= pyTol) {
			t.Errorf("%s: Go predict output %s: max |diff| %g from %s", label, o.Name, d, lib)
		}
	}
	return m, true
}

// pyCheck writes cases (those Go saved) to out/cases.json, runs script with args and the file,
// and returns its answer: one R per case.
func pyCheck[R, C any](t *testing.T, out string, cases []C, script string, args ...string) []R {
	t.Helper()
	if len(cases) == 0 {
		t.Fatal("no case saved")
	}
	b, _ := json.Marshal(cases)
	spec := filepath.Join(out, "cases.json")
	if err := os.WriteFile(spec, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var results []R
	runPythonJSON(t, &results, script, append(args, spec)...)
	if len(results) != len(cases) {
		t.Fatalf("%s %v: python answered for %d models, want %d", script, args, len(results), len(cases))
	}
	return results
}

// checkDiffs checks the largest |diff| the script found per output of c (diffs, by output
// name; missing or negative: no output of lib's shape) against pyTol, skipping the outputs
// skip names. what says whose predictions they are; keys are the served output keys; note,
// if not nil, adds to the log line of an output within pyTol.
func checkDiffs(t *testing.T, c pyCase, what, lib string, diffs map[string]float64, keys []string, skip map[string]bool, note func(name string) string) {
	t.Helper()
	for _, o := range c.Outputs {
		if skip[o.Name] {
			continue
		}
		d, ok := diffs[o.Name]
		switch {
		case !ok || d < 0:
			t.Errorf("%s: %s: no output %s of %s's shape (served keys %v)", c.ID, what, o.Name, lib, keys)
		case !(d <= pyTol):
			t.Errorf("%s: %s: output %s: max |diff| %g from %s", c.ID, what, o.Name, d, lib)
		default:
			extra := ""
			if note != nil {
				extra = note(o.Name)
			}
			t.Logf("%s: %s: output %s: max |diff| %.2g%s", c.ID, what, o.Name, d, extra)
		}
	}
}

// base is the pyCase of a test's case type that embeds pyCase.
func (c pyCase) base() pyCase { return c }

// checkServed checks a script's serve answers (one per case, in order) with checkDiffs.
func checkServed[C interface{ base() pyCase }](t *testing.T, cases []C, results []pyServed, lib string, note func(c int, name string) string) {
	t.Helper()
	for i, r := range results {
		c := cases[i].base()
		if r.ID != c.ID || len(r.Keys) != len(c.Outputs) {
			t.Errorf("%s: served outputs %v, want %d (case %s)", r.ID, r.Keys, len(c.Outputs), c.ID)
		}
		var n func(string) string
		if note != nil {
			n = func(name string) string { return note(i, name) }
		}
		checkDiffs(t, c, "serving_default", lib, r.Diff, r.Keys, nil, n)
	}
}

// readNpys reads the .npy files.
func readNpys(t *testing.T, files []string) []*tensor.Tensor {
	t.Helper()
	var xs []*tensor.Tensor
	for _, f := range files {
		xs = append(xs, readNpyT(t, f))
	}
	return xs
}

// trainStep loads the untrained model file train (compiled by the script), runs one
// TrainOnBatchN on xs and the targets, and compares the loss and the weights with lib's step
// (its trained model file) within pyTol. With backward, the step must move some weight of a
// Bidirectional layer's backward layer.
func trainStep(t *testing.T, id, lib, train, trained string, xs []*tensor.Tensor, targets []string, loss float64, backward bool) {
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
	ys := readNpys(t, targets)
	var before []*tensor.Tensor
	for _, w := range m.Weights() {
		before = append(before, w.Value.Clone())
	}
	got, _, err := m.TrainOnBatchN(xs, ys)
	if err != nil {
		t.Errorf("%s: Go train step: %v", id, err)
		return
	}
	if !(math.Abs(got-loss) <= pyTol) {
		t.Errorf("%s: loss: Go %v, %s %v", id, got, lib, loss)
	}
	gw, ww := m.Weights(), want.Weights()
	if len(gw) != len(ww) {
		t.Errorf("%s: Go has %d weights, %s's trained model %d", id, len(gw), lib, len(ww))
		return
	}
	moved := 0
	for i, w := range gw {
		if d := tensorDiff(w.Value, ww[i].Value); !(d <= pyTol) {
			t.Errorf("%s: weight %d (%s) after the step: max |diff| %g from %s", id, i, w.Name, d, lib)
		}
		if strings.Contains(w.Name, "backward_") && tensorDiff(w.Value, before[i]) > 1e-6 {
			moved++
		}
	}
	if backward && moved == 0 {
		t.Errorf("%s: the step moved no weight of a backward layer", id)
	}
}
